package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// unavailable is a 503 on every call of op: AWS-side trouble that lasts.
func unavailable(op string) sim.Fault {
	return sim.Fault{Operation: op, Code: "ServiceUnavailable", Message: "Service Unavailable", HTTPStatus: 503}
}

// compensationAttempts counts the "attempt N … failed" compensation events.
func compensationAttempts(l *eventLog) []contract.Event {
	var out []contract.Event
	for _, ev := range l.ofType(contract.EventCompensation) {
		if strings.HasPrefix(ev.Message, "attempt ") {
			out = append(out, ev)
		}
	}
	return out
}

// The switchover fails (AWS rolls it back) while the proxy is empty, and
// AWS refuses every registration with 503 for longer than any old limit
// (3 tries 2 s apart; a 30-minute wait): compensation keeps trying, with
// its backoff capped near 30 s, until AWS answers again, and the run ends
// with blue back behind the proxy — with no operator action.
func TestCompensationNeverGivesUpOnItsOwn(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{Switchover: "fail"}}})
	var once sync.Once
	var brokeAt, healedAt time.Time
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepFailed && ev.Step == contract.StepSwitchover {
			once.Do(func() {
				brokeAt = env.clock.Now()
				env.sim.AddFault(unavailable("RegisterDBProxyTargets"))
			})
		}
		if ev.Type == contract.EventCompensation && strings.HasPrefix(ev.Message, "attempt ") && healedAt.IsZero() &&
			!brokeAt.IsZero() && env.clock.Now().Sub(brokeAt) > 45*time.Minute {
			healedAt = env.clock.Now()
			env.sim.ClearFaults()
		}
	}
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err == nil {
		t.Fatal("the run succeeded; want the switchover's failure")
	}
	if healedAt.IsZero() {
		t.Fatalf("compensation stopped before AWS came back: %v", err)
	}
	if f.ProxyState != contract.ProxyOnBlue || f.ExitCode != contract.ExitStepFailed {
		t.Errorf("finished %+v, want proxy on blue, exit 1", f)
	}
	env.assertProxyHealthy(t, contract.Source{ID: "orders-db", Kind: contract.KindInstance}, "orders-proxy")
	attempts := compensationAttempts(env.events)
	if len(attempts) < 10 {
		t.Fatalf("%d compensation attempts in 45 min, want many", len(attempts))
	}
	// Backoff capped near 30 s (+ jitter), and each attempt reports what
	// it waits for and for how long.
	var gaps []time.Duration
	for i := 1; i < len(attempts); i++ {
		gaps = append(gaps, attempts[i].Time.Sub(attempts[i-1].Time))
	}
	for _, ev := range env.events.ofType(contract.EventProgress) {
		if p := ev.Progress; p != nil && p.Retry != nil && p.Waiting == "AWS, to restore the proxy's target" {
			if p.Retry.NextIn > 35*time.Second {
				t.Errorf("next try in %s: the backoff must stay near 30 s", p.Retry.NextIn)
			}
			if p.ProxylessSince == nil {
				t.Errorf("compensation progress without the time the proxy went empty")
			}
		}
	}
	if !strings.Contains(attempts[0].Message, "for as long as it takes") || !strings.Contains(attempts[0].Message, "EMPTY for") {
		t.Errorf("attempt message %q does not say it keeps trying and for how long the proxy is empty", attempts[0].Message)
	}
	t.Logf("%d attempts over %s; gaps %v…", len(attempts), healedAt.Sub(brokeAt), gaps[:min(5, len(gaps))])
}

// The operator's explicit stop (a second SIGINT: Config.GiveUp) is the
// only way out with a proxy empty: exit 5, the summary and the journal say
// EMPTY, since when, and the AWS CLI command that restores it.
func TestGivingUpSaysTheProxyIsEmptyAndHowToRestoreIt(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{Switchover: "fail"}}})
	giveUp := make(chan struct{})
	var once, closeOnce sync.Once
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepFailed && ev.Step == contract.StepSwitchover {
			once.Do(func() { env.sim.AddFault(unavailable("RegisterDBProxyTargets")) })
		}
		if ev.Type == contract.EventCompensation && strings.HasPrefix(ev.Message, "attempt 3 ") {
			closeOnce.Do(func() { close(giveUp) })
		}
	}
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Approver: env.approver,
		Sink: env.events.sink, Options: contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}, GiveUp: giveUp})
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Run(context.Background())
	var pe *ProxyEmptyError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *ProxyEmptyError", err)
	}
	if f.ExitCode != contract.ExitInterrupted || f.ProxyState != contract.ProxyEmpty || f.Outcome != contract.OutcomeInterrupted {
		t.Errorf("finished %s exit %d proxy %s, want interrupted, 5, none", f.Outcome, f.ExitCode, f.ProxyState)
	}
	want := "aws rds register-db-proxy-targets --region us-east-1 --db-proxy-name orders-proxy --target-group-name default --db-instance-identifiers orders-db"
	if len(f.RestoreCommands) != 1 || f.RestoreCommands[0] != want {
		t.Errorf("restore commands %q, want %q", f.RestoreCommands, want)
	}
	if f.ProxyEmptySince == nil || f.ProxyEmptySince.After(env.clock.Now()) {
		t.Errorf("proxy_empty_since = %v", f.ProxyEmptySince)
	}
	msg := err.Error()
	for _, s := range []string{"orders-proxy is EMPTY since", want} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	recs := env.journal(t, "orders-db")
	found := false
	for _, r := range recs {
		if r.Kind == journal.RecordCompensation && strings.Contains(r.Message, "EMPTY since") && strings.Contains(r.Message, want) {
			found = true
		}
	}
	if !found {
		t.Error("the journal does not say the proxy is EMPTY and how to restore it")
	}
	last := recs[len(recs)-1]
	if last.Kind != journal.RecordFinish || last.Finished.ProxyState != contract.ProxyEmpty || !strings.Contains(last.Message, "EMPTY") {
		t.Errorf("last record %+v", last)
	}
}

// The faults file of the issue: 90 % of all calls throttled from the
// first DeregisterDBProxyTargets on, for good. Reads, changes and waits
// retry through it (a throttled read is no evidence, so it does not break
// a streak of healthy reads). Outside an empty-proxy period a wait whose
// reads have all failed for the error budget stops — better than opening
// the critical section against an API that answers one call in ten — but
// never with the proxy empty: the run ends with its target and says so.
func TestThrottlingAfterDeregistrationNeverLeavesTheProxyEmpty(t *testing.T) {
	for _, seed := range []int64{7, 11} {
		env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Seed: seed,
			Faults: []sim.Fault{{ThrottleRate: 0.9, After: "DeregisterDBProxyTargets"}}})
		f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
		if f.ProxyState != contract.ProxyOnNewPrimary && f.ProxyState != contract.ProxyOnBlue {
			t.Errorf("seed %d: proxy %s after %v, want it serving blue or the new primary", seed, f.ProxyState, err)
		}
		if f.ExitCode != contract.ExitOK && f.ExitCode != contract.ExitStepFailed {
			t.Errorf("seed %d: exit %d", seed, f.ExitCode)
		}
		env.sim.ClearFaults()
		env.assertProxyHealthy(t, contract.Source{ID: "orders-db", Kind: contract.KindInstance}, "orders-proxy")
		if env.sim.Stats().ThrottledCalls < 50 {
			t.Errorf("only %d throttled calls: the fault did not bite", env.sim.Stats().ThrottledCalls)
		}
		t.Logf("seed %d: %s, proxy %s, %d calls throttled; proxy-less window %s (%v)", seed, f.Outcome, f.ProxyState,
			env.sim.Stats().ThrottledCalls, time.Duration(f.ProxylessWindowMS)*time.Millisecond, err)
	}
}

// A wait's error budget is time, not a count: six failed reads in a few
// seconds do not fail a wait outside the critical section.
func TestWaitErrorBudgetIsTime(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	eng := env.engine(t, contract.Options{Source: "catalog-db"})
	polls := 0
	err := eng.wait(context.Background(), poll.Spec{Step: contract.StepCreateDeployment, What: "a test", Speed: poll.Fast, Limit: time.Hour,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			polls++
			if polls <= 8 {
				return false, contract.Progress{}, errors.New("connection refused")
			}
			return true, contract.Progress{}, nil
		}})
	if err != nil {
		t.Fatalf("wait failed after %d reads: %v", polls, err)
	}
	// And past the budget it does fail.
	polls = 0
	err = eng.wait(context.Background(), poll.Spec{Step: contract.StepCreateDeployment, What: "a test", Speed: poll.Slow, Limit: 24 * time.Hour,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			polls++
			return false, contract.Progress{}, errors.New("connection refused")
		}})
	if err == nil || !strings.Contains(err.Error(), "reads failed for") {
		t.Fatalf("err = %v, want the budget's failure", err)
	}
	// While a proxy is empty there is no budget.
	eng.proxyEmpty = func() bool { return polls < 500 }
	polls = 0
	err = eng.wait(context.Background(), poll.Spec{Step: contract.StepSwitchover, What: "a test", Speed: poll.Slow, Limit: time.Minute,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			polls++
			if polls < 400 {
				return false, contract.Progress{}, errors.New("connection refused")
			}
			return true, contract.Progress{}, nil
		}})
	if err != nil {
		t.Fatalf("a wait with the proxy empty gave up after %d reads: %v", polls, err)
	}
}

// The row: 90 % of the calls throttled for 5 minutes, starting at
// the critical deregistration. The run goes on through it and completes.
func TestThrottlingFiveMinutesFromTheCriticalDeregistration(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Seed: 3})
	var added time.Time
	var mu sync.Mutex
	env.events.hook = func(ev contract.Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Type == contract.EventStepStarted && ev.Step == contract.StepDetachProxyBlue && added.IsZero() {
			added = env.clock.Now()
			env.sim.AddFault(sim.Fault{ThrottleRate: 0.9})
		}
		if !added.IsZero() && env.clock.Now().Sub(added) > 5*time.Minute {
			env.sim.ClearFaults()
		}
	}
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v (finished %s, proxy %s)", err, f.Outcome, f.ProxyState)
	}
	if f.ProxyState != contract.ProxyOnNewPrimary || f.ExitCode != contract.ExitOK {
		t.Errorf("finished %s exit %d proxy %s", f.Outcome, f.ExitCode, f.ProxyState)
	}
	env.assertProxyHealthy(t, contract.Source{ID: "orders-db", Kind: contract.KindInstance}, "orders-proxy")
	if env.sim.Stats().ThrottledCalls < 10 {
		t.Errorf("only %d throttled calls", env.sim.Stats().ThrottledCalls)
	}
	t.Logf("%d throttled calls; proxy-less window %s", env.sim.Stats().ThrottledCalls, time.Duration(f.ProxylessWindowMS)*time.Millisecond)
}

// The test env's runaway guard: a run that retries for ever what AWS
// never accepts (every registration refused, even after the rollback)
// fails its test once the virtual clock has run past the horizon, and is
// stopped there as the operator would stop it, instead of eating memory.
func TestRunawayGuardStopsARunThatNeverEnds(t *testing.T) {
	t.Parallel() // half a second of wall time: a rollback whose registration AWS keeps refusing, then an hour of retries
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative,
		Faults: []sim.Fault{{Operation: "RegisterDBProxyTargets", Code: "InvalidDBProxyStateFault"}}})
	var reported []string
	env.runaway.horizon = time.Hour
	env.runaway.errorf = func(format string, args ...any) { reported = append(reported, fmt.Sprintf(format, args...)) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepDone && ev.Step == contract.StepCreateDeployment {
			cancel()
		}
	}
	f, err := env.engine(t, legacyOpts).Run(ctx)
	if len(reported) != 1 || !strings.Contains(reported[0], "runaway run") {
		t.Fatalf("guard reported %q", reported)
	}
	if !isProxyEmptyError(err) || f.ProxyState != contract.ProxyEmpty || f.ExitCode != contract.ExitInterrupted {
		t.Fatalf("finished %s, proxy %s, exit %d: %v", f.Outcome, f.ProxyState, f.ExitCode, err)
	}
	if ran := env.clock.Now().Sub(env.runaway.start); ran > 90*time.Minute {
		t.Errorf("stopped after %s of simulated time, horizon 1h", ran)
	}
}
