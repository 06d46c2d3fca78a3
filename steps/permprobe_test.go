package steps

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Issue 15: a detach run whose role lacks the action that restores
// production's proxy (or the one that tags it first) stops in preflight,
// before any change (exit 3), naming the permission; the simulator's
// mutation log stays empty and the proxy keeps serving blue.
func TestDetachRunMissingAProxyPermissionStopsBeforeAnyChange(t *testing.T) {
	for _, missing := range []string{"rds:RegisterDBProxyTargets", "rds:AddTagsToResource"} {
		t.Run(missing, func(t *testing.T) {
			c := policyCases[0] // RDS PostgreSQL, legacy, detach
			env, f, err := runUnder(t, c, policyFor(t, c).Without(missing))
			if ExitCode(err) != contract.ExitPreflight || f.ExitCode != contract.ExitPreflight || f.Outcome != contract.OutcomeBlocked {
				t.Fatalf("exit %d (%s), want 3 blocked: %v", ExitCode(err), f.Outcome, err)
			}
			if !strings.Contains(err.Error(), missing) {
				t.Errorf("the stop must name %s: %v", missing, err)
			}
			if m := env.sim.Mutations(); len(m) != 0 {
				t.Errorf("the probe changed AWS: %+v", m)
			}
			if f.ProxyState != contract.ProxyOnBlue {
				t.Errorf("proxy %s, want blue", f.ProxyState)
			}
			var row *contract.CheckResult
			for _, ev := range env.events.ofType(contract.EventPreflight) {
				for i := range ev.Checks {
					if ev.Checks[i].ID == CheckPermissions {
						row = &ev.Checks[i]
					}
				}
			}
			if row == nil || row.Status != contract.CheckFail || !strings.Contains(row.Remediation, missing) {
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
	if len(rows) != 1 || rows[0].Status != contract.CheckPass || !strings.Contains(rows[0].Explanation, "rds:RegisterDBProxyTargets") {
		t.Fatalf("rows: %+v", rows)
	}
	env.assertNoMutations(t)
	for op, n := range env.sim.CallCounts() {
		if op == "DeregisterDBProxyTargets" && n > 0 {
			t.Errorf("the probe called %s", op)
		}
	}
	// A plan without proxies probes nothing.
	noProxy := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	r2, err := noProxy.engine(t, contract.Options{Source: "catalog-db"}).begin(context.Background(), "catalog-db")
	if err != nil {
		t.Fatal(err)
	}
	defer r2.close()
	if rows := r2.probePermissions(context.Background(), contract.Options{Source: "catalog-db"}.WithDefaults()); len(rows) != 0 {
		t.Errorf("no proxy, yet rows %+v", rows)
	}
}

// Without rds:DeregisterDBProxyTargets (not probed) the first
// deregistration is refused: the proxy never stops serving blue, the tag
// written before it is removed, and the run stops naming the permission.
func TestDetachRunMissingDeregisterStopsCleanly(t *testing.T) {
	c := policyCases[0]
	env, f, err := runUnder(t, c, policyFor(t, c).Without("rds:DeregisterDBProxyTargets"))
	if err == nil || !strings.Contains(err.Error(), "rds:DeregisterDBProxyTargets") || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("run: %s proxy %s: %v", f.Outcome, f.ProxyState, err)
	}
	for _, m := range env.sim.Mutations() {
		if m.Operation != "AddTagsToResource" && m.Operation != "RemoveTagsFromResource" {
			t.Errorf("changed more than the tag: %+v", m)
		}
	}
	if _, ok := env.proxyTags(t, "orders-proxy")[contract.TagDetached]; ok {
		t.Error("the tag outlived the refused deregistration")
	}
}

// Issue 23: at an endpoint that accepts a second registration of the same
// DB (moto does; AWS refuses it), the probe reads the proxy back, finds
// the duplicate, removes it and registers the DB once, and reads again:
// the run goes on with exactly one target per proxy, and the row says
// what happened instead of "nothing changed". A full native run then
// completes with one target on the new primary.
func TestPermissionProbeUndoesADuplicateRegistration(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative, Faults: []sim.Fault{{AcceptDuplicateRegistration: true}}})
	o := contract.Options{Source: "orders-db", Cleanup: contract.CleanupDeployment} // auto: the probe runs for the fallback
	f, err := env.engine(t, o).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %s %v", f.Outcome, err)
	}
	var row *contract.CheckResult
	for _, ev := range env.events.ofType(contract.EventPreflight) {
		for i := range ev.Checks {
			if ev.Checks[i].ID == CheckPermissions {
				row = &ev.Checks[i]
			}
		}
	}
	if row == nil || row.Status != contract.CheckWarn || row.Changed || !strings.Contains(row.Explanation, "removed the duplicate") || !strings.Contains(row.Explanation, "orders-proxy: it lists orders-db once again, as before") {
		t.Fatalf("probe row: %+v", row)
	}
	if tg := env.proxyTargetsOf(t, "orders-proxy"); len(tg) != 1 || tg[0].RdsResourceID != "orders-db" {
		t.Fatalf("orders-proxy after the run: %+v", tg)
	}
	ops := []string{}
	for _, m := range env.sim.Mutations() {
		if m.Target == "orders-proxy" {
			ops = append(ops, m.Operation)
		}
	}
	if strings.Join(ops, ",") != "RegisterDBProxyTargets,DeregisterDBProxyTargets,RegisterDBProxyTargets" {
		t.Errorf("the probe's calls on orders-proxy: %v", ops)
	}
}

// When the duplicate cannot be removed, the run stops (exit 1, not 3), the
// row says what the proxy holds and how to restore it, and no text claims
// that nothing changed.
func TestPermissionProbeNeverClaimsNothingChangedUnread(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative, Faults: []sim.Fault{
		{AcceptDuplicateRegistration: true},
		{Operation: "DeregisterDBProxyTargets", Code: "InvalidDBProxyStateFault"},
	}})
	f, err := env.engine(t, contract.Options{Source: "orders-db", Cleanup: contract.CleanupDeployment}).Run(context.Background())
	if ExitCode(err) != contract.ExitStepFailed || f.Outcome != contract.OutcomeFailed {
		t.Fatalf("exit %d %s: %v", ExitCode(err), f.Outcome, err)
	}
	if strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("a run whose probe changed AWS claims nothing changed: %v", err)
	}
	var row *contract.CheckResult
	for _, ev := range env.events.ofType(contract.EventPreflight) {
		for i := range ev.Checks {
			if ev.Checks[i].ID == CheckPermissions {
				row = &ev.Checks[i]
			}
		}
	}
	if row == nil || row.Status != contract.CheckFail || !row.Changed || !strings.Contains(row.Explanation, "lists orders-db 2 times") || !strings.Contains(row.Remediation, "register-db-proxy-targets") {
		t.Fatalf("probe row: %+v", row)
	}
	if env.sim.DeploymentsCreated() != 0 {
		t.Error("the run went on after the probe")
	}
}

// The probe's deliberate calls are answered with refusals
// (AddTagsToResource: MissingParameter; RegisterDBProxyTargets:
// DBProxyTargetAlreadyRegisteredFault): every output shows them as the
// probe's expected answer, never as an error — the JSON api-call event
// carries "expected", the text lines say "expected …", and the wizard's
// panel does not colour them as failures (Call.AsIntended).
func TestPermissionProbeAnswersReadAsExpected(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	r, err := env.engine(t, legacyOpts).begin(context.Background(), "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	if rows := r.probePermissions(context.Background(), legacyOpts.WithDefaults()); len(rows) != 1 || rows[0].Status != contract.CheckPass {
		t.Fatalf("rows: %+v", rows)
	}
	want := map[string]string{"AddTagsToResource": "MissingParameter", "RegisterDBProxyTargets": "DBProxyTargetAlreadyRegistered"}
	seen := map[string]bool{}
	for _, ev := range env.events.ofType(contract.EventAPICall) {
		c := ev.Call
		code, probed := want[c.Operation]
		if !probed {
			continue
		}
		seen[c.Operation] = true
		if !strings.Contains(c.ErrorCode, code) || c.Expected == "" || !c.AsIntended() {
			t.Errorf("%s: code %q expected %q: want %s marked as the probe's expected answer", c.Operation, c.ErrorCode, c.Expected, code)
		}
		var js bytes.Buffer
		contract.NewNDJSONSink(&js)(ev)
		if !strings.Contains(js.String(), `"expected":"permission probe`) {
			t.Errorf("%s: JSON event %s", c.Operation, js.String())
		}
		for _, line := range []string{contract.PlainText(ev), contract.EventLine(ev)} {
			if !strings.Contains(line, "expected "+c.ErrorCode+" (permission probe") {
				t.Errorf("%s: text line %q does not read as the probe's expected answer", c.Operation, line)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("probe calls seen %v, want %v", seen, want)
	}
	env.assertNoMutations(t)
}
