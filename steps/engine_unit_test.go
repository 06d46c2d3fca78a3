package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
)

func TestExitCodes(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, contract.ExitOK},
		{errors.New("boom"), contract.ExitStepFailed},
		{&contract.InputError{Message: "bad"}, contract.ExitUsage},
		{&contract.InputError{Message: "blocked", ExitCode: contract.ExitPreflight}, contract.ExitPreflight},
		{fmt.Errorf("wrapped: %w", &journal.LockError{Source: "x"}), contract.ExitUsage},
		{&journal.StateDirError{Dir: "/x", Err: errors.New("ro")}, contract.ExitUsage},
		{contract.ErrBlocked, contract.ExitPreflight},
		{fmt.Errorf("%w: plan", contract.ErrDeclined), contract.ExitCancelled},
		{fmt.Errorf("step: %w", context.Canceled), contract.ExitInterrupted},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	if _, err := New(Config{}); ExitCode(err) != contract.ExitUsage {
		t.Errorf("no API: %v", err)
	}
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	if _, err := New(Config{API: env.client, StateDir: env.stateDir}); err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("no approver: %v", err)
	}
	if _, err := New(Config{API: env.client, Approver: contract.HeadlessApprover{}}); err == nil || !strings.Contains(err.Error(), "state") {
		t.Errorf("no state dir: %v", err)
	}
}

func TestWaitBacksOffUnderThrottlingAndGivesUpClearly(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	env.sim.AddFault(sim.Fault{Operation: "DescribeBlueGreenDeployments", ThrottleRate: 1})
	eng := env.engine(t, contract.Options{Source: "catalog-db"})
	start := env.clock.Now()
	limit := 30 * time.Minute
	err := eng.wait(context.Background(), poll.Spec{Step: contract.StepCreateDeployment, What: "the deployment to be AVAILABLE", Speed: poll.Slow, Limit: limit,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			_, err := env.client.DescribeDeployment(ctx, "bgd-doesnotexist00")
			return false, contract.Progress{}, err
		}})
	// Throttled reads are failed reads: outside an empty-proxy period the
	// wait gives up once they have lasted the error budget (time, not a
	// count), with an error that says so; the limit is for AWS answering
	// "not yet", which it never did here.
	budget := poll.DefaultPolicy().ErrorBudget
	if err == nil || !strings.Contains(err.Error(), "the deployment to be AVAILABLE") || !strings.Contains(err.Error(), "reads failed for") || awsclient.Classify(err) != awsclient.KindThrottled {
		t.Fatalf("want a clear error budget failure, got %v", err)
	}
	if elapsed := env.clock.Now().Sub(start); elapsed < budget || elapsed > limit+poll.DefaultPolicy().Max*2 {
		t.Errorf("gave up after %s, want after the %s error budget", elapsed, budget)
	}
	throttled := 0
	for _, ev := range env.events.ofType(contract.EventNotice) {
		if strings.Contains(ev.Message, "throttling") {
			throttled++
		}
	}
	if throttled == 0 {
		t.Errorf("no throttling notice")
	}
	// Slow polling alone would be 120 reads in 30 min; backing off to
	// DefaultPollPolicy().Max (2 min) leaves far fewer operations.
	if ops := env.sim.CallCounts()["DescribeBlueGreenDeployments"]; ops == 0 || ops > 3*40 {
		t.Errorf("%d throttled calls in %s", ops, limit)
	}
	reads := 0
	for _, c := range env.calls.Recent(200) {
		if c.Operation == "DescribeBlueGreenDeployments" {
			reads++
		}
	}
	if reads > 30 {
		t.Errorf("%d operations in %s under throttling: no backoff", reads, limit)
	}
}

func TestWaitNeedsStableReads(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	eng := env.engine(t, contract.Options{Source: "catalog-db"})
	answers := []bool{true, false, true, true, false, true, true, true}
	polls := 0
	err := eng.wait(context.Background(), poll.Spec{Step: contract.StepReadyCheck, What: "stability", Speed: poll.Fast, Limit: time.Hour, Stable: 3,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			polls++
			return answers[polls-1], contract.Progress{}, nil
		}})
	if err != nil || polls != len(answers) {
		t.Errorf("polls %d err %v, want %d reads (3 in a row)", polls, err, len(answers))
	}
	if got := eng.wait(context.Background(), poll.Spec{Step: contract.StepReadyCheck, What: "x", Speed: poll.Fast, Limit: time.Hour,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			return false, contract.Progress{}, poll.Fatal("broken")
		}}); got == nil || got.Error() != "broken" {
		t.Errorf("a fatal poll error must stop the wait at once: %v", got)
	}
}
