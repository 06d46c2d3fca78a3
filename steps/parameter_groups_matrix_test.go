package steps

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// Every combination of target version, --upgrade-via and target parameter
// groups either reaches ready with green on the requested groups, or is
// refused by preflight (exit 3, nothing changed) naming the flag and both
// families: never a run that AWS refuses after it has changed something
// (rds-facts §1.12, §1.13: with --upgrade-via modify green is created on
// blue's version, and a group of the new family belongs to the modify
// call). A spread sample by default, all with RDSBG_LONG=1.
func TestTargetParameterGroupsPreflightAgreesWithAWS(t *testing.T) {
	type cell struct {
		scenario, source, version string
		via                       contract.UpgradeVia
		group, clusterGroup       string
	}
	var cells []cell
	for _, version := range []string{"", "8.0.41", "8.4.3"} {
		for _, via := range []contract.UpgradeVia{contract.UpgradeViaCreate, contract.UpgradeViaModify} {
			if version == "" && via == contract.UpgradeViaModify {
				continue // a usage error (exit 2): nothing to upgrade green to
			}
			for _, g := range []string{"", "shop-mysql80", "shop-mysql84"} {
				cells = append(cells, cell{sim.ScenarioRDSMySQLNative, "shop-db", version, via, g, ""})
			}
		}
	}
	for _, version := range []string{"", "16.4"} {
		for _, via := range []contract.UpgradeVia{contract.UpgradeViaCreate, contract.UpgradeViaModify} {
			if version == "" && via == contract.UpgradeViaModify {
				continue
			}
			for _, g := range []string{"", "ledger-apg15", "ledger-apg16"} {
				for _, cg := range []string{"", "ledger-apg15-cluster", "ledger-apg16-cluster"} {
					cells = append(cells, cell{sim.ScenarioAuroraPostgres, "ledger-cluster", version, via, g, cg})
				}
			}
		}
	}
	if !longMatrices() {
		// The cells the bug lived in, then an even spread of the rest.
		cells = append([]cell{
			{sim.ScenarioRDSMySQLNative, "shop-db", "8.4.3", contract.UpgradeViaModify, "shop-mysql84", ""},
			{sim.ScenarioRDSMySQLNative, "shop-db", "8.4.3", contract.UpgradeViaModify, "shop-mysql80", ""},
			{sim.ScenarioAuroraPostgres, "ledger-cluster", "16.4", contract.UpgradeViaModify, "ledger-apg16", "ledger-apg16-cluster"},
		}, spread(cells, 7)...)
	}
	none := func(s string) string {
		if s == "" {
			return "none"
		}
		return s
	}
	for _, c := range cells {
		name := fmt.Sprintf("%s/%s/via-%s/%s/%s", c.source, none(c.version), c.via, none(c.group), none(c.clusterGroup))
		t.Run(name, func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: c.scenario})
			mode := contract.ProxyModeDetach // ledger-cluster's account has no native proxy support
			if c.scenario == sim.ScenarioRDSMySQLNative {
				mode = contract.ProxyModeNative
			}
			o := contract.Options{Source: c.source, ProxyMode: mode, TargetEngineVersion: c.version, UpgradeVia: c.via,
				TargetDBParameterGroupName: c.group, TargetDBClusterParameterGroupName: c.clusterGroup}
			f, err := env.engineWith(t, o, env.approver, contract.UntilReady).Run(context.Background())
			switch {
			case f.Outcome == contract.OutcomeBlocked && f.ExitCode == contract.ExitPreflight:
				if n := len(env.sim.Mutations()); n != 0 {
					t.Errorf("refused by preflight after %d changes: %+v", n, env.sim.Mutations())
				}
				row := failingRow(env.events, preflight.CheckTargetParameterGroup)
				if row == "" {
					t.Fatalf("blocked, but not by the parameter groups' check: %v", err)
				}
				flag := "--target-db-parameter-group-name"
				if c.group == "" || strings.Contains(row, "--target-db-cluster-parameter-group-name") {
					flag = "--target-db-cluster-parameter-group-name"
				}
				if !strings.Contains(row, flag) || strings.Count(row, "family") < 2 {
					t.Errorf("the refusal names neither the flag %s nor both families: %s", flag, row)
				}
			case f.Outcome == contract.OutcomeReady:
				env.assertGreenGroups(t, c.source, c.group, c.clusterGroup)
			default:
				t.Fatalf("AWS refused what preflight passed: %s exit %d: %v", f.Outcome, f.ExitCode, err)
			}
		})
	}
}

// failingRow is the message and fix of the failing preflight row id, "".
func failingRow(events *eventLog, id string) string {
	for _, ev := range events.ofType(contract.EventPreflight) {
		for _, c := range ev.Checks {
			if c.ID == id && c.Status == contract.CheckFail {
				return c.Explanation + " / " + c.Remediation
			}
		}
	}
	return ""
}

// assertGreenGroups checks green's parameter groups against the flags.
func (e *engineEnv) assertGreenGroups(t *testing.T, source, group, clusterGroup string) {
	t.Helper()
	deps, err := e.api.ListDeployments(context.Background(), "")
	if err != nil || len(deps) != 1 {
		t.Fatalf("deployments %+v %v", deps, err)
	}
	for _, m := range deps[0].Members {
		id := contract.ARNName(m.Target)
		switch {
		case strings.Contains(m.Target, ":cluster:") && clusterGroup != "":
			c, err := e.api.DescribeCluster(context.Background(), id)
			if err != nil || c.ParameterGroup != clusterGroup {
				t.Errorf("green cluster %s on %q (%v), want %s", id, c.ParameterGroup, err, clusterGroup)
			}
		case strings.Contains(m.Target, ":db:") && group != "":
			i, err := e.api.DescribeInstance(context.Background(), id)
			if err != nil || len(i.ParameterGroups) == 0 || i.ParameterGroups[0].Name != group {
				t.Errorf("green instance %s on %+v (%v), want %s", id, i.ParameterGroups, err, group)
			}
		}
	}
}
