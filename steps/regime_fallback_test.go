package steps

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

func TestAutoModeFallsBackToDetachAfterRefusal(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	mutationsAtFallback := -1
	env.approver.onAsk = func(a contract.Approval) {
		if a.Kind == "fallback-detach" {
			mutationsAtFallback = len(lastingMutations(env.sim.Mutations())) // blue's tag for the refused creation is removed again
			if !strings.Contains(a.Text, "Nothing has been changed") || !strings.Contains(a.Text, "orders-proxy") {
				t.Errorf("fallback text does not say nothing changed and name the proxy: %q", a.Text)
			}
			// The same outage note as detach-proxy's, in the new order.
			if !strings.Contains(a.Text, "EMPTY from the deregistration") || !strings.Contains(a.Text, "5–7 min on AWS") || !strings.Contains(a.Text, "measured twice") {
				t.Errorf("fallback text does not state the expected outage with its source: %q", a.Text)
			}
		}
		if a.Kind == "step" && a.Step == contract.StepDetachProxy && (a.Severity != contract.SeveritySevere || a.Confirm != "orders-db" || !strings.Contains(a.Text, "5–7 min on AWS")) {
			t.Errorf("detach-proxy after the fallback: severity %s confirm %q text %q, want severe with the outage range", a.Severity, a.Confirm, a.Text)
		}
	}
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeAuto}).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if mutationsAtFallback != 0 {
		t.Errorf("mutations before the fallback approval: %d, want 0", mutationsAtFallback)
	}
	creates := 0
	for _, a := range env.approver.seen {
		if a.Step == contract.StepCreateDeployment && a.Kind == "step" {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("create-deployment was asked %d times; the fallback must not ask again for the change already approved", creates)
	}
	plans := env.events.ofType(contract.EventPlanReady)
	if len(plans) != 2 || plans[0].Plan.Regime != contract.RegimeNative || plans[1].Plan.Regime != contract.RegimeDetach {
		t.Fatalf("want a native plan then a detach plan, got %d plan events", len(plans))
	}
	if f.Outcome != contract.OutcomeDone || f.ProxyState != contract.ProxyOnNewPrimary {
		t.Errorf("finished %s proxy %s", f.Outcome, f.ProxyState)
	}
	if n := env.sim.DeploymentsCreated(); n != 1 {
		t.Errorf("deployments created %d, want 1", n)
	}
	env.assertProxyHealthy(t, plans[1].Plan.Source, "orders-proxy")
	// The native check and the real deregistration both ran under the id
	// detach-proxy: the summary must tell them apart.
	var detachOutcomes []string
	for _, e := range f.Timeline {
		if e.Step == contract.StepDetachProxy {
			detachOutcomes = append(detachOutcomes, e.Outcome)
		}
	}
	if strings.Join(detachOutcomes, ",") != "checked,done" {
		t.Errorf("timeline outcomes of detach-proxy %v, want [checked done]", detachOutcomes)
	}
}

// An unknown source has no proxy rdsbg read: the refusal says "unknown",
// never a "blue" it has not seen (docs/events.md, proxy_state).
func TestRunStoppedBeforeDiscoveryReportsProxyUnknown(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	f, err := env.engine(t, contract.Options{Source: "nope-db"}).Run(context.Background())
	if ExitCode(err) != contract.ExitUsage {
		t.Fatalf("exit %d: %v", ExitCode(err), err)
	}
	if f.ProxyState != contract.ProxyUnknown {
		t.Errorf("proxy state %q, want %q: no proxy was read", f.ProxyState, contract.ProxyUnknown)
	}
	env.assertNoMutations(t)
}

func TestHeadlessFallbackNeedsYes(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Sink: env.events.sink,
		Approver: declineKind{kind: "fallback-detach", inner: contract.HeadlessApprover{Yes: true, Sink: env.events.sink}},
		Options:  contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeAuto}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Run(context.Background())
	if ExitCode(err) != contract.ExitCancelled || f.Outcome != contract.OutcomeCancelled || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("declined fallback: exit %d outcome %s proxy %s (%v)", ExitCode(err), f.Outcome, f.ProxyState, err)
	}
	if m := lastingMutations(env.sim.Mutations()); len(m) != 0 {
		t.Errorf("a declined fallback changed AWS: %+v", m)
	}
}

// declineKind declines one approval kind and delegates the rest.
type declineKind struct {
	kind  string
	inner contract.Approver
}

func (d declineKind) Approve(ctx context.Context, a contract.Approval) (contract.Decision, error) {
	if a.Kind == d.kind {
		return contract.DecisionDecline, nil
	}
	return d.inner.Approve(ctx, a)
}

// Native AWS refuses blue's registration once the deployment exists: the
// detach procedure retries until --max-proxy-outage, then asks; rolling
// back deletes the deployment with its green and restores blue.
func TestDetachModeUnderNativeRegimeRollsBack(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	env.approver.answers["proxy-outage"] = contract.DecisionRollback
	f, err := env.engine(t, contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err == nil {
		t.Fatal("Run succeeded; want the rollback to end it")
	}
	if f.Outcome != contract.OutcomeRolledBack || f.ExitCode != contract.ExitStepFailed || f.ProxyState != contract.ProxyOnBlue {
		t.Errorf("finished %s exit %d proxy %s", f.Outcome, f.ExitCode, f.ProxyState)
	}
	var asked *contract.Approval
	for _, a := range env.approver.seen {
		if a.Kind == "proxy-outage" {
			a := a
			asked = &a
		}
	}
	if asked == nil {
		t.Fatalf("no proxy-outage approval; kinds %v", env.approver.kinds())
	}
	if !strings.Contains(asked.Text, "EMPTY") || len(asked.Choices) != 2 || asked.Choices[0] != contract.DecisionWait || asked.Choices[1] != contract.DecisionRollback {
		t.Errorf("approval: choices %v text %q", asked.Choices, asked.Text)
	}
	plans := env.events.ofType(contract.EventPlanReady)
	env.assertProxyHealthy(t, plans[0].Plan.Source, "shop-proxy")
	deps, err := env.api.ListDeployments(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 0 {
		t.Errorf("deployments left after rollback: %+v", deps)
	}
	if _, err := env.api.DescribeInstance(context.Background(), "shop-db"); err != nil {
		t.Errorf("blue is gone: %v", err)
	}
}

// Headless: detach-proxy is severe, so --yes alone changes nothing; with
// --confirm the run rolls back at --max-proxy-outage without asking.
func TestHeadlessRefusedRegistrationRollsBackAtMaxProxyOutage(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Sink: env.events.sink,
		// approveOnly hides the headless plan check (which refuses --yes
		// without --confirm at once, steps/contract/sinks_test.go), to reach the
		// approval's own rule.
		Approver: approveOnly{contract.HeadlessApprover{Yes: true, Sink: env.events.sink}}, Options: contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeDetach}})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := eng.Run(context.Background())
	if f.Outcome != contract.OutcomeBlocked || f.ExitCode != contract.ExitUsage || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("--yes without --confirm: finished %s (exit %d) proxy %s, want refused before any change (blocked, exit 2) on blue", f.Outcome, f.ExitCode, f.ProxyState)
	}
	env.assertNoMutations(t)
	found := false
	for _, ev := range env.events.ofType(contract.EventNotice) {
		if strings.Contains(ev.Message, "--confirm shop-db") {
			found = true
		}
	}
	if !found {
		t.Errorf("no notice naming the missing --confirm")
	}

	eng, err = New(Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Sink: env.events.sink,
		Approver: contract.HeadlessApprover{Yes: true, Confirm: "shop-db", Sink: env.events.sink}, Options: contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeDetach}})
	if err != nil {
		t.Fatal(err)
	}
	f, _ = eng.Run(context.Background())
	if f.Outcome != contract.OutcomeRolledBack || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("finished %s proxy %s, want rolled-back on blue", f.Outcome, f.ProxyState)
	}
	said := false
	for _, ev := range env.events.ofType(contract.EventNotice) {
		said = said || strings.Contains(ev.Message, "rolling back")
	}
	if !said {
		t.Errorf("no notice that headless rolls back at --max-proxy-outage")
	}
}

func TestCriticalSectionIsOneApproval(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	var order []string
	env.events.hook = func(ev contract.Event) {
		switch ev.Type {
		case contract.EventApproval:
			order = append(order, "approval:"+ev.Approval.Kind)
		case contract.EventStepStarted:
			order = append(order, "start:"+string(ev.Step))
		}
	}
	if _, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var crit *contract.Approval
	for _, a := range env.approver.seen {
		if a.Kind == "critical-section" {
			if crit != nil {
				t.Fatalf("critical section approved twice")
			}
			a := a
			crit = &a
		}
	}
	if crit == nil {
		t.Fatalf("no critical-section approval: %v", env.approver.kinds())
	}
	if crit.Severity != contract.SeveritySevere || crit.Confirm != "orders-db" ||
		len(crit.Steps) != 3 || crit.Steps[0] != contract.StepDetachProxyBlue || crit.Steps[2] != contract.StepAttachProxyPrimary {
		t.Errorf("critical approval: %+v", *crit)
	}
	// The expected outage as a range with its source, not only the
	// simulator's figure: 300 s timeout + 5–7 min registration.
	if !strings.Contains(crit.Text, "up to about 10–12 min on AWS") || !strings.Contains(crit.Text, "measured twice") {
		t.Errorf("critical approval does not state the expected outage on AWS with its source: %s", crit.Text)
	}
	joined := strings.Join(order, " ")
	i := strings.Index(joined, "approval:critical-section")
	j := strings.Index(joined, "start:detach-proxy-blue")
	k := strings.Index(joined, "start:verify")
	if i < 0 || j < i || k < j {
		t.Fatalf("order: %s", joined)
	}
	if strings.Contains(joined[j:k], "approval:") {
		t.Errorf("a prompt inside the critical section: %s", joined[j:k])
	}
}

// Walkthrough D13: in CI, `run --until ready --yes` (no --confirm) on a
// database that refuses the native regime. The fallback to detach needs a
// severe step; there is no operator to decline it, so the run is refused
// as bad usage, exit 2, naming --confirm, before any change — never exit 4
// "cancelled by the operator".
func TestHeadlessFallbackWithoutConfirmIsRefusedBeforeAnyChange(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	f, err := env.engineWith(t, contract.Options{Source: "orders-db"}, contract.HeadlessApprover{Yes: true, Sink: env.events.sink}, contract.UntilReady).Run(context.Background())
	if f.ExitCode != contract.ExitUsage || ExitCode(err) != contract.ExitUsage || errors.Is(err, contract.ErrDeclined) {
		t.Fatalf("finished %s exit %d (%v): want exit 2", f.Outcome, f.ExitCode, err)
	}
	if f.Outcome != contract.OutcomeBlocked || f.ProxyState != contract.ProxyOnBlue {
		t.Errorf("finished %s with the proxy %s: want blocked (nothing to resume) on blue", f.Outcome, f.ProxyState)
	}
	for _, want := range []string{"a severe step needs --confirm", "--confirm orders-db", "detach-proxy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	fin := env.events.ofType(contract.EventRunFinished)
	if len(fin) != 1 || strings.Contains(fin[0].Message, "operator") || !strings.Contains(fin[0].Message, "nothing was changed") {
		t.Errorf("run-finished says %q", fin[0].Message)
	}
	// Only blue's rdsbg:source tag went on before the refused creation and
	// came off again (iam-policy's tag): nothing else changed.
	for _, m := range env.sim.Mutations() {
		if m.Operation != "AddTagsToResource" && m.Operation != "RemoveTagsFromResource" {
			t.Errorf("changed AWS: %+v", m)
		}
	}
}
