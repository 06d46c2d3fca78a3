package ui

import (
	"fmt"
	"io"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/list"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/steps/preflight"
)

// sourcesLoadedMsg delivers ListSources' answer.
type sourcesLoadedMsg struct {
	sources []preflight.SourceSummary
	err     error
}

// sourceChosenMsg is emitted when the operator picks a database.
type sourceChosenMsg struct{ source preflight.SourceSummary }

// sourceItem is one database in the list; the filter matches its id,
// kind, engine, version, status and proxies.
type sourceItem struct{ preflight.SourceSummary }

func (i sourceItem) FilterValue() string {
	return strings.Join(append([]string{i.ID, i.Kind, i.Engine, i.EngineVersion, i.Status}, i.Proxies...), " ")
}

// sourceColumns are the table's headers.
var sourceColumns = []string{" ", "IDENTIFIER", "KIND", "ENGINE", "STATUS", "MEMBERS", "PROXIES"}

func (i sourceItem) cells(selected bool) []string {
	cur := " "
	if selected {
		cur = "›"
	}
	members := ""
	if i.Members > 0 {
		members = fmt.Sprintf("%d", i.Members)
	}
	return []string{cur, i.ID, i.Kind, i.Engine + " " + i.EngineVersion, i.Status, orDash(members), orDash(strings.Join(i.Proxies, ", "))}
}

// sourceModel is screen 1: the region's instances and clusters with the
// proxies in front of each, in a Bubbles list (its fuzzy filter on /).
type sourceModel struct {
	*Common
	loading   bool
	requested bool
	err       error
	sources   []preflight.SourceSummary
	list      list.Model
	widths    []int // column widths over every source, so filtering does not reflow
	// highlight is the database selected when the list arrives (the
	// demo's scenario database).
	highlight string
}

func newSourceModel(c *Common) *sourceModel {
	m := &sourceModel{Common: c, loading: true}
	l := list.New(nil, sourceDelegate{m: m}, 80, 10)
	l.SetShowTitle(false)
	l.SetShowStatusBar(false)
	l.SetShowHelp(false)
	l.SetFilteringEnabled(true)
	l.SetShowFilter(false) // drawn above the table by view
	l.SetShowPagination(true)
	l.DisableQuitKeybindings()
	l.FilterInput.Prompt = "Filter: "
	steadyCursor(&l.FilterInput)
	m.list = l
	return m
}

// sourceDelegate draws a list row as a table row.
type sourceDelegate struct{ m *sourceModel }

func (d sourceDelegate) Height() int                         { return 1 }
func (d sourceDelegate) Spacing() int                        { return 0 }
func (d sourceDelegate) Update(tea.Msg, *list.Model) tea.Cmd { return nil }
func (d sourceDelegate) Render(w io.Writer, l list.Model, index int, item list.Item) {
	it, ok := item.(sourceItem)
	if !ok {
		return
	}
	st := d.m.Styles
	selected := index == l.Index()
	cells := it.cells(selected)
	var b strings.Builder
	for col, c := range cells {
		s := lipgloss.NewStyle()
		if col == 4 {
			s = statusStyle(st, it.Status)
		}
		if selected && col <= 1 {
			s = st.Selected
		}
		b.WriteString(s.Render(c))
		if col < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", max(d.m.widths[col]-ansi.StringWidth(c), 0)+2))
		}
	}
	fmt.Fprint(w, truncate(b.String(), d.m.contentWidth()))
}

// typing: while the filter is edited, letters are filter text.
func (m *sourceModel) typing() bool { return m.list.SettingFilter() }

// filter is the filter text (applied or being typed).
func (m *sourceModel) filter() string { return m.list.FilterValue() }

func (m *sourceModel) setSources(sources []preflight.SourceSummary) tea.Cmd {
	m.sources = sources
	m.widths = make([]int, len(sourceColumns))
	for i, h := range sourceColumns {
		m.widths[i] = ansi.StringWidth(h)
	}
	items := make([]list.Item, len(sources))
	sel := 0
	for i, s := range sources {
		items[i] = sourceItem{s}
		for col, c := range items[i].(sourceItem).cells(false) {
			m.widths[col] = max(m.widths[col], ansi.StringWidth(c))
		}
		if s.ID == m.highlight {
			sel = i
		}
	}
	cmd := m.list.SetItems(items)
	m.list.Select(sel)
	return cmd
}

func (m *sourceModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case sourcesLoadedMsg:
		m.loading, m.err = false, msg.err
		return m.setSources(msg.sources)
	case tea.KeyPressMsg:
		if !m.list.SettingFilter() && key.Matches(msg, m.Keys.Enter) {
			if it, ok := m.list.SelectedItem().(sourceItem); ok {
				return func() tea.Msg { return sourceChosenMsg{source: it.SourceSummary} }
			}
			return nil
		}
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return cmd
}

func (m *sourceModel) view() string {
	st := m.Styles
	var b strings.Builder
	b.WriteString(st.Heading.Render("Choose the database to upgrade") + "\n\n")
	switch {
	case m.loading:
		return b.String() + spinnerFrame(0) + " Listing DB instances, clusters and proxies…"
	case m.err != nil:
		return b.String() + st.Bad.Render("Could not list databases: ") + wrap(m.contentWidth(), m.err.Error())
	}
	switch {
	case m.list.SettingFilter():
		b.WriteString(m.list.FilterInput.View() + "\n")
	case m.list.IsFiltered():
		b.WriteString(st.Muted.Render("Filter: "+m.filter()+"  (esc clears)") + "\n")
	default:
		b.WriteString(st.Muted.Render("/ to filter") + "\n")
	}
	if len(m.list.VisibleItems()) == 0 && !m.list.SettingFilter() {
		b.WriteString("\nNo database matches.")
		return b.String()
	}
	var head strings.Builder
	for col, h := range sourceColumns {
		head.WriteString(h)
		if col < len(sourceColumns)-1 {
			head.WriteString(strings.Repeat(" ", m.widths[col]-ansi.StringWidth(h)+2))
		}
	}
	b.WriteString(st.TableHead.Render(truncate(head.String(), m.contentWidth())) + "\n")
	b.WriteString(st.Border.Render(strings.Repeat("─", min(tableWidth(m.widths), m.contentWidth()))) + "\n")
	m.list.SetSize(m.contentWidth(), max(m.Height-10, 3))
	b.WriteString(strings.TrimRight(m.list.View(), " \n"))
	return b.String()
}

func (m *sourceModel) ShortHelp() []key.Binding {
	if m.list.SettingFilter() {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel filter")),
		}
	}
	b := []key.Binding{m.Keys.Up, m.Keys.Down, m.Keys.Filter, m.Keys.Enter}
	if m.list.IsFiltered() {
		b = append(b, key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")))
	}
	return append(b, m.Keys.Quit, m.Keys.Help)
}

func (m *sourceModel) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp(), {m.Keys.API}}
}
