package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// An endpoint that switches the cluster over but leaves a member in the
// wrong cluster (moto did) fails verify, naming the member, instead of
// reporting done.
func TestVerifyFailsNamingAMemberInTheWrongCluster(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	env.events.hook = func(ev contract.Event) {
		if ev.Type != contract.EventStepStarted || ev.Step != contract.StepVerify {
			return
		}
		env.sim.Update(func(st *sim.State) {
			var oldCluster string
			for _, c := range st.Clusters {
				if c.ID == "ledger-cluster-old1" {
					oldCluster = c.ResourceID
				}
			}
			for _, in := range st.Instances {
				if in.ID == "ledger-instance-2" {
					in.ClusterResourceID = oldCluster
				}
			}
		})
	}
	f, err := env.engine(t, contract.Options{Source: "ledger-cluster", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err == nil || f.Outcome == contract.OutcomeDone {
		t.Fatalf("a wrong rename must fail verify: %v %s", err, f.Outcome)
	}
	if !strings.Contains(err.Error(), "ledger-instance-2") || !strings.Contains(err.Error(), "ledger-cluster-old1") {
		t.Fatalf("the failure must name the member and where it is: %v", err)
	}
}

// A complete rename passes and says so.
func TestVerifyChecksEveryMemberRename(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %v %s", err, f.Outcome)
	}
	found := false
	for _, ev := range env.events.ofType(contract.EventNotice) {
		found = found || (ev.Step == contract.StepVerify && strings.Contains(ev.Message, "every member of orders-db") && strings.Contains(ev.Message, "-old1"))
	}
	if !found {
		t.Fatal("verify did not report the member renames")
	}
	if f.OldBlue == nil || !f.OldBlue.ReadOnly || !strings.Contains(f.OldBlue.Note, "orders-db-old1") || !strings.Contains(f.OldBlue.Note, "read-only") {
		t.Fatalf("the summary must say old blue stays read-only: %+v", f.OldBlue)
	}
}
