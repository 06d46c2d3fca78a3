package steps

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

type policyCase struct {
	scenario, source string
	opts             Options
	noMetrics        bool // --no-metrics: the run reads no CloudWatch
}

var policyCases = []policyCase{
	{sim.ScenarioRDSPostgresLegacy, "orders-db", Options{ProxyMode: ProxyModeDetach, TargetEngineVersion: "16.4"}, false},
	{sim.ScenarioRDSMySQLNative, "shop-db", Options{ProxyMode: ProxyModeAuto}, false},
	{sim.ScenarioAuroraPostgres, "ledger-cluster", Options{ProxyMode: ProxyModeDetach, Cleanup: CleanupOldBlue}, false},
	{sim.ScenarioAuroraGlobal, "payments-cluster", Options{ProxyMode: ProxyModeAuto}, false},
	{sim.ScenarioRDSMariaDBNoProxy, "catalog-db", Options{TargetEngineVersion: "11.4.3", UpgradeVia: UpgradeViaModify, Cleanup: CleanupOldBlue}, false},
	{sim.ScenarioRDSPostgresLegacy, "orders-db", Options{ProxyMode: ProxyModeDetach}, true},
}

// policyFor builds the plan as `rdsbg iam-policy` does, on a fresh
// simulator of the scenario, and returns its policy.
func policyFor(t *testing.T, c policyCase) PolicyDocument {
	t.Helper()
	env := newSimEnv(t, c.scenario)
	ctx := context.Background()
	o := c.opts
	o.Source = c.source
	d := env.discover(t, c.source)
	o = o.WithDefaults()
	up, err := ResolveUpgrade(ctx, env.api, d, o)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := BuildPlan(d, o, up, env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	env.assertNoMutations(t)
	return IAMPolicy(plan, d.ProxyInfo, PolicyScope{NoMetrics: c.noMetrics})
}

// runUnder runs the case with the simulator enforcing allowed.
func runUnder(t *testing.T, c policyCase, allowed []string) (*engineEnv, Finished, error) {
	t.Helper()
	env := newEngineEnv(t, sim.Options{Scenario: c.scenario, Faults: []sim.Fault{{AllowOnly: append([]string{}, allowed...)}}})
	o := c.opts
	o.Source = c.source
	// Without the permission to register targets, compensation of an
	// emptied proxy can never succeed, and it never gives up on its own
	// (the operator may fix IAM meanwhile): the test plays the operator who
	// says stop after the third attempt.
	giveUp := make(chan struct{})
	var stop sync.Once
	env.events.hook = func(ev Event) {
		if ev.Type == EventCompensation && strings.HasPrefix(ev.Message, "attempt 3 ") {
			stop.Do(func() { close(giveUp) })
		}
	}
	cfg := Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Approver: env.approver,
		Sink: env.events.sink, Options: o, GiveUp: giveUp}
	if !c.noMetrics {
		cfg.Metrics = env.client // the policy's cloudwatch:GetMetricData is tested too
	}
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Run(context.Background())
	return env, f, err
}

// The printed policy is sufficient: a run under exactly it completes for
// every scenario, and no call is ever refused (an informational read that
// degrades to a warning would hide a missing permission otherwise).
func TestRunUnderExactlyThePrintedPolicyCompletes(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	for _, c := range policyCases {
		t.Run(c.scenario, func(t *testing.T) {
			p := policyFor(t, c)
			var doc map[string]any
			if err := json.Unmarshal([]byte(p.JSON()), &doc); err != nil || doc["Version"] != "2012-10-17" {
				t.Fatalf("not an IAM document: %v\n%s", err, p.JSON())
			}
			env, f, err := runUnder(t, c, p.Actions())
			if err != nil || f.Outcome != OutcomeDone {
				t.Fatalf("run under the policy: %v (%s)\npolicy: %v", err, f.Outcome, p.Actions())
			}
			for _, ev := range env.events.ofType(EventAPICall) {
				if ev.Call.ErrorCode == "AccessDenied" {
					t.Errorf("%s was refused under the printed policy", ev.Call.Operation)
				}
			}
		})
	}
}

// Without any one mutating action the run stops naming the permission,
// and leaves nothing behind that it did not report: either nothing
// changed, or the deployment is undone and the proxies serve blue, or the
// switchover went through and only the cleanup is left.
func TestRunWithoutOneActionStopsNamingIt(t *testing.T) {
	type point struct {
		c       policyCase
		p       PolicyDocument
		missing string
	}
	var points []point
	for _, c := range policyCases {
		p := policyFor(t, c)
		for _, a := range p.MutatingActions() {
			points = append(points, point{c, p, a})
		}
	}
	if !longMatrices() {
		points = spread(points, 6)
	}
	for _, pt := range points {
		c, p, missing := pt.c, pt.p, pt.missing
		{
			t.Run(c.scenario+"/"+missing, func(t *testing.T) {
				var allowed []string
				for _, a := range p.Actions() {
					if a != missing {
						allowed = append(allowed, a)
					}
				}
				env, f, err := runUnder(t, c, allowed)
				refused := false
				for _, ev := range env.events.ofType(EventAPICall) {
					refused = refused || (ev.Call.ErrorCode == "AccessDenied" && "rds:"+ev.Call.Operation == missing)
				}
				if !refused {
					// Some actions are only needed on paths this run did
					// not take (AWS's switchover permissions, the undo
					// path): the run must then have completed.
					if err != nil || f.Outcome != OutcomeDone {
						t.Fatalf("without %s the run failed without AWS refusing it: %v", missing, err)
					}
					return
				}
				if missing == "rds:RemoveTagsFromResource" || missing == "cloudwatch:GetMetricData" {
					// The tag that records a detached proxy outlives the
					// run: a notice, not a failure (the proxy serves again
					// and the next run removes the tag).
					if err != nil || f.Outcome != OutcomeDone || f.ProxyState == ProxyEmpty {
						t.Fatalf("without %s the run must complete with the proxy serving, got %s (%s): %v", missing, f.Outcome, f.ProxyState, err)
					}
					return
				}
				if err == nil || f.Outcome == OutcomeDone {
					t.Fatalf("without %s the run must stop, got %s", missing, f.Outcome)
				}
				switch missing {
				case "rds:RegisterDBProxyTargets":
					// The permission probe (permprobe.go) finds these
					// before the first change: exit 3, the mutation log
					// empty, the proxy still on blue.
					if ExitCode(err) != ExitPreflight || len(env.sim.Mutations()) != 0 || f.ProxyState == ProxyEmpty {
						t.Errorf("without %s the run must stop before any change (exit 3): exit %d, %d mutations, proxy %s: %v",
							missing, ExitCode(err), len(env.sim.Mutations()), f.ProxyState, err)
					}
				}
				if !strings.Contains(err.Error(), missing) {
					t.Errorf("the failure must name %s: %v", missing, err)
				}
				if env.sim.DeploymentsCreated() > 0 && f.ProxyState == ProxyEmpty {
					t.Errorf("without %s the run left the proxy empty (%s)", missing, f.Outcome)
				}
			})
		}
	}
}

func TestPolicyScopesWhatItCan(t *testing.T) {
	p := policyFor(t, policyCases[2]) // Aurora, detach, cleanup old-blue
	j := p.JSON()
	for _, want := range []string{`"arn:aws:rds:us-east-1:123456789012:cluster:ledger-cluster-old*"`, `"arn:aws:rds:us-east-1:123456789012:db:ledger-instance-1-old*"`,
		`"arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rdsbg-final-*"`, `:db-proxy:prx-`, `"arn:aws:rds:us-east-1:123456789012:deployment:*"`} {
		if !strings.Contains(j, want) {
			t.Errorf("policy lacks %s:\n%s", want, j)
		}
	}
	noProxy := policyFor(t, policyCases[4])
	for _, a := range noProxy.Actions() {
		if strings.Contains(a, "ProxyTargets") && strings.HasPrefix(a, "rds:Register") {
			t.Errorf("a plan without proxies needs no %s", a)
		}
	}
}

// Each action only when the plan uses it: CloudWatch only with metrics on,
// the proxy moves only when the plan may detach, parameter reads only for
// the checks this plan runs.
func TestPolicyListsOnlyWhatThePlanCalls(t *testing.T) {
	has := func(p PolicyDocument, action string) bool {
		for _, a := range p.Actions() {
			if a == action {
				return true
			}
		}
		return false
	}
	withMetrics, noMetrics := policyFor(t, policyCases[0]), policyFor(t, policyCases[5])
	if !has(withMetrics, "cloudwatch:GetMetricData") || has(noMetrics, "cloudwatch:GetMetricData") {
		t.Errorf("cloudwatch:GetMetricData with metrics %v, without %v", has(withMetrics, "cloudwatch:GetMetricData"), has(noMetrics, "cloudwatch:GetMetricData"))
	}
	// RDS PostgreSQL 15 → 16.4 is a major upgrade: the replication check
	// reads blue's parameter group; without an upgrade nothing reads it.
	for _, c := range []struct {
		p      PolicyDocument
		action string
		want   bool
	}{
		{withMetrics, "rds:DescribeDBParameters", true},
		{withMetrics, "rds:DescribeDBEngineVersions", true},
		{noMetrics, "rds:DescribeDBParameters", false},
		{noMetrics, "rds:DescribeDBEngineVersions", true}, // the source's version is checked in the catalogue (issue 23)
		{noMetrics, "rds:DescribeDBClusterParameters", false},
		{noMetrics, "rds:RegisterDBProxyTargets", true},
		{policyFor(t, policyCases[2]), "rds:DescribeDBClusterParameters", true},
		{policyFor(t, policyCases[2]), "rds:DescribeDBParameters", false},
		{policyFor(t, policyCases[4]), "rds:RegisterDBProxyTargets", false},
		{policyFor(t, policyCases[4]), "rds:ModifyDBInstance", true}, // upgrade via modify
	} {
		if got := has(c.p, c.action); got != c.want {
			t.Errorf("%s listed %v, want %v:\n%v", c.action, got, c.want, c.p.Actions())
		}
	}
}
