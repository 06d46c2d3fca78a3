package ui

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// optionsOnSim opens the options form for source against the simulator,
// through the real backend (DescribeDBEngineVersions, then
// DescribeDBParameterGroups / DescribeDBClusterParameterGroups).
func optionsOnSim(t *testing.T, scenario, source string) *harness {
	t.Helper()
	cfg := simConfig(t, scenario)
	cfg.Options = contract.Options{Source: source}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	if h.w.phase != phaseOptions || h.w.options.loading {
		t.Fatalf("options screen not ready:\n%s", h.view())
	}
	return h
}

// toField moves the cursor to the field of flag.
func toField(t *testing.T, h *harness, flag string) *optionField {
	t.Helper()
	m := h.w.options
	for m.cursor > 0 {
		h.keys("shift+tab")
	}
	for range len(m.fields) + 1 {
		if f := m.current(); f != nil && f.flag == flag {
			return f
		}
		h.keys("tab")
	}
	t.Fatalf("no field %s:\n%s", flag, h.view())
	return nil
}

func TestOptionsPickParameterGroupOfTheTargetFamily(t *testing.T) {
	h := optionsOnSim(t, sim.ScenarioRDSPostgresNative, "orders-db")
	m := h.w.options
	pg := toField(t, h, flagGroup)
	if strings.Join(pg.choices, " ") != "(empty) default.postgres15 orders-pg15" {
		t.Fatalf("no upgrade: choices %v, want the postgres15 groups", pg.choices)
	}
	h.mustShow("‹ (empty) ›", "one of the 2 groups of family postgres15", "Empty: each green instance keeps the parameter group of its blue instance.")

	// A major target: the choices become the new family's groups, and
	// the help line states what AWS does when left empty.
	h.keys("shift+tab")
	for m.current().flag != "--target-engine-version" {
		h.keys("shift+tab")
	}
	for m.targetVersion() != "16.4" {
		h.keys("right")
	}
	pg = toField(t, h, flagGroup)
	if strings.Join(pg.choices, " ") != "(empty) default.postgres16 orders-pg16" {
		t.Fatalf("16.4: choices %v, want the postgres16 groups", pg.choices)
	}
	want := preflight.EmptyGroupMeaning(false, true, "postgres16")
	if !strings.Contains(want, "default.postgres16") {
		t.Fatalf("meaning %q does not name the default group", want)
	}
	h.mustShow("one of the 2 groups of family postgres16")
	if !strings.Contains(strings.Join(strings.Fields(h.view()), " "), want) {
		t.Errorf("help line lacks %q:\n%s", want, h.view())
	}
	h.keys("right", "right")
	if got := m.options().TargetDBParameterGroupName; got != "orders-pg16" {
		t.Errorf("picked %q, want orders-pg16", got)
	}
	if !strings.Contains(m.flagLine(), "--target-db-parameter-group-name orders-pg16") {
		t.Errorf("flag line %q", m.flagLine())
	}
	h.keys("right") // wraps to (empty)
	if got := m.options().TargetDBParameterGroupName; got != "" || strings.Contains(m.flagLine(), "parameter-group") {
		t.Errorf("(empty) sent %q / flag line %q", got, m.flagLine())
	}
}

// The preflight warning and the form say the same about an empty group.
func TestPreflightAndFormAgreeOnAnEmptyGroup(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	d, err := preflight.Discover(t.Context(), onBackend(cfg, steps.Config{}).API, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	o := contract.Options{Source: "orders-db", TargetEngineVersion: "16.4"}.WithDefaultsAt(t0)
	up, err := preflight.ResolveUpgrade(t.Context(), onBackend(cfg, steps.Config{}).API, d, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range preflight.Preflight(t.Context(), onBackend(cfg, steps.Config{}).API, d, o, up) {
		if c.ID == preflight.CheckTargetParameterGroup {
			core := strings.TrimPrefix(preflight.EmptyGroupMeaning(false, true, ""), "Empty: ")
			if c.Status != contract.CheckWarn || !strings.Contains(c.Explanation, core) {
				t.Fatalf("preflight %s %q, want a warning saying %q", c.Status, c.Explanation, core)
			}
			return
		}
	}
	t.Fatal("no target-parameter-group check")
}

func TestOptionsPickClusterParameterGroup(t *testing.T) {
	h := optionsOnSim(t, sim.ScenarioAuroraPostgres, "ledger-cluster")
	cpg := toField(t, h, flagClusterGroup)
	if strings.Join(cpg.choices, " ") != "(empty) default.aurora-postgresql15 ledger-apg15-cluster" {
		t.Fatalf("cluster choices %v", cpg.choices)
	}
	h.mustShow("Empty: the green cluster keeps blue's DB cluster parameter group.")
	pg := toField(t, h, flagGroup)
	if strings.Join(pg.choices, " ") != "(empty) default.aurora-postgresql15 ledger-apg15" {
		t.Fatalf("instance choices %v", pg.choices)
	}
}

// A group given by flag stays selected even outside the family, and the
// help line says AWS would refuse it; without a catalogue the fields take
// typed names.
func TestOptionsForeignGroupAndTypedFallback(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresNative)
	cfg.Options = contract.Options{Source: "orders-db", TargetDBParameterGroupName: "orders-pg16"}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	pg := toField(t, h, flagGroup)
	if pg.value() != "orders-pg16" {
		t.Fatalf("flag's group lost: %q of %v", pg.value(), pg.choices)
	}
	h.mustShow("orders-pg16 is not of family postgres15: AWS would refuse it.")

	typed := optionsHarness(t, 100, 40, preflight.SourceSummary{Kind: contract.KindInstance, ID: "orders-db", Engine: "postgres", EngineVersion: "15.7"})
	typed.w.options.groups = nil
	typed.w.options.build(typed.w.options.targets)
	f := toField(t, typed, flagGroup)
	if len(f.choices) != 0 {
		t.Fatalf("without a catalogue the field should take a typed name: %v", f.choices)
	}
}
