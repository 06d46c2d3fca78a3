package steps

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/observe"
	"github.com/rdsbg/rdsbg/steps/probe"
)

func (e *engineEnv) hookEngine(t *testing.T, o contract.Options, timeout time.Duration, hooks ...string) *Engine {
	t.Helper()
	eng, err := New(Config{API: e.client, Calls: e.calls, Clock: e.clock, StateDir: e.stateDir, Approver: e.approver,
		Sink: e.events.sink, Options: o, Hooks: hooks, HookTimeout: timeout, GiveUp: e.runaway.giveUp})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// Every transition reaches the hook with its event as JSON on stdin and
// RDSBG_STEP / RDSBG_PHASE set; the probe DSN is not passed on.
func TestHooksReceiveTheEventAtEveryTransition(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(probe.EnvDSN, "postgres://app:not-for-hooks@127.0.0.1:1/app")
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	hook := `cat > "$HOOK_DIR/$RDSBG_PHASE-$RDSBG_STEP.json"; env > "$HOOK_DIR/$RDSBG_PHASE-$RDSBG_STEP.env"`
	t.Setenv("HOOK_DIR", dir)
	f, err := env.hookEngine(t, contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeAuto}, 10*time.Second, hook).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("Run = %s, %v", f.Outcome, err)
	}
	for _, tc := range []struct {
		file string
		typ  contract.EventType
		step contract.StepID
	}{
		{"pre-create-deployment.json", contract.EventStepStarted, contract.StepCreateDeployment},
		{"post-create-deployment.json", contract.EventStepDone, contract.StepCreateDeployment},
		{"pre-switchover.json", contract.EventStepStarted, contract.StepSwitchover},
		{"post-switchover.json", contract.EventStepDone, contract.StepSwitchover},
	} {
		raw, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Errorf("hook did not run: %v", err)
			continue
		}
		var ev contract.Event
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil || ev.Type != tc.typ || ev.Step != tc.step || ev.Time.IsZero() {
			t.Errorf("%s: %+v, %v; want a %s event of %s", tc.file, ev, err, tc.typ, tc.step)
		}
		envText, _ := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(tc.file, ".json")+".env"))
		if !strings.Contains(string(envText), "RDSBG_STEP="+string(tc.step)) || strings.Contains(string(envText), "not-for-hooks") {
			t.Errorf("%s environment: want RDSBG_STEP and no probe DSN:\n%s", tc.file, envText)
		}
	}
}

// A failing pre hook stops the run before the step: nothing changed.
func TestFailingPreHookStopsBeforeTheStep(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	hook := `if [ "$RDSBG_PHASE" = pre ] && [ "$RDSBG_STEP" = create-deployment ]; then echo "replication job still running" >&2; exit 3; fi`
	f, err := env.hookEngine(t, contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeAuto}, 10*time.Second, hook).Run(context.Background())
	var he *observe.HookError
	if !errors.As(err, &he) || he.Phase != observe.HookPre || he.Step != contract.StepCreateDeployment || !strings.Contains(err.Error(), "replication job still running") {
		t.Fatalf("Run error = %v, want the pre hook's failure with its output", err)
	}
	if f.Outcome != contract.OutcomeBlocked || f.ExitCode != contract.ExitPreflight {
		// Before the first change: exit 3, nothing changed (runner.go).
		t.Errorf("finished %s exit %d, want blocked 3", f.Outcome, f.ExitCode)
	}
	env.assertNoMutations(t)
	for _, ev := range env.events.ofType(contract.EventStepStarted) {
		if ev.Step == contract.StepCreateDeployment {
			t.Error("create-deployment was started despite its failing pre hook")
		}
	}
}

func TestHookTimeoutIsAFailure(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	_, err := env.hookEngine(t, contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeAuto}, 50*time.Millisecond, `exec sleep 30`).Run(context.Background())
	var he *observe.HookError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "timed out after 50ms") {
		t.Fatalf("Run error = %v, want a timed-out pre hook", err)
	}
	env.assertNoMutations(t)
}

// Inside the critical section a failing pre hook cannot stop a step (the
// proxy is already empty): it becomes a notice, and the run finishes.
func TestHooksInsideTheCriticalSectionDoNotStopIt(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	hook := `if [ "$RDSBG_PHASE" = pre ] && [ "$RDSBG_STEP" = switchover ]; then echo "chat is down" >&2; exit 1; fi`
	f, err := env.hookEngine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}, 10*time.Second, hook).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("Run = %s, %v; a hook inside the critical section must not stop it", f.Outcome, err)
	}
	var noted bool
	for _, ev := range env.events.ofType(contract.EventNotice) {
		if ev.Step == contract.StepSwitchover && strings.Contains(ev.Message, "pre hook for switchover") && strings.Contains(ev.Message, "chat is down") {
			noted = true
		}
	}
	if !noted {
		t.Error("the failing background hook left no notice")
	}
}
