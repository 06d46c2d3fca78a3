package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// The deployment's RDS events show up as notices and in the journal, and
// a failed creation is explained by its RDS-EVENT-0245 reason.
func TestRDSEventsExplainAFailedCreation(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy,
		Faults: []sim.Fault{{CreationFail: "the green instance could not be restored from the snapshot"}}})
	f, err := env.engine(t, Options{Source: "catalog-db"}).Run(context.Background())
	if err == nil || f.Outcome == OutcomeDone {
		t.Fatalf("a failed creation must fail the run: %v", err)
	}
	if !strings.Contains(err.Error(), "RDS event: Creation of blue/green deployment failed because the green instance could not be restored") {
		t.Fatalf("the failure must quote the event: %v", err)
	}
	journaled := false
	for _, rec := range env.journal(t, "catalog-db") {
		journaled = journaled || (rec.Kind == RecordRDSEvent && strings.Contains(rec.Message, "failed because"))
	}
	if !journaled {
		t.Fatal("the event is not in the journal")
	}
}

func TestRDSEventsAreShownDuringWaits(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	if _, err := env.engine(t, Options{Source: "catalog-db"}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range env.events.ofType(EventNotice) {
		if strings.HasPrefix(ev.Message, "RDS event ") {
			got = append(got, ev.Message)
		}
	}
	if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), "tasks completed") {
		t.Fatalf("RDS events shown: %q", got)
	}
	if n := env.sim.CallCounts()["DescribeEvents"]; n == 0 || n > 40 {
		t.Fatalf("DescribeEvents calls: %d (slow cadence expected)", n)
	}
}
