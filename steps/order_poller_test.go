package steps

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// pollerClock is the virtual clock the engine sleeps on, with an
// independent observer: whenever the engine's sleep crosses a multiple of
// every, the observer reads AWS through its own SDK client at that instant.
// The observer never sees the engine's events: it sees only what AWS says.
type pollerClock struct {
	*clock.Virtual
	every time.Duration
	next  time.Time
	mu    sync.Mutex
	poll  func(now time.Time)
}

func (c *pollerClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	end := c.Virtual.Now().Add(d)
	for {
		c.mu.Lock()
		next := c.next
		c.mu.Unlock()
		if next.After(end) {
			break
		}
		c.Virtual.Advance(next.Sub(c.Virtual.Now()))
		c.mu.Lock()
		c.next = next.Add(c.every)
		c.mu.Unlock()
		c.poll(next)
	}
	c.Virtual.Advance(end.Sub(c.Virtual.Now()))
	return nil
}

// outageObservation is what the independent poller saw.
type outageObservation struct {
	samples               int
	servedWhileProvision  int           // samples: deployment PROVISIONING and the proxy AVAILABLE on blue
	emptyBeforeSwitchover time.Duration // proxy without an AVAILABLE target, before the critical section
	provisioning          time.Duration // first to last sample that read PROVISIONING
}

// observeDetachRun runs a headless detach run on the legacy scenario with
// an independent poller reading DescribeBlueGreenDeployments and
// DescribeDBProxyTargets every 5 simulated seconds.
func observeDetachRun(t *testing.T) (outageObservation, contract.Finished) {
	t.Helper()
	return observeRun(t, sim.ScenarioRDSPostgresLegacy, "orders-proxy", contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, Cleanup: contract.CleanupDeployment}, nil)
}

// observeRun is one headless run of a scenario with the independent
// poller watching proxy.
func observeRun(t *testing.T, scenario, proxy string, o contract.Options, timings *sim.Timings) (outageObservation, contract.Finished) {
	t.Helper()
	env := newEngineEnv(t, sim.Options{Scenario: scenario, Timings: timings})
	const every = 5 * time.Second
	var obs outageObservation
	var firstProv, lastProv time.Time
	critical := false
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepStarted && ev.Step == contract.StepDetachProxyBlue {
			critical = true
		}
	}
	ctx := context.Background()
	pc := &pollerClock{Virtual: env.clock, every: every, next: env.clock.Now().Add(every)}
	pc.poll = func(now time.Time) {
		deps, err := env.api.ListDeployments(ctx, "")
		if err != nil {
			return
		}
		ts, err := env.api.DescribeProxyTargets(ctx, proxy)
		if err != nil {
			return
		}
		obs.samples++
		status := ""
		for _, d := range deps {
			status = d.Status
		}
		available := false
		for _, tg := range ts {
			if tg.Type != "TRACKED_CLUSTER" && tg.Health.State == "AVAILABLE" {
				available = true
			}
		}
		if status == "PROVISIONING" {
			if firstProv.IsZero() {
				firstProv = now
			}
			lastProv = now
			if available {
				obs.servedWhileProvision++
			}
		}
		if !available && !critical {
			obs.emptyBeforeSwitchover += every
		}
	}
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: pc, StateDir: env.stateDir, Sink: env.events.sink,
		Approver: contract.HeadlessApprover{Yes: true, Confirm: o.Source, Sink: env.events.sink},
		Options:  o})
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Run(ctx)
	if err != nil {
		t.Fatalf("headless detach run: %v", err)
	}
	obs.provisioning = lastProv.Sub(firstProv)
	return obs, f
}

// The acceptance test: the proxy serves blue while green is
// provisioning, and its outage before the switchover is a small fraction
// of provisioning.
func TestIndependentPollerSeesBlueServedDuringProvisioning(t *testing.T) {
	obs, f := observeDetachRun(t)
	t.Logf("independent poller: %d samples; proxy empty before the switchover %s; provisioning %s; served blue during provisioning in %d samples; critical section %s",
		obs.samples, obs.emptyBeforeSwitchover, obs.provisioning.Round(time.Second), obs.servedWhileProvision, time.Duration(f.ProxylessWindowMS)*time.Millisecond)
	if obs.provisioning < 5*time.Minute {
		t.Fatalf("provisioning seen for %s only: the poller did not watch the run", obs.provisioning)
	}
	if obs.servedWhileProvision == 0 {
		t.Errorf("the proxy never served blue (AVAILABLE) while the deployment was PROVISIONING")
	}
	if obs.emptyBeforeSwitchover > obs.provisioning/4 {
		t.Errorf("the proxy was empty for %s before the switchover, against %s of provisioning: want a small fraction", obs.emptyBeforeSwitchover, obs.provisioning)
	}
	if f.Outcome != contract.OutcomeDone || f.ProxyState != contract.ProxyOnNewPrimary {
		t.Errorf("finished %s proxy %s", f.Outcome, f.ProxyState)
	}
}

// The outage of every proxied scenario, as an independent poller sees it:
// the figures of the report (go test ./steps -run TestOutageFigures -v).
func TestOutageFigures(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	// registration 5 min, provisioning 12–30 min (docs/simulator.md); four
	// times shorter outside the long matrices (outageTimings): the bound
	// below is a ratio of the two.
	aws := outageTimings()
	for _, c := range []struct {
		scenario, proxy string
		o               contract.Options
		timings         *sim.Timings
	}{
		{sim.ScenarioRDSPostgresLegacy, "orders-proxy", contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}, nil},
		{sim.ScenarioRDSPostgresLegacy, "orders-proxy", contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}, nil},
		{sim.ScenarioAuroraPostgres, "ledger-proxy", contract.Options{Source: "ledger-cluster", ProxyMode: contract.ProxyModeDetach}, nil},
		{sim.ScenarioAuroraGlobal, "payments-proxy", contract.Options{Source: "payments-cluster", ProxyMode: contract.ProxyModeAuto}, nil},
		{sim.ScenarioRDSMySQLNative, "shop-proxy", contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeAuto}, nil},
		{sim.ScenarioRDSPostgresLegacy, "orders-proxy", contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}, &aws},
		{sim.ScenarioAuroraPostgres, "ledger-proxy", contract.Options{Source: "ledger-cluster", ProxyMode: contract.ProxyModeDetach}, &aws},
	} {
		if !longMatrices() && (c.scenario != sim.ScenarioRDSPostgresLegacy || c.o.TargetEngineVersion == "") {
			continue // the other rows (figures for docs/performance.md) run with RDSBG_LONG=1
		}
		obs, f := observeRun(t, c.scenario, c.proxy, c.o, c.timings)
		profile := "fast"
		if c.timings != nil {
			profile = "aws"
		}
		t.Logf("| %s | %s %s | %s | %s | %s | %s |", c.scenario, c.o.ProxyMode, c.o.TargetEngineVersion, profile, obs.emptyBeforeSwitchover, obs.provisioning.Round(time.Second),
			(time.Duration(f.ProxylessWindowMS) * time.Millisecond).Round(time.Second))
		if obs.emptyBeforeSwitchover > obs.provisioning/4 {
			t.Errorf("%s: the proxy was empty %s before the switchover, against %s of provisioning", c.scenario, obs.emptyBeforeSwitchover, obs.provisioning)
		}
	}
}

var _ awsclient.API = (*awsclient.Client)(nil)
