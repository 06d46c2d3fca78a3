package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// Common is what every screen shares: the terminal size, the styles and the
// key map (soft-serve's pkg/ui/common pattern). Screens embed a pointer to the
// root's one value so a resize reaches all of them at once.
type Common struct {
	Width  int
	Height int
	// BodyWidth, when set, is the width left to the screen beside the step
	// rail; the root sets it while it lays a frame out.
	BodyWidth int
	Styles    Styles
	Keys      KeyMap
}

// newCommon builds the shared value; noColor drops every colour but keeps
// bold and reverse, so hierarchy survives NO_COLOR.
func newCommon(noColor bool) *Common {
	return &Common{Width: 80, Height: 24, Styles: newStyles(noColor), Keys: newKeyMap()}
}

// contentWidth is the usable width inside the screen margins.
func (c *Common) contentWidth() int {
	w := c.Width
	if c.BodyWidth > 0 {
		w = c.BodyWidth
	}
	if w < 20 {
		return 20
	}
	return w - 2
}

// Styles holds every style the wizard uses. Colours are the 16 basic ANSI
// colours: the terminal's own palette maps them to something readable on
// both light and dark backgrounds, which fixed RGB values cannot promise.
type Styles struct {
	Title     lipgloss.Style
	Heading   lipgloss.Style
	Muted     lipgloss.Style
	Bold      lipgloss.Style
	OK        lipgloss.Style
	Warn      lipgloss.Style
	Bad       lipgloss.Style
	Changed   lipgloss.Style
	Selected  lipgloss.Style
	Box       lipgloss.Style
	DangerBox lipgloss.Style
	Timer     lipgloss.Style
	CLI       lipgloss.Style
	TableHead lipgloss.Style
	Border    lipgloss.Style
	NoColor   bool
}

func newStyles(noColor bool) Styles {
	green, yellow, red, cyan, grey := lipgloss.Color("2"), lipgloss.Color("3"), lipgloss.Color("1"), lipgloss.Color("6"), lipgloss.Color("8")
	s := Styles{
		Title:     lipgloss.NewStyle().Bold(true).Reverse(true).Padding(0, 1),
		Heading:   lipgloss.NewStyle().Bold(true).Underline(true),
		Muted:     lipgloss.NewStyle().Faint(true),
		Bold:      lipgloss.NewStyle().Bold(true),
		OK:        lipgloss.NewStyle(),
		Warn:      lipgloss.NewStyle(),
		Bad:       lipgloss.NewStyle().Bold(true),
		Changed:   lipgloss.NewStyle().Reverse(true),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Box:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1),
		DangerBox: lipgloss.NewStyle().Border(lipgloss.ThickBorder()).Padding(0, 1),
		Timer:     lipgloss.NewStyle().Bold(true).Reverse(true).Padding(0, 1),
		CLI:       lipgloss.NewStyle(),
		TableHead: lipgloss.NewStyle().Bold(true),
		Border:    lipgloss.NewStyle(),
		NoColor:   noColor,
	}
	if noColor {
		return s
	}
	s.Title = s.Title.Reverse(false).Foreground(lipgloss.Color("0")).Background(cyan)
	s.Muted = lipgloss.NewStyle().Foreground(grey)
	s.OK = lipgloss.NewStyle().Foreground(green)
	s.Warn = lipgloss.NewStyle().Foreground(yellow)
	s.Bad = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.Changed = lipgloss.NewStyle().Bold(true).Underline(true)
	s.Selected = lipgloss.NewStyle().Foreground(cyan).Bold(true)
	s.Box = s.Box.BorderForeground(cyan)
	s.DangerBox = s.DangerBox.BorderForeground(red)
	s.Timer = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("15")).Background(red).Padding(0, 1)
	s.CLI = lipgloss.NewStyle().Foreground(cyan)
	s.Border = lipgloss.NewStyle().Foreground(grey)
	return s
}

// statusClass sorts an AWS status string into good, in-flight or bad.
// Unknown statuses are in-flight: neither reassuring nor alarming.
type statusClass int

const (
	statusNeutral statusClass = iota
	statusGood
	statusBusy
	statusBadClass
)

func classifyStatus(status string) statusClass {
	s := strings.ToUpper(strings.ReplaceAll(status, "-", "_"))
	switch {
	case s == "":
		return statusNeutral
	case s == "AVAILABLE", s == "COMPLETED", s == "SWITCHOVER_COMPLETED", s == "PASS", s == "DONE",
		s == "IN_SYNC", s == "OK", s == "ALREADY_DONE", s == "SKIPPED":
		return statusGood
	case strings.Contains(s, "FAIL"), strings.HasPrefix(s, "INVALID"), s == "UNAVAILABLE",
		strings.HasPrefix(s, "MISSING"), s == "ERROR", s == "INCOMPATIBLE_PARAMETERS", s == "STORAGE_FULL":
		return statusBadClass
	default:
		return statusBusy
	}
}

// status renders a status in its class colour.
func (s Styles) status(status string) string {
	switch classifyStatus(status) {
	case statusGood:
		return s.OK.Render(status)
	case statusBusy:
		return s.Warn.Render(status)
	case statusBadClass:
		return s.Bad.Render(status)
	}
	return status
}

// KeyMap lists every binding; screens pick theirs for the help bar.
type KeyMap struct {
	Up       key.Binding
	Down     key.Binding
	Left     key.Binding
	Right    key.Binding
	Enter    key.Binding
	Back     key.Binding
	Yes      key.Binding
	No       key.Binding
	Filter   key.Binding
	CLI      key.Binding
	API      key.Binding
	Help     key.Binding
	Quit     key.Binding
	Retry    key.Binding
	Rollback key.Binding
	Wait     key.Binding
	Status   key.Binding
	Abort    key.Binding
	Resume   key.Binding
}

func newKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Left:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "previous choice")),
		Right:    key.NewBinding(key.WithKeys("right", "l", "space"), key.WithHelp("→/l", "next choice")),
		Enter:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "select")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Yes:      key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:       key.NewBinding(key.WithKeys("n", "N"), key.WithHelp("n", "no")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		CLI:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "AWS CLI")),
		API:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "API calls")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Retry:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
		Rollback: key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "roll back")),
		Wait:     key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wait")),
		Status:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "status")),
		Abort:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "abort")),
		Resume:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "resume")),
	}
}

// steadyCursor turns off a text input's blinking: the blink is a timer
// command that never ends (tests drain commands synchronously), and a
// steady cursor is calmer in a maintenance window.
func steadyCursor(in *textinput.Model) {
	s := in.Styles()
	s.Cursor.Blink = false
	in.SetStyles(s)
}
