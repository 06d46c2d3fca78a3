package ui

import (
	"context"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps"
)

// Config is everything the wizard and plain mode need; main.go fills it.
type Config struct {
	API      awsclient.API
	Calls    *awsclient.CallLog
	Clock    clock.Clock
	StateDir string
	Options  steps.Options // Source may be empty ⇒ source screen
	Poll     steps.PollPolicy
	NoColor  bool
	Title    string // e.g. "rdsbg demo · simulator rds-postgres-legacy-proxy ×30"
	Mode     string // "run" (default), "resume", "abort"
	// Metrics, when set, shows the proxy's connections and green's lag
	// from CloudWatch (steps.Config.Metrics).
	Metrics awsclient.Metrics
	// ProbeDSN turns on the connectivity probe (steps.Config.ProbeDSN);
	// it holds a password and is never shown.
	ProbeDSN string
	// Hooks and HookTimeout: steps.Config's.
	Hooks       []string
	HookTimeout time.Duration
	// NextFlags are the global flags a next command needs (" --region
	// eu-west-1 --state-dir /x"), for the epilogue (epilogue.go).
	NextFlags string
	// DemoRerun is set by `rdsbg demo`: the command that runs the demo
	// again. The demo's simulator ends with the process, so nothing
	// promises `rdsbg resume`.
	DemoRerun string
}

// engineStopGrace bounds how long RunWizard waits, after the program ends,
// for the engine to notice its cancelled context and write its last journal
// record.
const engineStopGrace = 30 * time.Second

// RunWizard runs the full-screen wizard, rendering on out (normally the
// terminal on stderr) and reading keys from in. It returns the run's exit
// code (design.md §4): the engine's when it finished, 4 when the operator
// left before anything ran, 5 when they left while it was running.
func RunWizard(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (int, error) {
	code, _, err := runWizard(ctx, cfg, in, out)
	return code, err
}

// runWizard is RunWizard that also returns the final model, for the
// epilogue.
func runWizard(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (int, *wizard, error) {
	if os.Getenv("NO_COLOR") != "" {
		cfg.NoColor = true
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := newWizard(ctx, cfg, engineBackend(cfg))
	w.ticking = true
	opts := []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(out), tea.WithContext(ctx)}
	if cfg.NoColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	final, err := tea.NewProgram(w, opts...).Run()
	w.bridge.close()
	if w.engineRunning {
		// The operator left mid-run: stop the engine and give it time to
		// journal where it stopped, so resume starts from the truth.
		cancel()
		select {
		case <-w.engineDone:
		case <-time.After(engineStopGrace):
		}
	}
	if fw, ok := final.(*wizard); ok {
		w = fw
	}
	code := w.exitCode
	if w.run.finished != nil && !w.stopping {
		code = w.run.finished.ExitCode
	}
	if err != nil && code == 0 {
		code = steps.ExitInterrupted
	}
	return code, w, err
}
