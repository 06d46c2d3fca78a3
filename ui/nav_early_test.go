package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// noChangeCalls fails when the run screens saw a mutating call that AWS
// accepted (the permission probe's refused re-registration changes
// nothing).
func noChangeCalls(t *testing.T, h *harness) {
	t.Helper()
	for _, c := range h.w.run.calls {
		if !c.OK() {
			continue
		}
		for _, op := range []string{"Create", "Deregister", "Register", "Modify", "Delete", "AddTags", "RemoveTags", "Switchover"} {
			if strings.HasPrefix(c.Operation, op) {
				t.Fatalf("going back called %s", c.Operation)
			}
		}
	}
}

// toContinue moves the form's cursor to Continue.
func toContinue(h *harness) {
	for range len(h.w.options.fields) + 1 {
		h.keys("tab")
	}
}

// Esc on the preflight screen: the read-only checks end, the plan is
// declined without being shown as a question, and the form is back with
// its values; the next run starts clean.
func TestEscOnPreflightGoesBackToOptions(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	cfg.Options = contract.Options{Source: "orders-db"}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	h.keys("down", "down", "right") // switchover timeout 300 → 600
	toContinue(h)
	h.keys("enter")
	if h.w.phase != phaseRun || h.w.front != screenPreflight {
		t.Fatalf("not on the preflight screen:\n%s", h.view())
	}
	h.mustShow("Preflight checks", "esc back")
	h.keys("esc")
	if !h.pumpUntil(func(*confirmation) bool { return false }) {
		t.Fatal("the engine did not stop after esc on the preflight screen")
	}
	if h.w.phase != phaseOptions {
		t.Fatalf("esc on preflight did not go back to the options:\n%s", h.view())
	}
	h.mustShow("Options for orders-db", "‹ 600 ›")
	noChangeCalls(t, h)
	h.keys("enter")
	if done := h.pumpUntil(func(c *confirmation) bool { return c.approval.Kind == "plan" }); done {
		t.Fatalf("the second run ended before its plan:\n%s", h.view())
	}
	h.mustShow("Run this plan?")
}

// A run that ended having changed nothing (preflight blocked, exit 3)
// goes back to the options with esc, so the operator fixes the choice:
// here a parameter group that does not exist.
func TestEscAfterBlockedPreflightFixesTheOptions(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	cfg.Options = contract.Options{Source: "orders-db", TargetDBParameterGroupName: "ghost-group"}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	toContinue(h)
	h.keys("enter")
	if !h.pumpUntil(func(*confirmation) bool { return false }) {
		t.Fatal("the run did not end")
	}
	if f := h.w.run.finished; f == nil || f.ExitCode != contract.ExitPreflight {
		t.Fatalf("want a blocked preflight (exit 3):\n%s", h.view())
	}
	h.mustShow("esc back")
	h.keys("esc")
	if h.w.phase != phaseOptions || h.w.run.finished != nil {
		t.Fatalf("esc after a blocked preflight did not go back to the options:\n%s", h.view())
	}
	noChangeCalls(t, h)
	pg := toField(t, h, flagGroup)
	for pg.value() != "" {
		h.keys("right")
	}
	toContinue(h)
	h.keys("enter")
	if done := h.pumpUntil(func(c *confirmation) bool { return c.approval.Kind == "plan" }); done {
		t.Fatalf("the fixed run ended before its plan:\n%s", h.view())
	}
	h.mustShow("Run this plan?")
	h.keys("q")
	if h.w.exitCode == contract.ExitPreflight {
		t.Error("the earlier exit code 3 survived going back")
	}
}

// Esc on the journal screen (an unfinished run exists) goes back to the
// source list: neither resume nor abort starts.
func TestEscOnJournalScreenGoesBackToSources(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	be := engineBackend(cfg)
	be.unfinished = func(context.Context, string) (string, error) { return "/state/orders-db.journal", nil }
	ran := false
	run := be.run
	be.run = func(ctx context.Context, mode string, o contract.Options, a contract.Approver, s contract.Sink) (contract.Finished, error) {
		ran = true
		return run(ctx, mode, o, a, s)
	}
	h := newHarness(t, cfg, be, 100, 40)
	h.drain(h.w.Init())
	h.keys("enter")
	if h.w.phase != phaseJournal {
		t.Fatalf("no journal screen:\n%s", h.view())
	}
	h.mustShow("An unfinished run exists", "esc back")
	h.keys("esc")
	if h.w.phase != phaseSource {
		t.Fatalf("esc on the journal screen did not go back to the list:\n%s", h.view())
	}
	h.mustShow("Choose the database to upgrade")
	if ran || h.w.engineRunning {
		t.Fatal("going back started the engine")
	}
}

// Esc during a preflight that then blocks: the form is back, and the next
// run starts from a clean state (not the blocked run's outcome).
func TestEscDuringBlockedPreflight(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	cfg.Options = contract.Options{Source: "orders-db", TargetDBParameterGroupName: "ghost-group"}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	toContinue(h)
	h.keys("enter", "esc")
	if !h.pumpUntil(func(*confirmation) bool { return false }) {
		t.Fatal("the run did not end")
	}
	if h.w.phase != phaseOptions {
		t.Fatalf("not back on the options:\n%s", h.view())
	}
	pg := toField(t, h, flagGroup)
	for pg.value() != "" {
		h.keys("right")
	}
	toContinue(h)
	h.keys("enter")
	if h.w.run.finished != nil {
		t.Fatalf("the new run starts with the old outcome %+v", h.w.run.finished)
	}
	if done := h.pumpUntil(func(c *confirmation) bool { return c.approval.Kind == "plan" }); done {
		t.Fatalf("the fixed run ended before its plan:\n%s", h.view())
	}
	noChangeCalls(t, h)
}
