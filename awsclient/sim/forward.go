package sim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A forwarder stands in for an RDS Proxy's network endpoint: it listens on
// loopback and relays to a real database (Options.ProxyForwardTo), but only
// while the simulated proxy has an AVAILABLE target. That makes the
// proxy-less window of a run something a real client can measure.

// forwardDialTimeout bounds the dial to the real database behind a proxy.
const forwardDialTimeout = 2 * time.Second

type forwarder struct {
	proxy   string
	backend string
	ln      net.Listener
	sim     *Simulator

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// startForwarders opens one loopback listener per proxy ProxyForwardTo
// names, binds the DB instances and clusters it names to their real
// database, and gives every proxy that targets a bound one a listener
// relaying there too.
func (s *Simulator) startForwarders() error {
	forward := map[string]string{}
	names := make([]string, 0, len(s.opts.ProxyForwardTo))
	for name := range s.opts.ProxyForwardTo {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		backend := s.opts.ProxyForwardTo[name]
		if _, _, err := net.SplitHostPort(backend); err != nil {
			return fmt.Errorf("sim: --forward %s=%s: want HOST:PORT", name, backend)
		}
		switch {
		case s.st.findProxy(name) != nil:
			forward[s.st.findProxy(name).Name] = backend
		case s.st.findInstance(name) != nil:
			s.bindLocked(s.st.findInstance(name).ResourceID, backend)
		case s.st.findCluster(name) != nil:
			s.bindLocked(s.st.findCluster(name).ResourceID, backend)
		default:
			return fmt.Errorf("sim: --forward %s: the scenario has no proxy, DB instance or cluster of that name", name)
		}
	}
	for _, p := range s.st.Proxies {
		if _, ok := forward[p.Name]; ok {
			continue
		}
		for _, t := range p.Targets {
			if b := s.bound[t.ResourceID]; b != "" {
				forward[p.Name] = b
				break
			}
		}
	}
	for _, proxy := range sortedKeys(forward) {
		backend := forward[proxy]
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.Close()
			return fmt.Errorf("sim: listening for proxy %s: %w", proxy, err)
		}
		f := &forwarder{proxy: proxy, backend: backend, ln: ln, sim: s, conns: map[net.Conn]struct{}{}}
		s.forwarders = append(s.forwarders, f)
		f.wg.Add(1)
		go f.serve()
	}
	return nil
}

func (s *Simulator) bindLocked(resourceID, backend string) {
	if s.bound == nil {
		s.bound = map[string]string{}
	}
	s.bound[resourceID] = backend
}

// boundEndpoint is the real database standing in for a DB instance or
// cluster (by resource id): its host and port, ok false when not bound.
func (s *Simulator) boundEndpoint(resourceID string) (string, int, bool) {
	b := s.bound[resourceID]
	if b == "" {
		return "", 0, false
	}
	host, port, err := net.SplitHostPort(b)
	if err != nil {
		return "", 0, false
	}
	n, _ := strconv.Atoi(port)
	return host, n, true
}

// BoundAddress is the real database bound to a DB instance or cluster
// (named as at the start), "" when none.
func (s *Simulator) BoundAddress(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.st.findInstance(name); in != nil {
		return s.bound[in.ResourceID]
	}
	if c := s.st.findCluster(name); c != nil {
		return s.bound[c.ResourceID]
	}
	return ""
}

// ProxyAddress is the loopback host:port standing in for a proxy's endpoint
// (Options.ProxyForwardTo); "" when the proxy is not forwarded.
func (s *Simulator) ProxyAddress(proxy string) string {
	for _, f := range s.forwarders {
		if strings.EqualFold(f.proxy, proxy) {
			return f.ln.Addr().String()
		}
	}
	return ""
}

// Close stops the proxy forwarders and drops their connections. The HTTP
// side needs no closing: it is whatever server the caller mounted.
func (s *Simulator) Close() {
	if s.fleet != nil {
		for _, m := range s.fleet.members {
			m.sim.Close()
		}
	}
	for _, f := range s.forwarders {
		f.close()
	}
}

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		// No AVAILABLE target: the proxy cannot serve the client. Closing
		// at once is what a client sees as a refused connection.
		if !f.sim.ProxyHealthy(f.proxy) || !f.track(c) {
			_ = c.Close()
			continue
		}
		f.wg.Add(1)
		go f.relay(c)
	}
}

func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	_ = c.Close()
}

// relay copies both ways. Client data is passed on only while the proxy
// stays healthy: when its target goes, the session is cut, as the real
// proxy drops its clients when the target is deregistered or switched.
func (f *forwarder) relay(client net.Conn) {
	defer f.wg.Done()
	defer f.untrack(client)
	db, err := net.DialTimeout("tcp", f.backend, forwardDialTimeout)
	if err != nil {
		return
	}
	if !f.track(db) {
		_ = db.Close()
		return
	}
	defer f.untrack(db)
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(client, db)
		done <- struct{}{}
	}()
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := client.Read(buf)
			if n > 0 {
				if !f.sim.ProxyHealthy(f.proxy) {
					break
				}
				if _, werr := db.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}()
	<-done
}

func (f *forwarder) close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	if err := f.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return
	}
	f.wg.Wait()
}

// ForwardLines says what ProxyForwardTo set up, one line each, for
// `rdsbg sim` to print: the databases bound to a real server and the
// proxies relaying to one.
func (s *Simulator) ForwardLines() []string {
	var out []string
	s.mu.Lock()
	for _, in := range s.st.Instances {
		if b := s.bound[in.ResourceID]; b != "" {
			out = append(out, fmt.Sprintf("DB instance %s: bound to the real database at %s (its endpoint; the database checks run against it)", in.ID, b))
		}
	}
	for _, c := range s.st.Clusters {
		if b := s.bound[c.ResourceID]; b != "" {
			out = append(out, fmt.Sprintf("DB cluster %s: bound to the real database at %s (its writer endpoint)", c.ID, b))
		}
	}
	s.mu.Unlock()
	for _, f := range s.forwarders {
		out = append(out, fmt.Sprintf("proxy %s: endpoint %s relays to %s while the proxy has a healthy target", f.proxy, f.ln.Addr(), f.backend))
	}
	return out
}
