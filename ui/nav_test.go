package ui

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// Esc goes back with no side effect before the first change: options →
// source list, plan → options (the plan is declined, nothing was created,
// and the form keeps its values); the run that follows works.
func TestEscGoesBackBeforeTheFirstChange(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	cfg.Highlight = "orders-db"
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	if it, ok := h.w.source.list.SelectedItem().(sourceItem); !ok || it.ID != "orders-db" {
		t.Fatalf("the list does not open on the highlighted database: %+v", h.w.source.list.SelectedItem())
	}
	h.keys("enter")
	h.mustShow("Options for orders-db")
	h.keys("esc")
	if h.w.phase != phaseSource {
		t.Fatalf("esc on the options did not go back to the list:\n%s", h.view())
	}
	h.mustShow("Choose the database to upgrade", "orders-db")
	h.keys("enter")
	h.mustShow("Options for orders-db")
	h.keys("down", "down", "right") // switchover timeout 300 → 600
	h.mustShow("‹ 600 ›")
	for range len(h.w.options.fields) {
		h.keys("tab")
	}
	h.keys("enter")
	if done := h.pumpUntil(func(c *confirmation) bool { return c.approval.Kind == "plan" }); done {
		t.Fatalf("the engine returned before the plan approval:\n%s", h.view())
	}
	h.mustShow("Run this plan?", "esc back")
	h.keys("esc")
	if !h.pumpUntil(func(*confirmation) bool { return true }) {
		t.Fatal("the engine did not stop after the plan was declined")
	}
	if h.w.phase != phaseOptions {
		t.Fatalf("esc on the plan did not go back to the options:\n%s", h.view())
	}
	h.mustShow("Options for orders-db", "‹ 600 ›")
	for _, c := range h.w.run.calls {
		if (strings.HasPrefix(c.Operation, "Create") || strings.HasPrefix(c.Operation, "Deregister")) && c.OK() {
			t.Fatalf("going back called %s", c.Operation)
		}
	}
	// The next run starts clean and reaches the plan again.
	h.keys("enter")
	if done := h.pumpUntil(func(c *confirmation) bool { return c.approval.Kind == "plan" }); done {
		t.Fatalf("the second run ended before its plan:\n%s", h.view())
	}
	h.mustShow("Run this plan?")
	h.mustNotShow("CANCELLED")
}

// ? lists each key once (it listed "a API calls" twice).
func TestFullHelpListsEachKeyOnce(t *testing.T) {
	h, _ := runHarness(t, 160, 50)
	for _, front := range []runScreen{screenPlan, screenStep, screenCritical, screenError, screenSummary, screenPreflight} {
		h.w.front = front
		seen := map[string]bool{}
		for _, col := range h.w.helpKeys().FullHelp() {
			for _, b := range col {
				k := b.Help().Key
				if seen[k] {
					t.Errorf("screen %d lists %q twice", front, k)
				}
				seen[k] = true
			}
		}
	}
	h.keys("?")
	if v := h.view(); strings.Count(v, "API calls") != 1 {
		t.Fatalf("the help overlay shows API calls %d times:\n%s", strings.Count(v, "API calls"), v)
	}
}
