package steps

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

var updateGoldens = flag.Bool("update", false, "rewrite the golden files under testdata/")

func stepIDs(p contract.Plan) []contract.StepID {
	var ids []contract.StepID
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	return ids
}

func mustPlan(t *testing.T, d preflight.Discovery, o contract.Options, up *awsclient.UpgradeTarget) contract.Plan {
	t.Helper()
	p, err := BuildPlan(d, o, up, planTime)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var pg16Major = &awsclient.UpgradeTarget{Engine: "postgres", Version: "16.4", Major: true}

func TestBuildPlanDetachRegimeRunsTheSevenStepProcedure(t *testing.T) {
	p := mustPlan(t, fixtureRDSPostgres(), contract.Options{ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", UpgradeVia: contract.UpgradeViaModify}, pg16Major)
	want := []contract.StepID{contract.StepPreflight, contract.StepDetachProxy, contract.StepCreateDeployment, contract.StepAttachProxyBlue, contract.StepProvisionGreen, contract.StepUpgradeGreen, contract.StepReadyCheck,
		contract.StepDetachProxyBlue, contract.StepSwitchover, contract.StepAttachProxyPrimary, contract.StepVerify, contract.StepCleanup}
	if got := stepIDs(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	if p.Regime != contract.RegimeDetach || !p.MajorUpgrade || p.ProxylessNote == "" {
		t.Errorf("regime %s major %v note %q", p.Regime, p.MajorUpgrade, p.ProxylessNote)
	}
	severity := map[contract.StepID]contract.Severity{
		contract.StepPreflight: contract.SeverityReadOnly, contract.StepDetachProxy: contract.SeveritySevere, contract.StepCreateDeployment: contract.SeverityReversible,
		contract.StepAttachProxyBlue: contract.SeverityReversible, contract.StepProvisionGreen: contract.SeverityReadOnly, contract.StepUpgradeGreen: contract.SeverityReversible, contract.StepReadyCheck: contract.SeverityReadOnly,
		contract.StepDetachProxyBlue: contract.SeveritySevere, contract.StepSwitchover: contract.SeveritySevere, contract.StepAttachProxyPrimary: contract.SeveritySevere,
		contract.StepVerify: contract.SeverityReadOnly, contract.StepCleanup: contract.SeverityReversible,
	}
	for _, s := range p.Steps {
		if s.Severity != severity[s.ID] {
			t.Errorf("%s severity %s, want %s", s.ID, s.Severity, severity[s.ID])
		}
		critical := s.ID == contract.StepDetachProxyBlue || s.ID == contract.StepSwitchover || s.ID == contract.StepAttachProxyPrimary
		if s.Critical != critical || s.CheckOnly {
			t.Errorf("%s critical=%v checkOnly=%v", s.ID, s.Critical, s.CheckOnly)
		}
		if s.Title == "" || s.Why == "" || s.Effect == "" || len(s.CLI) == 0 {
			t.Errorf("%s lacks title, why, effect or CLI: %+v", s.ID, s)
		}
	}
	create, _ := p.Step(contract.StepCreateDeployment)
	if strings.Contains(strings.Join(create.CLI, "\n"), "--target-engine-version") {
		t.Errorf("upgrade via modify must not ask for the version at creation: %v", create.CLI)
	}
	// create-deployment is the call alone; provision-green is the wait.
	if cli := strings.Join(create.CLI, "\n"); strings.Contains(cli, "until AVAILABLE") || !strings.Contains(cli, "create-blue-green-deployment") {
		t.Errorf("create-deployment CLI must be the create call alone: %s", cli)
	}
	if pg, _ := p.Step(contract.StepProvisionGreen); !strings.Contains(strings.Join(pg.CLI, "\n"), "describe-blue-green-deployments") || !strings.Contains(strings.Join(pg.CLI, "\n"), "until AVAILABLE") {
		t.Errorf("provision-green CLI must wait for AVAILABLE: %v", pg.CLI)
	}
	// The severe detach-proxy states the outage as a range with its source.
	detach, _ := p.Step(contract.StepDetachProxy)
	for _, want := range []string{"EMPTY", "5–7 min on AWS", "measured twice", "--max-proxy-outage 10m0s"} {
		if !strings.Contains(detach.Effect, want) {
			t.Errorf("detach-proxy effect lacks %q: %s", want, detach.Effect)
		}
	}
	if strings.Contains(p.ProxylessNote, "whole deployment creation") || !strings.Contains(p.ProxylessNote, "5–7 min on AWS") {
		t.Errorf("proxy-less note still describes the old order or lacks the range: %s", p.ProxylessNote)
	}
	upgrade, _ := p.Step(contract.StepUpgradeGreen)
	if cli := strings.Join(upgrade.CLI, "\n"); !strings.Contains(cli, "modify-db-instance") || !strings.Contains(cli, "--allow-major-version-upgrade") || !strings.Contains(cli, "--engine-version 16.4") {
		t.Errorf("upgrade-green CLI: %s", cli)
	}
}

func TestBuildPlanNativeRegimeTurnsProxyStepsIntoChecks(t *testing.T) {
	p := mustPlan(t, fixtureRDSPostgres(), contract.Options{TargetEngineVersion: "16.4"}, pg16Major)
	want := []contract.StepID{contract.StepPreflight, contract.StepDetachProxy, contract.StepCreateDeployment, contract.StepAttachProxyBlue, contract.StepProvisionGreen, contract.StepReadyCheck,
		contract.StepDetachProxyBlue, contract.StepSwitchover, contract.StepAttachProxyPrimary, contract.StepVerify, contract.StepCleanup}
	if got := stepIDs(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	for _, s := range p.Steps {
		proxyStep := s.ID == contract.StepDetachProxy || s.ID == contract.StepAttachProxyBlue || s.ID == contract.StepDetachProxyBlue || s.ID == contract.StepAttachProxyPrimary
		if s.CheckOnly != proxyStep {
			t.Errorf("%s CheckOnly=%v", s.ID, s.CheckOnly)
		}
		if proxyStep && (s.Severity != contract.SeverityReadOnly || strings.Contains(strings.Join(s.CLI, " "), "register-db-proxy-targets")) {
			t.Errorf("%s must only read: %s %v", s.ID, s.Severity, s.CLI)
		}
		if s.Critical {
			t.Errorf("%s: native has no proxy-less window, so no critical section", s.ID)
		}
	}
	create, _ := p.Step(contract.StepCreateDeployment)
	if !strings.Contains(strings.Join(create.CLI, " "), "--target-engine-version 16.4") {
		t.Errorf("upgrade via create must pass the version: %v", create.CLI)
	}
	if sw, _ := p.Step(contract.StepSwitchover); sw.Severity != contract.SeveritySevere {
		t.Errorf("switchover is severe in every regime")
	}
}

func TestBuildPlanNoProxyIsPlainBlueGreen(t *testing.T) {
	p := mustPlan(t, fixtureMariaDBNoProxy(), contract.Options{Cleanup: contract.CleanupOldBlue}, nil)
	want := []contract.StepID{contract.StepPreflight, contract.StepCreateDeployment, contract.StepProvisionGreen, contract.StepReadyCheck, contract.StepSwitchover, contract.StepVerify, contract.StepCleanup}
	if got := stepIDs(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	cleanup, _ := p.Step(contract.StepCleanup)
	cli := strings.Join(cleanup.CLI, "\n")
	if cleanup.Severity != contract.SeveritySevere || !strings.Contains(cli, "delete-db-instance") || !strings.Contains(cli, "--final-db-snapshot-identifier") {
		t.Errorf("old-blue cleanup must be severe and keep a final snapshot: %s %s", cleanup.Severity, cli)
	}
	if strings.Index(cli, "OLD=") > strings.Index(cli, "delete-blue-green-deployment") {
		t.Errorf("old blue's name must be read before the deployment is deleted:\n%s", cli)
	}
	if strings.Contains(cli, "--no-deletion-protection") {
		t.Errorf("catalog-db has no deletion protection to lift:\n%s", cli)
	}
}

func TestBuildPlanCleanupNoneHasNoCleanupStep(t *testing.T) {
	p := mustPlan(t, fixtureMariaDBNoProxy(), contract.Options{Cleanup: contract.CleanupNone}, nil)
	if _, ok := p.Step(contract.StepCleanup); ok {
		t.Errorf("cleanup none must leave the cleanup step out: %v", stepIDs(p))
	}
}

func TestBuildPlanEveryAWSCommandNamesTheRegion(t *testing.T) {
	for _, d := range []preflight.Discovery{fixtureRDSPostgres(), fixtureAuroraGlobal(), fixtureMariaDBNoProxy()} {
		p := mustPlan(t, d, contract.Options{Cleanup: contract.CleanupOldBlue}, nil)
		for _, s := range p.Steps {
			for _, line := range s.CLI {
				if strings.Contains(line, "aws rds ") && !strings.Contains(line, "--region us-east-1") {
					t.Errorf("%s: %s", s.ID, line)
				}
			}
		}
	}
}

func TestBuildPlanAuroraUsesClusterCommands(t *testing.T) {
	p := mustPlan(t, fixtureAuroraGlobal(), contract.Options{Cleanup: contract.CleanupOldBlue}, nil)
	if p.Regime != contract.RegimeDetach {
		t.Fatalf("global cluster must detach, got %s", p.Regime)
	}
	detach, _ := p.Step(contract.StepDetachProxy)
	if last := detach.CLI[len(detach.CLI)-1]; !strings.Contains(last, "deregister-db-proxy-targets") || !strings.Contains(last, "--db-cluster-identifiers payments-cluster") {
		t.Errorf("detach CLI: %v", detach.CLI)
	}
	cleanup, _ := p.Step(contract.StepCleanup)
	cli := strings.Join(cleanup.CLI, "\n")
	for _, want := range []string{"delete-db-instance --region us-east-1 --db-instance-identifier payments-instance-2-old1", "delete-db-cluster", "--no-deletion-protection"} {
		if !strings.Contains(cli, want) {
			t.Errorf("cleanup lacks %q:\n%s", want, cli)
		}
	}
}

func TestBuildPlanRefusesWhatTheSourceMakesImpossible(t *testing.T) {
	cases := []struct {
		name  string
		d     preflight.Discovery
		o     contract.Options
		input string
	}{
		{"cluster group on an instance", fixtureRDSPostgres(), contract.Options{TargetDBClusterParameterGroupName: "ledger-apg16-cluster"}, "--target-db-cluster-parameter-group-name"},
		{"instance class on a cluster", fixtureAuroraGlobal(), contract.Options{TargetDBInstanceClass: "db.r6g.large"}, "--target-db-instance-class"},
		{"native on a global cluster", fixtureAuroraGlobal(), contract.Options{ProxyMode: contract.ProxyModeNative}, "--proxy-mode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := BuildPlan(c.d, c.o, nil, planTime)
			var in *contract.InputError
			if !errors.As(err, &in) || in.Input != c.input || in.ExitCode != contract.ExitUsage {
				t.Fatalf("want exit-2 InputError for %s, got %v", c.input, err)
			}
		})
	}
}

func TestBuildPlanAdoptsItsOwnDeployment(t *testing.T) {
	d := fixtureRDSPostgres()
	d.Deployments = []awsclient.Deployment{{ID: "bgd-abcdefghij012345", Name: "rdsbg-orders-db-20261120", Source: d.Source.ARN, Status: "AVAILABLE"}}
	p := mustPlan(t, d, contract.Options{DeploymentName: "rdsbg-orders-db-20261120"}, nil)
	if p.Deployment != "bgd-abcdefghij012345" {
		t.Fatalf("adopted %q", p.Deployment)
	}
	create, _ := p.Step(contract.StepCreateDeployment)
	cli := strings.Join(create.CLI, "\n")
	if strings.Contains(cli, "create-blue-green-deployment") || !strings.Contains(cli, "BGD=bgd-abcdefghij012345") {
		t.Errorf("an adopted deployment is not created again:\n%s", cli)
	}
	other := mustPlan(t, d, contract.Options{}, nil)
	if other.Deployment != "" {
		t.Errorf("a deployment with another name must not be adopted: %q", other.Deployment)
	}
}

func TestBuildPlanIsPureAndMarshals(t *testing.T) {
	d := fixtureRDSPostgres()
	a := mustPlan(t, d, contract.Options{ProxyMode: contract.ProxyModeDetach}, nil)
	b := mustPlan(t, d, contract.Options{ProxyMode: contract.ProxyModeDetach}, nil)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same inputs gave different plans")
	}
	raw, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var back contract.Plan
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Steps, a.Steps) || back.Regime != a.Regime || back.Options != a.Options || !back.GeneratedAt.Equal(a.GeneratedAt) {
		t.Errorf("plan does not survive JSON:\n%s", raw)
	}
	for _, key := range []string{`"regime": "detach"`, `"id": "detach-proxy-blue"`, `"critical": true`, `"switchover_timeout_ns": 300000000000`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestChooseUpgradeVia(t *testing.T) {
	d := fixtureRDSPostgres()
	d.Source.Engine = "mysql"
	major := &awsclient.UpgradeTarget{Version: "8.4.3", Major: true}
	if got := preflight.ChooseUpgradeVia(d, major); got != contract.UpgradeViaCreate {
		t.Errorf("default option group: %s", got)
	}
	inst := *d.Instance
	inst.OptionGroups = []string{"shop-options"}
	d.Instance = &inst
	if got := preflight.ChooseUpgradeVia(d, major); got != contract.UpgradeViaModify {
		t.Errorf("custom option group + major: %s", got)
	}
	if got := preflight.ChooseUpgradeVia(d, &awsclient.UpgradeTarget{Version: "8.0.40"}); got != contract.UpgradeViaCreate {
		t.Errorf("minor: %s", got)
	}
}

func TestBuildPlanPicksUpgradeViaFromTheRules(t *testing.T) {
	d := fixtureRDSPostgres()
	d.Source.Engine = "mysql"
	inst := *d.Instance
	inst.Engine, inst.OptionGroups = "mysql", []string{"shop-options"}
	d.Instance = &inst
	major := &awsclient.UpgradeTarget{Engine: "mysql", Version: "8.4.3", Major: true}
	p := mustPlan(t, d, contract.Options{TargetEngineVersion: "8.4.3"}, major)
	if p.Options.UpgradeVia != contract.UpgradeViaModify {
		t.Fatalf("custom option group + major: upgrade via %q", p.Options.UpgradeVia)
	}
	if _, ok := p.Step(contract.StepUpgradeGreen); !ok {
		t.Errorf("upgrade via modify needs the upgrade-green step: %v", stepIDs(p))
	}
	explicit := mustPlan(t, d, contract.Options{TargetEngineVersion: "8.4.3", UpgradeVia: contract.UpgradeViaCreate}, major)
	if explicit.Options.UpgradeVia != contract.UpgradeViaCreate {
		t.Errorf("an explicit --upgrade-via is kept (preflight refuses it): %q", explicit.Options.UpgradeVia)
	}
	plain := mustPlan(t, fixtureRDSPostgres(), contract.Options{TargetEngineVersion: "16.4"}, pg16Major)
	if plain.Options.UpgradeVia != contract.UpgradeViaCreate {
		t.Errorf("postgres: %q", plain.Options.UpgradeVia)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGoldens {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./steps -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; run with -update and review the diff.\ngot:\n%s", name, got)
	}
}

// internalCitations are the names of the team's own notes and of the
// write-ups it tagged, which operator text must not cite.
var internalCitations = []string{"rds-facts", "CNLAB", "SHINYAZ", "design.md", "§"}

func TestRenderGoldens(t *testing.T) {
	cases := []struct {
		name string
		d    preflight.Discovery
		o    contract.Options
		up   *awsclient.UpgradeTarget
	}{
		{"detach-postgres-upgrade", fixtureRDSPostgres(), contract.Options{ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", UpgradeVia: contract.UpgradeViaModify, Cleanup: contract.CleanupOldBlue, SwitchoverTimeout: 600 * time.Second}, pg16Major},
		{"native-postgres", fixtureRDSPostgres(), contract.Options{TargetEngineVersion: "16.4", TargetDBParameterGroupName: "orders-pg16"}, pg16Major},
		{"none-mariadb", fixtureMariaDBNoProxy(), contract.Options{}, nil},
		{"aurora-global", fixtureAuroraGlobal(), contract.Options{Cleanup: contract.CleanupNone}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustPlan(t, c.d, c.o, c.up)
			text := contract.RenderText(p)
			md := RenderMarkdown(p)
			golden(t, c.name+".txt", text)
			golden(t, c.name+".md", md)
			for _, s := range p.Steps {
				if !strings.Contains(text, string(s.ID)) || !strings.Contains(md, "(`"+string(s.ID)+"`)") {
					t.Errorf("step %s missing from a rendering", s.ID)
				}
			}
			want := len(p.Steps)
			if p.Fallback != nil {
				want += len(p.Fallback.Steps)
				// Issue 21 item 5 (walkthrough D4): a change ticket never
				// says "no outage" where one may come.
				for _, out := range []string{text, md} {
					if !strings.Contains(out, "If AWS refuses the native regime") || !strings.Contains(out, "+2 proxy outage windows") || !strings.Contains(out, "deregister-db-proxy-targets") {
						t.Errorf("the native plan in auto mode does not show the fallback's outage and steps")
					}
				}
			}
			if strings.Count(md, "```sh") != want {
				t.Errorf("every step needs one sh block")
			}
			// Operator text names public sources or none: the team's own
			// notes do not ship (walkthrough D17).
			for _, internal := range internalCitations {
				if strings.Contains(text, internal) || strings.Contains(md, internal) {
					t.Errorf("the plan cites %q, an internal document", internal)
				}
			}
		})
	}
}

// TestRunbookIsValidShell parses (sh -n, nothing runs) every sh block of
// the runbooks, so a quoting mistake cannot reach an operator's terminal.
func TestRunbookIsValidShell(t *testing.T) {
	shell, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh on this machine: the runbook cannot be checked: %v", err)
	}
	d := fixtureRDSPostgres()
	d.Proxies[0].Proxy = "it's-a-proxy" // forces quoting
	for _, p := range []contract.Plan{
		mustPlan(t, d, contract.Options{ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", UpgradeVia: contract.UpgradeViaModify, Cleanup: contract.CleanupOldBlue}, pg16Major),
		mustPlan(t, fixtureAuroraGlobal(), contract.Options{Cleanup: contract.CleanupOldBlue, TargetEngineVersion: "8.0.mysql_aurora.3.08.0", UpgradeVia: contract.UpgradeViaModify}, &awsclient.UpgradeTarget{Version: "8.0.mysql_aurora.3.08.0"}),
	} {
		var script strings.Builder
		for _, s := range p.Steps {
			for _, line := range s.CLI {
				script.WriteString(line + "\n")
			}
		}
		cmd := exec.Command(shell, "-n")
		cmd.Stdin = strings.NewReader(script.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("runbook for %s is not valid sh: %v\n%s\n%s", p.Source.ID, err, out, script.String())
		}
		if !strings.Contains(script.String(), "'it'\\''s-a-proxy'") && p.Source.ID == "orders-db" {
			t.Errorf("proxy name not quoted:\n%s", script.String())
		}
	}
}
