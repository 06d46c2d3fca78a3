package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// The deployment's RDS events show up as notices and in the journal, and
// a failed creation is explained by its RDS-EVENT-0245 reason.
func TestRDSEventsExplainAFailedCreation(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy,
		Faults: []sim.Fault{{CreationFail: "the green instance could not be restored from the snapshot"}}})
	f, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	if err == nil || f.Outcome == contract.OutcomeDone {
		t.Fatalf("a failed creation must fail the run: %v", err)
	}
	if !strings.Contains(err.Error(), "RDS event: Creation of blue/green deployment failed because the green instance could not be restored") {
		t.Fatalf("the failure must quote the event: %v", err)
	}
	journaled := false
	for _, rec := range env.journal(t, "catalog-db") {
		journaled = journaled || (rec.Kind == journal.RecordRDSEvent && strings.Contains(rec.Message, "failed because"))
	}
	if !journaled {
		t.Fatal("the event is not in the journal")
	}
}

func TestRDSEventsAreShownDuringWaits(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	if _, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range env.events.ofType(contract.EventNotice) {
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

// The members' events come in too (issue 15): green's DB instances are
// created during provisioning (RDS-EVENT-0005, source type db-instance),
// shown as notices naming the instance and journalled with the event.
func TestRDSEventsOfTheMembersAreShownAndJournalled(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	if _, err := env.engine(t, legacyOpts).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	shown := false
	for _, ev := range env.events.ofType(contract.EventNotice) {
		shown = shown || (strings.HasPrefix(ev.Message, "RDS event ") && strings.Contains(ev.Message, "orders-db-green-") && strings.Contains(ev.Message, "DB instance created"))
	}
	if !shown {
		t.Error("green's creation event is not shown")
	}
	types := map[string]bool{}
	for _, rec := range env.journal(t, "orders-db") {
		if rec.Kind == journal.RecordRDSEvent && rec.RDSEvent != nil {
			types[rec.RDSEvent.SourceType] = true
			if rec.RDSEvent.SourceType == "db-instance" && !strings.HasPrefix(rec.RDSEvent.SourceID, "orders-") {
				t.Errorf("an event of another database was kept: %+v", rec.RDSEvent)
			}
		}
	}
	if !types["db-instance"] || !types["blue-green-deployment"] {
		t.Errorf("journalled event source types: %v", types)
	}
}

// A switchover that AWS rolls back is explained by its event, read at
// once although the critical section reads no events otherwise.
func TestRDSEventsExplainAFailedSwitchover(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{{Switchover: "fail"}}})
	_, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "RDS event: Switchover from primary/read replica catalog-db") || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("the switchover failure must quote its event: %v", err)
	}
}
