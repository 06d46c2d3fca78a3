package steps

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// Every row declares every trait, even as "none": a step's traits are read
// from its row, and a row that forgot one would leave a switch somewhere
// else to decide for it (issue 24).
func TestEveryRowDeclaresItsTraits(t *testing.T) {
	for _, def := range stepTable() {
		var missing []string
		if def.plan == nil {
			missing = append(missing, "plan")
		}
		if def.proxy.kind == 0 || (def.empties() && def.proxy.cause == "") {
			missing = append(missing, "proxy")
		}
		if def.section == 0 {
			missing = append(missing, "section")
		}
		if def.events == 0 {
			missing = append(missing, "events")
		}
		if def.probe == 0 {
			missing = append(missing, "probe")
		}
		if !def.onAWS.declared() {
			missing = append(missing, "onAWS")
		}
		if def.grants == nil {
			missing = append(missing, "grants")
		}
		if def.undo == 0 {
			missing = append(missing, "undo")
		}
		if len(missing) > 0 {
			t.Errorf("step %s leaves %s undeclared", def.id, strings.Join(missing, ", "))
		}
	}
	// And a row that declares nothing is caught.
	if (stepDef{id: "bare"}).onAWS.declared() {
		t.Error("a zero onAWS reads as declared")
	}
}

// The rail's expectations name public sources or none: the team's own
// notes and their tags do not ship (walkthrough D17). The switchover is
// today's (seconds), registration a measured range; a check takes none.
func TestExpectationsCiteNoInternalDocument(t *testing.T) {
	for _, def := range stepTable() {
		short, source, ok := ExpectedOnAWS(nil, def.id)
		if !ok {
			continue
		}
		for _, internal := range []string{"rds-facts", "CNLAB", "SHINYAZ", "design.md", "§"} {
			if strings.Contains(source, internal) || strings.Contains(short, internal) {
				t.Errorf("%s cites %q: %s / %s", def.id, internal, short, source)
			}
		}
	}
	if short, _, _ := ExpectedOnAWS(nil, contract.StepSwitchover); short != "< 5 s" {
		t.Errorf("switchover expectation %q", short)
	}
	if _, source, _ := ExpectedOnAWS(nil, contract.StepAttachProxyBlue); !strings.Contains(source, "5–7 min") || !strings.Contains(source, "measured twice") {
		t.Errorf("registration expectation %q", source)
	}
	native := mustPlan(t, fixtureRDSPostgres(), contract.Options{}, nil)
	if _, _, ok := ExpectedOnAWS(&native, contract.StepAttachProxyBlue); ok {
		t.Error("a check (the native regime's attach-proxy-blue) has a registration's expectation")
	}
	old := native
	old.Steps = slices.DeleteFunc(slices.Clone(native.Steps), func(ps contract.PlannedStep) bool { return ps.ID == contract.StepProvisionGreen })
	if short, _, _ := ExpectedOnAWS(&old, contract.StepCreateDeployment); short != "12–35+ min" {
		t.Errorf("create-deployment without provision-green (an older plan) expects %q, want the provisioning's", short)
	}
}

// A step with one trait is its const, its row and its file (issue 24): a
// step of this test's own, watch-green, waits for green after the
// creation, and its row alone decides whether its waits read RDS events.
// Nothing else in the engine names it.

const stepWatchGreen contract.StepID = "watch-green"

func planWatchGreen(b planBuilder) (contract.PlannedStep, bool) {
	return contract.PlannedStep{ID: stepWatchGreen, Title: "Watch green being built", Severity: contract.SeverityReadOnly,
		Why: "A test step.", Effect: "Nothing changes.", CLI: append(b.bgdLine(), b.cli.describeDeployment("Status"))}, true
}

func (r *run) watchGreen(ps contract.PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) { return stepTodo, "", nil },
		settle: func(ctx context.Context) error {
			return r.e.wait(ctx, poll.Spec{Step: ps.ID, What: "green to be AVAILABLE", Speed: poll.Slow, Limit: r.e.cfg.Poll.ProvisionLimit,
				Poll: func(ctx context.Context) (bool, contract.Progress, error) {
					dep, err := r.findDeployment(ctx)
					if err != nil || dep == nil {
						return false, contract.Progress{}, err
					}
					return dep.Status == "AVAILABLE", r.depProgress(*dep), nil
				}})
		},
	}
}

func watchGreenRow(events rdsEvents) stepDef {
	return stepDef{id: stepWatchGreen, plan: planWatchGreen, bind: (*run).watchGreen,
		proxy: untouched, section: outsideSection, events: events, probe: probeUntouched, onAWS: noFigure(),
		grants: noGrants, undo: nothingToUndo}
}

// withRowAfter is the default table with row inserted after the step after.
func withRowAfter(after contract.StepID, row stepDef) stepRows {
	var t stepRows
	for _, def := range stepTable() {
		t = append(t, def)
		if def.id == after {
			t = append(t, row)
		}
	}
	return t
}

func TestAStepIsItsConstItsRowAndItsFile(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, events rdsEvents) (shown []string, planned, done bool) {
		env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
		eng := env.engine(t, contract.Options{Source: "catalog-db"})
		eng.rows = withRowAfter(contract.StepCreateDeployment, watchGreenRow(events))
		f, err := eng.Run(context.Background())
		if err != nil || f.Outcome != contract.OutcomeDone {
			t.Fatalf("run with the test step: %s, %v", f.Outcome, err)
		}
		plans := env.events.ofType(contract.EventPlanReady)
		_, planned = plans[len(plans)-1].Plan.Step(stepWatchGreen)
		for _, ev := range env.events.ofType(contract.EventNotice) {
			if ev.Step == stepWatchGreen && strings.HasPrefix(ev.Message, "RDS event ") {
				shown = append(shown, ev.Message)
			}
		}
		return shown, planned, slices.Contains(stepOrder(env.journal(t, "catalog-db"), journal.StepStateDone), stepWatchGreen)
	}
	shown, planned, done := run(t, readsEvents)
	if !planned || !done {
		t.Fatalf("the test step: planned %v, done in the journal %v", planned, done)
	}
	if len(shown) == 0 {
		t.Error("a step whose row reads RDS events showed none while it waited for green")
	}
	if shown, _, _ := run(t, noEventReads); len(shown) > 0 {
		t.Errorf("a step whose row reads no RDS events showed %q", shown)
	}
}
