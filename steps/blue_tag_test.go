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
)

// Blue's rdsbg:source tag (for the IAM policy) goes on before the proxy is
// emptied in the detach regime: between the deregistration's answer and
// the create call there is no tag call, and at 50 ms a call the proxy-less
// time before the creation is the settle's and the observe's reads only
// (0.90 s with 4 tag calls before this was moved).
func TestDetachRegimeTagsBlueBeforeTheProxyIsEmptied(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{LatencyMS: 50}}})
	var mu sync.Mutex
	var log []awsclient.Call
	env.calls.Subscribe(func(c awsclient.Call) { mu.Lock(); log = append(log, c); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepDone && ev.Step == contract.StepCreateDeployment {
			cancel()
		}
	}
	if _, err := env.engine(t, legacyOpts).Run(ctx); ExitCode(err) != contract.ExitInterrupted {
		t.Fatalf("want the interrupt after the creation: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var emptied time.Time
	var between []string
	gap := time.Duration(-1)
	for _, c := range log {
		switch {
		case c.Operation == "DeregisterDBProxyTargets" && emptied.IsZero():
			emptied = c.Start.Add(c.Duration)
		case c.Operation == "CreateBlueGreenDeployment" && !emptied.IsZero() && gap < 0:
			gap = c.Start.Sub(emptied)
		case !emptied.IsZero() && gap < 0:
			between = append(between, c.Operation)
			t.Logf("%s at +%s took %s", c.Operation, c.Start.Sub(emptied), c.Duration)
		}
	}
	if gap < 0 {
		t.Fatalf("no deregistration before the creation: %v", between)
	}
	for _, op := range between {
		if strings.Contains(op, "Tags") {
			t.Errorf("%s while the proxy was empty before the creation (calls between: %v)", op, between)
		}
	}
	if gap > 200*time.Millisecond {
		t.Errorf("the proxy was empty %s before the create call (calls between: %v), want the settle's and the observe's reads only", gap, between)
	}
	// Both blue resources were tagged, before the deregistration.
	tagged := map[string]bool{}
	for _, m := range env.sim.Mutations() {
		if m.Operation == "DeregisterDBProxyTargets" {
			break
		}
		if m.Operation == "AddTagsToResource" {
			tagged[contract.ARNName(m.Target)] = true
		}
	}
	if !tagged["orders-db"] || !tagged["orders-db-replica-1"] {
		t.Errorf("blue tagged before the deregistration: %v", tagged)
	}
	for _, id := range []string{"orders-db", "orders-db-replica-1"} {
		if tags := blueTags(t, env, id); tags[contract.TagSource] != "orders-db" {
			t.Errorf("%s after the creation: tags %v", id, tags)
		}
	}
}

// Where no creation follows the tag in the detach regime — the
// deregistration fails, or AWS refuses the creation — the tag comes off
// again: the tag only ever stays with a deployment.
func TestDetachRegimeRemovesBluesTagWhenNoCreationFollows(t *testing.T) {
	for _, c := range []struct{ name, op, code string }{
		{"deregistration fails", "DeregisterDBProxyTargets", "InvalidDBProxyStateFault"},
		{"creation refused", "CreateBlueGreenDeployment", "InvalidParameterCombination"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{Operation: c.op, Code: c.code}}})
			f, err := env.engine(t, legacyOpts).Run(context.Background())
			if err == nil || f.ProxyState != contract.ProxyOnBlue || env.sim.DeploymentsCreated() != 0 {
				t.Fatalf("finished %s, proxy %s, %d deployments: %v", f.Outcome, f.ProxyState, env.sim.DeploymentsCreated(), err)
			}
			wrote := 0
			for _, m := range env.sim.Mutations() {
				if m.Operation == "AddTagsToResource" && strings.Contains(m.Target, ":db:orders-db") {
					wrote++
				}
			}
			if wrote != 2 {
				t.Errorf("blue's tag written %d times, want once per blue resource", wrote)
			}
			for _, id := range []string{"orders-db", "orders-db-replica-1"} {
				if tags := blueTags(t, env, id); tags[contract.TagSource] != "" {
					t.Errorf("%s keeps %s=%s with no deployment", id, contract.TagSource, tags[contract.TagSource])
				}
			}
		})
	}
}

// blueTags reads an instance's tags from the simulator.
func blueTags(t *testing.T, env *engineEnv, id string) map[string]string {
	t.Helper()
	tags, err := env.api.ListTagsForResource(context.Background(), "arn:aws:rds:us-east-1:123456789012:db:"+id)
	if err != nil {
		t.Fatal(err)
	}
	return tags
}
