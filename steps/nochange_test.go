package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Exit 3 means nothing changed, for every stop of a fresh run before its
// first change, whatever stopped it; a stop after a change keeps exit 1.
// The simulator's mutation log is the proof.
func TestEveryStopBeforeTheFirstChangeExits3(t *testing.T) {
	cases := []struct {
		name    string
		opts    sim.Options
		source  contract.Options
		want    int
		mention string
	}{
		{"discovery refused", sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{{Operation: "DescribeDBInstances", Code: "AccessDenied"}}},
			contract.Options{Source: "catalog-db"}, contract.ExitPreflight, "AccessDenied"},
		{"first mutation refused", sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{{Operation: "CreateBlueGreenDeployment", Code: "InvalidParameterCombination", Message: "no"}}},
			contract.Options{Source: "catalog-db"}, contract.ExitPreflight, "CreateBlueGreenDeployment"},
		{"tag refused before the detach", sim.Options{Scenario: sim.ScenarioRDSPostgresNative, Faults: []sim.Fault{{Operation: "AddTagsToResource", Nth: 2, Code: "AccessDenied"}}},
			legacyOpts, contract.ExitPreflight, "did not deregister"},
		{"a change, then a failure", sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{{Switchover: "fail"}}},
			contract.Options{Source: "catalog-db"}, contract.ExitStepFailed, "rolled it back"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEngineEnv(t, c.opts)
			f, err := env.engine(t, c.source).Run(context.Background())
			if ExitCode(err) != c.want || f.ExitCode != c.want {
				t.Fatalf("exit %d/%d (%s), want %d: %v", ExitCode(err), f.ExitCode, f.Outcome, c.want, err)
			}
			if err == nil || !strings.Contains(err.Error(), c.mention) {
				t.Errorf("the stop must say why (%q): %v", c.mention, err)
			}
			changed := len(lastingMutations(env.sim.Mutations())) > 0 // a tag written and removed again changed nothing
			if c.want == contract.ExitPreflight {
				if changed {
					t.Errorf("exit 3 with changes: %+v", env.sim.Mutations())
				}
				if f.Outcome != contract.OutcomeBlocked || !strings.Contains(err.Error(), "nothing was changed") {
					t.Errorf("outcome %s: %v", f.Outcome, err)
				}
			} else if !changed {
				t.Error("the failing run changed nothing, yet exit 1")
			}
		})
	}
}
