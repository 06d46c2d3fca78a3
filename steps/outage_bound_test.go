package steps

import (
	"context"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// crashDuring runs fn (a Run or a Resume) and stops it dead, like SIGKILL,
// at the first journal append after arm said yes.
func crashDuring(t *testing.T, env *engineEnv, eng *Engine, fn func(context.Context) (contract.Finished, error), arm func(contract.Event) bool) {
	t.Helper()
	armed := false
	env.events.hook = func(ev contract.Event) {
		if arm(ev) {
			armed = true
		}
	}
	defer func() { env.events.hook = nil }()
	eng.journalHook = func() {
		if armed {
			panic(crashSignal{})
		}
	}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(crashSignal); !ok {
				panic(p)
			}
		}
	}()
	_, _ = fn(context.Background())
	t.Fatal("the run did not crash")
}

// --max-proxy-outage counts from the first outage the journal recorded,
// however many times the run was resumed: AWS refuses blue's registration
// for the whole provisioning (about 14 min here), the run is killed at 4
// and again at 7 minutes of outage, and the second resume still rolls back
// just after 10 minutes from the deregistration, not 10 minutes after
// itself (which would have kept the proxy empty until AWS accepted blue).
func TestMaxProxyOutageCountsFromTheFirstOutageAcrossResumes(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{refuseWhileProvisioning}})
	var detachAt time.Time
	emptyFor := func(d time.Duration) func(contract.Event) bool {
		return func(ev contract.Event) bool {
			if detachAt.IsZero() && ev.Type == contract.EventProxyTraffic && ev.Traffic.Empty() {
				detachAt = *ev.Traffic.Proxies[0].EmptySince
			}
			return !detachAt.IsZero() && ev.Type == contract.EventProgress && ev.Step == contract.StepAttachProxyBlue && env.clock.Now().Sub(detachAt) >= d
		}
	}
	eng := env.engine(t, legacyOpts)
	crashDuring(t, env, eng, eng.Run, emptyFor(4*time.Minute))
	eng = env.engine(t, contract.Options{Source: "orders-db"})
	crashDuring(t, env, eng, eng.Resume, emptyFor(7*time.Minute))
	if at := env.clock.Now().Sub(detachAt); at < 7*time.Minute || at > 8*time.Minute {
		t.Fatalf("the second crash came %s after the deregistration, want about 7 min", at)
	}

	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if err == nil || f.Outcome != contract.OutcomeRolledBack || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("second resume finished %s, proxy %s (%v): want rolled back at --max-proxy-outage, proxy on blue", f.Outcome, f.ProxyState, err)
	}
	var deleteAt time.Time
	for _, m := range env.sim.Mutations() {
		if m.Operation == "DeleteBlueGreenDeployment" {
			deleteAt = m.Time
		}
	}
	if gap := deleteAt.Sub(detachAt); gap < contract.DefaultMaxProxyOutage || gap > contract.DefaultMaxProxyOutage+time.Minute {
		t.Errorf("rolled back %s after the proxy lost blue, want just after --max-proxy-outage %s counted from the first outage", gap, contract.DefaultMaxProxyOutage)
	}
	if len(f.ProxyOutages) == 0 || !f.ProxyOutages[0].Start.Equal(detachAt) {
		t.Errorf("outage windows %+v: want the first one from %s, carried over both resumes", f.ProxyOutages, detachAt)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
}
