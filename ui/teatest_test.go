package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// A smoke run inside a real Bubble Tea program (teatest): Init's command
// lists the simulator's databases on its own goroutine, the renderer runs,
// and q before any change exits with "cancelled". Nothing waits on time:
// the final model arrives when the program ends (the timeout only bounds a
// hang).
func TestTeatestSmokeQuitBeforeRun(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	cfg.Title = "rdsbg smoke"
	w := newWizard(context.Background(), cfg, engineBackend(cfg))
	tm := teatest.NewTestModel(t, w, teatest.WithInitialTermSize(100, 30))
	tm.Type("q")
	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*wizard)
	if !ok {
		t.Fatal("final model is not the wizard")
	}
	if final.exitCode != contract.ExitCancelled || final.phase != phaseSource {
		t.Fatalf("exit %d in phase %d, want %d before any change", final.exitCode, final.phase, contract.ExitCancelled)
	}
	if v := ansi.Strip(final.render()); !strings.Contains(v, "rdsbg smoke") || !strings.Contains(v, "Choose the database") {
		t.Fatalf("final view:\n%s", v)
	}
}
