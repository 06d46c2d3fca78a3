package steps

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// Prepare is the one preparation: with preflight it returns the checks and
// the plan; without, the same plan and no check (iam-policy, a resume's
// replan) and fewer AWS reads.
func TestPrepareWithAndWithoutPreflight(t *testing.T) {
	env := newSimEnvWith(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative})
	opts := Options{Source: "orders-db", TargetEngineVersion: "16.4", ProxyMode: ProxyModeDetach}
	before := env.sim.TotalCalls()
	full, err := Prepare(context.Background(), env.api, opts, env.clock.Now, WithPreflight)
	if err != nil {
		t.Fatal(err)
	}
	fullCalls := env.sim.TotalCalls() - before
	if len(full.Checks) == 0 || full.Blocked() || full.Stage != StagePlan || full.Upgrade == nil {
		t.Fatalf("prepared %d checks, blocked %v, stage %d, upgrade %v", len(full.Checks), full.Blocked(), full.Stage, full.Upgrade)
	}
	if full.Plan.Regime != RegimeDetach || len(full.Plan.Steps) == 0 || full.Options.DeploymentName == "" {
		t.Fatalf("plan %s with %d steps, deployment name %q", full.Plan.Regime, len(full.Plan.Steps), full.Options.DeploymentName)
	}
	before = env.sim.TotalCalls()
	bare, err := Prepare(context.Background(), env.api, opts, env.clock.Now, WithoutPreflight)
	if err != nil {
		t.Fatal(err)
	}
	if bare.Checks != nil {
		t.Errorf("checks without preflight: %v", bare.Checks)
	}
	if calls := env.sim.TotalCalls() - before; calls >= fullCalls {
		t.Errorf("without preflight %d AWS calls, with %d: want fewer", calls, fullCalls)
	}
	if !sameSteps(bare.Plan, full.Plan) {
		t.Errorf("the plans differ with and without preflight")
	}
}

// A target version the catalogue does not offer stops the preparation at
// the upgrade stage, as a blocked preflight (exit 3), with no plan.
func TestPrepareStopsAtAnUnknownTargetVersion(t *testing.T) {
	env := newSimEnvWith(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative})
	p, err := Prepare(context.Background(), env.api, Options{Source: "orders-db", TargetEngineVersion: "99.9"}, env.clock.Now, WithPreflight)
	if err == nil || ExitCode(err) != ExitPreflight {
		t.Fatalf("err %v (exit %d), want a preflight refusal", err, ExitCode(err))
	}
	if p.Stage != StageUpgrade || p.Checks != nil || len(p.Plan.Steps) != 0 {
		t.Errorf("stage %d, %d checks, %d steps: want stopped at the upgrade", p.Stage, len(p.Checks), len(p.Plan.Steps))
	}
	if p.Discovery.Source.ID != "orders-db" {
		t.Errorf("the discovery is lost: %+v", p.Discovery.Source)
	}
}

// The flags are checked once, where the run is entered, before any AWS
// call: Prepare (plan, iam-policy) refuses a bad flag, or a missing
// source, without reading AWS; BuildPlan trusts what passed.
func TestPrepareRefusesBadFlagsBeforeAnyAWSCall(t *testing.T) {
	env := newSimEnvWith(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative})
	for _, c := range []struct {
		opts  Options
		input string
	}{
		{Options{Source: "orders-db", Cleanup: "everything"}, "--cleanup"},
		{Options{Source: "orders-db", SwitchoverTimeout: 10 * time.Second}, "--switchover-timeout"},
		{Options{Source: " "}, "--source"},
	} {
		before := env.sim.TotalCalls()
		prep, err := Prepare(context.Background(), env.api, c.opts, env.clock.Now, WithPreflight)
		var in *InputError
		if !errors.As(err, &in) || in.Input != c.input || in.ExitCode != ExitUsage || prep.Stage != StageDiscover {
			t.Errorf("%+v: want an exit-2 InputError for %s at the first stage, got %v (stage %d)", c.opts, c.input, err, prep.Stage)
		}
		if calls := env.sim.TotalCalls() - before; calls != 0 {
			t.Errorf("%+v: %d AWS calls before the refusal", c.opts, calls)
		}
	}
	if err := ValidateOptions(Options{Cleanup: "everything"}); err == nil || err.Error() != SourceRequired().Error() {
		t.Errorf("a missing source is refused first, in SourceRequired's words: %v", err)
	}
}
