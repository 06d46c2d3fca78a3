package steps

import (
	"context"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Issue 23: the demo's world is today's AWS. On the simulator's defaults —
// the default scenario and AWS's own timings, as `rdsbg demo` runs them —
// the run is native (the proxy stays registered, nothing empties it) and
// the switchover takes seconds of simulated time.
func TestDefaultWorldIsNativeWithASwitchoverOfSeconds(t *testing.T) {
	tm := sim.DefaultTimings()
	env := newEngineEnv(t, sim.Options{Timings: &tm})
	f, err := env.engine(t, contract.Options{Source: "orders-db", Cleanup: contract.CleanupDeployment}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone || f.ProxyState != contract.ProxyOnNewPrimary {
		t.Fatalf("run: %s %s %v", f.Outcome, f.ProxyState, err)
	}
	if env.sim.Regime() != sim.RegimeNative {
		t.Fatalf("regime %s", env.sim.Regime())
	}
	for _, m := range env.sim.Mutations() {
		if m.Operation == "DeregisterDBProxyTargets" {
			t.Fatalf("the native run emptied a proxy: %+v", m)
		}
	}
	if sw := time.Duration(f.SwitchoverMS) * time.Millisecond; sw <= 0 || sw > 10*time.Second {
		t.Fatalf("switchover took %v of simulated time, want seconds (AWS: typically under five)", sw)
	}
	t.Logf("switchover %v of simulated time", time.Duration(f.SwitchoverMS)*time.Millisecond)
	if len(f.ProxyOutages) != 0 {
		t.Fatalf("outages in the native world: %+v", f.ProxyOutages)
	}
}
