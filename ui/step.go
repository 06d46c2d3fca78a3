package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// stepModel is screen 5: one step: what it does and why, its CLI
// equivalent, its confirmation, then live progress.
type stepModel struct {
	*Common
	run     *runState
	confirm *confirmation
	showCLI bool
}

func (m *stepModel) typing() bool { return m.confirm != nil && m.confirm.typing() }

func (m *stepModel) update(msg tea.Msg) tea.Cmd {
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

// progressView draws the live part shared by the step and critical screens.
func progressView(c *Common, r *runState) string {
	st := c.Styles
	w := c.contentWidth()
	var b strings.Builder
	state := r.steps[r.current]
	status := "waiting"
	if state != nil {
		status = state.status
	}
	line := fmt.Sprintf("%s %s · elapsed %s", spinnerFrame(r.frame), st.status(strings.ToUpper(status)), formatDuration(r.elapsed()))
	if status != "running" {
		line = fmt.Sprintf("%s · took %s", st.status(strings.ToUpper(status)), formatDuration(r.elapsed()))
	}
	p := r.progress
	if p != nil && p.DeploymentStatus != "" {
		line += " · deployment " + st.status(p.DeploymentStatus)
	}
	b.WriteString(line + "\n")
	if p == nil {
		return strings.TrimRight(b.String(), "\n")
	}
	if p.Waiting != "" {
		b.WriteString(st.Muted.Render(truncate("Waiting for "+p.Waiting, w)) + "\n")
	}
	if p.StatusDetails != "" {
		b.WriteString(st.Warn.Render(wrap(w, p.StatusDetails)) + "\n")
	}
	// What the applications see (the proxy's clients) comes before AWS's
	// tables, so it stays in sight on a small terminal.
	if m := renderMetrics(st, w, r.metrics, r.currentName); m != "" {
		b.WriteString("\n" + m + "\n")
	}
	tables := r.tablesFor(st, w)
	tasks := ""
	if tables.tasks != "" {
		tasks = "\n" + tables.tasks + "\n"
	}
	// During provisioning the Tasks say most; in the critical section the
	// members and the proxy do, so they go first and the Tasks last.
	if !r.inCritical() {
		b.WriteString(tasks)
	}
	if tables.members != "" {
		b.WriteString("\n" + tables.members + "\n")
	}
	if p.ProxyTargets != nil || r.inCritical() {
		b.WriteString("\n" + tables.targets + "\n")
	}
	if r.inCritical() {
		b.WriteString(tasks)
	}
	if tables.instances != "" {
		b.WriteString("\n" + tables.instances + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (m *stepModel) view() string {
	st := m.Styles
	w := m.contentWidth()
	id := m.run.current
	if m.confirm != nil && !m.confirm.decided && m.confirm.approval.Step != "" {
		id = m.confirm.approval.Step
	}
	n, total := m.run.stepNumber(id)
	ps := m.run.planned(id)
	var b strings.Builder
	if n > 0 {
		b.WriteString(st.Muted.Render(fmt.Sprintf("step %d of %d · %s · %s", n, total, id, ps.Severity)) + "\n")
	}
	b.WriteString(st.Heading.Render(ps.Title) + "\n")
	asking := m.confirm != nil && !m.confirm.decided
	// While the step runs the live tables need the room: on a small
	// terminal the why and effect stay on the confirmation only.
	roomy := asking || m.Height >= 28
	// An approval's text already says what and why: do not say it twice.
	if asking && m.confirm.approval.Text != "" {
		roomy = false
	}
	if ps.Why != "" && roomy {
		b.WriteString(wrap(w, honestWhy(ps.Why, trafficEmpty(m.run))) + "\n")
	}
	if ps.Effect != "" && asking && m.confirm.approval.Text == "" {
		b.WriteString(st.Muted.Render(wrap(w, "Effect: "+ps.Effect)) + "\n")
	}
	if asking {
		// The question is pinned at the bottom by the root; the commands
		// it stands for are here (scroll for more).
		if e := expectedLine(m.Common, m.run, id); e != "" {
			b.WriteString(e + "\n")
		}
		// The approval's own commands when it names them (abort is no
		// planned step): never "no AWS call" for a delete.
		cli := ps.CLI
		if len(m.confirm.approval.CLI) > 0 {
			cli = m.confirm.approval.CLI
		}
		b.WriteString("\n" + st.Muted.Render("Equivalent AWS CLI:") + "\n" + renderCLI(st, w, cli))
		return b.String()
	}
	if m.showCLI {
		b.WriteString("\n" + renderCLI(st, w, ps.CLI) + "\n")
	}
	if e := expectedLine(m.Common, m.run, id); e != "" && roomy {
		b.WriteString(e + "\n")
	}
	if len(m.run.notices) > 0 {
		b.WriteString(st.Warn.Render(wrap(w, "Note: "+m.run.notices[len(m.run.notices)-1])) + "\n")
	}
	b.WriteString("\n" + progressView(m.Common, m.run))
	if s := m.run.steps[m.run.current]; s != nil && s.status == "failed" && m.run.lastError != nil {
		b.WriteString("\n\n" + errorDetails(m.Common, m.run.lastError))
	}
	return b.String()
}

func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && lipgloss.Width(string(r))+1 > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func (m *stepModel) asking() (*confirmation, bool) { return m.confirm, false }

func (m *stepModel) ShortHelp() []key.Binding {
	if m.confirm != nil && !m.confirm.decided {
		if m.confirm.typing() {
			return m.confirm.typingBindings()
		}
		return []key.Binding{m.Keys.Yes, m.Keys.No, m.Keys.CLI, m.Keys.API, m.Keys.Quit, m.Keys.Help}
	}
	return []key.Binding{m.Keys.CLI, m.Keys.API, m.Keys.Quit, m.Keys.Help}
}

func (m *stepModel) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
