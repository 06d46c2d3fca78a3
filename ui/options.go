package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps"
)

// targetsLoadedMsg delivers the source's valid upgrade targets.
type targetsLoadedMsg struct {
	targets []awsclient.UpgradeTarget
	err     error
}

// optionsDoneMsg carries the options the operator settled on.
type optionsDoneMsg struct{ options steps.Options }

// optionField is one row of the options form: either a cycle of choices or
// free text. Each names the flag that sets it, so a wizard run can be
// repeated headless.
type optionField struct {
	label   string
	flag    string
	choices []string // cycle field when non-empty
	index   int
	text    string // free-text field value
	note    string
}

func (f *optionField) value() string {
	if len(f.choices) > 0 {
		return f.choices[f.index]
	}
	return f.text
}

// noUpgrade is the engine-version choice that keeps the current version.
const noUpgrade = "(keep current version)"

// optionsModel is screen 2.
type optionsModel struct {
	*Common
	source  steps.SourceSummary
	base    steps.Options
	loading bool
	err     error
	fields  []*optionField
	cursor  int
	// majors notes which offered versions are major upgrades.
	majors map[string]string
}

func newOptionsModel(c *Common, src steps.SourceSummary, base steps.Options) *optionsModel {
	return &optionsModel{Common: c, source: src, base: base, loading: true}
}

// timeoutChoices are the offered switchover timeouts; the configured value
// is added when it is not among them.
var timeoutChoices = []time.Duration{60 * time.Second, 120 * time.Second, 300 * time.Second, 600 * time.Second, 900 * time.Second, 1800 * time.Second, 3600 * time.Second}

func (m *optionsModel) build(targets []awsclient.UpgradeTarget) {
	o := m.base
	versions := []string{noUpgrade}
	notes := map[string]string{}
	for _, t := range targets {
		versions = append(versions, t.Version)
		if t.Major {
			notes[t.Version] = "major upgrade"
		}
	}
	vIndex := 0
	switch {
	case o.TargetEngineVersion != "":
		vIndex = indexOf(versions, o.TargetEngineVersion)
		if vIndex < 0 {
			versions = append(versions, o.TargetEngineVersion)
			vIndex = len(versions) - 1
		}
	case len(targets) > 0:
		// The newest target is the usual reason to run a blue/green.
		vIndex = len(versions) - 1
	}
	var timeouts []string
	for _, d := range timeoutChoices {
		timeouts = append(timeouts, strconv.Itoa(int(d.Seconds())))
	}
	cur := strconv.Itoa(int(o.SwitchoverTimeout.Seconds()))
	tIndex := indexOf(timeouts, cur)
	if tIndex < 0 {
		timeouts = append(timeouts, cur)
		tIndex = len(timeouts) - 1
	}
	choice := func(label, flag string, choices []string, current string) *optionField {
		i := indexOf(choices, current)
		if i < 0 {
			i = 0
		}
		return &optionField{label: label, flag: flag, choices: choices, index: i}
	}
	storage := "no"
	if o.UpgradeTargetStorageConfig {
		storage = "yes"
	}
	m.fields = []*optionField{
		{label: "Target engine version", flag: "--target-engine-version", choices: versions, index: vIndex},
		choice("Upgrade via", "--upgrade-via", []string{string(steps.UpgradeViaCreate), string(steps.UpgradeViaModify)}, string(o.UpgradeVia)),
		choice("Proxy mode", "--proxy-mode", []string{string(steps.ProxyModeAuto), string(steps.ProxyModeNative), string(steps.ProxyModeDetach)}, string(o.ProxyMode)),
		{label: "Switchover timeout (s)", flag: "--switchover-timeout", choices: timeouts, index: tIndex},
		choice("Cleanup", "--cleanup", []string{string(steps.CleanupNone), string(steps.CleanupDeployment), string(steps.CleanupOldBlue)}, string(o.Cleanup)),
		{label: "Deployment name", flag: "--deployment-name", text: o.DeploymentName},
		{label: "Target DB parameter group", flag: "--target-db-parameter-group-name", text: o.TargetDBParameterGroupName, note: "empty: AWS copies blue's"},
	}
	if m.source.Kind == "cluster" {
		m.fields = append(m.fields, &optionField{label: "Target cluster parameter group", flag: "--target-db-cluster-parameter-group-name", text: o.TargetDBClusterParameterGroupName, note: "empty: AWS copies blue's"})
	}
	m.fields = append(m.fields,
		&optionField{label: "Target instance class", flag: "--target-db-instance-class", text: o.TargetDBInstanceClass, note: "empty: same as blue"},
		choice("Upgrade storage config", "--upgrade-target-storage-config", []string{"no", "yes"}, storage),
	)
	m.majors = notes
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// options returns the form's values as engine options.
func (m *optionsModel) options() steps.Options {
	o := m.base
	get := func(flag string) string {
		for _, f := range m.fields {
			if f.flag == flag {
				return strings.TrimSpace(f.value())
			}
		}
		return ""
	}
	o.TargetEngineVersion = get("--target-engine-version")
	if o.TargetEngineVersion == noUpgrade {
		o.TargetEngineVersion = ""
	}
	o.UpgradeVia = steps.UpgradeVia(get("--upgrade-via"))
	o.ProxyMode = steps.ProxyMode(get("--proxy-mode"))
	if secs, err := strconv.Atoi(get("--switchover-timeout")); err == nil {
		o.SwitchoverTimeout = time.Duration(secs) * time.Second
	}
	o.Cleanup = steps.Cleanup(get("--cleanup"))
	o.DeploymentName = get("--deployment-name")
	o.TargetDBParameterGroupName = get("--target-db-parameter-group-name")
	o.TargetDBClusterParameterGroupName = get("--target-db-cluster-parameter-group-name")
	o.TargetDBInstanceClass = get("--target-db-instance-class")
	o.UpgradeTargetStorageConfig = get("--upgrade-target-storage-config") == "yes"
	return o
}

// typing is true on a text field, where letters are text.
func (m *optionsModel) typing() bool {
	return !m.loading && m.cursor < len(m.fields) && len(m.fields[m.cursor].choices) == 0
}

func (m *optionsModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case targetsLoadedMsg:
		m.loading, m.err = false, msg.err
		m.build(msg.targets)
	case tea.KeyPressMsg:
		if m.loading {
			return nil
		}
		f := (*optionField)(nil)
		if m.cursor < len(m.fields) {
			f = m.fields[m.cursor]
		}
		switch msg.String() {
		case "up", "shift+tab":
			if m.cursor > 0 {
				m.cursor--
			}
			return nil
		case "down", "tab":
			if m.cursor < len(m.fields) {
				m.cursor++
			}
			return nil
		case "enter":
			if m.cursor < len(m.fields) {
				m.cursor++
				return nil
			}
			opts := m.options()
			return func() tea.Msg { return optionsDoneMsg{options: opts} }
		}
		if f == nil {
			return nil
		}
		if len(f.choices) > 0 {
			switch {
			case key.Matches(msg, m.Keys.Left):
				f.index = (f.index + len(f.choices) - 1) % len(f.choices)
			case key.Matches(msg, m.Keys.Right):
				f.index = (f.index + 1) % len(f.choices)
			case key.Matches(msg, m.Keys.Up):
				if m.cursor > 0 {
					m.cursor--
				}
			case key.Matches(msg, m.Keys.Down):
				m.cursor++
			}
			return nil
		}
		switch msg.String() {
		case "backspace":
			if f.text != "" {
				f.text = f.text[:len(f.text)-1]
			}
		default:
			if t := msg.Key().Text; t != "" {
				f.text += t
			}
		}
	}
	return nil
}

func (m *optionsModel) view() string {
	st := m.Styles
	var b strings.Builder
	b.WriteString(st.Heading.Render(fmt.Sprintf("Options for %s (%s %s)", m.source.ID, m.source.Engine, m.source.EngineVersion)) + "\n\n")
	if m.loading {
		return b.String() + "Reading the valid upgrade targets…"
	}
	if m.err != nil {
		b.WriteString(st.Warn.Render("Could not read upgrade targets: "+m.err.Error()) + "\n\n")
	}
	labelW := 0
	for _, f := range m.fields {
		labelW = max(labelW, len(f.label))
	}
	for i, f := range m.fields {
		cur := "  "
		label := fmt.Sprintf("%-*s", labelW, f.label)
		var val string
		if len(f.choices) > 0 {
			val = "‹ " + f.value() + " ›"
		} else {
			val = f.text
			if i == m.cursor {
				val += "█"
			}
			if val == "" {
				val = st.Muted.Render("(empty)")
			}
		}
		if i == m.cursor {
			cur = st.Selected.Render("› ")
			label = st.Selected.Render(label)
		}
		line := cur + label + "  " + val
		note := f.note
		if f.flag == "--target-engine-version" {
			note = m.majors[f.value()]
		}
		if note != "" {
			line += "  " + st.Muted.Render(note)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n")
	next := "  Continue to preflight checks"
	if m.cursor == len(m.fields) {
		next = st.Selected.Render("› Continue to preflight checks")
	}
	b.WriteString(next + "\n\n")
	b.WriteString(st.Muted.Render(wrap(m.contentWidth(), "Same choices as flags: "+m.flagLine())))
	return b.String()
}

// flagLine is the command line that reproduces the form headless.
func (m *optionsModel) flagLine() string {
	var parts []string
	for _, f := range m.fields {
		v := strings.TrimSpace(f.value())
		switch {
		case v == "" || v == noUpgrade:
			continue
		case f.flag == "--upgrade-target-storage-config":
			if v == "yes" {
				parts = append(parts, f.flag)
			}
			continue
		}
		parts = append(parts, f.flag+" "+v)
	}
	return strings.Join(parts, " ")
}

func (m *optionsModel) ShortHelp() []key.Binding {
	return []key.Binding{m.Keys.Up, m.Keys.Down, m.Keys.Left, m.Keys.Right,
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next / continue")), m.Keys.Help}
}

func (m *optionsModel) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp(), {m.Keys.Quit, m.Keys.API}}
}
