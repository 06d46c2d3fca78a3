package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// summaryModel is screen 7: the outcome, the timeline, the proxy-less
// window, the before → after names and where the journal and runbook are.
type summaryModel struct {
	*Common
	run  *runState
	demo bool // the demo: its simulator ends with the process, nothing to resume
	// back: the run ended having changed nothing and esc returns to the
	// options form (nav.go).
	back bool
	// flags are the global flags the next command needs (Config.NextFlags);
	// source is the session's source, for a run that ended before a plan.
	flags, source string
}

func (m *summaryModel) view() string {
	st := m.Styles
	w := m.contentWidth()
	f := m.run.finished
	var b strings.Builder
	if f == nil {
		return st.Heading.Render("Summary") + "\n\nThe run has not finished."
	}
	outcome := strings.ToUpper(f.Outcome)
	switch f.Outcome {
	case contract.OutcomeDone, contract.OutcomeReady:
		b.WriteString(st.OK.Render("✓ "+outcome) + "  ")
	case contract.OutcomeFailed, contract.OutcomeBlocked:
		b.WriteString(st.Bad.Render("✗ "+outcome) + "  ")
	default:
		b.WriteString(st.Warn.Render("■ "+outcome) + "  ")
	}
	b.WriteString(fmt.Sprintf("exit %d · %s\n", f.ExitCode, contract.ProxyStateWords(f.ProxyState)))
	if f.DeploymentID != "" {
		b.WriteString(st.Muted.Render("deployment "+f.DeploymentID) + "\n")
	}
	var facts []string
	if h := f.OutageHeadline(); h != "" {
		// The one outage figure: every window's total, the critical
		// section's share beside it (the same words as run-finished,
		// status and the epilogue).
		facts = append(facts, st.Bold.Render(h))
	}
	if f.SwitchoverMS > 0 {
		facts = append(facts, "switchover "+st.Bold.Render(formatDuration(time.Duration(f.SwitchoverMS)*time.Millisecond)))
	}
	if len(facts) > 0 {
		b.WriteString(strings.Join(facts, " · ") + "\n")
	}
	if t := renderOutages(st, w, f); t != "" {
		b.WriteString(t + "\n")
	}
	if f.Probe != nil {
		style := st.OK
		if f.Probe.Failed > 0 {
			style = st.Warn
		}
		b.WriteString(style.Render(wrap(w, "Applications' view ("+f.Probe.String()+")")) + "\n")
	}
	if e := m.run.lastError; e != nil && f.Outcome != contract.OutcomeDone {
		b.WriteString("\n" + errorDetails(m.Common, e) + "\n")
	}
	if f.Outcome == contract.OutcomeBlocked && len(m.run.checks) > 0 {
		var blocking []contract.CheckResult
		for _, c := range m.run.checks {
			if c.Status == contract.CheckFail {
				blocking = append(blocking, c)
			}
		}
		b.WriteString("\n" + renderChecks(st, w, blocking) + "\n")
	}
	if len(f.Timeline) > 0 {
		b.WriteString("\n" + renderTimeline(st, w, f.Timeline) + "\n")
	}
	if len(f.Renames) > 0 {
		b.WriteString("\n" + renderRenames(st, w, f.Renames) + "\n")
	}
	if f.OldBlue != nil {
		b.WriteString(wrap(w, f.OldBlue.Note) + "\n")
	}
	if t := renderStepMetrics(st, w, f.Metrics); t != "" {
		b.WriteString("\n" + t + "\n")
	}
	b.WriteString("\n")
	if f.JournalPath != "" {
		b.WriteString(truncate("Journal  "+f.JournalPath, w) + "\n")
	}
	if f.RunbookPath != "" {
		b.WriteString(truncate("Runbook  "+f.RunbookPath, w) + "\n")
	}
	if g := f.Green; g != nil && f.Outcome == contract.OutcomeReady {
		b.WriteString("\n" + wrap(w, "Green: "+contract.GreenWords(g)+".") + "\n")
	}
	if left := f.LeftoverLines(); len(left) > 0 {
		b.WriteString("\n" + st.Heading.Render("Left in AWS") + "\n")
		for _, l := range left {
			b.WriteString(wrap(w, "  "+l) + "\n")
		}
	}
	b.WriteString(dbFollowUps(st, w, *f))
	if m.demo {
		b.WriteString(st.Muted.Render(wrap(w, "Demo: the simulator lives in this process; q ends both.")) + "\n")
	} else if cmd, why := f.NextStep(m.sourceID(), m.flags); cmd != "" {
		// The command laid out to paste as one (walkthrough D9, D10).
		b.WriteString(st.Warn.Render("Next:") + "\n" + renderCLI(st, w, []string{cmd}) + "\n" + st.Warn.Render(wrap(w, why)) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// sourceID is the run's source: never a placeholder (D10 showed a
// literal "<source>").
func (m *summaryModel) sourceID() string {
	if m.run.plan != nil {
		return m.run.plan.Source.ID
	}
	if f := m.run.finished; f != nil && f.Source != "" {
		return f.Source
	}
	return m.source
}

func (m *summaryModel) ShortHelp() []key.Binding {
	if m.back {
		return []key.Binding{m.Keys.API, escBack(), key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "exit")), m.Keys.Help}
	}
	return []key.Binding{m.Keys.API, key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "exit")), m.Keys.Help}
}

func (m *summaryModel) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
