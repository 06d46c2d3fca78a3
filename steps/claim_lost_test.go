package steps

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/world"
)

// Two runs claim one proxy at the same moment and the other one's lease is
// the one AWS keeps: this run stops (exit 2) and leaves the proxy to the
// other run, which has just emptied it. Re-registering blue there (as a
// compensation for a proxy this run never emptied) made AWS refuse the
// other run's creation in CI's two-operators case; restore commands would
// lead the operator to do the same by hand.
func TestALostClaimLeavesTheProxyToTheOtherRun(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	var once sync.Once
	env.calls.Subscribe(func(c awsclient.Call) {
		if c.Operation != "AddTagsToResource" || c.ErrorCode != "" {
			return
		}
		muts := env.sim.Mutations()
		last := muts[len(muts)-1]
		if last.Operation != "AddTagsToResource" || !strings.Contains(last.Target, ":db-proxy:") {
			return
		}
		once.Do(func() {
			// The other run writes its claim over this one's and empties
			// the proxy, all within this run's settle.
			ctx := context.Background()
			now := env.clock.Now()
			other := world.Lease{Run: "20261207T000000Z-beef", Host: "the-other-laptop", PID: 4242, Renewed: now.UTC(), Until: now.Add(30 * time.Minute).UTC()}
			if err := env.api.AddTagsToResource(ctx, last.Target, map[string]string{contract.TagOwner: other.Value()}); err != nil {
				t.Errorf("the other run's claim: %v", err)
			}
			if err := env.api.DeregisterTargets(ctx, "orders-proxy", contract.Source{Kind: contract.KindInstance, ID: "orders-db"}.Target()); err != nil {
				t.Errorf("the other run's deregistration: %v", err)
			}
		})
	})
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	if ExitCode(err) != contract.ExitUsage || f.Outcome != contract.OutcomeBlocked || !strings.Contains(err.Error(), "the-other-laptop") {
		t.Fatalf("Run = %s exit %d: %v", f.Outcome, ExitCode(err), err)
	}
	var registered, deregistered int
	for _, m := range env.sim.Mutations() {
		switch m.Operation {
		case "RegisterDBProxyTargets":
			registered++
		case "DeregisterDBProxyTargets":
			deregistered++
		}
	}
	if registered != 0 || deregistered != 1 {
		t.Errorf("AWS saw %d registrations and %d deregistrations: want the other run's deregistration alone", registered, deregistered)
	}
	if len(f.RestoreCommands) != 0 {
		t.Errorf("restore commands for the other run's proxy: %v", f.RestoreCommands)
	}
	for _, ev := range env.events.ofType(contract.EventCompensation) {
		t.Errorf("compensation for a proxy this run did not empty: %s", ev.Message)
	}
}

// The creation's answer is lost (the network cut) though AWS made the
// deployment, and the first look-up fails too: the world view's read finds
// the deployment tagged with this run, and the run carries on with it. It
// used to call it "not this run's" and stop with exit 2 (the long matrix's
// "refused 10 min during creation").
func TestAnOwnDeploymentWhoseAnswerWasLostIsCarriedOn(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy,
		Faults: []sim.Fault{{Operation: "CreateBlueGreenDeployment", Nth: 1, Code: "InvalidParameterValue", HTTPStatus: 400}}})
	var plan *contract.Plan
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventPlanReady {
			plan = ev.Plan
		}
	}
	var once sync.Once
	env.calls.Subscribe(func(c awsclient.Call) {
		if c.Operation != "CreateBlueGreenDeployment" || c.ErrorCode == "" {
			return
		}
		once.Do(func() {
			// AWS made it after all, with the run's tags; the run's next
			// look-up of the deployments fails.
			_, err := env.api.CreateDeployment(context.Background(), awsclient.CreateDeploymentInput{Name: plan.Options.DeploymentName, SourceARN: plan.Source.ARN,
				TargetEngineVersion: "16.4", Tags: map[string]string{"created-by": "rdsbg", contract.TagSource: "orders-db", contract.TagRun: contract.RunID(*plan)}})
			if err != nil {
				t.Errorf("the creation AWS made: %v", err)
			}
			env.sim.AddFault(sim.Fault{Operation: "DescribeBlueGreenDeployments", Nth: 1, Code: "InternalFailure", HTTPStatus: 400})
		})
	})
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("Run = %s exit %d: %v", f.Outcome, ExitCode(err), err)
	}
	if n := env.sim.DeploymentsCreated(); n != 1 {
		t.Errorf("%d deployments created, want the one AWS made", n)
	}
	noticed := false
	for _, ev := range env.events.ofType(contract.EventNotice) {
		noticed = noticed || strings.Contains(ev.Message, "tagged with this run, appeared while creating it")
	}
	if !noticed {
		t.Error("the run did not say it carried on with its own deployment")
	}
}
