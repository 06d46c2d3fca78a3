package steps

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

type policyCase struct {
	scenario, source string
	opts             contract.Options
	noMetrics        bool // --no-metrics: the run reads no CloudWatch
}

var policyCases = []policyCase{
	{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}, false},
	{sim.ScenarioRDSMySQLNative, "shop-db", contract.Options{ProxyMode: contract.ProxyModeAuto}, false},
	{sim.ScenarioAuroraPostgres, "ledger-cluster", contract.Options{ProxyMode: contract.ProxyModeDetach, Cleanup: contract.CleanupOldBlue}, false},
	{sim.ScenarioAuroraGlobal, "payments-cluster", contract.Options{ProxyMode: contract.ProxyModeAuto}, false},
	{sim.ScenarioRDSMariaDBNoProxy, "catalog-db", contract.Options{TargetEngineVersion: "11.4.3", UpgradeVia: contract.UpgradeViaModify, Cleanup: contract.CleanupOldBlue}, false},
	{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeDetach}, true},
	// auto on a legacy proxy: the native create is refused, blue's tag is
	// removed again, the run falls back to detach.
	{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeAuto, Cleanup: contract.CleanupDeployment}, false},
	// named parameter groups are authorized too, and named: in the
	// create call, and in the upgrade of green by ModifyDBInstance.
	{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", TargetDBParameterGroupName: "orders-pg16"}, false},
	{sim.ScenarioRDSMySQLNative, "shop-db", contract.Options{ProxyMode: contract.ProxyModeAuto, TargetEngineVersion: "8.0.41", TargetDBParameterGroupName: "shop-mysql80", UpgradeVia: contract.UpgradeViaModify}, false},
	// a major upgrade by modify: the new family's group goes to the
	// modify call only (Options.GroupsAtCreate), and is named there.
	{sim.ScenarioRDSMySQLNative, "shop-db", contract.Options{ProxyMode: contract.ProxyModeAuto, TargetEngineVersion: "8.4.3", TargetDBParameterGroupName: "shop-mysql84", UpgradeVia: contract.UpgradeViaModify}, false},
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
	up, err := preflight.ResolveUpgrade(ctx, env.api, d, o)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := BuildPlan(d, o, up, env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	in, err := ReadPolicyInputs(ctx, env.api, d, c.noMetrics)
	if err != nil {
		t.Fatal(err)
	}
	env.assertNoMutations(t)
	return IAMPolicy(plan, in)
}

// runUnder runs the case with the simulator enforcing policy, resources
// and conditions included (sim.Fault.Policy).
func runUnder(t *testing.T, c policyCase, policy PolicyDocument) (*engineEnv, contract.Finished, error) {
	t.Helper()
	env := newEngineEnv(t, sim.Options{Scenario: c.scenario, Faults: []sim.Fault{{Policy: json.RawMessage(policy.JSON())}}})
	o := c.opts
	o.Source = c.source
	// Without the permission to register targets, compensation of an
	// emptied proxy can never succeed, and it never gives up on its own
	// (the operator may fix IAM meanwhile): the test plays the operator who
	// says stop after the third attempt.
	giveUp := make(chan struct{})
	var stop sync.Once
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventCompensation && strings.HasPrefix(ev.Message, "attempt 3 ") {
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

// The printed policy is sufficient, for resources and conditions too: a
// run under exactly it completes for every scenario, against a simulator
// that also checks what AWS does as the caller (green's creation, the
// switchover's renames, green's deletion), and nothing is ever refused (an
// informational read that degrades to a warning would hide a missing
// permission otherwise).
func TestRunUnderExactlyThePrintedPolicyCompletes(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	for _, c := range policyCases {
		t.Run(c.scenario, func(t *testing.T) {
			p := policyFor(t, c)
			var doc map[string]any
			if err := json.Unmarshal([]byte(p.JSON()), &doc); err != nil || doc["Version"] != "2012-10-17" {
				t.Fatalf("not an IAM document: %v\n%s", err, p.JSON())
			}
			env, f, err := runUnder(t, c, p)
			if err != nil || f.Outcome != contract.OutcomeDone {
				t.Fatalf("run under the policy: %v (%s)\nrefused: %+v\npolicy:\n%s", err, f.Outcome, env.sim.IAMDenials(), p.JSON())
			}
			if d := env.sim.IAMDenials(); len(d) > 0 {
				t.Errorf("refused under the printed policy: %+v", d)
			}
			for _, ev := range env.events.ofType(contract.EventAPICall) {
				if ev.Call.ErrorCode == "AccessDenied" {
					t.Errorf("%s was refused under the printed policy", ev.Call.Operation)
				}
			}
		})
	}
}

// The same policy, used for another database of the account, is refused
// before that database's proxy changes: in the detach regime the
// permission probe stops the run before any change (exit 3); in the native
// regime the first change, the tag on blue, is refused. The other
// database's proxy keeps its target, and the mutation log stays empty.
func TestPolicyForOneDatabaseRefusesAnother(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		policy         policyCase
		other, proxy   string
		probeCatchesIt bool
	}{
		{policyCases[0], "billing-db", "billing-proxy", true},
		{policyCases[1], "shop-db", "", false}, // placeholder replaced below
	} {
		if c.other == "shop-db" {
			c.other, c.proxy = "reporting-db", "reporting-proxy"
		}
		t.Run(c.policy.source+"-policy-for-"+c.other, func(t *testing.T) {
			p := policyFor(t, c.policy)
			other := c.policy
			other.source = c.other
			other.opts.TargetEngineVersion = ""
			env, f, err := runUnder(t, other, p)
			if err == nil || f.Outcome == contract.OutcomeDone {
				t.Fatalf("a run for %s under %s's policy completed (%s)", c.other, c.policy.source, f.Outcome)
			}
			if m := env.sim.Mutations(); len(m) != 0 {
				t.Errorf("%s's run under %s's policy changed AWS: %+v", c.other, c.policy.source, m)
			}
			if c.probeCatchesIt && ExitCode(err) != contract.ExitPreflight {
				t.Errorf("the permission probe must stop the run before any change (exit 3), got exit %d: %v", ExitCode(err), err)
			}
			if !strings.Contains(err.Error(), "AccessDenied") && !strings.Contains(err.Error(), "not authorized") {
				t.Errorf("the failure must say AWS refused it: %v", err)
			}
			if len(env.sim.IAMDenials()) == 0 {
				t.Errorf("no refusal recorded")
			}
			if ts := env.proxyTargetsOf(t, c.proxy); len(ts) != 1 || !strings.EqualFold(ts[0].RdsResourceID, c.other) {
				t.Errorf("%s must still target %s, got %+v", c.proxy, c.other, ts)
			}
			// Nor can the principal mark the other database as this one's
			// by hand, to pass the tag conditions: AWS's copy of blue's tags
			// is allowed, a tag in the request's parameters is not.
			otherARN := "arn:aws:rds:us-east-1:123456789012:db:" + c.other
			err = env.client.AddTagsToResource(context.Background(), otherARN, map[string]string{contract.TagSource: c.policy.source})
			if awsclient.Classify(err) != awsclient.KindAccessDenied {
				t.Errorf("tagging %s as %s's by hand: %v, want AccessDenied", c.other, c.policy.source, err)
			}
			if m := env.sim.Mutations(); len(m) != 0 {
				t.Errorf("changed AWS: %+v", m)
			}
		})
	}
}

// Abort under the same policy: AWS deletes green as the caller (RDS:
// DeleteDBInstance; Aurora: DeleteDBInstance, DeleteDBClusterEndpoint,
// DeleteDBCluster), allowed by green's copy of blue's tag; nothing is
// refused, and the proxy serves blue again.
func TestAbortUnderThePrintedPolicy(t *testing.T) {
	t.Parallel()
	for _, c := range []policyCase{policyCases[0], policyCases[2]} {
		t.Run(c.scenario, func(t *testing.T) {
			p := policyFor(t, c)
			env := newEngineEnv(t, sim.Options{Scenario: c.scenario, Faults: []sim.Fault{{Policy: json.RawMessage(p.JSON())}}})
			o := c.opts
			o.Source = c.source
			f, err := env.engineWith(t, o, env.approver, contract.UntilReady).Run(context.Background())
			if err != nil || f.Outcome != contract.OutcomeReady {
				t.Fatalf("until ready under the policy: %s (%v), refused %+v", f.Outcome, err, env.sim.IAMDenials())
			}
			af, err := env.engineWith(t, contract.Options{Source: c.source}, env.approver, "").Abort(context.Background())
			if err != nil || af.ProxyState != contract.ProxyOnBlue {
				t.Fatalf("abort under the policy: %s proxy %s (%v), refused %+v", af.Outcome, af.ProxyState, err, env.sim.IAMDenials())
			}
			if d := env.sim.IAMDenials(); len(d) > 0 {
				t.Errorf("refused under the printed policy: %+v", d)
			}
			if deps, _ := env.api.ListDeployments(context.Background(), ""); len(deps) != 0 {
				t.Errorf("abort left deployments: %+v", deps)
			}
			deleted := map[string]bool{}
			for _, m := range env.sim.Mutations() {
				deleted[m.Operation] = true
			}
			if !deleted["DeleteBlueGreenDeployment"] {
				t.Errorf("abort deleted no deployment: %+v", env.sim.Mutations())
			}

			// The simulator does check green's deletion: without
			// DeleteDBInstance the same abort is refused, naming it.
			env2 := newEngineEnv(t, sim.Options{Scenario: c.scenario, Faults: []sim.Fault{{Policy: json.RawMessage(p.Without("rds:DeleteDBInstance").JSON())}}})
			if f, err := env2.engineWith(t, o, env2.approver, contract.UntilReady).Run(context.Background()); err != nil || f.Outcome != contract.OutcomeReady {
				t.Fatalf("until ready without DeleteDBInstance: %s (%v)", f.Outcome, err)
			}
			_, err = env2.engineWith(t, contract.Options{Source: c.source}, env2.approver, "").Abort(context.Background())
			d := env2.sim.IAMDenials()
			if err == nil || len(d) == 0 || d[0].Action != "rds:DeleteDBInstance" || !d[0].Dependent || d[0].Operation != "DeleteBlueGreenDeployment" {
				t.Errorf("abort without rds:DeleteDBInstance: %v, refused %+v", err, d)
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
				env, f, err := runUnder(t, c, p.Without(missing))
				refused := false
				for _, d := range env.sim.IAMDenials() {
					refused = refused || d.Action == missing
				}
				if !refused {
					// Some actions are only needed on paths this run did
					// not take (the undo path, a fallback): the run must
					// then have completed.
					if err != nil || f.Outcome != contract.OutcomeDone {
						t.Fatalf("without %s the run failed without AWS refusing it: %v (refused: %+v)", missing, err, env.sim.IAMDenials())
					}
					return
				}
				if missing == "rds:RemoveTagsFromResource" || missing == "cloudwatch:GetMetricData" {
					// The tag that records a detached proxy outlives the
					// run: a notice, not a failure (the proxy serves again
					// and the next run removes the tag).
					if err != nil || f.Outcome != contract.OutcomeDone || f.ProxyState == contract.ProxyEmpty {
						t.Fatalf("without %s the run must complete with the proxy serving, got %s (%s): %v", missing, f.Outcome, f.ProxyState, err)
					}
					return
				}
				if err == nil || f.Outcome == contract.OutcomeDone {
					t.Fatalf("without %s the run must stop, got %s", missing, f.Outcome)
				}
				switch missing {
				case "rds:RegisterDBProxyTargets":
					// The permission probe (permprobe.go) finds these
					// before the first change: exit 3, the mutation log
					// empty, the proxy still on blue.
					if ExitCode(err) != contract.ExitPreflight || len(env.sim.Mutations()) != 0 || f.ProxyState == contract.ProxyEmpty {
						t.Errorf("without %s the run must stop before any change (exit 3): exit %d, %d mutations, proxy %s: %v",
							missing, ExitCode(err), len(env.sim.Mutations()), f.ProxyState, err)
					}
				}
				if !strings.Contains(err.Error(), missing) {
					t.Errorf("the failure must name %s: %v", missing, err)
				}
				if env.sim.DeploymentsCreated() > 0 && f.ProxyState == contract.ProxyEmpty {
					t.Errorf("without %s the run left the proxy empty (%s)", missing, f.Outcome)
				}
			})
		}
	}
}

// No mutating action is granted on every resource (or every resource of a
// type) without a condition, for any scenario; and every such grant's
// condition names this database.
func TestPolicyGrantsNoWildcardWithoutACondition(t *testing.T) {
	for _, c := range policyCases {
		p := policyFor(t, c)
		for _, s := range p.Statement {
			if s.Effect != "Allow" {
				continue
			}
			wild := false
			for _, r := range s.Resource {
				wild = wild || r == "*" || strings.HasSuffix(r, ":*")
			}
			mutating := false
			for _, a := range s.Action {
				mutating = mutating || isMutatingAction(a)
			}
			if !wild || !mutating {
				continue
			}
			cond, _ := json.Marshal(s.Condition)
			if len(s.Condition) == 0 || !strings.Contains(string(cond), `"`+contract.TagSource+`"`) && !strings.Contains(string(cond), "/"+contract.TagSource+`"`) ||
				!strings.Contains(string(cond), `"`+c.source+`"`) {
				t.Errorf("%s: statement %s grants %v on %v with condition %s: it must be limited to %s's resources", c.scenario, s.Sid, s.Action, s.Resource, cond, c.source)
			}
		}
	}
}

// The partition of every ARN is the caller's (aws-cn, aws-us-gov): none
// is hard-coded.
func TestPolicyTakesThePartitionFromTheCaller(t *testing.T) {
	for _, c := range []policyCase{policyCases[0], policyCases[2]} {
		env := newSimEnv(t, c.scenario)
		o := c.opts
		o.Source = c.source
		d := env.discover(t, c.source)
		if d.Identity.Partition != "aws" {
			t.Fatalf("the simulator's caller %s has partition %q, want aws", d.Identity.ARN, d.Identity.Partition)
		}
		o = o.WithDefaults()
		up, err := preflight.ResolveUpgrade(context.Background(), env.api, d, o)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := BuildPlan(d, o, up, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		in, err := ReadPolicyInputs(context.Background(), env.api, d, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, partition := range []string{"aws-cn", "aws-us-gov"} {
			in.Partition = partition
			// Proxy and target group ARNs come from AWS in the caller's
			// partition; rewrite the simulator's to match.
			fix := func(arn string) string {
				parts := strings.SplitN(arn, ":", 3)
				return "arn:" + partition + ":" + parts[2]
			}
			for i := range in.Proxies {
				in.Proxies[i].ARN = fix(in.Proxies[i].ARN)
			}
			for k, v := range in.TargetGroups {
				in.TargetGroups[k] = fix(v)
			}
			p := IAMPolicy(plan, in)
			for _, s := range p.Statement {
				for _, r := range s.Resource {
					if r != "*" && !strings.HasPrefix(r, "arn:"+partition+":rds:") {
						t.Errorf("%s: %s names %s outside partition %s", c.scenario, s.Sid, r, partition)
					}
				}
			}
		}
	}
}

// Aurora's blue/green actions differ from RDS's (the Aurora guide's
// "Authorizing access" page): the policy follows the engine.
func TestPolicyFollowsTheEngine(t *testing.T) {
	has := func(p PolicyDocument, action string) bool {
		for _, a := range p.Actions() {
			if a == action {
				return true
			}
		}
		return false
	}
	rds, aurora := policyFor(t, policyCases[0]), policyFor(t, policyCases[2])
	for _, a := range []string{"rds:CreateDBInstanceReadReplica", "rds:PromoteReadReplica", "rds:DeleteDBInstance", "rds:ModifyDBInstance"} {
		if !has(rds, a) {
			t.Errorf("the RDS policy lacks %s", a)
		}
	}
	for _, a := range []string{"rds:CreateDBCluster", "rds:CreateDBInstance", "rds:CreateDBClusterEndpoint", "rds:PromoteReadReplicaDBCluster", "rds:ModifyDBCluster",
		"rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:DeleteDBClusterEndpoint"} {
		if !has(aurora, a) {
			t.Errorf("the Aurora policy lacks %s", a)
		}
	}
	for _, a := range []string{"rds:CreateDBCluster", "rds:PromoteReadReplicaDBCluster", "rds:DeleteDBClusterEndpoint"} {
		if has(rds, a) {
			t.Errorf("the RDS policy grants Aurora's %s", a)
		}
	}
	for _, a := range []string{"rds:CreateDBInstanceReadReplica", "rds:PromoteReadReplica"} {
		if has(aurora, a) {
			t.Errorf("the Aurora policy grants RDS's %s", a)
		}
	}
}

func TestPolicyScopesWhatItCan(t *testing.T) {
	p := policyFor(t, policyCases[2]) // Aurora, detach, cleanup old-blue
	j := p.JSON()
	for _, want := range []string{`"arn:aws:rds:us-east-1:123456789012:cluster:ledger-cluster-old*"`, `"arn:aws:rds:us-east-1:123456789012:db:ledger-instance-1-old*"`,
		`"arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rdsbg-final-*"`, `:db-proxy:prx-`, `:target-group:prx-tg-`, `"arn:aws:rds:us-east-1:123456789012:deployment:*"`,
		`"arn:aws:rds:us-east-1:123456789012:cluster:ledger-cluster"`, `"aws:ResourceTag/rdsbg:source": "ledger-cluster"`, `"aws:RequestTag/rdsbg:source": "ledger-cluster"`} {
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

// lastingMutations drops from the simulator's mutation log each tag that
// was written and removed again on the same resource (create-deployment's
// tag on blue, undone when AWS refuses the creation): what is left is what
// changed AWS.
func lastingMutations(muts []sim.Mutation) []sim.Mutation {
	var out []sim.Mutation
	for i, m := range muts {
		undone := false
		if m.Operation == "AddTagsToResource" {
			for _, later := range muts[i+1:] {
				undone = undone || later.Operation == "RemoveTagsFromResource" && later.Target == m.Target
			}
		}
		removal := false
		if m.Operation == "RemoveTagsFromResource" {
			for _, earlier := range muts[:i] {
				removal = removal || earlier.Operation == "AddTagsToResource" && earlier.Target == m.Target
			}
		}
		if !undone && !removal {
			out = append(out, m)
		}
	}
	return out
}
