package steps

import (
	"errors"
	"syscall"
)

// soReusePort is SO_REUSEPORT on Linux (the frozen syscall package does
// not name it).
const soReusePort = 0xf

var errNoReusePort = errors.New("no SO_REUSEPORT")

func reusePort(fd int) error {
	return syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soReusePort, 1)
}
