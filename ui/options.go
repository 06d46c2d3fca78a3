package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// targetsLoadedMsg delivers the source's valid upgrade targets.
type targetsLoadedMsg struct {
	targets []contract.UpgradeTarget
	err     error
	// groups are the parameter groups by family (nil: not read, the form
	// takes typed names; options_groups.go).
	groups    *preflight.ParameterGroupCatalog
	groupsErr error
}

// optionsDoneMsg carries the options the operator settled on.
type optionsDoneMsg struct{ options contract.Options }

// optionsBackMsg: the operator left the form with esc (nothing was sent to
// AWS); the root shows the source list again.
type optionsBackMsg struct{}

// optionField is one row of the options form: either a cycle of choices or
// free text. Each names the flag that sets it, so a wizard run can be
// repeated headless, and explains itself on the help line.
type optionField struct {
	label   string
	flag    string
	choices []string // cycle field when non-empty
	index   int
	input   textinput.Model // free-text field
	// help is the line under the form while the field is selected; it may
	// depend on the other fields (the parameter group on the version).
	help func(m *optionsModel) string
	// applies hides the field when it means nothing for this source or
	// these choices (instance class on Aurora, proxy mode without proxy).
	applies func(m *optionsModel) bool
}

func (f *optionField) value() string {
	if len(f.choices) > 0 {
		if f.choices[f.index] == emptyGroupChoice {
			return ""
		}
		return f.choices[f.index]
	}
	return f.input.Value()
}

// optionsModel is screen 2.
type optionsModel struct {
	*Common
	source  preflight.SourceSummary
	base    contract.Options
	loading bool
	err     error
	fields  []*optionField
	cursor  int // index into visible(); len(visible()) is "Continue"
	targets []contract.UpgradeTarget
	// groups is the parameter-group catalogue (nil: typed names).
	groups    *preflight.ParameterGroupCatalog
	groupsErr error
	// invalid is the field a Continue refused and why: shown beside it,
	// on the form, rather than a FAILED screen for a typo (walkthrough
	// D15). Cleared when the operator edits again.
	invalid     *optionField
	invalidText string
}

func newOptionsModel(c *Common, src preflight.SourceSummary, base contract.Options) *optionsModel {
	return &optionsModel{Common: c, source: src, base: base, loading: true}
}

// timeoutChoices are the offered switchover timeouts; the configured value
// is added when it is not among them.
var timeoutChoices = []time.Duration{60 * time.Second, 120 * time.Second, 300 * time.Second, 600 * time.Second, 900 * time.Second, 1800 * time.Second, 3600 * time.Second}

// noChange is the engine-version choice that keeps the current version:
// the default, as in `rdsbg plan` and --plain.
func (m *optionsModel) noChange() string { return "no change (" + m.source.EngineVersion + ")" }

func (m *optionsModel) build(targets []contract.UpgradeTarget) {
	o := m.base
	m.targets = targets
	versions := []string{m.noChange()}
	for _, t := range targets {
		versions = append(versions, t.Version)
	}
	vIndex := 0
	if o.TargetEngineVersion != "" {
		vIndex = indexOf(versions, o.TargetEngineVersion)
		if vIndex < 0 {
			versions = append(versions, o.TargetEngineVersion)
			vIndex = len(versions) - 1
		}
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
	text := func(label, flag, value string, limit int) *optionField {
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = limit
		in.Placeholder = "(empty)"
		steadyCursor(&in)
		in.SetValue(value)
		return &optionField{label: label, flag: flag, input: in}
	}
	storage := "no"
	if o.UpgradeTargetStorageConfig {
		storage = "yes"
	}
	isCluster := m.source.Kind == contract.KindCluster
	upgrading := func(m *optionsModel) bool { return m.targetVersion() != "" }

	version := &optionField{label: "Target engine version", flag: "--target-engine-version", choices: versions, index: vIndex,
		help: (*optionsModel).versionHelp}
	via := choice("Upgrade via", "--upgrade-via", []string{string(contract.UpgradeViaCreate), string(contract.UpgradeViaModify)}, string(o.UpgradeVia))
	via.applies = upgrading
	via.help = func(m *optionsModel) string {
		if m.value("--upgrade-via") == string(contract.UpgradeViaModify) {
			return "modify: green is created on " + m.source.EngineVersion + ", then rdsbg upgrades it (step upgrade-green) before the switchover."
		}
		return "create: AWS creates green directly on " + m.targetVersion() + " (CreateBlueGreenDeployment TargetEngineVersion)."
	}
	proxy := choice("Proxy mode", "--proxy-mode", []string{string(contract.ProxyModeAuto), string(contract.ProxyModeNative), string(contract.ProxyModeDetach)}, string(o.ProxyMode))
	proxy.applies = func(m *optionsModel) bool { return len(m.source.Proxies) > 0 }
	proxy.help = func(m *optionsModel) string {
		switch contract.ProxyMode(m.value("--proxy-mode")) {
		case contract.ProxyModeNative:
			return "native: keep " + strings.Join(m.source.Proxies, ", ") + " registered; AWS moves the proxy to the new primary at switchover."
		case contract.ProxyModeDetach:
			return "detach: deregister the proxy around creation and switchover; the proxy has no target for a few minutes (measured and shown)."
		}
		return "auto: native where AWS supports RDS Proxy with blue/green; if AWS refuses the creation, rdsbg offers detach before any change."
	}
	timeout := &optionField{label: "Switchover timeout (s)", flag: "--switchover-timeout", choices: timeouts, index: tIndex,
		help: func(*optionsModel) string {
			return "AWS rolls the whole switchover back if it takes longer (30–3600 s, AWS's default 300)."
		}}
	cleanup := choice("Cleanup", "--cleanup", []string{string(contract.CleanupNone), string(contract.CleanupDeployment), string(contract.CleanupOldBlue)}, string(o.Cleanup))
	cleanup.help = func(m *optionsModel) string {
		switch contract.Cleanup(m.value("--cleanup")) {
		case contract.CleanupNone:
			return "none: keep the deployment object and the old (-old1) databases."
		case contract.CleanupOldBlue:
			return "old-blue: delete the deployment object, then snapshot and delete the -old1 databases."
		}
		return "deployment: delete the deployment object after verify; the -old1 databases stay (read-only)."
	}
	name := text("Deployment name", "--blue-green-deployment-name", o.DeploymentName, 60)
	name.help = func(*optionsModel) string {
		return "AWS's BlueGreenDeploymentName: 1–60 letters, digits and hyphens, starting with a letter; unique in the account and Region."
	}
	pg := text("Target DB parameter group", "--target-db-parameter-group-name", o.TargetDBParameterGroupName, 255)
	pg.help = func(m *optionsModel) string {
		what := "The parameter group of green's instances"
		if isCluster {
			what = "The instance-level parameter group of green's instances"
		}
		return what + m.groupsHelp(false)
	}
	cpg := text("Target cluster parameter group", "--target-db-cluster-parameter-group-name", o.TargetDBClusterParameterGroupName, 255)
	cpg.applies = func(*optionsModel) bool { return isCluster }
	cpg.help = func(m *optionsModel) string { return "The green cluster's parameter group" + m.groupsHelp(true) }
	class := text("Target instance class", "--target-db-instance-class", o.TargetDBInstanceClass, 20)
	class.applies = func(*optionsModel) bool { return !isCluster }
	class.help = func(*optionsModel) string {
		return "Empty: green keeps blue's class. Applies to green's primary only (replicas keep theirs); e.g. db.r6g.large."
	}
	storageCfg := choice("Upgrade storage config", "--upgrade-target-storage-config", []string{"no", "yes"}, storage)
	storageCfg.applies = func(*optionsModel) bool { return !isCluster }
	storageCfg.help = func(*optionsModel) string {
		return "yes: move green off the old 32-bit file system (only possible at creation, and only if blue is not already on the latest)."
	}
	m.fields = []*optionField{version, via, proxy, timeout, cleanup, name, pg, cpg, class, storageCfg}
	m.pickGroups() // options_groups.go: the groups that exist, as choices
	m.focus()
}

// visible are the fields that apply, in order.
func (m *optionsModel) visible() []*optionField {
	var out []*optionField
	for _, f := range m.fields {
		if f.applies == nil || f.applies(m) {
			out = append(out, f)
		}
	}
	return out
}

// current is the field under the cursor (nil on Continue).
func (m *optionsModel) current() *optionField {
	vis := m.visible()
	if m.cursor < len(vis) {
		return vis[m.cursor]
	}
	return nil
}

// focus gives the text cursor to the field under the cursor only.
func (m *optionsModel) focus() {
	cur := m.current()
	for _, f := range m.fields {
		if len(f.choices) > 0 {
			continue
		}
		if f == cur {
			f.input.Focus()
		} else {
			f.input.Blur()
		}
	}
}

func (m *optionsModel) value(flag string) string {
	for _, f := range m.fields {
		if f.flag == flag {
			return strings.TrimSpace(f.value())
		}
	}
	return ""
}

// targetVersion is the chosen target, "" for no change.
func (m *optionsModel) targetVersion() string {
	v := m.value("--target-engine-version")
	if v == m.noChange() {
		return ""
	}
	return v
}

func (m *optionsModel) target(version string) (contract.UpgradeTarget, bool) {
	for _, t := range m.targets {
		if t.Version == version {
			return t, true
		}
	}
	return contract.UpgradeTarget{}, false
}

// majorOf is the major version as AWS groups them: 15 for PostgreSQL 15.7,
// 8.0 for MySQL 8.0.36.
func majorOf(engine, version string) string {
	parts := strings.Split(version, ".")
	if strings.Contains(engine, "mysql") || strings.Contains(engine, "mariadb") {
		if len(parts) >= 2 {
			return parts[0] + "." + parts[1]
		}
	}
	return parts[0]
}

// skippedMajors are the major versions between the current one and version
// that AWS also offers as targets: the upgrade jumps over them.
func (m *optionsModel) skippedMajors(version string) []string {
	from, to := majorOf(m.source.Engine, m.source.EngineVersion), majorOf(m.source.Engine, version)
	seen := map[string]bool{}
	var out []string
	for _, t := range m.targets {
		mj := majorOf(m.source.Engine, t.Version)
		if mj != from && mj != to && !seen[mj] && versionLess(from, mj) && versionLess(mj, to) {
			seen[mj] = true
			out = append(out, mj)
		}
	}
	return out
}

// versionLess compares dotted numeric versions.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, errX := strconv.Atoi(pa[i])
		y, errY := strconv.Atoi(pb[i])
		if errX != nil || errY != nil {
			return pa[i] < pb[i]
		}
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// versionHelp lists the valid targets and warns on a skipped major.
func (m *optionsModel) versionHelp() string {
	var valid []string
	for _, t := range m.targets {
		valid = append(valid, t.Version)
	}
	list := "AWS offers no upgrade target for " + m.source.Engine + " " + m.source.EngineVersion + "."
	if len(valid) > 0 {
		list = "Valid targets: " + strings.Join(valid, ", ") + "."
	}
	v := m.targetVersion()
	if v == "" {
		return "No change keeps " + m.source.EngineVersion + " (as `rdsbg plan` does). " + list
	}
	msg := list
	if t, ok := m.target(v); ok && t.Major {
		msg = "Major upgrade: no downgrade after switchover. " + msg
	}
	if skipped := m.skippedMajors(v); len(skipped) > 0 {
		msg = "Skips major " + strings.Join(skipped, ", ") + ": test the application on " + v + " before switching over. " + msg
	}
	return msg
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// options returns the form's values as engine options. Fields that do not
// apply keep the base value (empty unless a flag set it).
func (m *optionsModel) options() contract.Options {
	o := m.base
	o.TargetEngineVersion = m.targetVersion()
	if via := m.value("--upgrade-via"); via != "" {
		o.UpgradeVia = contract.UpgradeVia(via)
	}
	if len(m.source.Proxies) > 0 {
		o.ProxyMode = contract.ProxyMode(m.value("--proxy-mode"))
	}
	if secs, err := strconv.Atoi(m.value("--switchover-timeout")); err == nil {
		o.SwitchoverTimeout = time.Duration(secs) * time.Second
	}
	if c := m.value("--cleanup"); c != "" {
		o.Cleanup = contract.Cleanup(c)
	}
	o.DeploymentName = m.value("--blue-green-deployment-name")
	o.TargetDBParameterGroupName = m.value("--target-db-parameter-group-name")
	if m.source.Kind == contract.KindCluster {
		o.TargetDBClusterParameterGroupName = m.value("--target-db-cluster-parameter-group-name")
		o.TargetDBInstanceClass = ""
		o.UpgradeTargetStorageConfig = false
	} else {
		o.TargetDBClusterParameterGroupName = ""
		o.TargetDBInstanceClass = m.value("--target-db-instance-class")
		o.UpgradeTargetStorageConfig = m.value("--upgrade-target-storage-config") == "yes"
	}
	return o
}

// refuse shows err beside the field it names and puts the cursor there;
// an error that names no field of the form stays under the form.
func (m *optionsModel) refuse(err error) {
	m.invalid, m.invalidText = nil, err.Error()
	var in *contract.InputError
	if errors.As(err, &in) {
		for i, f := range m.visible() {
			if f.flag == in.Input {
				m.invalid, m.cursor = f, i
				m.focus()
				return
			}
		}
	}
}

// typing is true on a text field, where letters are text.
func (m *optionsModel) typing() bool {
	f := m.current()
	return !m.loading && f != nil && len(f.choices) == 0
}

func (m *optionsModel) move(d int) {
	m.cursor = min(max(m.cursor+d, 0), len(m.visible()))
	m.focus()
}

func (m *optionsModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case targetsLoadedMsg:
		m.loading, m.err = false, msg.err
		m.groups, m.groupsErr = msg.groups, msg.groupsErr
		m.build(msg.targets)
	case tea.KeyPressMsg:
		if msg.String() == "esc" {
			// Back to the source list: nothing has been sent to AWS.
			return func() tea.Msg { return optionsBackMsg{} }
		}
		if m.loading {
			return nil
		}
		f := m.current()
		switch msg.String() {
		case "up", "shift+tab":
			m.move(-1)
			return nil
		case "down", "tab":
			m.move(1)
			return nil
		case "enter":
			if f != nil {
				m.move(1)
				return nil
			}
			opts := m.options()
			// The same checks the engine makes first (pure, no AWS call):
			// a typo stays on the form, next to its field.
			if err := contract.ValidateOptions(opts.WithDefaults()); err != nil {
				m.refuse(err)
				return nil
			}
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
				m.move(-1)
			case key.Matches(msg, m.Keys.Down):
				m.move(1)
			}
			if f.flag == "--target-engine-version" {
				m.refreshGroups() // the family follows the version
			}
			// A choice can hide or show the fields after it; keep the
			// cursor on the field it was on.
			for i, v := range m.visible() {
				if v == f {
					m.cursor = i
				}
			}
			return nil
		}
		// Text fields: textinput handles runes, backspace (whole
		// characters), cursor keys and word deletion.
		f.input, _ = f.input.Update(msg)
		if f == m.invalid {
			m.invalid, m.invalidText = nil, ""
		}
	}
	return nil
}

func (m *optionsModel) view() string {
	st := m.Styles
	w := m.contentWidth()
	var b strings.Builder
	b.WriteString(st.Heading.Render(fmt.Sprintf("Options for %s (%s %s)", m.source.ID, m.source.Engine, m.source.EngineVersion)) + "\n\n")
	if m.loading {
		return b.String() + spinnerFrame(0) + " Reading the valid upgrade targets…"
	}
	if m.err != nil {
		b.WriteString(st.Warn.Render(wrap(w, "Could not read upgrade targets: "+m.err.Error())) + "\n\n")
	}
	vis := m.visible()
	labelW := 0
	for _, f := range vis {
		labelW = max(labelW, len(f.label))
	}
	for i, f := range vis {
		cur := "  "
		label := fmt.Sprintf("%-*s", labelW, f.label)
		var val string
		if len(f.choices) > 0 {
			val = "‹ " + f.choices[f.index] + " ›"
			if f.flag == "--target-engine-version" {
				if t, ok := m.target(f.value()); ok && t.Major {
					val += "  " + st.Warn.Render("major")
				}
				if len(m.skippedMajors(f.value())) > 0 && m.targetVersion() != "" {
					val += st.Warn.Render(", skips a major")
				}
			}
		} else {
			f.input.SetWidth(max(w-labelW-6, 10))
			val = f.input.View()
		}
		if i == m.cursor {
			cur = st.Selected.Render("› ")
			label = st.Selected.Render(label)
		}
		b.WriteString(truncate(cur+label+"  "+val, w) + "\n")
		if f == m.invalid {
			b.WriteString(st.Bad.Render(indent(wrap(w-labelW-4, m.invalidText), labelW+4)) + "\n")
		}
	}
	if m.invalid == nil && m.invalidText != "" {
		b.WriteString(st.Bad.Render(wrap(w, m.invalidText)) + "\n")
	}
	b.WriteString("\n")
	next := "  Continue to preflight checks (read-only)"
	if m.cursor == len(vis) {
		next = st.Selected.Render("› Continue to preflight checks (read-only)")
	}
	b.WriteString(next + "\n\n")
	if f := m.current(); f != nil && f.help != nil {
		b.WriteString(indent(wrap(w-2, f.help(m)), 2) + "\n\n")
	} else if f == nil {
		b.WriteString(indent(wrap(w-2, "Enter runs the read-only checks and builds the plan; nothing changes until you approve the plan."), 2) + "\n\n")
	}
	b.WriteString(st.Muted.Render(wrap(w, "Same choices as flags: "+m.flagLine())))
	return b.String()
}

// flagLine is the command line that reproduces the form headless.
func (m *optionsModel) flagLine() string {
	parts := []string{"--source " + m.source.ID}
	for _, f := range m.visible() {
		v := strings.TrimSpace(f.value())
		switch {
		case v == "" || v == m.noChange():
			continue
		case f.flag == "--upgrade-target-storage-config":
			if v == "yes" {
				parts = append(parts, f.flag)
			}
			continue
		}
		parts = append(parts, f.flag+" "+v)
	}
	parts = append(parts, storageFlagParts(m.base)...) // options_groups.go: not in the form, carried
	return strings.Join(parts, " ")
}

func (m *optionsModel) ShortHelp() []key.Binding {
	next := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next / continue"))
	back := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	if m.typing() {
		return []key.Binding{
			key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
			key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous")),
			next, back}
	}
	return []key.Binding{m.Keys.Up, m.Keys.Down,
		key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "change")), next, back, m.Keys.Help}
}

func (m *optionsModel) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp(), {m.Keys.Quit, m.Keys.API}}
}
