package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rdsbg/rdsbg/steps"
)

// sourcesLoadedMsg delivers ListSources' answer.
type sourcesLoadedMsg struct {
	sources []steps.SourceSummary
	err     error
}

// sourceChosenMsg is emitted when the operator picks a database.
type sourceChosenMsg struct{ source steps.SourceSummary }

// sourceModel is screen 1: a filterable list of the region's instances and
// clusters with the proxies in front of each.
type sourceModel struct {
	*Common
	loading   bool
	err       error
	sources   []steps.SourceSummary
	filter    string
	filtering bool
	cursor    int
}

func newSourceModel(c *Common) *sourceModel { return &sourceModel{Common: c, loading: true} }

// visible is the filtered list: every word of the filter must appear in the
// row's id, engine, version, status or proxies.
func (m *sourceModel) visible() []steps.SourceSummary {
	words := strings.Fields(strings.ToLower(m.filter))
	var out []steps.SourceSummary
	for _, s := range m.sources {
		hay := strings.ToLower(strings.Join(append([]string{s.ID, s.Kind, s.Engine, s.EngineVersion, s.Status}, s.Proxies...), " "))
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// typing: while filtering, letters are filter text, not commands.
func (m *sourceModel) typing() bool { return m.filtering }

func (m *sourceModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case sourcesLoadedMsg:
		m.loading, m.sources, m.err = false, msg.sources, msg.err
		m.cursor = 0
	case tea.KeyPressMsg:
		if m.filtering {
			switch msg.String() {
			case "enter", "esc":
				m.filtering = false
				if msg.String() == "esc" {
					m.filter = ""
				}
			case "backspace":
				if m.filter != "" {
					m.filter = m.filter[:len(m.filter)-1]
				}
			default:
				if t := msg.Key().Text; t != "" {
					m.filter += t
				}
			}
			m.cursor = 0
			return nil
		}
		vis := m.visible()
		switch {
		case key.Matches(msg, m.Keys.Filter):
			m.filtering = true
		case key.Matches(msg, m.Keys.Up):
			if m.cursor > 0 {
				m.cursor--
			}
		case key.Matches(msg, m.Keys.Down):
			if m.cursor < len(vis)-1 {
				m.cursor++
			}
		case key.Matches(msg, m.Keys.Enter):
			if m.cursor < len(vis) {
				chosen := vis[m.cursor]
				return func() tea.Msg { return sourceChosenMsg{source: chosen} }
			}
		}
	}
	return nil
}

func (m *sourceModel) view() string {
	st := m.Styles
	var b strings.Builder
	b.WriteString(st.Heading.Render("Choose the database to upgrade") + "\n\n")
	switch {
	case m.loading:
		return b.String() + "Listing DB instances, clusters and proxies…"
	case m.err != nil:
		return b.String() + st.Bad.Render("Could not list databases: ") + wrap(m.contentWidth(), m.err.Error())
	}
	prompt := "/ to filter"
	if m.filtering || m.filter != "" {
		prompt = "Filter: " + m.filter
		if m.filtering {
			prompt += "█"
		}
	}
	b.WriteString(st.Muted.Render(prompt) + "\n\n")
	vis := m.visible()
	if len(vis) == 0 {
		b.WriteString("No database matches.")
		return b.String()
	}
	rows := make([][]string, len(vis))
	for i, s := range vis {
		cur := " "
		if i == m.cursor {
			cur = "›"
		}
		proxies := strings.Join(s.Proxies, ", ")
		if proxies == "" {
			proxies = "—"
		}
		members := ""
		if s.Members > 0 {
			members = fmt.Sprintf("%d", s.Members)
		}
		rows[i] = []string{cur, s.ID, s.Kind, s.Engine + " " + s.EngineVersion, s.Status, orDash(members), proxies}
	}
	b.WriteString(renderTable(st, m.contentWidth(), []string{" ", "IDENTIFIER", "KIND", "ENGINE", "STATUS", "MEMBERS", "PROXIES"}, rows,
		func(row, col int) lipgloss.Style {
			s := lipgloss.NewStyle()
			if col == 4 {
				s = statusStyle(st, vis[row].Status)
			}
			if row == m.cursor && col <= 1 {
				s = st.Selected
			}
			return s
		}))
	return b.String()
}

func (m *sourceModel) ShortHelp() []key.Binding {
	if m.filtering {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		}
	}
	return []key.Binding{m.Keys.Up, m.Keys.Down, m.Keys.Filter, m.Keys.Enter, m.Keys.Quit, m.Keys.Help}
}

func (m *sourceModel) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp(), {m.Keys.API}}
}
