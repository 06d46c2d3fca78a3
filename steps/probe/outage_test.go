package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/probe/pgtest"
)

// The simulator's proxy endpoint relays to a real PostgreSQL while the
// proxy has an AVAILABLE target. Deregistering and re-registering the
// target on the virtual clock cuts the applications off for a known time;
// the probe, run every 500 ms of that clock, must measure it within one
// interval.
func TestProbeMeasuresTheSimulatedOutage(t *testing.T) {
	pgAddr := pgtest.Start(t)
	simtest.IsolateAWSEnv(t)
	srv := simtest.NewServer(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Clock: clock.NewVirtual(time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)),
		ProxyForwardTo: map[string]string{"orders-proxy": pgAddr}})
	t.Cleanup(srv.Sim.Close)
	clk, s := srv.Clock, srv.Sim
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: srv.URL, Region: simtest.Region, Simulator: true, Clock: clk, HTTPClient: srv.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	proxies, err := api.ListProxies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var endpoint, family string
	for _, p := range proxies {
		if p.Name == "orders-proxy" {
			endpoint, family = p.Endpoint, p.EngineFamily
		}
	}
	addr := Address(endpoint, family)
	if addr != s.ProxyAddress("orders-proxy") || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("proxy endpoint %q (%s) → %q, want the forwarder %s", endpoint, family, addr, s.ProxyAddress("orders-proxy"))
	}
	if res := CheckTCP(ctx, []string{addr}, time.Second); !res[0].OK {
		t.Fatalf("TCP check of the proxy endpoint: %+v", res[0])
	}

	const password = "s3cr3t-pw"
	p, err := New(Options{DSN: "postgres://rdsbg:" + password + "@" + addr + "/postgres?sslmode=disable", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	interval := p.Interval()
	if interval != 500*time.Millisecond {
		t.Fatalf("default interval %v, want 500ms", interval)
	}
	var cutAt, backAt time.Time
	for i := 0; i < 100; i++ {
		switch i {
		case 10:
			if err := api.DeregisterTargets(ctx, "orders-proxy", awsclient.TargetRef{InstanceID: "orders-db"}); err != nil {
				t.Fatal(err)
			}
			cutAt = clk.Now()
		case 21:
			if _, err := api.RegisterTargets(ctx, "orders-proxy", awsclient.TargetRef{InstanceID: "orders-db"}); err != nil {
				t.Fatal(err)
			}
		}
		p.Once(ctx)
		// Between probes, not on a probe's instant: the outage's ends fall
		// anywhere within an interval, as they do in life.
		clk.Advance(interval / 5)
		if backAt.IsZero() && !cutAt.IsZero() && s.ProxyHealthy("orders-proxy") {
			backAt = clk.Now()
		}
		clk.Advance(interval - interval/5)
	}
	r := p.Report()
	if backAt.IsZero() {
		t.Fatal("the proxy never became healthy again")
	}
	// The registration turns AVAILABLE after the simulator's 20 s; backAt
	// is known to within the step of the loop that saw it.
	truth := backAt.Sub(cutAt)
	t.Logf("simulated outage ≈ %v, measured %v (gap %v), %d/%d failed; %s", truth, r.Outage, r.LongestGap, r.Failed, r.Attempts, r)
	if diff := (r.Outage - truth).Abs(); diff > interval {
		t.Errorf("measured outage %v, simulated %v: off by %v, more than one probe interval (%v)", r.Outage, truth, diff, interval)
	}
	if r.Failed < int(truth/interval)-1 || r.StillFailingAtStop || r.FirstSuccessAfter.Before(backAt.Add(-interval)) {
		t.Errorf("report %+v does not fit an outage from %s to %s", r, cutAt.Format(time.TimeOnly), backAt.Format(time.TimeOnly))
	}
	for _, a := range p.Attempts() {
		if strings.Contains(a.Error, password) {
			t.Fatalf("an attempt's error shows the password: %q", a.Error)
		}
	}
}
