package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// planModel is screen 4: the steps, the regime in one sentence, and (c) the
// equivalent AWS CLI commands. The plan approval is answered here.
type planModel struct {
	*Common
	run     *runState
	confirm *confirmation
	showCLI bool
	back    bool // esc returns to the options form (a wizard-started run)
}

func (m *planModel) typing() bool { return m.confirm != nil && m.confirm.typing() }

func (m *planModel) update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if m.confirm != nil && m.confirm.handleKey(k, m.Keys) {
			return nil
		}
		if key.Matches(k, m.Keys.CLI) {
			m.showCLI = !m.showCLI
		}
	}
	return nil
}

func (m *planModel) view() string {
	st := m.Styles
	p := m.run.plan
	var b strings.Builder
	if p == nil {
		return st.Heading.Render("Plan") + "\n\n" + spinnerFrame(m.run.frame) + " Building the plan…"
	}
	w := m.contentWidth()
	b.WriteString(st.Heading.Render(fmt.Sprintf("Plan for %s", p.Source.ID)) + "\n")
	b.WriteString(preflightLine(st, w, m.run.checks))
	if m.confirm != nil && !m.confirm.decided && !m.showCLI {
		// The approval's text is the engine's own rendering of the plan,
		// pinned (or, when long, placed here) by the root: not twice.
		return b.String()
	}
	b.WriteString(fmt.Sprintf("%s %s %s", p.Source.Kind, p.Source.Engine, p.Source.EngineVersion))
	if p.Options.TargetEngineVersion != "" {
		b.WriteString(" → " + st.Bold.Render(p.Options.TargetEngineVersion))
		if p.MajorUpgrade {
			b.WriteString(st.Warn.Render(" (major)"))
		}
	}
	b.WriteString("\n")
	b.WriteString(wrap(w, fmt.Sprintf("Proxy regime %s: %s", st.Bold.Render(string(p.Regime)), p.RegimeReason)) + "\n")
	if p.ProxylessNote != "" {
		b.WriteString(st.Warn.Render(wrap(w, p.ProxylessNote)) + "\n")
	}
	if p.Fallback != nil {
		b.WriteString(st.Warn.Render(wrap(w, "If AWS refuses the native regime: +2 proxy outage windows (the detach procedure; asked first, before anything changes).")) + "\n")
	}
	b.WriteString("\n")
	// The legend comes before the marks it explains.
	b.WriteString(st.Muted.Render(truncate("○ read-only · ↺ reversible · ! severe (type the identifier) · ◆ critical section", w)) + "\n")
	for i, s := range p.Steps {
		mark := severityMark(st, s)
		line := fmt.Sprintf("%2d. %s %-21s %s", i+1, mark, s.ID, s.Title)
		b.WriteString(truncate(line, w) + "\n")
		if m.showCLI {
			b.WriteString(indent(renderCLI(st, w-6, s.CLI), 6) + "\n")
		}
	}
	if m.confirm != nil && m.confirm.decided {
		b.WriteString("\n" + m.confirm.view(m.Common, false))
	}
	return b.String()
}

// asking: with the CLI shown the screen lists the steps itself, so only the
// prompt is pinned then.
func (m *planModel) asking() (*confirmation, bool) { return m.confirm, false }

func (m *planModel) promptOnly() bool { return m.showCLI }

func severityMark(st Styles, s contract.PlannedStep) string {
	var mark string
	switch s.Severity {
	case contract.SeverityReadOnly:
		// Not ✓: next to a step a tick reads as "done".
		mark = st.Muted.Render("○")
	case contract.SeveritySevere:
		mark = st.Bad.Render("!")
	default:
		mark = st.Warn.Render("↺")
	}
	if s.Critical {
		return mark + st.Bad.Render("◆")
	}
	return mark + " "
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n")
}

func (m *planModel) ShortHelp() []key.Binding {
	b := []key.Binding{m.Keys.CLI}
	if m.confirm != nil && !m.confirm.decided {
		if m.confirm.typing() {
			// Letters are the identifier here: only enter, esc and ctrl
			// keys act.
			return m.confirm.typingBindings()
		}
		b = append(b, m.Keys.Yes, m.Keys.No)
		if m.back {
			b = append(b, key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")))
		}
	}
	return append(b, m.Keys.API, m.Keys.Quit, m.Keys.Help)
}

func (m *planModel) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
