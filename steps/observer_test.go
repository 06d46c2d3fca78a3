package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/observe"
)

// recorder is a caller's observer: it writes down every transition it is
// told of, in order.
type recorder struct {
	observe.Nop
	mu      sync.Mutex
	log     []string
	events  int
	refuse  contract.StepID // PreStep refuses this step
	summary *contract.Finished
}

func (o *recorder) note(format string, a ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.log = append(o.log, fmt.Sprintf(format, a...))
}

func (o *recorder) PlanStarted(p contract.Plan) { o.note("plan %d steps", len(p.Steps)) }
func (o *recorder) Event(ev contract.Event) {
	o.mu.Lock()
	o.events++
	o.mu.Unlock()
	if ev.Type == contract.EventStepStarted || ev.Type == contract.EventStepDone || ev.Type == contract.EventStepFailed {
		o.note("event %s %s", ev.Type, ev.Step)
	}
}
func (o *recorder) PreStep(_ context.Context, ev contract.Event) error {
	o.note("pre %s", ev.Step)
	if ev.Step == o.refuse {
		return errors.New("refused by the observer")
	}
	return nil
}
func (o *recorder) PostStep(_ context.Context, ev contract.Event) { o.note("post %s", ev.Step) }
func (o *recorder) StepFailed(_ context.Context, ev contract.Event, err error) {
	o.note("failed %s: %v", ev.Step, err)
}
func (o *recorder) Finishing(f *contract.Finished) {
	o.note("finishing %s", f.Outcome)
	o.summary = f
}

func (e *engineEnv) observedEngine(t *testing.T, o contract.Options, obs observe.Observer) *Engine {
	t.Helper()
	eng, err := New(Config{API: e.client, Calls: e.calls, Clock: e.clock, StateDir: e.stateDir, Approver: e.approver,
		Sink: e.events.sink, Options: o, Observers: []observe.Observer{obs}, GiveUp: e.runaway.giveUp})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// A caller's observer is told every transition once, in the engine's
// order: the plan, then around each step pre → started → done → post, and
// the summary last, before the run-finished event.
func TestObserverIsToldEveryTransitionInOrder(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	rec := &recorder{}
	f, err := env.observedEngine(t, contract.Options{Source: "shop-db"}, rec).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("Run = %s, %v", f.Outcome, err)
	}
	got := strings.Join(rec.log, "\n")
	for _, want := range []string{
		"pre create-deployment\nevent step-started create-deployment\n",
		"event step-done create-deployment\npost create-deployment\n",
		"pre switchover\nevent step-started switchover\n",
		"event step-done switchover\npost switchover\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transitions lack %q:\n%s", want, got)
		}
	}
	if !strings.HasPrefix(got, "plan ") {
		t.Errorf("the plan was not the first transition:\n%s", got)
	}
	if last := rec.log[len(rec.log)-1]; last != "finishing done" {
		t.Errorf("last transition %q, want the summary", last)
	}
	if strings.Count(got, "finishing") != 1 || strings.Count(got, "pre switchover") != 1 {
		t.Errorf("a transition was told twice:\n%s", got)
	}
	env.events.mu.Lock()
	sunk := len(env.events.events)
	env.events.mu.Unlock()
	if rec.events != sunk {
		t.Errorf("the observer saw %d events, the sink %d", rec.events, sunk)
	}
}

// An observer's PreStep error stops the run before the step changes
// anything, and the failure is told to the observer too.
func TestObserverPreStepErrorStopsBeforeTheStep(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	rec := &recorder{refuse: contract.StepCreateDeployment}
	f, err := env.observedEngine(t, contract.Options{Source: "shop-db"}, rec).Run(context.Background())
	// Refused before the first change: exit 3 (runner.go), as a refusing
	// pre hook there.
	if err == nil || f.Outcome == contract.OutcomeDone || f.ExitCode != contract.ExitPreflight {
		t.Fatalf("Run = %s (exit %d), %v; want stopped before any change", f.Outcome, f.ExitCode, err)
	}
	got := strings.Join(rec.log, "\n")
	if strings.Contains(got, "event step-started create-deployment") {
		t.Errorf("the step started after its PreStep refused:\n%s", got)
	}
	if !strings.Contains(got, "failed create-deployment: refused by the observer") {
		t.Errorf("the failure was not told:\n%s", got)
	}
	if env.sim.DeploymentsCreated() != 0 {
		t.Errorf("a deployment was created after the refusal")
	}
}
