package ui

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rdsbg/rdsbg/steps"
)

// This file is the epilogue (issue 13): the lines printed on the normal
// screen once the wizard's alternate screen is gone, whatever the outcome,
// so that what the operator must know and do next stays in the terminal's
// scrollback: the outcome, where production traffic goes now, what is left
// in AWS, and the exact next command with the flags this session used.

// EpilogueInput is what the epilogue needs to know about the session.
type EpilogueInput struct {
	Finished *steps.Finished // nil: the run never finished (quit before, or cut short)
	Source   string          // the source identifier, "" when none was chosen
	Proxies  string          // the plan's proxies, "a, b"
	Code     int             // the process's exit code
	// Flags are the global flags the next command needs (--region,
	// --endpoint-url, --state-dir when not the defaults), with a leading
	// space, or "".
	Flags string
	// Demo, when set, is the command that reruns the demo: the simulator
	// ends with this process, so nothing can be resumed against it.
	Demo string
}

// Epilogue renders the lines, plain text (no colour: it stays in logs).
func Epilogue(in EpilogueInput) string {
	var b strings.Builder
	f := in.Finished
	src := in.Source
	if src == "" && f != nil {
		src = f.Source
	}
	if f == nil {
		switch {
		case src == "":
			fmt.Fprintf(&b, "rdsbg: nothing was started (exit %d); nothing changed in AWS.\n", in.Code)
		case in.Code == steps.ExitCancelled:
			fmt.Fprintf(&b, "rdsbg: CANCELLED before the run started (exit %d); nothing changed in AWS for %s.\n", in.Code, src)
		default:
			fmt.Fprintf(&b, "rdsbg: STOPPED (exit %d) for %s; where the proxy points is not known here.\n", in.Code, src)
			if in.Demo == "" {
				fmt.Fprintf(&b, "  Check:    rdsbg status --source %s%s\n", src, in.Flags)
				fmt.Fprintf(&b, "  Next:     rdsbg resume --source %s%s\n", src, in.Flags)
			}
		}
		return b.String() + demoLines(in.Demo)
	}
	fmt.Fprintf(&b, "rdsbg: %s (exit %d) for %s\n", strings.ToUpper(f.Outcome), in.Code, src)
	fmt.Fprintf(&b, "  Traffic:  production goes %s\n", f.TrafficLine(src, in.Proxies))
	if f.Green != nil && f.Outcome == steps.OutcomeReady {
		lag := f.Green.Lag
		if lag == "" {
			lag = "unknown (no CloudWatch data)"
		}
		fmt.Fprintf(&b, "  Green:    in sync, lag %s\n", lag)
	}
	left := f.LeftoverLines()
	if len(left) == 0 {
		b.WriteString("  Left:     nothing of this run in AWS\n")
	}
	for i, l := range left {
		label := "  Left:     "
		if i > 0 {
			label = "            "
		}
		b.WriteString(label + l + "\n")
	}
	for i, l := range f.DBFollowUpLines() { // the database's dependants (steps/dbchecks.go)
		label := "  Database: "
		if i > 0 {
			label = "            "
		}
		b.WriteString(label + l + "\n")
	}
	if in.Demo != "" {
		return b.String() + demoLines(in.Demo)
	}
	cmd, why := f.NextStep(src)
	if cmd != "" {
		fmt.Fprintf(&b, "  Next:     %s%s\n", cmd, in.Flags)
		fmt.Fprintf(&b, "            %s\n", why)
	} else if why != "" {
		fmt.Fprintf(&b, "  Next:     nothing to run: %s\n", why)
	}
	if f.JournalPath != "" {
		fmt.Fprintf(&b, "  Journal:  %s\n", f.JournalPath)
	}
	return b.String()
}

// demoLines: the demo's simulator is gone with the process.
func demoLines(rerun string) string {
	if rerun == "" {
		return ""
	}
	return "  Demo:     the simulator ran inside this process and is gone with it: nothing is left\n" +
		"            anywhere and nothing can be resumed. Run the demo again: " + rerun + "\n"
}

// RunWizardWithEpilogue runs the wizard and returns, with its exit code,
// the epilogue main prints on the normal screen once the program is gone.
func RunWizardWithEpilogue(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (int, string, error) {
	code, w, err := runWizard(ctx, cfg, in, out)
	ep := EpilogueInput{Code: code, Flags: cfg.NextFlags, Demo: cfg.DemoRerun, Source: cfg.Options.Source}
	if w != nil {
		ep.Finished = w.run.finished
		if w.run.plan != nil {
			ep.Source = w.run.plan.Source.ID
			ep.Proxies = w.run.plan.ProxyNames()
		} else if w.options != nil && w.options.source.ID != "" {
			ep.Source = w.options.source.ID
		}
	}
	return code, Epilogue(ep), err
}

// quitAdvice is the quit dialog's text: true in the demo too, whose
// simulator ends with the process (nothing to resume there).
func (w *wizard) quitAdvice() string {
	if w.cfg.DemoRerun != "" {
		return "Quit the demo? Its simulator runs inside this process and ends with it: nothing is left anywhere, " +
			"and nothing can be resumed. Run the demo again with: " + w.cfg.DemoRerun
	}
	text := "Quit the wizard? AWS keeps going with whatever it is doing now; nothing is undone. " +
		"The journal records where the run stopped: `rdsbg resume` continues from there."
	if w.run.inCritical() {
		text = "WARNING: you are inside the critical section: the proxy has NO TARGET right now and applications " +
			"using it cannot connect until the new primary is registered. If you quit, run `rdsbg resume` at once. " + text
	}
	return text
}

// declineWords says what esc does: before the critical section (or the
// switchover) it pauses the run ready, green kept for `rdsbg resume`.
func (c *confirmation) declineWords() string {
	if c.approval.Kind == "critical-section" || c.approval.Step == steps.StepSwitchover {
		return "not now (stay ready)"
	}
	if c.approval.Kind == "stop-restoring" {
		return "keep restoring" // stop_restoring.go
	}
	return "stop here"
}
