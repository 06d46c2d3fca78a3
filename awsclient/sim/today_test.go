package sim_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// Issue 23: the simulator's default world is today's AWS.

// The default scenario is rds-postgres-native-proxy: orders-db is created
// into a deployment while its proxy stays registered, the switchover takes
// seconds on AWS's timings, and the proxy follows the new primary.
func TestDefaultScenarioIsNativeAndSwitchesOverInSeconds(t *testing.T) {
	tm := sim.DefaultTimings()
	e := newEnv(t, sim.Options{Timings: &tm})
	if e.sim.Regime() != sim.RegimeNative {
		t.Fatalf("default regime %s", e.sim.Regime())
	}
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", time.Hour)
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(5 * time.Second)
	if s := aws.ToString(e.deployment(id).Status); s != "SWITCHOVER_COMPLETED" {
		t.Fatalf("5 s after the call: %s, want SWITCHOVER_COMPLETED (AWS: typically under five seconds)", s)
	}
	tg := e.targets("orders-proxy")
	if len(tg) != 1 || aws.ToString(tg[0].RdsResourceId) != "orders-db" || tg[0].TargetHealth.State != types.TargetStateAvailable {
		t.Fatalf("the proxy must follow the new primary: %+v", tg)
	}
	if e.instance("orders-db-old1").DbiResourceId == nil {
		t.Fatal("old blue is orders-db-old1")
	}
}

func eventsByID(e *env) map[string]int {
	n := map[string]int{}
	for _, l := range e.sim.EventIDs() {
		n[strings.Fields(l)[0]]++
	}
	return n
}

// The user guides' event tables: 0244 is a creation event; an RDS
// switchover emits 0250/0251 for the primary and for each replica besides
// 0247/0248; an Aurora switchover emits 0259/0260 besides 0247/0248; a
// cancellation 0249 with 0252 per member; 0214 is a configuration change.
func TestEventCategoriesAndPerMemberSwitchoverEvents(t *testing.T) {
	e := newEnv(t, sim.Options{})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", time.Hour)
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Switchover)
	got := events(t, e, types.SourceTypeBlueGreenDeployment, id)
	categories := map[string]string{}
	var msgs []string
	for _, ev := range got {
		msgs = append(msgs, aws.ToString(ev.Message))
		categories[aws.ToString(ev.Message)] = ev.EventCategories[0]
	}
	joined := strings.Join(msgs, "\n")
	for msg, cat := range categories {
		if strings.Contains(msg, "tasks completed") && cat != "creation" {
			t.Errorf("RDS-EVENT-0244 category %q, want creation", cat)
		}
	}
	for _, want := range []string{"Switchover from primary/read replica orders-db to orders-db-green-", "Switchover from primary/read replica orders-db-replica-1 to orders-db-replica-1-green-",
		"Renamed orders-db to orders-db-old1 and orders-db-green-", "Renamed orders-db-replica-1 to orders-db-replica-1-old1", "Switchover completed on blue/green deployment o."} {
		if !strings.Contains(joined, want) {
			t.Errorf("events lack %q:\n%s", want, joined)
		}
	}
	n := eventsByID(e)
	if n["RDS-EVENT-0244"] != 1 || n["RDS-EVENT-0247"] != 1 || n["RDS-EVENT-0248"] != 1 || n["RDS-EVENT-0250"] != 2 || n["RDS-EVENT-0251"] != 2 || n["RDS-EVENT-0259"] != 0 {
		t.Fatalf("event ids %v", n)
	}

	// Aurora: both the deployment's and the cluster's events.
	a := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	a.deregister("ledger-proxy", nil, []string{"ledger-cluster"})
	aid := aws.ToString(a.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("l"), Source: aws.String(arn("cluster", "ledger-cluster"))}).BlueGreenDeploymentIdentifier)
	a.waitStatus(aid, "AVAILABLE", 2*time.Hour)
	a.sim.AddFault(sim.Fault{Switchover: "fail"})
	if _, err := a.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(aid)}); err != nil {
		t.Fatal(err)
	}
	a.advance(a.tm.Switchover + a.tm.Rollback)
	if _, err := a.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(aid)}); err != nil {
		t.Fatal(err)
	}
	a.advance(a.tm.Switchover)
	n = eventsByID(a)
	for id, want := range map[string]int{"RDS-EVENT-0247": 2, "RDS-EVENT-0259": 2, "RDS-EVENT-0249": 1, "RDS-EVENT-0261": 1, "RDS-EVENT-0248": 1, "RDS-EVENT-0260": 1, "RDS-EVENT-0250": 0} {
		if n[id] != want {
			t.Errorf("%s emitted %d times, want %d (%v)", id, n[id], want, n)
		}
	}
	for _, ev := range events(t, a, types.SourceTypeBlueGreenDeployment, aid) {
		if m := aws.ToString(ev.Message); strings.Contains(m, "cancel") && ev.EventCategories[0] != "failure" {
			t.Errorf("a cancellation is a failure event: %q %v", m, ev.EventCategories)
		}
	}

	// 0214: a registered instance deleted leaves the target group.
	p := newEnv(t, sim.Options{})
	if _, err := p.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("billing-db"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	p.advance(p.tm.InstanceDelete)
	pe := events(t, p, types.SourceTypeDbProxy, "billing-proxy")
	if len(pe) != 1 || pe[0].EventCategories[0] != "configuration change" {
		t.Fatalf("proxy events %+v", pe)
	}
}

func tagMap(tl []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tl {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// Blue's tags are copied to green at creation and overwrite the new
// production resource's at switchover; DescribeDBInstances and
// DescribeDBClusters carry them in TagList.
func TestTagsFollowBlueGreenAndShowInTagList(t *testing.T) {
	e := newEnv(t, sim.Options{})
	if _, err := e.rds.AddTagsToResource(ctx(), &rds.AddTagsToResourceInput{ResourceName: aws.String(arn("db", "orders-db")),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("orders")}, {Key: aws.String("cost-centre"), Value: aws.String("42")}}}); err != nil {
		t.Fatal(err)
	}
	if got := tagMap(e.instance("orders-db").TagList); got["team"] != "orders" || len(got) != 2 {
		t.Fatalf("TagList of orders-db: %v", got)
	}
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))}).BlueGreenDeploymentIdentifier)
	d := e.waitStatus(id, "AVAILABLE", time.Hour)
	green := lastARNPart(aws.ToString(d.Target))
	if got := tagMap(e.instance(green).TagList); got["team"] != "orders" || got["cost-centre"] != "42" {
		t.Fatalf("green %s at creation: %v", green, got)
	}
	// Changes after creation are not kept in sync; at switchover blue's
	// tags overwrite green's.
	if _, err := e.rds.AddTagsToResource(ctx(), &rds.AddTagsToResourceInput{ResourceName: aws.String(arn("db", green)), Tags: []types.Tag{{Key: aws.String("green-only"), Value: aws.String("x")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rds.AddTagsToResource(ctx(), &rds.AddTagsToResourceInput{ResourceName: aws.String(arn("db", "orders-db")), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Switchover)
	if got := tagMap(e.instance("orders-db").TagList); got["team"] != "payments" || got["green-only"] != "" || len(got) != 2 {
		t.Fatalf("production after switchover: %v", got)
	}
	if got := tagMap(e.instance("orders-db-old1").TagList); got["team"] != "payments" {
		t.Fatalf("old blue keeps its tags: %v", got)
	}

	a := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	if _, err := a.rds.AddTagsToResource(ctx(), &rds.AddTagsToResourceInput{ResourceName: aws.String(arn("cluster", "ledger-cluster")), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ledger")}}}); err != nil {
		t.Fatal(err)
	}
	if got := tagMap(a.cluster("ledger-cluster").TagList); got["team"] != "ledger" {
		t.Fatalf("TagList of ledger-cluster: %v", got)
	}
}

func lastARNPart(a string) string { return a[strings.LastIndex(a, ":")+1:] }

// Operations whose model has no output answer no <OpResult> element.
func TestTagOperationsAnswerNoResultElement(t *testing.T) {
	e := newEnv(t, sim.Options{})
	for _, op := range []url.Values{
		{"Action": {"AddTagsToResource"}, "Version": {"2014-10-31"}, "ResourceName": {arn("db", "orders-db")}, "Tags.Tag.1.Key": {"k"}, "Tags.Tag.1.Value": {"v"}},
		{"Action": {"RemoveTagsFromResource"}, "Version": {"2014-10-31"}, "ResourceName": {arn("db", "orders-db")}, "TagKeys.member.1": {"k"}},
	} {
		resp, body := post(t, e, op)
		name := op.Get("Action")
		if resp.StatusCode != 200 || strings.Contains(body, name+"Result") || !strings.Contains(body, "<"+name+"Response") || !strings.Contains(body, "<ResponseMetadata>") {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
}
