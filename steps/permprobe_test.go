package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// Issue 15: a detach run whose role lacks one of the actions that move and
// restore production's proxy stops in preflight, before any change (exit
// 3), naming the permission; the simulator's mutation log stays empty and
// the proxy keeps serving blue.
func TestDetachRunMissingAProxyPermissionStopsBeforeAnyChange(t *testing.T) {
	for _, missing := range []string{"rds:RegisterDBProxyTargets", "rds:DeregisterDBProxyTargets", "rds:AddTagsToResource"} {
		t.Run(missing, func(t *testing.T) {
			c := policyCases[0] // RDS PostgreSQL, legacy, detach
			var allowed []string
			for _, a := range policyFor(t, c).Actions() {
				if a != missing {
					allowed = append(allowed, a)
				}
			}
			env, f, err := runUnder(t, c, allowed)
			if ExitCode(err) != ExitPreflight || f.ExitCode != ExitPreflight || f.Outcome != OutcomeBlocked {
				t.Fatalf("exit %d (%s), want 3 blocked: %v", ExitCode(err), f.Outcome, err)
			}
			if !strings.Contains(err.Error(), missing) {
				t.Errorf("the stop must name %s: %v", missing, err)
			}
			if m := env.sim.Mutations(); len(m) != 0 {
				t.Errorf("the probe changed AWS: %+v", m)
			}
			if f.ProxyState != ProxyOnBlue {
				t.Errorf("proxy %s, want blue", f.ProxyState)
			}
			var row *CheckResult
			for _, ev := range env.events.ofType(EventPreflight) {
				for i := range ev.Checks {
					if ev.Checks[i].ID == CheckPermissions {
						row = &ev.Checks[i]
					}
				}
			}
			if row == nil || row.Status != CheckFail || !strings.Contains(row.Remediation, missing) {
				t.Errorf("preflight row: %+v", row)
			}
		})
	}
}

// With every permission the probe passes, changes nothing, and says so.
func TestPermissionProbePassesAndChangesNothing(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	r, err := env.engine(t, legacyOpts).begin(context.Background(), "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	rows := r.probePermissions(context.Background(), legacyOpts.WithDefaults())
	if len(rows) != 1 || rows[0].Status != CheckPass || !strings.Contains(rows[0].Explanation, "rds:RegisterDBProxyTargets") {
		t.Fatalf("rows: %+v", rows)
	}
	env.assertNoMutations(t)
	// A plan without proxies probes nothing.
	noProxy := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	r2, err := noProxy.engine(t, Options{Source: "catalog-db"}).begin(context.Background(), "catalog-db")
	if err != nil {
		t.Fatal(err)
	}
	defer r2.close()
	if rows := r2.probePermissions(context.Background(), Options{Source: "catalog-db"}.WithDefaults()); len(rows) != 0 {
		t.Errorf("no proxy, yet rows %+v", rows)
	}
}
