package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

func clientWarnings(env *engineEnv) []string {
	var out []string
	for _, ev := range env.events.ofType(contract.EventNotice) {
		if ev.Step == contract.StepVerify && strings.HasPrefix(ev.Message, "warning: proxy ") {
			out = append(out, ev.Message)
		}
	}
	return out
}

// Issue 14 item 4: the proxy drops its clients at a native switchover
// (rds-facts §5.4), so the switchover's lowest client count is below the
// count before it, and verify says nothing once they are back.
func TestNativeSwitchoverDropsClientsAndVerifySeesThemBack(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	f, err := env.metricsEngine(t, contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeNative}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %s %v", f.Outcome, err)
	}
	if w := clientWarnings(env); len(w) != 0 {
		t.Errorf("clients came back, yet: %q", w)
	}
	found := false
	for _, st := range f.Metrics {
		before := st.Before["ClientConnections(shop-proxy)"]
		if st.Step == contract.StepSwitchover {
			found = true
			if st.MinClientConnections == nil || before == 0 || *st.MinClientConnections >= before {
				t.Errorf("switchover: before %v, lowest %v: the drop at promotion is not shown", before, st.MinClientConnections)
			}
		}
	}
	if !found {
		t.Fatal("no metrics for the switchover")
	}
}

// The applications never come back after the switchover: verify warns,
// naming the proxy, and the run still completes (the proxy is healthy).
func TestVerifyWarnsWhenNoClientComesBack(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative, Faults: []sim.Fault{{ClientsStayAway: true}}})
	f, err := env.metricsEngine(t, contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeNative}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %s %v", f.Outcome, err)
	}
	w := clientWarnings(env)
	if len(w) != 1 || !strings.Contains(w[0], "proxy shop-proxy served clients before the switchover and none") {
		t.Fatalf("warnings: %q", w)
	}
}

// In the detach regime every deregistration drops the clients: no step's
// lowest count is above its count before.
func TestDetachStepsLowestClientsNeverAboveBefore(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	f, err := env.metricsEngine(t, legacyOpts).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %s %v", f.Outcome, err)
	}
	drops := 0
	for _, st := range f.Metrics {
		before, ok := st.Before["ClientConnections(orders-proxy)"]
		if !ok || st.MinClientConnections == nil {
			continue
		}
		if *st.MinClientConnections > before {
			t.Errorf("%s: lowest %v above before %v", st.Step, *st.MinClientConnections, before)
		}
		if *st.MinClientConnections < before {
			drops++
		}
	}
	if drops == 0 {
		t.Errorf("no step shows a drop: %+v", f.Metrics)
	}
	if w := clientWarnings(env); len(w) != 0 {
		t.Errorf("clients came back, yet: %q", w)
	}
}
