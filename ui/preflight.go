package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/rdsbg/rdsbg/steps"
)

// preflightModel is screen 3: the read-only checks, each failing or warning
// row with its explanation and remediation.
type preflightModel struct {
	*Common
	run *runState
}

func (m *preflightModel) view() string {
	st := m.Styles
	var b strings.Builder
	b.WriteString(st.Heading.Render("Preflight checks") + st.Muted.Render("  read-only: nothing has been changed") + "\n\n")
	if len(m.run.checks) == 0 {
		b.WriteString(spinnerFrame(m.run.frame) + " Discovering the source, its proxies and deployments…")
		return b.String()
	}
	var pass, warn, fail int
	for _, c := range m.run.checks {
		switch c.Status {
		case steps.CheckPass:
			pass++
		case steps.CheckWarn:
			warn++
		default:
			fail++
		}
	}
	b.WriteString(renderChecks(st, m.contentWidth(), m.run.checks) + "\n\n")
	summary := fmt.Sprintf("%d passed · %d warnings · %d failed", pass, warn, fail)
	switch {
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
	return []key.Binding{m.Keys.API, m.Keys.Quit, m.Keys.Help}
}
func (m *preflightModel) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp()}
}

// spinnerFrames is the bubbles spinner's "dot" set; the frame advances on
// the wizard's own tick so tests stay deterministic.
var spinnerFrames = [...]string{"⣾", "⣽", "⣻", "⢿", "⡿", "⣟", "⣯", "⣷"}

func spinnerFrame(i int) string { return spinnerFrames[i%len(spinnerFrames)] }

// preflightLine is the plan screen's reminder of the checks: the counts,
// then every warning, since the preflight screen gives way to the plan
// approval as soon as the plan is ready.
func preflightLine(st Styles, width int, checks []steps.CheckResult) string {
	if len(checks) == 0 {
		return ""
	}
	var pass, warn, fail int
	var notes []string
	for _, c := range checks {
		switch c.Status {
		case steps.CheckPass:
			pass++
		case steps.CheckWarn:
			warn++
			notes = append(notes, st.Warn.Render("  ! ")+wrap(width-4, c.Title+": "+c.Explanation))
		default:
			fail++
			notes = append(notes, st.Bad.Render("  ✗ ")+wrap(width-4, c.Title+": "+c.Explanation))
		}
	}
	line := fmt.Sprintf("Preflight: %d passed · %d warnings · %d failed", pass, warn, fail)
	if warn+fail == 0 {
		line = st.OK.Render(line)
	} else {
		line = st.Warn.Render(line)
	}
	return strings.Join(append([]string{line}, notes...), "\n") + "\n"
}
