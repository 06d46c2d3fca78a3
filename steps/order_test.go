package steps

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// refuseWhileProvisioning is the simulator fault of issue 11: AWS refuses
// blue's registration while green is provisioning.
var refuseWhileProvisioning = sim.Fault{RefuseRegisterWhileProvisioning: true}

// AWS refuses blue's registration for the whole provisioning: rdsbg keeps
// retrying at the slow cadence with the outage shown live, and at
// --max-proxy-outage (headless) deletes the deployment with its green and
// stops with the proxy on blue.
func TestRefusedRegistrationRetriesThenRollsBackAtMaxProxyOutage(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{refuseWhileProvisioning}})
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Sink: env.events.sink,
		Approver: contract.HeadlessApprover{Yes: true, Confirm: "orders-db", Sink: env.events.sink},
		Options:  contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Run(context.Background())
	if err == nil || f.Outcome != contract.OutcomeRolledBack || f.ExitCode != contract.ExitStepFailed || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("finished %s exit %d proxy %s (%v), want rolled-back 1 blue", f.Outcome, f.ExitCode, f.ProxyState, err)
	}
	if !strings.Contains(err.Error(), "--max-proxy-outage 10m0s") {
		t.Errorf("the error does not name the bound: %v", err)
	}

	// Retry: many refused registrations, at the slow cadence.
	var detachAt, deleteAt, lastRegister time.Time
	registers := 0
	for _, m := range env.sim.Mutations() {
		switch m.Operation {
		case "DeregisterDBProxyTargets":
			if detachAt.IsZero() {
				detachAt = m.Time
			}
		case "DeleteBlueGreenDeployment":
			deleteAt = m.Time
		case "RegisterDBProxyTargets":
			registers++
			lastRegister = m.Time
		}
	}
	refused := env.sim.Stats().ModelFaults
	if refused < 30 {
		t.Errorf("%d refused registrations, want one every ~15 s for 10 minutes", refused)
	}
	if registers != 1 || lastRegister.Before(deleteAt) {
		t.Errorf("%d accepted registrations (last at %s, deletion at %s): want one, after the deletion call", registers, lastRegister, deleteAt)
	}
	// Registered as soon as AWS accepts it (the simulator accepts once the
	// deployment is DELETING), not after AWS finished deleting it.
	if gap := lastRegister.Sub(deleteAt); gap >= sim.FastTimings().DeploymentDelete {
		t.Errorf("registered blue %s after the deletion call: the rollback waited for the deployment to be gone (%s) before registering", gap, sim.FastTimings().DeploymentDelete)
	}
	if len(f.ProxyOutages) != 1 || f.ProxyOutages[0].Open {
		t.Fatalf("outage windows %+v: want the one before the creation, closed", f.ProxyOutages)
	}
	t.Logf("rollback outage: %s (bound %s; deletion call %s after the deregistration; blue registered %s after it)",
		f.ProxyOutages[0].Duration(), contract.DefaultMaxProxyOutage, deleteAt.Sub(detachAt), lastRegister.Sub(deleteAt))
	// Rollback at --max-proxy-outage, not before, not much after.
	if deleteAt.IsZero() {
		t.Fatalf("the simulator's mutation log has no DeleteBlueGreenDeployment: %+v", env.sim.Mutations())
	}
	if gap := deleteAt.Sub(detachAt); gap < contract.DefaultMaxProxyOutage || gap > contract.DefaultMaxProxyOutage+time.Minute {
		t.Errorf("deleted the deployment %s after the proxy lost blue, want just after %s", gap, contract.DefaultMaxProxyOutage)
	}
	// Live outage: progress says the proxy is empty and since when.
	live := 0
	for _, ev := range env.events.ofType(contract.EventProgress) {
		p := ev.Progress
		if ev.Step == contract.StepAttachProxyBlue && p.ProxylessSince != nil && strings.Contains(p.Waiting, "EMPTY since") && strings.Contains(p.Waiting, "--max-proxy-outage") {
			live++
			if !p.ProxylessSince.Equal(detachAt) && p.ProxylessSince.Sub(detachAt) > time.Second {
				t.Errorf("outage since %s, the proxy lost blue at %s", p.ProxylessSince, detachAt)
			}
		}
	}
	if live < 30 {
		t.Errorf("%d live outage progress events, want one per attempt", live)
	}
	// Proxy on blue, nothing left but what the summary names.
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	deps, err := env.api.ListDeployments(context.Background(), "")
	if err != nil || len(deps) != 0 {
		t.Errorf("deployments after the rollback: %+v %v", deps, err)
	}
	named := false
	for _, ev := range env.events.ofType(contract.EventCompensation) {
		if strings.Contains(ev.Message, "left: the journal") && strings.Contains(ev.Message, "orders-db") {
			named = true
		}
	}
	if !named {
		t.Errorf("no summary naming what is left")
	}
	if st := journal.Fold(env.journal(t, "orders-db")); st.Unfinished() {
		t.Errorf("a rolled-back run must not be resumable")
	}
}

// The operator chooses to wait longer: the retries go on and the run
// completes once AWS accepts the registration (here: when provisioning
// ends), asked again at every --max-proxy-outage.
func TestRefusedRegistrationWaitLongerThenAccepted(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{refuseWhileProvisioning}})
	env.approver.answers["proxy-outage"] = contract.DecisionWait
	o := legacyOpts
	o.MaxProxyOutage = 4 * time.Minute
	f, err := env.engine(t, o).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	assertLegacyEndState(t, env, f)
	asked := 0
	for _, a := range env.approver.seen {
		if a.Kind == "proxy-outage" {
			asked++
		}
	}
	if asked < 2 {
		t.Errorf("asked %d times, want once per --max-proxy-outage of refusals", asked)
	}
	accepted := false
	for _, ev := range env.events.ofType(contract.EventNotice) {
		accepted = accepted || strings.Contains(ev.Message, "accepted blue's registration at attempt")
	}
	if !accepted {
		t.Errorf("no notice that AWS finally accepted the registration")
	}
}

// A journal written with the old meaning of create-deployment (it included
// the wait for AVAILABLE, and attach-proxy-blue came after it) resumes:
// live state decides, blue is registered again at once, provision-green
// waits, and the operator is not asked to approve a changed plan.
func TestResumeFromAnOldStyleJournal(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	for _, tc := range []struct {
		name    string
		advance time.Duration // AWS time that passes while nothing runs
	}{{"deployment provisioning", 0}, {"deployment available", 2 * time.Hour}} {
		t.Run(tc.name, func(t *testing.T) {
			ref := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
			if _, err := ref.engine(t, legacyOpts).Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			k := 0
			for i, r := range ref.journal(t, "orders-db") {
				if r.Kind == journal.RecordMutation && r.Operation == "CreateBlueGreenDeployment" {
					k = i + 1
					break
				}
			}
			env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
			if k == 0 || !runUntilCrash(t, env.engine(t, legacyOpts), k) {
				t.Fatalf("no crash after the creation (record %d)", k)
			}
			// Write the journal as the old rdsbg did: no provision-green,
			// a reversible detach-proxy, create-deployment under way.
			path := journal.Path(env.stateDir, "orders-db")
			var lines []string
			for _, r := range env.journal(t, "orders-db") {
				if r.Plan != nil {
					var kept []contract.PlannedStep
					for _, s := range r.Plan.Steps {
						if s.ID == contract.StepProvisionGreen {
							continue
						}
						if s.ID == contract.StepDetachProxy {
							s.Severity = contract.SeverityReversible
						}
						kept = append(kept, s)
					}
					r.Plan.Steps = kept
				}
				b, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, string(b))
			}
			if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if st := journal.Fold(env.journal(t, "orders-db")); st.Steps[contract.StepCreateDeployment] != journal.StepStateStarted || st.Plan == nil {
				t.Fatalf("the old-style journal does not say create-deployment is under way: %+v", st.Steps)
			}
			if ts := env.proxyTargetsOf(t, "orders-proxy"); len(ts) != 0 {
				t.Fatalf("the crashed run left targets %+v; want the proxy empty as the old order left it", ts)
			}
			env.clock.Advance(tc.advance)

			var attachedWhile string
			env.events.hook = func(ev contract.Event) {
				if ev.Type == contract.EventStepDone && ev.Step == contract.StepAttachProxyBlue && attachedWhile == "" {
					deps, _ := env.api.ListDeployments(context.Background(), "")
					for _, d := range deps {
						attachedWhile = d.Status
					}
				}
			}
			env.approver.seen = nil
			f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
			if err != nil {
				t.Fatalf("Resume: %v", err)
			}
			assertLegacyEndState(t, env, f)
			want := "PROVISIONING"
			if tc.advance > 0 {
				want = "AVAILABLE"
			}
			if attachedWhile != want {
				t.Errorf("blue re-attached while the deployment was %q, want %q", attachedWhile, want)
			}
			for _, a := range env.approver.seen {
				if a.Kind == "plan" {
					t.Errorf("the old journal's plan was asked again: %s", a.Title)
				}
			}
			said := false
			for _, ev := range env.events.ofType(contract.EventNotice) {
				said = said || strings.Contains(ev.Message, "create-deployment included the wait")
			}
			if !said {
				t.Errorf("no notice that an old journal was brought up to the new order")
			}
			var order []contract.StepID
			for _, r := range env.journal(t, "orders-db") {
				if r.Kind == journal.RecordStep && (r.State == journal.StepStateDone || r.State == journal.StepStateSkipped) && r.Message != "from the resumed run" {
					order = append(order, r.Step)
				}
			}
			joined := " " + strings.Trim(strings.ReplaceAll(strings.Trim(strings.Join(stepStrings(order), " "), " "), "  ", " "), " ") + " "
			if !strings.Contains(joined, " create-deployment attach-proxy-blue provision-green ") {
				t.Errorf("resumed order: %s", joined)
			}
		})
	}
}

func stepStrings(ids []contract.StepID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
