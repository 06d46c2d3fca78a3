package ui

import (
	"fmt"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// The parameter-group picker of the options form: green's DB parameter
// group (and, for Aurora, its DB cluster parameter group) is chosen among
// the groups that exist for the family of the version green will run
// (DescribeDBParameterGroups / DescribeDBClusterParameterGroups, read by
// steps.LoadParameterGroupCatalog), or left empty, with what AWS then does
// said in the preflight check's words (steps.EmptyGroupMeaning). When the
// groups could not be listed the fields take typed names, as the flags do.

// emptyGroupChoice is the first choice: no group sent to AWS.
const emptyGroupChoice = "(empty)"

const (
	flagGroup        = "--target-db-parameter-group-name"
	flagClusterGroup = "--target-db-cluster-parameter-group-name"
)

// picking reports whether the group fields are choices.
func (m *optionsModel) picking() bool { return m.groups != nil && m.groupsErr == nil }

// greenVersion is the version green will run.
func (m *optionsModel) greenVersion() string {
	if v := m.targetVersion(); v != "" {
		return v
	}
	return m.source.EngineVersion
}

// families are blue's and green's parameter group families ("" unknown).
func (m *optionsModel) families() (blue, green string) {
	if m.groups == nil {
		return "", ""
	}
	return m.groups.Families[m.source.EngineVersion], m.groups.Families[m.greenVersion()]
}

// familyChanges reports a change of family (a major upgrade), from the
// catalogue, else from the target's IsMajorVersionUpgrade.
func (m *optionsModel) familyChanges() bool {
	if blue, green := m.families(); blue != "" && green != "" {
		return blue != green
	}
	t, ok := m.target(m.targetVersion())
	return ok && t.Major
}

func (m *optionsModel) field(flag string) *optionField {
	for _, f := range m.fields {
		if f.flag == flag {
			return f
		}
	}
	return nil
}

// pickGroups turns the group fields into choices: empty, then the groups
// of green's family. A group given by flag stays selected even when it is
// of another family (the help line and the preflight say so).
func (m *optionsModel) pickGroups() {
	if !m.picking() {
		return
	}
	for _, flag := range []string{flagGroup, flagClusterGroup} {
		if f := m.field(flag); f != nil {
			m.setGroupChoices(f, f.input.Value(), true)
		}
	}
}

// refreshGroups follows a new target version: the choices become the new
// family's groups, the selection kept when it is one of them.
func (m *optionsModel) refreshGroups() {
	if !m.picking() {
		return
	}
	for _, flag := range []string{flagGroup, flagClusterGroup} {
		if f := m.field(flag); f != nil {
			m.setGroupChoices(f, f.value(), false)
		}
	}
}

func (m *optionsModel) setGroupChoices(f *optionField, keep string, keepForeign bool) {
	_, names := m.groups.Groups(m.greenVersion(), f.flag == flagClusterGroup)
	choices := append([]string{emptyGroupChoice}, names...)
	i := indexOf(choices, keep)
	if i < 0 && keep != "" && keepForeign {
		choices = append(choices, keep)
		i = len(choices) - 1
	}
	f.choices, f.index = choices, max(i, 0)
}

// groupsHelp ends a group field's help line: where the choices come from,
// whether the chosen group fits, and what empty means.
func (m *optionsModel) groupsHelp(cluster bool) string {
	_, family := m.families()
	meaning := preflight.EmptyGroupMeaning(cluster, m.familyChanges(), family)
	switch {
	case m.groups == nil:
		return ". " + meaning
	case m.groupsErr != nil:
		return " (type its name: the groups could not be listed: " + m.groupsErr.Error() + "). " + meaning
	}
	flag := flagGroup
	if cluster {
		flag = flagClusterGroup
	}
	_, names := m.groups.Groups(m.greenVersion(), cluster)
	if family == "" {
		return ". The family of " + m.greenVersion() + " is unknown, so no group is offered. " + meaning
	}
	var s string
	switch len(names) {
	case 0:
		s = ": no group of family " + family + " exists in this Region (create one, or leave it empty). "
	case 1:
		s = ": empty, or the one group of family " + family + " in this Region. "
	default:
		s = fmt.Sprintf(": empty, or one of the %d groups of family %s in this Region. ", len(names), family)
	}
	if cur := m.value(flag); cur != "" && indexOf(names, cur) < 0 {
		s += cur + " is not of family " + family + ": AWS would refuse it. "
	}
	return s + meaning
}

// storageFlagParts are the storage flags given on the command line: the
// form has no fields for them, it carries them to the run and names them
// in its flag line, so the headless repeat is the same run.
func storageFlagParts(o contract.Options) []string {
	var parts []string
	for _, fv := range contract.StorageFlagValues(o) {
		parts = append(parts, fv[0]+" "+fv[1])
	}
	return parts
}
