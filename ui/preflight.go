package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"

	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// preflightModel is screen 3: the read-only checks, each failing or warning
// row with its explanation and remediation.
type preflightModel struct {
	*Common
	run *runState
	// back: esc returns to the options form (a run started from it).
	back bool
}

func (m *preflightModel) view() string {
	st := m.Styles
	var b strings.Builder
	b.WriteString(st.Heading.Render("Preflight checks") + st.Muted.Render("  read-only: nothing has been changed") + "\n\n")
	if len(m.run.checks) == 0 {
		b.WriteString(spinnerFrame(m.run.frame) + " Discovering the source, its proxies and deployments…")
		return b.String()
	}
	pass, warn, fail := contract.CheckTally(m.run.checks)
	b.WriteString(renderChecks(st, m.contentWidth(), m.run.checks) + "\n\n")
	summary := checkCounts(pass, warn, fail)
	switch {
	case fail > 0 && steps.ChecksChanged(m.run.checks):
		b.WriteString(st.Bad.Render(summary + ": the run is blocked; a check changed AWS and could not undo it: read the failed check."))
	case fail > 0:
		b.WriteString(st.Bad.Render(summary + ": the run is blocked; nothing was changed."))
	case warn > 0:
		b.WriteString(st.Warn.Render(summary + ": read the warnings before approving the plan."))
	default:
		b.WriteString(st.OK.Render(summary))
	}
	if m.run.plan == nil && fail == 0 {
		b.WriteString("\n" + spinnerFrame(m.run.frame) + " Building the plan…")
	}
	return b.String()
}

func (m *preflightModel) ShortHelp() []key.Binding {
	if m.back {
		return []key.Binding{m.Keys.API, escBack(), m.Keys.Quit, m.Keys.Help}
	}
	return []key.Binding{m.Keys.API, m.Keys.Quit, m.Keys.Help}
}

// escBack is the help entry of esc where it goes back.
func escBack() key.Binding {
	return key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
}
func (m *preflightModel) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp()}
}

// spinnerFrame is Bubbles' spinner.Dot at frame i. The frame advances on
// the wizard's own clock tick rather than the spinner's timer, so every
// spinner on screen moves together and tests stay deterministic.
func spinnerFrame(i int) string {
	frames := spinner.Dot.Frames
	return strings.TrimSpace(frames[i%len(frames)]) // the set pads each frame with a space
}

// preflightLine is the plan screen's reminder of the checks: the counts,
// then every warning, since the preflight screen gives way to the plan
// approval as soon as the plan is ready.
func preflightLine(st Styles, width int, checks []contract.CheckResult) string {
	if len(checks) == 0 {
		return ""
	}
	var pass, warn, fail, notRun int
	var notes []string
	for _, c := range checks {
		switch c.Status {
		case contract.CheckPass:
			pass++
		case contract.CheckNotRun:
			// Counted, never as passed; the preflight screen showed the
			// row and the line that enables it.
			notRun++
		case contract.CheckWarn:
			warn++
			notes = append(notes, hangingMark(st.Warn.Render("  ! "), width, c.Title+": "+c.Explanation))
		default:
			fail++
			notes = append(notes, hangingMark(st.Bad.Render("  ✗ "), width, c.Title+": "+c.Explanation))
		}
	}
	line := "Preflight: " + checkCounts(pass, warn, fail)
	if notRun > 0 {
		line += fmt.Sprintf(" · %d not run", notRun)
	}
	if warn+fail == 0 {
		line = st.OK.Render(line)
	} else {
		line = st.Warn.Render(line)
	}
	return strings.Join(append([]string{line}, notes...), "\n") + "\n"
}

// checkCounts: "15 passed · 1 warning · 0 failed".
func checkCounts(pass, warn, fail int) string {
	return fmt.Sprintf("%d passed · %s · %d failed", pass, plural(warn, "warning"), fail)
}

// plural is "1 warning", "2 warnings".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// hangingMark puts a 4-column mark before wrapped text, its continuation
// lines indented under the text.
func hangingMark(mark string, width int, text string) string {
	lines := strings.Split(wrap(width-4, text), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = mark + lines[i]
		} else {
			lines[i] = "    " + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}
