package sim_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func describeOrders(e *env) error {
	_, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("orders-db")})
	return err
}

func TestFaultOnNthCall(t *testing.T) {
	e := newEnv(t, sim.Options{})
	if err := describeOrders(e); err != nil { // before the fault: not counted
		t.Fatal(err)
	}
	e.sim.AddFault(sim.Fault{Operation: "DescribeDBInstances", Nth: 2, Code: "InvalidDBInstanceState", Message: "boom"})
	if err := describeOrders(e); err != nil {
		t.Fatalf("1st call after the fault: %v", err)
	}
	err := describeOrders(e)
	// DescribeDBInstances does not model this fault: the SDK gives a
	// generic API error with the injected code.
	f := requireCode(t, err, "InvalidDBInstanceState")
	if f.ErrorMessage() != "boom" {
		t.Fatalf("message %q", f.ErrorMessage())
	}
	if err := describeOrders(e); err != nil {
		t.Fatalf("3rd call: %v", err)
	}
	if _, err := e.rds.DescribeDBProxies(ctx(), &rds.DescribeDBProxiesInput{}); err != nil {
		t.Fatalf("other operations are not affected: %v", err)
	}
	if got := e.sim.CallCounts()["DescribeDBInstances"]; got != 4 {
		t.Fatalf("CallCounts counts refused calls too: %d", got)
	}
	if e.sim.TotalCalls() != 5 {
		t.Fatalf("TotalCalls = %d", e.sim.TotalCalls())
	}
}

func TestFaultStatusFromTheCodeTable(t *testing.T) {
	e := newEnv(t, sim.Options{Faults: []sim.Fault{{Operation: "DescribeDBProxies", Code: "DBProxyNotFoundFault"}, {Operation: "DescribeDBClusters", Code: "Custom", HTTPStatus: 409}}})
	_, err := e.rds.DescribeDBProxies(ctx(), &rds.DescribeDBProxiesInput{})
	requireFault[*types.DBProxyNotFoundFault](t, err)
	requireHTTPStatus(t, err, 404)
	_, err = e.rds.DescribeDBClusters(ctx(), &rds.DescribeDBClustersInput{})
	requireCode(t, err, "Custom")
	requireHTTPStatus(t, err, 409)
}

func TestThrottleRateIsDeterministicBySeed(t *testing.T) {
	run := func(seed int64, rate float64) []bool {
		e := newEnv(t, sim.Options{Seed: seed, Faults: []sim.Fault{{Operation: "DescribeDBInstances", ThrottleRate: rate}}})
		var out []bool
		for i := 0; i < 100; i++ {
			err := describeOrders(e)
			if err != nil {
				ae := requireCode(t, err, "Throttling")
				if ae.ErrorMessage() != "Rate exceeded" {
					t.Fatalf("message %q", ae.ErrorMessage())
				}
				requireHTTPStatus(t, err, 400)
			}
			out = append(out, err != nil)
		}
		return out
	}
	a, b := run(7, 0.5), run(7, 0.5)
	throttled := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different draw at call %d", i)
		}
		if a[i] {
			throttled++
		}
	}
	if throttled < 25 || throttled > 75 {
		t.Fatalf("rate 0.5 throttled %d of 100", throttled)
	}
	for _, th := range run(1, 1) {
		if !th {
			t.Fatal("rate 1 throttles every call")
		}
	}
}

func TestLatencyAdvancesTheVirtualClock(t *testing.T) {
	e := newEnv(t, sim.Options{Faults: []sim.Fault{{Operation: "DescribeDBInstances", LatencyMS: 1500}}})
	before := e.clk.Now()
	if err := describeOrders(e); err != nil {
		t.Fatal(err)
	}
	if got := e.clk.Now().Sub(before); got != 1500*time.Millisecond {
		t.Fatalf("clock moved %v, want 1.5s", got)
	}
}

func TestFaultAfterUntilWindow(t *testing.T) {
	e := newEnv(t, sim.Options{Faults: []sim.Fault{{Operation: "DescribeDBProxyTargets", Code: "InvalidDBProxyStateFault", After: "DeregisterDBProxyTargets", Until: "RegisterDBProxyTargets"}}})
	e.targets("orders-proxy") // window not open yet
	e.deregister("orders-proxy", []string{"orders-db"}, nil)
	_, err := e.rds.DescribeDBProxyTargets(ctx(), &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy")})
	requireFault[*types.InvalidDBProxyStateFault](t, err)
	if _, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}}); err != nil {
		t.Fatal(err)
	}
	if got := e.targets("orders-proxy"); len(got) != 1 {
		t.Fatalf("window closed: want 1 target, got %d", len(got))
	}
}

func TestParseFaults(t *testing.T) {
	faults, err := sim.ParseFaults(strings.NewReader(`[{"operation":"SwitchoverBlueGreenDeployment","nth":1,"code":"InvalidBlueGreenDeploymentStateFault"},
		{"throttle_rate":0.1},{"switchover":"timeout"},{"green_invalid_after_ms":60000,"after":"CreateBlueGreenDeployment"}]`))
	if err != nil || len(faults) != 4 || faults[0].Nth != 1 || faults[1].ThrottleRate != 0.1 || faults[2].Switchover != "timeout" || faults[3].After != "CreateBlueGreenDeployment" {
		t.Fatalf("%v %+v", err, faults)
	}
	for _, bad := range []string{`{"code":"X"}`, `[{"cod":"X"}]`, `[{"switchover":"later"}]`, `[{"throttle_rate":2}]`, `[{}]`, `[{"code":"X","nth":-1}]`} {
		if _, err := sim.ParseFaults(strings.NewReader(bad)); err == nil {
			t.Errorf("%s must be refused", bad)
		}
	}
}

func TestMutationLog(t *testing.T) {
	// The legacy regime's refusal of the creation is the refused call.
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	describeOrders(e)
	e.targets("orders-proxy")
	_, _ = e.rds.CreateBlueGreenDeployment(ctx(), &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))})
	if n := len(e.sim.Mutations()); n != 0 {
		t.Fatalf("reads and refused calls are not mutations: %d", n)
	}
	out, err := e.rds.DeregisterDBProxyTargets(ctx(), &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	if err != nil {
		t.Fatal(err)
	}
	reqID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	e.advance(time.Minute)
	e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))})
	m := e.sim.Mutations()
	if len(m) != 2 {
		t.Fatalf("mutations %+v", m)
	}
	if m[0].Operation != "DeregisterDBProxyTargets" || m[0].Target != "orders-proxy" || m[0].RequestID != reqID || reqID == "" || !m[0].Time.Equal(start) {
		t.Fatalf("first mutation %+v (SDK request id %q)", m[0], reqID)
	}
	if m[1].Operation != "CreateBlueGreenDeployment" || m[1].Target != arn("db", "orders-db") || !m[1].Time.Equal(start.Add(time.Minute)) {
		t.Fatalf("second mutation %+v", m[1])
	}
}

func TestSeedMakesNamesDeterministic(t *testing.T) {
	names := func() (string, string) {
		e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Seed: 42})
		d := e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))})
		d = e.waitStatus(aws.ToString(d.BlueGreenDeploymentIdentifier), "AVAILABLE", time.Hour)
		return aws.ToString(d.BlueGreenDeploymentIdentifier), aws.ToString(d.Target)
	}
	id1, t1 := names()
	id2, t2 := names()
	if id1 != id2 || t1 != t2 {
		t.Fatalf("same seed, different names: %s/%s vs %s/%s", id1, t1, id2, t2)
	}
}

func TestFaultWindowCountsFromWhenTheFaultWasAdded(t *testing.T) {
	e := newEnv(t, sim.Options{})
	register := func() {
		t.Helper()
		if _, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}}); err != nil {
			t.Fatal(err)
		}
	}
	// A first detach/attach cycle, as steps 1 and 3 of a detach run do.
	e.deregister("orders-proxy", []string{"orders-db"}, nil)
	register()
	// Armed now, the window opens at the next deregistration only.
	e.sim.AddFault(sim.Fault{Operation: "DescribeDBProxyTargets", Code: "InvalidDBProxyStateFault", After: "DeregisterDBProxyTargets", Until: "RegisterDBProxyTargets"})
	if got := e.targets("orders-proxy"); len(got) != 1 {
		t.Fatalf("window open before the next deregistration: %d targets", len(got))
	}
	e.deregister("orders-proxy", []string{"orders-db"}, nil)
	_, err := e.rds.DescribeDBProxyTargets(ctx(), &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy")})
	requireFault[*types.InvalidDBProxyStateFault](t, err)
	register()
	if got := e.targets("orders-proxy"); len(got) != 1 {
		t.Fatalf("window still open after the registration: %d targets", len(got))
	}
}

func TestStatsEndpointCountsFaultsAndDeployments(t *testing.T) {
	e := newEnv(t, sim.Options{Faults: []sim.Fault{
		{Operation: "DescribeDBInstances", Nth: 1, Code: "InternalFailure", HTTPStatus: 500},
		{Operation: "DescribeDBProxies", ThrottleRate: 1},
		{Operation: "DescribeDBClusters", LatencyMS: 10},
	}})
	_ = describeOrders(e)
	_, _ = e.rds.DescribeDBProxies(ctx(), &rds.DescribeDBProxiesInput{})
	_, _ = e.rds.DescribeDBClusters(ctx(), &rds.DescribeDBClustersInput{})
	e.deregister("orders-proxy", []string{"orders-db"}, nil)
	if _, err := e.rds.CreateBlueGreenDeployment(ctx(), &rds.CreateBlueGreenDeploymentInput{
		BlueGreenDeploymentName: aws.String("orders-bg"), Source: e.instance("orders-db").DBInstanceArn,
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Get(e.srv.URL + sim.StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got sim.Stats
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := sim.Stats{TotalCalls: 6, Mutations: 2, DeploymentsCreated: 1, ThrottledCalls: 1, FailedCalls: 1, DelayedCalls: 1}
	if got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
	if e.sim.Stats() != want {
		t.Fatalf("Stats() %+v disagrees with the endpoint", e.sim.Stats())
	}
}

func TestClearFaultsDisarmsAndKeepsTheCounts(t *testing.T) {
	e := newEnv(t, sim.Options{Faults: []sim.Fault{{Operation: "DescribeDBInstances", Code: "InternalFailure", HTTPStatus: 500}}})
	if err := describeOrders(e); err == nil {
		t.Fatal("the fault did not fire")
	}
	e.sim.ClearFaults()
	if err := describeOrders(e); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
	if got := e.sim.Stats().FailedCalls; got != 1 {
		t.Fatalf("FailedCalls %d, want 1", got)
	}
}
