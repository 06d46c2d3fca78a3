package steps

import (
	"context"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
)

// relay forwards loopback TCP connections to target, or refuses them (the
// port closed: connection refused), or black-holes them (accepted, never
// answered), on command. TestReliabilityNetworkAndSignals puts one between
// `rdsbg run` and `rdsbg sim`.
type relay struct {
	addr, target string

	mu    sync.Mutex
	mode  string // "pass", "refuse", "blackhole"
	ln    net.Listener
	hold  int // while refusing: a bound socket that does not listen (-1: none)
	conns map[net.Conn]bool
}

func newRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := relayListen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{addr: ln.Addr().String(), target: target, mode: "pass", ln: ln, hold: -1, conns: map[net.Conn]bool{}}
	go r.accept(ln)
	t.Cleanup(func() {
		r.set("refuse")
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.hold >= 0 {
			syscall.Close(r.hold)
			r.hold = -1
		}
	})
	return r
}

// relayListen listens with SO_REUSEPORT where the system has it, so that
// a socket bound to the same port can hold it while the relay refuses.
func relayListen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = reusePort(int(fd)) }); err != nil {
			return err
		}
		if serr == errNoReusePort {
			return nil
		}
		return serr
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}

// holdPort binds a socket to addr without listening on it: the kernel
// answers every connection attempt with a reset (connection refused), and
// no other socket can take the port until it is closed.
func holdPort(addr string) (int, error) {
	ap, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return -1, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	sa := &syscall.SockaddrInet4{Port: ap.Port}
	copy(sa.Addr[:], ap.IP.To4())
	if err := reusePort(fd); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

func (r *relay) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		mode := r.mode
		r.conns[c] = true
		r.mu.Unlock()
		if mode == "blackhole" {
			go io.Copy(io.Discard, c) // read, never answer
			continue
		}
		go r.pipe(c)
	}
}

func (r *relay) pipe(c net.Conn) {
	u, err := net.Dial("tcp", r.target)
	if err != nil {
		r.drop(c)
		return
	}
	r.mu.Lock()
	r.conns[u] = true
	r.mu.Unlock()
	go func() { io.Copy(u, c); r.drop(u) }()
	io.Copy(c, u)
	r.drop(c)
}

func (r *relay) drop(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	c.Close()
}

// set switches the relay's mode. refuse closes the port and every
// connection (with RST), holding the port meanwhile; blackhole keeps the
// port, cuts the way to the target and answers nothing; pass opens the
// port again, at once: it was held, so nothing else has taken it.
func (r *relay) set(mode string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mode == mode {
		return nil
	}
	prev := r.mode
	r.mode = mode
	switch mode {
	case "refuse", "blackhole":
		if mode == "refuse" && r.ln != nil {
			if fd, err := holdPort(r.addr); err == nil {
				r.hold = fd
			}
			r.ln.Close()
			r.ln = nil
		}
		for c := range r.conns {
			if tc, ok := c.(*net.TCPConn); ok && mode == "refuse" {
				tc.SetLinger(0)
			}
			c.Close()
			delete(r.conns, c)
		}
	case "pass":
		if prev == "refuse" {
			ln, err := relayListen(r.addr)
			if r.hold >= 0 {
				syscall.Close(r.hold)
				r.hold = -1
			}
			if err != nil {
				return err
			}
			r.ln = ln
			go r.accept(ln)
		} else {
			for c := range r.conns { // the black-holed ones
				c.Close()
				delete(r.conns, c)
			}
		}
	}
	return nil
}
