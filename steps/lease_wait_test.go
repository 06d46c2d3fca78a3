package steps

import (
	"context"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/world"
)

// A run waiting at a question is alive: while the operator thinks longer
// than the lease's TTL, the engine renews the lease (once, as it is due),
// so another operator sees it live, not expired.
func TestLeaseIsRenewedWhileAQuestionWaits(t *testing.T) {
	t.Parallel() // about a second of wall time: the engine looks at the lease once a second while it waits
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	renewals := make(chan time.Time, 64)
	env.calls.Subscribe(func(c awsclient.Call) {
		if c.Operation == "AddTagsToResource" && c.OK() {
			renewals <- c.Start
		}
	})
	think := leaseTTL + 5*time.Minute
	asked := false
	env.approver.decide = func(a contract.Approval) (contract.Decision, bool) {
		if a.Kind != "critical-section" {
			return "", false
		}
		asked = true
		for len(renewals) > 0 {
			<-renewals // the tag writes before the question
		}
		env.clock.Advance(think) // the operator reads for 35 minutes
		waited := env.clock.Now()
		select {
		case at := <-renewals:
			if !at.Equal(waited) {
				t.Errorf("renewed at %s, want at %s", at, waited)
			}
		case <-time.After(20 * time.Second): // a bound on a failing test, not a wait for time to pass
			t.Errorf("no lease renewal while the question waited %s (TTL %s)", think, leaseTTL)
			return contract.DecisionDecline, true
		}
		// Another operator reads the deployment's lease now: live.
		deps, err := env.api.ListDeployments(context.Background(), "")
		if err != nil || len(deps) != 1 {
			t.Fatalf("deployments %v %v", deps, err)
		}
		tags, err := env.api.ListTagsForResource(context.Background(), awsclient.DeploymentARN("arn:aws:rds:us-east-1:123456789012:db:orders-db", deps[0].ID))
		if err != nil {
			t.Fatal(err)
		}
		l, ok := world.ParseLease(tags[contract.TagOwner])
		if !ok || l.Expired(waited) || waited.Sub(l.Renewed) >= time.Second { // the tag holds whole seconds
			t.Errorf("lease after %s at the question: %+v (parsed %v), want renewed at %s and live", think, l, ok, waited)
		}
		if len(renewals) != 0 {
			t.Errorf("%d renewals more while the question waited: the cadence is one per %s", len(renewals), leaseRenew)
		}
		return contract.DecisionDecline, true // pause ready
	}
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeReady || !asked {
		t.Fatalf("finished %s (asked %v): %v", f.Outcome, asked, err)
	}
}
