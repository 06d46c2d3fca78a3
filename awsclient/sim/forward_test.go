package sim_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// echoServer stands in for a database: it echoes one line per connection.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, err := bufio.NewReader(c).ReadString('\n')
				if err == nil {
					_, _ = c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through addr; ok is false when the connection is
// refused or closed without an answer.
func roundTrip(t *testing.T, addr string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "ping\n"
}

func TestProxyForwarderRelaysOnlyWhileTheProxyHasAHealthyTarget(t *testing.T) {
	backend := echoServer(t)
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, ProxyForwardTo: map[string]string{"orders-proxy": backend}})
	t.Cleanup(e.sim.Close)
	addr := e.sim.ProxyAddress("orders-proxy")
	if addr == "" || e.sim.ProxyAddress("billing-proxy") != "" {
		t.Fatalf("forwarders: orders %q, billing %q", addr, e.sim.ProxyAddress("billing-proxy"))
	}
	if !roundTrip(t, addr) {
		t.Fatal("healthy proxy: no echo through the forwarder")
	}
	e.sim.Update(func(st *sim.State) {
		for _, p := range st.Proxies {
			if p.Name == "orders-proxy" {
				p.Targets = nil
			}
		}
	})
	if roundTrip(t, addr) {
		t.Fatal("a proxy without targets relayed a connection")
	}
	e.sim.Close()
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the forwarder still listens after Close")
	}
}
