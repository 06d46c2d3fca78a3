package ui

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// A resume in the wizard whose changed plan the operator declines has the
// proxy's target back before the question and stops: killed right after blue's
// deregistration, the journal's plan edited so that it differs from a
// fresh one, `n` on the changed plan ends cancelled with the proxy on blue.
func TestWizardResumeDeclinedCompensates(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	killedAtAttachWithAChangedPlan(t, cfg)

	cfg.Mode, cfg.Options = "resume", contract.Options{Source: "orders-db"}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	h.pumpUntil(func(c *confirmation) bool { return strings.Contains(c.approval.Title, "plan changed") })
	h.mustShow("no: stop here; orders-proxy keeps its target") // restored before the question
	h.keys("n")
	h.pumpUntil(func(*confirmation) bool { return false })
	f := h.w.run.finished
	if f == nil || f.Outcome != contract.OutcomeCancelled || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("declined resume in the wizard: %+v, want cancelled with the proxy on blue", f)
	}
}

// killedAtAttachWithAChangedPlan leaves cfg's simulator as a run killed
// right after blue's deregistration (detach regime) leaves it, the proxy
// empty, with the journal's plan edited so that it differs from a fresh
// one: a resume meets its changed-plan question.
func killedAtAttachWithAChangedPlan(t *testing.T, cfg Config) {
	t.Helper()
	eng, err := steps.New(onBackend(cfg, steps.Config{
		Approver: contract.HeadlessApprover{Yes: true, Confirm: "orders-db"},
		Sink: func(e contract.Event) {
			if e.Type == contract.EventStepStarted && e.Step == contract.StepAttachProxyBlue {
				panic("killed")
			}
		},
		Options: contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}}))
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = eng.Run(context.Background())
	}()
	path := journal.Path(onBackend(cfg, steps.Config{}).StateDir, "orders-db")
	recs, err := journal.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, r := range recs {
		if r.Plan != nil && len(r.Plan.Steps) > 1 {
			r.Plan.Steps = r.Plan.Steps[:len(r.Plan.Steps)-1] // the journal's plan now differs from a fresh one
		}
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, line...), '\n')
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}
