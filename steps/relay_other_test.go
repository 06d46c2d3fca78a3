//go:build !linux

package steps

import "errors"

// Elsewhere the relay does not hold its port while it refuses: it listens
// again on the same address when the network comes back.
var errNoReusePort = errors.New("no SO_REUSEPORT")

func reusePort(int) error { return errNoReusePort }
