package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/preflight"
)

// journalCheckedMsg says whether the chosen source has an unfinished run.
type journalCheckedMsg struct {
	source preflight.SourceSummary
	path   string // "" ⇒ no unfinished run
	err    error
}

// statusLoadedMsg carries `rdsbg status` text for the journal screen.
type statusLoadedMsg struct {
	text string
	err  error
}

// journalChoiceMsg is the operator's choice on the journal screen.
type journalChoiceMsg struct{ mode string }

// journalModel is shown when the chosen source has an unfinished run: a
// new run must not start over a half-done one, so the choices are resume,
// status and abort.
type journalModel struct {
	*Common
	source    preflight.SourceSummary
	path      string
	status    string
	statusErr error
	loading   bool
}

func (m *journalModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case statusLoadedMsg:
		m.loading, m.status, m.statusErr = false, msg.text, msg.err
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.Keys.Resume):
			return func() tea.Msg { return journalChoiceMsg{mode: "resume"} }
		case key.Matches(msg, m.Keys.Abort):
			return func() tea.Msg { return journalChoiceMsg{mode: "abort"} }
		case key.Matches(msg, m.Keys.Status):
			m.loading = true
			return func() tea.Msg { return journalChoiceMsg{mode: "status"} }
		}
	}
	return nil
}

func (m *journalModel) view() string {
	st := m.Styles
	w := m.contentWidth()
	var b strings.Builder
	b.WriteString(st.Warn.Render("An unfinished run exists for "+m.source.ID) + "\n\n")
	b.WriteString(wrap(w, "Journal "+m.path) + "\n\n")
	b.WriteString(wrap(w, "A new run cannot start over a half-done one. Resume continues from live AWS state and the journal; "+
		"abort (before switchover) deletes the deployment and its green and restores the original proxy targets; "+
		"status shows both without changing anything.") + "\n\n")
	b.WriteString(st.Bold.Render("r resume · s status · x abort · esc back · q quit") + "\n")
	switch {
	case m.loading:
		b.WriteString("\nReading the journal and live state…")
	case m.statusErr != nil:
		b.WriteString("\n" + st.Bad.Render(wrap(w, "Status failed: "+m.statusErr.Error())))
	case m.status != "":
		b.WriteString("\n" + strings.TrimRight(m.status, "\n"))
	}
	return b.String()
}

func (m *journalModel) ShortHelp() []key.Binding {
	return []key.Binding{m.Keys.Resume, m.Keys.Status, m.Keys.Abort, escBack(), m.Keys.Quit, m.Keys.Help}
}

func (m *journalModel) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
