package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// A custom group of another family was "found" and passed; AWS refuses it
// at creation, after the detach procedure emptied the proxy. Preflight now
// reads its family and blocks before any change.
func TestPreflightCustomGroupOfAnotherFamilyBlocks(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		scenario, source string
		o                contract.Options
		status           contract.CheckStatus
		mention          string
	}{
		{sim.ScenarioRDSPostgresNative, "orders-db", contract.Options{TargetEngineVersion: "16.4", TargetDBParameterGroupName: "orders-pg15"}, contract.CheckFail, "--target-db-parameter-group-name orders-pg15 is of family postgres15, but green needs family postgres16"},
		{sim.ScenarioRDSPostgresNative, "orders-db", contract.Options{TargetEngineVersion: "16.4", TargetDBParameterGroupName: "orders-pg16"}, contract.CheckPass, "orders-pg16"},
		{sim.ScenarioAuroraPostgres, "ledger-cluster", contract.Options{TargetDBClusterParameterGroupName: "ledger-apg16-cluster"}, contract.CheckFail, "ledger-apg16-cluster is of family aurora-postgresql16, but green needs family aurora-postgresql15"},
		{sim.ScenarioAuroraPostgres, "ledger-cluster", contract.Options{TargetDBClusterParameterGroupName: "ledger-apg15-cluster", TargetDBParameterGroupName: "ledger-apg15"}, contract.CheckPass, "ledger-apg15"},
	} {
		env := newSimEnv(t, c.scenario)
		d, err := Discover(ctx, env.api, c.source)
		if err != nil {
			t.Fatal(err)
		}
		o := c.o
		o.Source = c.source
		o = o.WithDefaultsAt(simStart)
		up, err := ResolveUpgrade(ctx, env.api, d, o)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range Preflight(ctx, env.api, d, o, up) {
			if r.ID == CheckTargetParameterGroup {
				found = true
				if r.Status != c.status || !strings.Contains(r.Explanation, c.mention) {
					t.Errorf("%s %+v: %s %q, want %s naming %q", c.source, c.o, r.Status, r.Explanation, c.status, c.mention)
				}
			}
		}
		if !found {
			t.Errorf("%s: no %s check", c.source, CheckTargetParameterGroup)
		}
		env.assertNoMutations(t)
	}
}
