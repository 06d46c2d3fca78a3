package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// A role without rds:DescribeDBEngineVersions (or an endpoint without it,
// or one that keeps answering 500) still upgrades: the preflight says
// what it could not check and that AWS checks the version at creation.
func TestInformationalReadsDegradeToWarnings(t *testing.T) {
	cases := []struct {
		name  string
		fault sim.Fault
		want  string
	}{
		{"access denied", sim.Fault{Operation: "DescribeDBEngineVersions", Code: "AccessDenied"}, "access denied; grant rds:DescribeDBEngineVersions"},
		{"unimplemented", sim.Fault{Operation: "DescribeDBEngineVersions", Code: "InvalidAction", HTTPStatus: 400}, "does not implement"},
		{"persistent 500", sim.Fault{Operation: "DescribeDBEngineVersions", Code: "InternalFailure"}, "HTTP 500 on every attempt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{c.fault}})
			f, err := env.engine(t, contract.Options{Source: "catalog-db", TargetEngineVersion: "10.11.10"}).Run(context.Background())
			if err != nil || f.Outcome != contract.OutcomeDone {
				t.Fatalf("run: %v (%s)", err, f.Outcome)
			}
			var row *contract.CheckResult
			for _, ev := range env.events.ofType(contract.EventPreflight) {
				for i, ch := range ev.Checks {
					if ch.ID == preflight.CheckUpgradeTarget {
						row = &ev.Checks[i]
					}
				}
			}
			if row == nil || row.Status != contract.CheckWarn || !strings.Contains(row.Explanation, c.want) || !strings.Contains(row.Explanation, "AWS validates the target version itself") {
				t.Fatalf("upgrade-target row: %+v", row)
			}
			v, err := env.api.DescribeInstance(context.Background(), "catalog-db")
			if err != nil || v.EngineVersion != "10.11.10" {
				t.Fatalf("production after the run: %s %v", v.EngineVersion, err)
			}
			if c.name == "persistent 500" {
				var retries []string
				for _, ev := range env.events.ofType(contract.EventNotice) {
					if strings.HasPrefix(ev.Message, "AWS answered 500 InternalFailure; retry ") {
						retries = append(retries, ev.Message)
					}
				}
				if len(retries) == 0 || !strings.Contains(retries[0], "retry 1 of 7 in") {
					t.Fatalf("retries must be visible while they happen: %v", retries)
				}
			}
		})
	}
}

// A 5xx is a server error, never a ClientError, whatever its body.
func TestServerErrorsAreClassifiedAsSuch(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Faults: []sim.Fault{{Operation: "DescribeDBProxies", Code: "InternalFailure", Message: "<html>500</html>"}}})
	var last awsclient.Call
	stop := env.calls.Subscribe(func(c awsclient.Call) { last = c })
	defer stop()
	_, err := env.client.ListProxies(context.Background())
	if k := awsclient.Classify(err); k != awsclient.KindServerError {
		t.Fatalf("kind %s for %v", k, err)
	}
	if last.ErrorCode == "ClientError" || last.HTTPStatus != 500 {
		t.Fatalf("call %+v", last)
	}
}
