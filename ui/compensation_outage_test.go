package ui

import (
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Compensation's bound asks in the wizard (design.md §2: the
// --max-proxy-outage question is the one allowed while the proxy is
// empty), roll back shown as the default. Here a resume whose plan changed
// restores the proxy before its question; AWS refuses blue's registration
// while the deployment exists, so at --max-proxy-outage the wizard asks;
// `b` rolls back and the run ends rolled back with the proxy on blue.
func TestWizardAsksAtCompensationsOutageBound(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	killedAtAttachWithAChangedPlan(t, cfg)

	cfg.Mode, cfg.Options = "resume", contract.Options{Source: "orders-db"}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	h.pumpUntil(func(c *confirmation) bool {
		if c.approval.Kind == "plan" {
			t.Fatalf("the changed plan was asked while the proxy is empty: %q", c.approval.Title)
		}
		return c.approval.Kind == "proxy-outage"
	})
	c := h.expectApproval("proxy-outage", "b roll back", "w wait", "roll back (default)")
	if c.approval.Choices[0] != contract.DecisionRollback {
		t.Errorf("choices %v: want roll back first", c.approval.Choices)
	}
	h.keys("b")
	h.pumpUntil(func(*confirmation) bool { return false })
	f := h.w.run.finished
	if f == nil || f.Outcome != contract.OutcomeRolledBack || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("after roll back in the wizard: %+v, want rolled back with the proxy on blue", f)
	}
}
