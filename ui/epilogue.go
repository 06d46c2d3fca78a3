package ui

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// This file is the epilogue (issue 13): the lines printed on the normal
// screen once the wizard's alternate screen is gone, whatever the outcome,
// so that what the operator must know and do next stays in the terminal's
// scrollback: the outcome, where production traffic goes now, what is left
// in AWS, and the exact next command with the flags this session used.

// EpilogueInput is what the epilogue needs to know about the session.
type EpilogueInput struct {
	Finished *contract.Finished // nil: the run never finished (quit before, or cut short)
	Source   string             // the source identifier, "" when none was chosen
	Proxies  string             // the plan's proxies, "a, b"
	Code     int                // the process's exit code
	// Flags are the global flags the next command needs (--region,
	// --endpoint-url, --state-dir when not the defaults), with a leading
	// space, or "".
	Flags string
	// Demo, when set, is the command that reruns the demo: the simulator
	// ends with this process, so nothing can be resumed against it.
	Demo string
	// Width is the terminal's width: prose wraps at word boundaries and
	// commands break between words with a backslash (walkthrough D9: the
	// terminal wrapped `--endpoint-url ht` / `tp://…`); 0 leaves every
	// line whole (a log, a pipe).
	Width int
}

// epilogueText collects the epilogue's lines at a width.
type epilogueText struct {
	b     strings.Builder
	width int
}

const epilogueIndent = "            " // under the text after "  Traffic:  "

// prose writes text after label, wrapped at word boundaries.
func (e *epilogueText) prose(label, text string) {
	for _, l := range contract.CopyableLines(text, e.width, label, epilogueIndent) {
		e.b.WriteString(l + "\n")
	}
}

// command writes a command after label, laid out to paste as one.
func (e *epilogueText) command(label, cmd string) {
	width := 0
	if e.width > 0 {
		width = max(e.width-len(epilogueIndent), 20)
	}
	for i, l := range contract.ShellLines(cmd, width) {
		if i == 0 {
			e.b.WriteString(label + l + "\n")
		} else {
			e.b.WriteString(epilogueIndent + l + "\n")
		}
	}
}

// Epilogue renders the lines, plain text (no colour: it stays in logs).
func Epilogue(in EpilogueInput) string {
	e := &epilogueText{width: in.Width}
	f := in.Finished
	src := in.Source
	if src == "" && f != nil {
		src = f.Source
	}
	if f == nil {
		switch {
		case src == "":
			e.prose("", fmt.Sprintf("rdsbg: nothing was started (exit %d); nothing changed in AWS.", in.Code))
		case in.Code == contract.ExitCancelled:
			e.prose("", fmt.Sprintf("rdsbg: CANCELLED before the run started (exit %d); nothing changed in AWS for %s.", in.Code, src))
		default:
			e.prose("", fmt.Sprintf("rdsbg: STOPPED (exit %d) for %s; where the proxy points is not known here.", in.Code, src))
			if in.Demo == "" {
				e.command("  Check:    ", "rdsbg status --source "+src+in.Flags)
				e.command("  Next:     ", "rdsbg resume --source "+src+in.Flags)
			}
		}
		return e.b.String() + demoLines(in.Demo, in.Width)
	}
	e.prose("", fmt.Sprintf("rdsbg: %s (exit %d) for %s", strings.ToUpper(f.Outcome), in.Code, src))
	e.prose("  Traffic:  ", "production goes "+f.TrafficLine(src, in.Proxies))
	if h := f.OutageHeadline(); h != "" {
		e.prose("  Outage:   ", h)
	}
	if f.Green != nil && f.Outcome == contract.OutcomeReady {
		e.prose("  Green:    ", contract.GreenWords(f.Green))
	}
	left := f.LeftoversUnknown
	lines := f.LeftoverLines()
	switch {
	case left:
		e.prose("  Left:     ", "not read by this command: `rdsbg status --source "+src+in.Flags+"` shows what is in AWS")
	case len(lines) == 0:
		e.prose("  Left:     ", "nothing of this run in AWS")
	}
	for i, l := range lines {
		label := "  Left:     "
		if i > 0 {
			label = epilogueIndent
		}
		e.prose(label, l)
	}
	if f.OldBlue != nil && !f.OldBlue.ReadOnly {
		// What stays on screen repeats the summary's warning (D14).
		e.prose("  Warning:  ", f.OldBlue.Note)
	}
	for i, l := range f.DBFollowUpLines() { // the database's dependants (steps/dbchecks.go)
		label := "  Database: "
		if i > 0 {
			label = epilogueIndent
		}
		e.prose(label, l)
	}
	if in.Demo != "" {
		return e.b.String() + demoLines(in.Demo, in.Width)
	}
	cmd, why := f.NextStep(src, in.Flags)
	if cmd != "" {
		e.command("  Next:     ", cmd)
		e.prose(epilogueIndent, why)
	} else if why != "" {
		e.prose("  Next:     ", "nothing to run: "+why)
	}
	if f.JournalPath != "" {
		e.prose("  Journal:  ", f.JournalPath)
	}
	return e.b.String()
}

// demoLines: the demo's simulator is gone with the process.
func demoLines(rerun string, width int) string {
	if rerun == "" {
		return ""
	}
	e := &epilogueText{width: width}
	if width == 0 {
		e.width = 100 // two lines, as it always was
	}
	e.prose("  Demo:     ", "the simulator ran inside this process and is gone with it, and so is everything listed above: nothing can be resumed. Run the demo again: `"+rerun+"`")
	return e.b.String()
}

// RunWizardWithEpilogue runs the wizard and returns, with its exit code,
// the epilogue main prints on the normal screen once the program is gone.
func RunWizardWithEpilogue(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (int, string, error) {
	code, w, err := runWizard(ctx, cfg, in, out)
	ep := EpilogueInput{Code: code, Flags: cfg.NextFlags, Demo: cfg.DemoRerun, Source: cfg.Options.Source}
	if w != nil {
		ep.Width = w.common.Width
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
	if c.approval.Kind == "critical-section" || c.approval.Step == contract.StepSwitchover {
		return "not now (stay ready)"
	}
	if c.approval.Kind == "stop-restoring" {
		return "keep restoring" // stop_restoring.go
	}
	return "stop here"
}
