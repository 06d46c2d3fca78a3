package steps

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/status"
)

// Tests of the operator's journey (issue 13): each reproduces one bullet
// of the issue and now passes.

// approveOnly hides an approver's optional interfaces (PlanChecker), for
// tests that reach an approval's own rule past the upfront plan check.
type approveOnly struct{ contract.Approver }

func (e *engineEnv) engineWith(t *testing.T, o contract.Options, a contract.Approver, until string) *Engine {
	t.Helper()
	eng, err := New(Config{API: e.client, Calls: e.calls, Clock: e.clock, StateDir: e.stateDir, Approver: a, Sink: e.events.sink, Options: o, Until: until, GiveUp: e.runaway.giveUp})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// Bullet 1: `run --yes` without --confirm did the detach, the creation
// (21 simulated minutes) and stopped with exit 4. Now: exit 2 at once,
// naming the severe steps and the ways on, and nothing changed.
func TestHeadlessYesWithoutConfirmIsRefusedBeforeAnyChange(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative})
	eng := env.engineWith(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}, contract.HeadlessApprover{Yes: true}, "")
	start := env.clock.Now()
	f, err := eng.Run(context.Background())
	if f.ExitCode != contract.ExitUsage || ExitCode(err) != contract.ExitUsage {
		t.Fatalf("exit %d (%v), want %d", f.ExitCode, err, contract.ExitUsage)
	}
	for _, want := range []string{"detach-proxy-blue", "switchover", "attach-proxy-primary", "--confirm orders-db", "--until ready", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	env.assertNoMutations(t)
	if d := env.clock.Now().Sub(start); d > time.Minute {
		t.Errorf("the refusal took %s of AWS time", d)
	}
	if open, _ := journal.Unfinished(env.stateDir); len(open) != 0 {
		t.Errorf("a refused run left an unfinished journal: %v", open)
	}
}

func TestHeadlessConfirmMustNameTheSource(t *testing.T) {
	for _, tc := range []struct {
		confirm, source string
		ok              bool
	}{
		{"orders-db", "orders-db", true},
		{"ORDERS-DB", "orders-db", true},
		{"arn:aws:rds:us-east-1:123456789012:db:orders-db", "orders-db", true},
		{"orders-db", "arn:aws:rds:us-east-1:123456789012:db:orders-db", true},
		{"not-the-source", "orders-db", false},
		{"orders", "orders-db", false},
	} {
		err := contract.CheckConfirm(tc.confirm, tc.source)
		if (err == nil) != tc.ok {
			t.Errorf("CheckConfirm(%q, %q) = %v, want ok=%v", tc.confirm, tc.source, err, tc.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), tc.confirm) || !strings.Contains(err.Error(), tc.source) || ExitCode(err) != contract.ExitUsage) {
			t.Errorf("the refusal must name both and exit 2: %v", err)
		}
	}
}

// The check comes from the plan's severities: a run whose only severe
// steps lie after the stop point needs no --confirm, and a plan with a
// severe step before it does.
func TestSevereStepsBeforeTheStopPointComeFromThePlan(t *testing.T) {
	p := contract.Plan{Source: contract.Source{ID: "orders-db"}, Steps: []contract.PlannedStep{
		{ID: contract.StepPreflight, Severity: contract.SeverityReadOnly},
		{ID: contract.StepDetachProxy, Severity: contract.SeverityReversible},
		{ID: contract.StepCreateDeployment, Severity: contract.SeverityReversible},
		{ID: contract.StepReadyCheck, Severity: contract.SeverityReadOnly},
		{ID: contract.StepSwitchover, Severity: contract.SeveritySevere},
		{ID: contract.StepCleanup, Severity: contract.SeveritySevere},
	}}
	h := contract.HeadlessApprover{Yes: true}
	if err := h.CheckPlan(p, contract.UntilReady, nil); err != nil {
		t.Errorf("--until ready with no severe step before it: %v", err)
	}
	if err := h.CheckPlan(p, "", nil); err == nil || !strings.Contains(err.Error(), "switchover, cleanup") {
		t.Errorf("whole plan without --confirm: %v", err)
	}
	p.Steps[1].Severity = contract.SeveritySevere // detach-proxy made severe (issue 11)
	err := h.CheckPlan(p, contract.UntilReady, nil)
	if err == nil || !strings.Contains(err.Error(), "detach-proxy") || strings.Contains(err.Error(), "switchover") {
		t.Errorf("--until ready with a severe detach-proxy: %v", err)
	}
	if err := (contract.HeadlessApprover{Yes: true, Confirm: "orders-db"}).CheckPlan(p, "", nil); err != nil {
		t.Errorf("with --confirm: %v", err)
	}
	done := func(id contract.StepID) bool { return id != contract.StepSwitchover && id != contract.StepCleanup }
	if got := contract.SevereSteps(p, "", done); len(got) != 2 {
		t.Errorf("a resume counts only the steps not done: %v", got)
	}
}

// Bullet 2 and "prepare now, switch over later": --until ready ends in the
// named state ready, exit 0, proxy on blue, green named with its classes;
// resume then switches over with one deployment.
func TestUntilReadyThenResumeSwitchesOver(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	f, err := env.engineWith(t, contract.Options{Source: "shop-db"}, contract.HeadlessApprover{Yes: true}, contract.UntilReady).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeReady || f.ExitCode != contract.ExitOK || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("until ready: %s exit %d proxy %s (%v)", f.Outcome, f.ExitCode, f.ProxyState, err)
	}
	if f.Green == nil || len(f.Green.Members) == 0 || f.Green.Classes() == "" {
		t.Fatalf("ready without green's members and classes: %+v", f.Green)
	}
	kinds := map[string]bool{}
	for _, l := range f.Leftovers {
		kinds[l.Kind] = true
	}
	if !kinds["deployment"] || !kinds["green"] {
		t.Errorf("ready leftovers do not name the deployment and green: %+v", f.Leftovers)
	}
	runs, err := journal.PausedRuns(env.stateDir)
	if err != nil || len(runs) != 1 || runs[0].Outcome != contract.OutcomeReady || !strings.Contains(runs[0].Line(), "green runs on db.") {
		t.Fatalf("paused runs: %+v %v", runs, err)
	}
	if cmd, _ := f.NextStep("shop-db", ""); cmd != "rdsbg resume --source shop-db" {
		t.Errorf("next step after ready: %q", cmd)
	}

	// resume --yes without --confirm: refused at once, nothing changes.
	before := len(env.sim.Mutations())
	_, err = env.engineWith(t, contract.Options{Source: "shop-db"}, contract.HeadlessApprover{Yes: true}, "").Resume(context.Background())
	if ExitCode(err) != contract.ExitUsage || !strings.Contains(err.Error(), "switchover") {
		t.Fatalf("resume without --confirm: %v", err)
	}
	if n := len(env.sim.Mutations()); n != before {
		t.Fatalf("a refused resume changed AWS: %d mutations", n-before)
	}
	f, err = env.engineWith(t, contract.Options{}, contract.HeadlessApprover{Yes: true, Confirm: "shop-db"}, "").Resume(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone || f.ProxyState != contract.ProxyOnNewPrimary {
		t.Fatalf("resume: %s proxy %s (%v)", f.Outcome, f.ProxyState, err)
	}
	if st := env.sim.Stats(); st.DeploymentsCreated != 1 {
		t.Errorf("%d deployments created, want 1", st.DeploymentsCreated)
	}
}

// Bullet 2: declining the critical section was CANCELLED exit 4 and the
// run vanished from status and resume. Now the run pauses ready.
func TestDecliningTheCriticalSectionPausesReady(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	env.approver.answers["critical-section"] = contract.DecisionDecline
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeReady || f.ExitCode != contract.ExitOK || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("declined critical section: %s exit %d proxy %s (%v)", f.Outcome, f.ExitCode, f.ProxyState, err)
	}
	open, err := journal.UnfinishedSources(env.stateDir)
	if err != nil || len(open) != 1 || open[0] != "orders-db" {
		t.Fatalf("resume would not find the paused run: %v %v", open, err)
	}
	env.assertProxyHealthy(t, contract.Source{Kind: contract.KindInstance, ID: "orders-db"}, "orders-proxy")
}

// Bullet 2: declining the optional cleanup after a successful switchover
// was CANCELLED exit 4. Now: done, with the leftovers named.
func TestDecliningCleanupAfterSwitchoverIsDoneWithLeftovers(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	env.approver.decide = func(a contract.Approval) (contract.Decision, bool) {
		if a.Step == contract.StepCleanup {
			return contract.DecisionDecline, true
		}
		return "", false
	}
	f, err := env.engine(t, contract.Options{Source: "shop-db", Cleanup: contract.CleanupOldBlue}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone || f.ExitCode != contract.ExitOK || f.ProxyState != contract.ProxyOnNewPrimary {
		t.Fatalf("declined cleanup: %s exit %d proxy %s (%v)", f.Outcome, f.ExitCode, f.ProxyState, err)
	}
	text := strings.Join(f.LeftoverLines(), "\n")
	for _, want := range []string{"deployment bgd-", "old-blue shop-db-old1"} {
		if !strings.Contains(text, want) {
			t.Errorf("leftovers do not name %q:\n%s", want, text)
		}
	}
	if cmd, why := f.NextStep("shop-db", ""); cmd != "" || strings.Contains(why, "abort") {
		t.Errorf("advice after a switchover: %q %q", cmd, why)
	}
}

// Bullet 4: the final snapshot is one name in the plan, the runbook, the
// call and the summary.
func TestFinalSnapshotIsOneName(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	f, err := env.engine(t, contract.Options{Source: "shop-db", Cleanup: contract.CleanupOldBlue}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %s (%v)", f.Outcome, err)
	}
	want := contract.FinalSnapshotID("shop-db-old1")
	if f.FinalSnapshot != want {
		t.Errorf("summary names snapshot %q, want %q", f.FinalSnapshot, want)
	}
	if _, err := env.api.DescribeInstanceSnapshot(context.Background(), want); err != nil {
		t.Errorf("the call did not create %s: %v", want, err)
	}
	plan := env.events.ofType(contract.EventPlanReady)[0].Plan
	cleanup, _ := plan.Step(contract.StepCleanup)
	if !strings.Contains(cleanup.Effect, want) {
		t.Errorf("the prompt's text does not name %s: %s", want, cleanup.Effect)
	}
	if md := RenderMarkdown(*plan); !strings.Contains(md, `rdsbg-final-${OLD##*:}`) || strings.Contains(md, "-final\"") {
		t.Errorf("the runbook names another snapshot")
	}
}

// Bullet 5: the summary's durations included the operator's thinking time.
func TestStepDurationsExcludeTheApprovalWait(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	env.approver.onAsk = func(a contract.Approval) {
		if a.Step == contract.StepDetachProxy {
			env.clock.Advance(7*time.Minute + 22*time.Second) // the operator reads the screen
		}
	}
	env.approver.answers["critical-section"] = contract.DecisionDecline
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, te := range f.Timeline {
		if te.Step != contract.StepDetachProxy {
			continue
		}
		if te.ApprovalWait < 7*time.Minute+22*time.Second || te.ApprovalWait > 7*time.Minute+30*time.Second || te.Duration >= time.Minute {
			t.Fatalf("detach-proxy: duration %s, approval wait %s", te.Duration, te.ApprovalWait)
		}
		return
	}
	t.Fatalf("no detach-proxy in the timeline: %+v", f.Timeline)
}

// Bullet 5: Tasks' time in status kept counting after COMPLETED and reset
// on resume.
func TestTaskTimeStopsAtCompletedAndSurvivesResume(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	eng := env.engine(t, contract.Options{Source: "shop-db"})
	r := &run{e: eng, taskSeen: map[string]taskSince{}}
	t0 := simStart
	r.taskRow("CREATING_READ_REPLICA_OF_SOURCE", "IN_PROGRESS", t0, true, t0)
	if row := r.taskRow("CREATING_READ_REPLICA_OF_SOURCE", "COMPLETED", t0.Add(8*time.Minute), false, time.Time{}); row.InStatus != 8*time.Minute {
		t.Fatalf("at COMPLETED: %s", row.InStatus)
	}
	if row := r.taskRow("CREATING_READ_REPLICA_OF_SOURCE", "COMPLETED", t0.Add(30*time.Minute), false, time.Time{}); row.InStatus != 8*time.Minute {
		t.Fatalf("the clock kept counting after COMPLETED: %s", row.InStatus)
	}
	r.taskRow("CONFIGURE_BACKUPS", "IN_PROGRESS", t0.Add(10*time.Minute), false, time.Time{})
	// Through the journal, as a resume reads it.
	st := journal.Fold(append([]journal.Record{{Kind: journal.RecordRunStarted, Plan: &contract.Plan{}}}, r.taskMarkers()...))
	resumed := &run{e: eng, prior: st, taskSeen: map[string]taskSince{}}
	resumed.restoreTasks()
	if row := resumed.taskRow("CONFIGURE_BACKUPS", "IN_PROGRESS", t0.Add(25*time.Minute), false, time.Time{}); row.InStatus != 15*time.Minute {
		t.Fatalf("after a resume: %s, want 15m (not reset)", row.InStatus)
	}
	// Walkthrough D18: the first task is timed from the deployment's
	// creation (rdsbg reads no task while it registers blue again); a
	// later task first read already running is a lower bound.
	fresh := &run{e: eng, taskSeen: map[string]taskSince{}}
	created := t0
	fresh.taskRow("CREATING_READ_REPLICA_OF_SOURCE", "IN_PROGRESS", t0.Add(5*time.Minute), true, created)
	if row := fresh.taskRow("CREATING_READ_REPLICA_OF_SOURCE", "COMPLETED", t0.Add(9*time.Minute), true, created); row.InStatus != 9*time.Minute || row.AtLeast {
		t.Errorf("first task: %s (at least %v), want 9m from the creation", row.InStatus, row.AtLeast)
	}
	if row := fresh.taskRow("CONFIGURE_BACKUPS", "IN_PROGRESS", t0.Add(9*time.Minute), false, created); !row.AtLeast {
		t.Errorf("a later task first read running is not marked a lower bound")
	}
}

// Bullet 3: status without credentials said `gone` and `none` and exit 0.
func TestStatusSaysUnknownWhenAWSCannotBeRead(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	f, err := env.engineWith(t, contract.Options{Source: "shop-db"}, contract.HeadlessApprover{Yes: true}, contract.UntilReady).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeReady {
		t.Fatalf("until ready: %s (%v)", f.Outcome, err)
	}
	dead := httptest.NewServer(nil)
	url := dead.URL
	dead.Close() // connection refused from here on
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: url, Region: "us-east-1", Simulator: true, Clock: env.clock})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := status.Read(context.Background(), api, env.stateDir, "shop-db")
	if err != nil {
		t.Fatal(err)
	}
	if rep.ProxyState != contract.StateUnknown || rep.DeploymentState != contract.StateUnknown || len(rep.Unreadable) == 0 {
		t.Fatalf("proxy %q deployment %q unreadable %v", rep.ProxyState, rep.DeploymentState, rep.Unreadable)
	}
	text := rep.Text()
	if strings.Contains(text, " gone") || strings.Contains(text, "proxy:      none") || !strings.Contains(text, "UNKNOWN") {
		t.Fatalf("status turned an error into a state:\n%s", text)
	}
	// No AWS client at all (no region): the same, never "gone".
	rep, err = status.Read(context.Background(), nil, env.stateDir, "shop-db")
	if err != nil {
		t.Fatal(err)
	}
	if text := rep.Text(); strings.Contains(text, " gone") || !strings.Contains(text, "deployment: bgd-") || !strings.Contains(text, "UNKNOWN") {
		t.Fatalf("status without a client:\n%s", text)
	}
}

// Bullet 4: abort's screen said "no AWS call" for a delete, and promised a
// re-registration in native mode where nothing was deregistered.
func TestAbortNamesTheCallsItMakes(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	if f, err := env.engineWith(t, contract.Options{Source: "shop-db"}, contract.HeadlessApprover{Yes: true}, contract.UntilReady).Run(context.Background()); err != nil || f.Outcome != contract.OutcomeReady {
		t.Fatalf("until ready: %s (%v)", f.Outcome, err)
	}
	f, err := env.engine(t, contract.Options{Source: "shop-db"}).Abort(context.Background())
	if err != nil || f.Outcome != contract.OutcomeRolledBack {
		t.Fatalf("abort: %s (%v)", f.Outcome, err)
	}
	var a *contract.Approval
	for i := range env.approver.seen {
		if env.approver.seen[i].Step == "abort" {
			a = &env.approver.seen[i]
		}
	}
	if a == nil {
		t.Fatal("abort asked nothing")
	}
	cli := strings.Join(a.CLI, "\n")
	if !strings.Contains(cli, "delete-blue-green-deployment") || !strings.Contains(cli, "--delete-target") {
		t.Errorf("abort's runbook lines do not name the delete: %q", cli)
	}
	if strings.Contains(cli, "register-db-proxy-targets") || strings.Contains(a.Text, "register shop-db") || !strings.Contains(a.Text, "native") {
		t.Errorf("native abort promises a registration:\n%s\n%s", a.Text, cli)
	}
}

// Bullet 4: abort on a finished run said "proxy points at blue".
func TestAbortAfterAFinishedRunRefusesTruthfully(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	if f, err := env.engine(t, contract.Options{Source: "shop-db"}).Run(context.Background()); err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %s (%v)", f.Outcome, err)
	}
	before := len(env.sim.Mutations())
	f, err := env.engine(t, contract.Options{Source: "shop-db"}).Abort(context.Background())
	if ExitCode(err) != contract.ExitUsage || f.ProxyState != contract.ProxyOnNewPrimary || !strings.Contains(err.Error(), "nothing to abort") {
		t.Fatalf("abort after done: proxy %s (%v)", f.ProxyState, err)
	}
	if n := len(env.sim.Mutations()); n != before {
		t.Errorf("abort after done changed AWS")
	}
}

// In the native regime the switchover is asked as a step: declining it
// pauses the run ready as well.
func TestDecliningTheNativeSwitchoverPausesReady(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	env.approver.decide = func(a contract.Approval) (contract.Decision, bool) {
		if a.Step == contract.StepSwitchover {
			return contract.DecisionDecline, true
		}
		return "", false
	}
	f, err := env.engine(t, contract.Options{Source: "shop-db"}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeReady || f.ExitCode != contract.ExitOK || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("declined native switchover: %s exit %d proxy %s (%v)", f.Outcome, f.ExitCode, f.ProxyState, err)
	}
	if st := env.sim.Stats(); st.DeploymentsCreated != 1 {
		t.Fatalf("deployments created: %d", st.DeploymentsCreated)
	}
	for _, m := range env.sim.Mutations() {
		if strings.Contains(m.Operation, "Switchover") {
			t.Fatalf("a declined switchover was sent: %+v", m)
		}
	}
}

// A finish message after the switchover suggested `rdsbg abort`, which
// then answered "use rdsbg resume".
func TestAdviceAfterTheSwitchoverNeverSuggestsAbort(t *testing.T) {
	timeout := &poll.TimeoutError{Step: contract.StepAttachProxyPrimary, What: "the proxy targets", Limit: time.Minute}
	before := &run{plan: contract.Plan{Source: contract.Source{ID: "orders-db"}}}
	if info := before.errorInfo(timeout); !strings.Contains(info.Meaning, "rdsbg abort") {
		t.Fatalf("before the switchover abort is a way out: %q", info.Meaning)
	}
	after := &run{plan: contract.Plan{Source: contract.Source{ID: "orders-db"}}, names: renameBook{renames: map[string]string{"orders-db": "orders-db-old1"}}}
	info := after.errorInfo(timeout)
	if strings.Contains(info.Meaning, "rdsbg abort") || !strings.Contains(info.Meaning, "rdsbg resume --source orders-db") {
		t.Fatalf("after the switchover: %q", info.Meaning)
	}
	msg := finishMessage(contract.OutcomeFailed, contract.ProxyOnNewPrimary, timeout, "orders-db", after.switchedOver())
	if strings.Contains(msg, "rdsbg abort") {
		t.Fatalf("finish message after the switchover: %s", msg)
	}
}

// The critical section's one approval is asked before its first step: its
// wait is reported on that step, never inside a duration.
func TestCriticalSectionApprovalWaitIsReportedApart(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	env.approver.onAsk = func(a contract.Approval) {
		if a.Kind == "critical-section" {
			env.clock.Advance(5 * time.Minute)
		}
	}
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %s (%v)", f.Outcome, err)
	}
	for _, te := range f.Timeline {
		if te.Step == contract.StepDetachProxyBlue {
			if te.ApprovalWait < 5*time.Minute || te.Duration >= 5*time.Minute {
				t.Fatalf("detach-proxy-blue: duration %s, approval wait %s", te.Duration, te.ApprovalWait)
			}
			return
		}
	}
	t.Fatalf("no detach-proxy-blue in %+v", f.Timeline)
}
