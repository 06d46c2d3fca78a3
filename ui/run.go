package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/rdsbg/rdsbg/steps"
)

// Config is everything the wizard and plain mode need; package main fills it.
type Config struct {
	// Backend is the engine (steps.NewBackend, built by package main).
	Backend Backend
	Clock   steps.Clock
	Options steps.Options // Source may be empty ⇒ source screen
	NoColor bool
	Title   string // e.g. "rdsbg demo · simulator rds-postgres-legacy-proxy ×30"
	// Profile and Region are the AWS profile and region the run uses, for
	// the title bar (the account comes from the source's ARN).
	Profile string
	Region  string
	// Highlight is the database the source list opens on (the demo's
	// scenario database); the first row when empty or absent.
	Highlight string
	Mode      string // "run" (default), "resume", "abort"
	// NextFlags are the global flags a next command needs (" --region
	// eu-west-1 --state-dir /x"), for the epilogue (epilogue.go).
	NextFlags string
	// PlainWidth, when set, is plain mode's width instead of the
	// terminal's (tests; 0: the terminal's, or no wrapping off one).
	PlainWidth int
	// DemoRerun is set by `rdsbg demo`: the command that runs the demo
	// again. The demo's simulator ends with the process, so nothing
	// promises `rdsbg resume`.
	DemoRerun string
}

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
		waitEngine(ctx, cancel, err, w.engineDone, out)
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

// waitEngine outlives the screen: the engine is never abandoned with a
// proxy it emptied. When the program ended because the terminal went away
// (an error while nobody asked to stop) the run goes on, recorded in the
// journal, to its next approval, answered safely (lost_terminal.go); when the operator left, the engine is stopped and its
// compensation gives the proxy its target back first — only a second
// SIGINT/SIGTERM (Config.GiveUp) stops that, leaving the proxy EMPTY.
func waitEngine(ctx context.Context, cancel context.CancelFunc, progErr error, done <-chan struct{}, out io.Writer) {
	if progErr != nil && ctx.Err() == nil {
		fmt.Fprintln(out, "rdsbg: the terminal is gone; the run goes on, recorded in the journal, and stops safely at its next approval (never inside the critical section): `rdsbg resume` continues it")
	} else {
		cancel()
		select {
		case <-done:
			return
		case <-time.After(time.Second): // only a run still compensating says so
		}
		fmt.Fprintln(out, "rdsbg: stopping; a proxy rdsbg emptied gets its target back first (Ctrl+C twice stops trying and leaves it EMPTY)")
	}
	<-done
}
