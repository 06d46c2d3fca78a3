package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// criticalModel is screen 6: the one severe confirmation for steps 5–7,
// then a prominent timer of the proxy-less window while they run without
// further prompts.
type criticalModel struct {
	*Common
	run     *runState
	confirm *confirmation
	showCLI bool
}

func (m *criticalModel) typing() bool { return m.confirm != nil && m.confirm.typing() }

func (m *criticalModel) update(msg tea.Msg) tea.Cmd {
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

// criticalSteps are the plan's critical steps (or those the approval names).
func (m *criticalModel) criticalSteps() []contract.StepID {
	if m.confirm != nil && len(m.confirm.approval.Steps) > 0 {
		return m.confirm.approval.Steps
	}
	var ids []contract.StepID
	if m.run.plan != nil {
		for _, s := range m.run.plan.Steps {
			if s.Critical {
				ids = append(ids, s.ID)
			}
		}
	}
	return ids
}

func (m *criticalModel) view() string {
	st := m.Styles
	w := m.contentWidth()
	var b strings.Builder
	b.WriteString(st.Bad.Render("CRITICAL SECTION") + "\n" + st.Muted.Render(wrap(w, "The proxy has no target from the first step below until the last one is healthy.")) + "\n\n")
	ids := m.criticalSteps()
	for _, id := range ids {
		ps := m.run.planned(id)
		state := "pending"
		if s := m.run.steps[id]; s != nil {
			state = s.status
		}
		marker := "  "
		switch state {
		case "done", "skipped":
			marker = st.OK.Render("✓ ")
		case "running":
			marker = st.Warn.Render(spinnerFrame(m.run.frame) + " ")
		case "failed":
			marker = st.Bad.Render("✗ ")
		}
		n, total := m.run.stepNumber(id)
		b.WriteString(truncate(fmt.Sprintf("%s%d/%d %-21s %s", marker, n, total, id, ps.Title), w) + "\n")
		if m.showCLI && (m.confirm == nil || m.confirm.decided) {
			b.WriteString(indent(renderCLI(st, w-6, ps.CLI), 6) + "\n")
		}
	}
	if m.confirm != nil && !m.confirm.decided {
		// The question is pinned at the bottom by the root.
		return b.String()
	}
	b.WriteString("\n")
	if d, ok := m.run.proxyless(); ok {
		b.WriteString(st.Timer.Render("PROXY-LESS  "+formatClock(d)) + "  " + st.Bad.Render("applications using the proxy cannot connect") + "\n\n")
	} else if m.run.finished == nil {
		b.WriteString(st.OK.Render("Proxy has a target.") + "\n\n")
	}
	b.WriteString(progressView(m.Common, m.run))
	return b.String()
}

func (m *criticalModel) asking() (*confirmation, bool) { return m.confirm, m.showCLI }

func (m *criticalModel) ShortHelp() []key.Binding {
	if m.typing() {
		return m.confirm.typingBindings()
	}
	return []key.Binding{m.Keys.CLI, m.Keys.API, m.Keys.Quit, m.Keys.Help}
}

func (m *criticalModel) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
