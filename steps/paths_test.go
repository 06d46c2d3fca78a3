package steps

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/status"
)

func TestUpgradeViaModifyAndCleanupOldBlue(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "15.10", UpgradeVia: contract.UpgradeViaModify, Cleanup: contract.CleanupOldBlue}).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// While green upgrades its row names the target ("upgrading 15.7 → 15.10").
	namesTarget := false
	for _, ev := range env.events.ofType(contract.EventProgress) {
		for _, row := range ev.Progress.Instances {
			namesTarget = namesTarget || (ev.Step == contract.StepUpgradeGreen && strings.HasSuffix(row.Status, " → 15.10"))
		}
	}
	if !namesTarget {
		t.Error("no upgrade-green progress row names the target version")
	}
	recs := env.journal(t, "orders-db")
	if !inOrder(stepOrder(recs, journal.StepStateDone), []contract.StepID{contract.StepCreateDeployment, contract.StepUpgradeGreen, contract.StepSwitchover, contract.StepVerify, contract.StepCleanup}) {
		t.Errorf("done steps %v", stepOrder(recs, journal.StepStateDone))
	}
	var ops []string
	for _, m := range env.sim.Mutations() {
		ops = append(ops, m.Operation)
	}
	joined := strings.Join(ops, " ")
	for _, want := range []string{"ModifyDBInstance", "CreateDBSnapshot", "DeleteBlueGreenDeployment", "DeleteDBInstance"} {
		if !strings.Contains(joined, want) {
			t.Errorf("mutations %v lack %s", ops, want)
		}
	}
	if strings.Index(joined, "CreateDBSnapshot") > strings.Index(joined, "DeleteDBInstance") {
		t.Errorf("old blue deleted before its snapshot: %v", ops)
	}
	for _, old := range []string{"orders-db-old1", "orders-db-replica-1-old1"} {
		if _, err := env.api.DescribeInstance(context.Background(), old); err == nil {
			t.Errorf("%s still exists after --cleanup old-blue", old)
		}
	}
	snap, err := env.api.DescribeInstanceSnapshot(context.Background(), "rdsbg-final-orders-db-old1")
	if err != nil || snap.Status != "available" {
		t.Errorf("final snapshot: %+v %v", snap, err)
	}
	assertLegacyProxyOnNewPrimary(t, env, f, "15.10")
}

func assertLegacyProxyOnNewPrimary(t *testing.T, env *engineEnv, f contract.Finished, version string) {
	t.Helper()
	if f.Outcome != contract.OutcomeDone || f.ProxyState != contract.ProxyOnNewPrimary {
		t.Errorf("finished %s proxy %s", f.Outcome, f.ProxyState)
	}
	d := env.discoverRetry(t, "orders-db")
	env.assertProxyHealthy(t, d.Source, "orders-proxy")
	if d.Instance == nil || d.Instance.EngineVersion != version {
		t.Errorf("orders-db runs %+v, want %s", d.Instance, version)
	}
}

func TestSwitchoverRolledBackByAWSReRegistersBlue(t *testing.T) {
	for _, mode := range []string{"fail", "timeout"} {
		t.Run(mode, func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{Switchover: mode}}})
			f, err := env.engine(t, legacyOpts).Run(context.Background())
			if err == nil || f.ExitCode != contract.ExitStepFailed || f.ProxyState != contract.ProxyOnBlue {
				t.Fatalf("exit %d proxy %s err %v, want 1 on blue", f.ExitCode, f.ProxyState, err)
			}
			if !strings.Contains(err.Error(), "rolled it back") || !strings.Contains(err.Error(), "Blue is still production") {
				t.Errorf("not a plain explanation: %v", err)
			}
			d := env.discoverRetry(t, "orders-db")
			env.assertProxyHealthy(t, d.Source, "orders-proxy")
			if d.Instance.EngineVersion != "15.7" {
				t.Errorf("blue changed: %s", d.Instance.EngineVersion)
			}
			if len(env.events.ofType(contract.EventCompensation)) == 0 {
				t.Errorf("no compensation event")
			}
			// The fault was one-shot: resuming switches over.
			f2, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
			if err != nil {
				t.Fatalf("Resume: %v", err)
			}
			assertLegacyEndState(t, env, f2)
		})
	}
}

func TestInvalidConfigurationExplainsAbortPath(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{GreenInvalidAfterMS: 60_000}}})
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	if err == nil || f.ExitCode != contract.ExitStepFailed {
		t.Fatalf("exit %d err %v", f.ExitCode, err)
	}
	if !strings.Contains(err.Error(), "INVALID_CONFIGURATION") || !strings.Contains(err.Error(), "rdsbg abort --source orders-db") {
		t.Errorf("no explanation with the abort path: %v", err)
	}
	if f.ProxyState != contract.ProxyOnBlue {
		t.Errorf("proxy %s, want blue", f.ProxyState)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")

	af, err := env.engine(t, contract.Options{Source: "orders-db"}).Abort(context.Background())
	if err != nil || af.Outcome != contract.OutcomeRolledBack || af.ExitCode != contract.ExitOK || af.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("Abort: %+v %v", af, err)
	}
	deps, err := env.api.ListDeployments(context.Background(), "")
	if err != nil || len(deps) != 0 {
		t.Errorf("deployments after abort: %+v %v", deps, err)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	rep, err := status.Read(context.Background(), env.api, env.stateDir, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unfinished || rep.ProxyState != contract.ProxyOnBlue || rep.Finished == nil || rep.Finished.Outcome != contract.OutcomeRolledBack {
		t.Errorf("status after abort: %+v", rep)
	}
}

func TestAbortAfterSwitchoverIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	o := legacyOpts
	o.Cleanup = contract.CleanupNone
	if _, err := env.engine(t, o).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := len(env.sim.Mutations())
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Abort(context.Background())
	if ExitCode(err) != contract.ExitUsage || !strings.Contains(err.Error(), "nothing to abort") {
		t.Fatalf("exit %d err %v", ExitCode(err), err)
	}
	if f.ProxyState != contract.ProxyOnNewPrimary {
		t.Errorf("proxy %s", f.ProxyState)
	}
	if after := len(env.sim.Mutations()); after != before {
		t.Errorf("a refused abort changed AWS: %d → %d mutations", before, after)
	}
}

func TestStatusOfAnInterruptedRun(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepDone && ev.Step == contract.StepAttachProxyBlue {
			cancel()
		}
	}
	if _, err := env.engine(t, legacyOpts).Run(ctx); ExitCode(err) != contract.ExitInterrupted {
		t.Fatalf("want an interrupt, got %v", err)
	}
	rep, err := status.Read(context.Background(), env.api, env.stateDir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Unfinished || rep.Source != "orders-db" || rep.Deployment == nil || rep.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("status: %+v", rep)
	}
	text := rep.Text()
	for _, want := range []string{"orders-db", "rdsbg resume", "attach-proxy-blue", "done", rep.DeploymentID} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
	interrupted := false
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, string(contract.StepProvisionGreen)) && strings.Contains(line, journal.StepStateInterrupted) {
			interrupted = true
		}
	}
	if !interrupted {
		t.Errorf("the step under way at the interrupt should read %q, not failed:\n%s", journal.StepStateInterrupted, text)
	}
	open, err := journal.Unfinished(env.stateDir)
	if err != nil || len(open) != 1 {
		t.Errorf("unfinished journals: %v %v", open, err)
	}
	// resume without --source picks the one unfinished journal
	f, err := env.engine(t, contract.Options{}).Resume(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertLegacyEndState(t, env, f)
}

// Someone creates a deployment for the source by hand while the run waits
// for the create approval: the run does not adopt it (it is not this
// run's: issue 20) and stops, exit 2, naming it; only the hand-made one
// exists.
func TestDeploymentCreatedByHandBetweenPlanAndApplyIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	var rival string
	env.approver.onAsk = func(a contract.Approval) {
		if a.Kind == "step" && a.Step == contract.StepCreateDeployment {
			d := env.discover(t, "catalog-db")
			dep, err := env.api.CreateDeployment(context.Background(), awsclient.CreateDeploymentInput{Name: "rdsbg-catalog-db-20261121", SourceARN: d.Source.ARN})
			if err != nil {
				t.Fatalf("creating the rival deployment: %v", err)
			}
			rival = dep.ID
		}
	}
	f, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	if ExitCode(err) != contract.ExitUsage || f.ExitCode != contract.ExitUsage || rival == "" || !strings.Contains(err.Error(), rival) || !strings.Contains(err.Error(), "not this run's") {
		t.Fatalf("Run: exit %d %v, want a refusal naming %s", f.ExitCode, err, rival)
	}
	if n := env.sim.DeploymentsCreated(); n != 1 {
		t.Errorf("deployments created %d, want the hand-made one only", n)
	}
	if _, err := env.api.DescribeInstance(context.Background(), "catalog-db-old1"); err == nil {
		t.Error("the refused run switched over")
	}
}

func TestResumeWithAChangedPlanAsksAgain(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventProgress && ev.Step == contract.StepProvisionGreen {
			cancel()
		}
	}
	if _, err := env.engine(t, legacyOpts).Run(ctx); ExitCode(err) != contract.ExitInterrupted {
		t.Fatalf("want an interrupt: %v", err)
	}
	// Rewrite the journal's plan as if an older rdsbg had planned without
	// the ready-check: the fresh plan differs.
	path := journal.Path(env.stateDir, "orders-db")
	recs := env.journal(t, "orders-db")
	var lines []string
	for _, r := range recs {
		if r.Kind == journal.RecordRunStarted && r.Plan != nil {
			var kept []contract.PlannedStep
			for _, s := range r.Plan.Steps {
				if s.ID != contract.StepReadyCheck {
					kept = append(kept, s)
				}
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
	env.approver.seen = nil
	env.approver.answers["plan"] = contract.DecisionDecline
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if ExitCode(err) != contract.ExitCancelled || f.Outcome != contract.OutcomeCancelled {
		t.Fatalf("exit %d outcome %s: %v", ExitCode(err), f.Outcome, err)
	}
	kinds := env.approver.kinds()
	if len(kinds) != 1 || kinds[0] != "plan" || !strings.Contains(env.approver.seen[0].Title, "changed") {
		t.Errorf("approvals %v, want one plan approval saying it changed", kinds)
	}
	if n := env.sim.DeploymentsCreated(); n != 1 {
		t.Errorf("deployments created %d", n)
	}
}

func TestAuroraCleanupOldBlueDeletesTheOldCluster(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	f, err := env.engine(t, contract.Options{Source: "ledger-cluster", ProxyMode: contract.ProxyModeDetach, Cleanup: contract.CleanupOldBlue}).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if f.Outcome != contract.OutcomeDone || f.ProxyState != contract.ProxyOnNewPrimary {
		t.Errorf("finished %+v", f)
	}
	if _, err := env.api.DescribeCluster(context.Background(), "ledger-cluster-old1"); err == nil {
		t.Errorf("ledger-cluster-old1 still exists")
	}
	if snap, err := env.api.DescribeClusterSnapshot(context.Background(), "rdsbg-final-ledger-cluster-old1"); err != nil || snap.Status != "available" {
		t.Errorf("final cluster snapshot: %+v %v", snap, err)
	}
	c, err := env.api.DescribeCluster(context.Background(), "ledger-cluster")
	if err != nil || c.Status != "available" {
		t.Errorf("production cluster: %+v %v", c, err)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "ledger-cluster").Source, "ledger-proxy")
}

// A deployment deleted outside rdsbg after an interrupt: in both worlds
// the proxy ends on blue, nothing is recreated, resume has nothing to do
// and abort is harmless. In the legacy world compensation registers blue
// at once; in today's (native) world with the detach procedure AWS refuses
// the registration while the deployment exists, so compensation keeps
// trying until someone deletes it (here, at its first refused attempt),
// then registers blue as soon as AWS allows.
func TestDeploymentDeletedOutsideRdsbgIsNotRecreatedSilently(t *testing.T) {
	for _, scenario := range []string{sim.ScenarioRDSPostgresLegacy, sim.ScenarioRDSPostgresNative} {
		t.Run(scenario, func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: scenario})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			deleted, refused := false, 0
			env.events.hook = func(ev contract.Event) {
				if ev.Type == contract.EventStepDone && ev.Step == contract.StepCreateDeployment {
					cancel()
				}
				if ev.Type == contract.EventCompensation && strings.HasPrefix(ev.Message, "attempt ") {
					refused++
					if !deleted {
						deleted = true
						deps, err := env.api.ListDeployments(context.Background(), "")
						if err != nil || len(deps) != 1 {
							t.Fatalf("deployments %+v %v", deps, err)
						}
						if _, err := env.api.DeleteDeployment(context.Background(), deps[0].ID, true); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			f, err := env.engine(t, legacyOpts).Run(ctx)
			if ExitCode(err) != contract.ExitInterrupted || f.DeploymentID == "" || f.ProxyState != contract.ProxyOnBlue {
				t.Fatalf("want an interrupt after creation with the proxy restored on blue: %v %+v", err, f)
			}
			if (scenario == sim.ScenarioRDSPostgresNative) != deleted {
				t.Errorf("refused registrations %d in %s: only today's AWS refuses blue while its deployment exists", refused, scenario)
			}
			if !deleted {
				if _, err := env.api.DeleteDeployment(context.Background(), f.DeploymentID, true); err != nil {
					t.Fatal(err)
				}
			}
			env.clock.Advance(time.Hour) // the deletion completes
			// Resume confirms the deployment first (issue 20, X2): gone, so
			// there is nothing to resume, and it changes nothing.
			muts := len(env.sim.Mutations())
			f2, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
			if err == nil || f2.ExitCode != contract.ExitUsage || !strings.Contains(err.Error(), "no longer exists") || !strings.Contains(err.Error(), "Nothing to resume") {
				t.Fatalf("Resume: exit %d %v", f2.ExitCode, err)
			}
			if n := len(env.sim.Mutations()); n != muts {
				t.Errorf("the resume changed AWS: %+v", env.sim.Mutations()[muts:])
			}
			if n := env.sim.DeploymentsCreated(); n != 1 {
				t.Errorf("deployments created %d, want 1", n)
			}
			if f2.ProxyState != contract.ProxyOnBlue {
				t.Errorf("proxy %s", f2.ProxyState)
			}
			af, err := env.engine(t, contract.Options{Source: "orders-db"}).Abort(context.Background())
			if err != nil || af.ExitCode != contract.ExitOK {
				t.Errorf("abort after an outside deletion: %+v %v", af, err)
			}
		})
	}
}

// Today's AWS with the detach procedure, interrupted after the creation,
// and nobody deletes the deployment: compensation's refused registrations
// are bounded by --max-proxy-outage, then the run rolls back by itself
// (its own deployment, not switched over) and ends with the proxy on blue.
// It used to retry for ever on the virtual clock (2 GB in the test).
func TestRegistrationRefusedWhileTheDeploymentExistsRollsBackAtTheBound(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var emptied time.Time
	attempts := 0
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepDone && ev.Step == contract.StepDetachProxy {
			emptied = ev.Time
		}
		if ev.Type == contract.EventStepDone && ev.Step == contract.StepCreateDeployment {
			cancel()
		}
		if ev.Type == contract.EventCompensation && strings.HasPrefix(ev.Message, "attempt ") {
			if attempts++; attempts > 1000 {
				panic("compensation did not end: " + ev.Message)
			}
		}
	}
	o := legacyOpts
	o.MaxProxyOutage = 10 * time.Minute
	f, err := env.engine(t, o).Run(ctx)
	if f.Outcome != contract.OutcomeRolledBack || f.ProxyState != contract.ProxyOnBlue || f.ExitCode != contract.ExitStepFailed || err == nil || !strings.Contains(err.Error(), "--max-proxy-outage 10m0s") {
		t.Fatalf("finished %s, proxy %s, exit %d: %v", f.Outcome, f.ProxyState, f.ExitCode, err)
	}
	if deps, err := env.api.ListDeployments(context.Background(), ""); err != nil || len(deps) != 0 {
		t.Errorf("deployments left: %+v %v", deps, err)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	// The proxy was empty for the bound and the rollback, no longer.
	if total := time.Duration(f.ProxyOutageTotalMS) * time.Millisecond; total < o.MaxProxyOutage || total > o.MaxProxyOutage+15*time.Minute {
		t.Errorf("outage %s from %s, want the bound %s plus the rollback", total, emptied.Format(time.TimeOnly), o.MaxProxyOutage)
	}
	if attempts < 2 {
		t.Errorf("%d refused attempts before the rollback: want retries until the bound", attempts)
	}
}

// The same bound in compensation is the --max-proxy-outage question, the
// one question allowed while the proxy is empty (design.md §2): an
// operator at a terminal is asked, roll back shown first as the default;
// "wait" retries for another bound and asks again. Headless
// (HeadlessApprover) rolls back at the first bound, as before.
func TestCompensationAsksAtTheOutageBoundAndHeadlessRollsBack(t *testing.T) {
	const bound = 10 * time.Minute
	run := func(t *testing.T, headless bool) (*engineEnv, contract.Finished, error) {
		env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		env.events.hook = func(ev contract.Event) {
			if ev.Type == contract.EventStepDone && ev.Step == contract.StepCreateDeployment {
				cancel()
			}
		}
		o := legacyOpts
		o.MaxProxyOutage = bound
		asked := 0
		env.approver.decide = func(a contract.Approval) (contract.Decision, bool) {
			if a.Kind != "proxy-outage" {
				return "", false
			}
			if asked++; asked == 1 {
				return contract.DecisionWait, true
			}
			return contract.DecisionRollback, true
		}
		eng := env.engine(t, o)
		if headless {
			cfg := eng.cfg
			cfg.Approver = contract.HeadlessApprover{Yes: true, Confirm: "orders-db", Sink: env.events.sink}
			var err error
			if eng, err = New(cfg); err != nil {
				t.Fatal(err)
			}
		}
		f, err := eng.Run(ctx)
		if f.Outcome != contract.OutcomeRolledBack || f.ProxyState != contract.ProxyOnBlue || err == nil || !strings.Contains(err.Error(), "--max-proxy-outage 10m0s") {
			t.Fatalf("finished %s, proxy %s: %v", f.Outcome, f.ProxyState, err)
		}
		env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
		return env, f, err
	}
	outageQuestions := func(env *engineEnv) []contract.Approval {
		var out []contract.Approval
		for _, ev := range env.events.ofType(contract.EventApproval) {
			if ev.Approval.Kind == "proxy-outage" {
				out = append(out, *ev.Approval)
			}
		}
		return out
	}

	t.Run("wizard", func(t *testing.T) {
		env, f, _ := run(t, false)
		qs := outageQuestions(env)
		if len(qs) != 2 {
			t.Fatalf("asked %d times, want twice (wait, then roll back)", len(qs))
		}
		for _, q := range qs {
			if len(q.Choices) != 2 || q.Choices[0] != contract.DecisionRollback || !strings.Contains(q.Title, "roll back (default)") || !strings.Contains(q.Text, "EMPTY") {
				t.Errorf("question %+v: want roll back first, as the default, and the proxy said EMPTY", q)
			}
		}
		if total := time.Duration(f.ProxyOutageTotalMS) * time.Millisecond; total < 2*bound {
			t.Errorf("outage %s: the operator's wait did not keep trying for another bound", total)
		}
	})
	t.Run("headless", func(t *testing.T) {
		env, f, _ := run(t, true)
		if qs := outageQuestions(env); len(qs) > 1 {
			t.Errorf("headless asked %d times", len(qs))
		}
		if total := time.Duration(f.ProxyOutageTotalMS) * time.Millisecond; total >= 2*bound {
			t.Errorf("headless outage %s: want the rollback at the first bound", total)
		}
	})
}
