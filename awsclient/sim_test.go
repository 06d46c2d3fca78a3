package awsclient

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// The real *Client against the simulator over loopback HTTP: every method
// of API, on every kind of resource, with the virtual clock driving the
// simulator's state machine.

type simHarness struct {
	sim    *sim.Simulator
	clock  *clock.Virtual
	client *Client
	calls  *CallLog
}

func newSimHarness(t *testing.T, scenario string) *simHarness {
	t.Helper()
	s := simtest.NewServer(t, sim.Options{Scenario: scenario, Clock: clock.NewVirtual(testStart), Seed: 1})
	calls := NewCallLog()
	return &simHarness{sim: s.Sim, clock: s.Clock, client: wireClient(t, s.HTTP, s.Clock, calls, 0), calls: calls}
}

// waitDeployment polls every 30 s of virtual time until the deployment
// reaches want, failing on any other terminal state or after limit.
func (h *simHarness) waitDeployment(t *testing.T, id, want string, limit time.Duration) Deployment {
	t.Helper()
	deadline := h.clock.Now().Add(limit)
	for {
		d, err := h.client.DescribeDeployment(context.Background(), id)
		if err != nil {
			t.Fatalf("DescribeDeployment(%s): %v", id, err)
		}
		if d.Status == want {
			return d
		}
		switch d.Status {
		case "INVALID_CONFIGURATION", "SWITCHOVER_FAILED":
			t.Fatalf("deployment %s is %s (%s), want %s", id, d.Status, d.StatusDetails, want)
		}
		if h.clock.Now().After(deadline) {
			t.Fatalf("deployment %s still %s after %v, want %s", id, d.Status, limit, want)
		}
		h.clock.Advance(30 * time.Second)
	}
}

func (h *simHarness) mutatingCalls() []string {
	var ops []string
	for _, c := range h.calls.Recent(recentCalls) {
		if c.Mutating && c.OK() {
			ops = append(ops, c.Operation)
		}
	}
	return ops
}

func TestSimFullRunRDSMySQLNative(t *testing.T) {
	h := newSimHarness(t, "rds-mysql-native-proxy")
	ctx := context.Background()
	c := h.client

	id, err := c.CallerIdentity(ctx)
	if err != nil || id.Account != "123456789012" || id.ARN == "" {
		t.Fatalf("CallerIdentity = %+v, %v", id, err)
	}

	blue, err := c.DescribeInstance(ctx, "shop-db")
	if err != nil {
		t.Fatal(err)
	}
	if blue.Engine != "mysql" || blue.EngineVersion != "8.0.36" || blue.Status != "available" ||
		!strings.HasPrefix(blue.ARN, "arn:aws:rds:us-east-1:123456789012:db:shop-db") || blue.ResourceID == "" ||
		len(blue.ParameterGroups) != 1 || blue.ParameterGroups[0].Name != "shop-mysql80" || blue.Port != 3306 || blue.Endpoint == "" {
		t.Errorf("blue = %+v", blue)
	}
	byARN, err := c.DescribeInstance(ctx, blue.ARN)
	if err != nil || byARN.ID != "shop-db" {
		t.Errorf("DescribeInstance by ARN = %+v, %v", byARN, err)
	}

	all, err := c.ListInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids := instanceIDs(all); !contains(ids, "shop-db") || !contains(ids, "reporting-db") {
		t.Errorf("ListInstances ids = %v", ids)
	}

	proxies, err := c.ListProxies(ctx)
	if err != nil || len(proxies) != 2 {
		t.Fatalf("ListProxies = %+v, %v", proxies, err)
	}
	targets, err := c.DescribeProxyTargets(ctx, "shop-proxy")
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].RdsResourceID != "shop-db" || targets[0].Type != "RDS_INSTANCE" ||
		targets[0].ProxyName != "shop-proxy" || targets[0].Health.State != "AVAILABLE" || targets[0].Role != "READ_WRITE" {
		t.Errorf("shop-proxy targets = %+v", targets)
	}
	groups, err := c.DescribeTargetGroups(ctx, "shop-proxy")
	if err != nil || len(groups) != 1 || groups[0].Name != "default" || !groups[0].IsDefault {
		t.Errorf("target groups = %+v, %v", groups, err)
	}

	ev, err := c.DescribeEngineVersion(ctx, "mysql", "8.0.36")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Family != "mysql8.0" || !hasUpgrade(ev, "8.4.4", true) || !hasUpgrade(ev, "8.0.40", false) {
		t.Errorf("engine version = %+v", ev)
	}
	versions, err := c.ListEngineVersions(ctx, "mysql")
	if err != nil || len(versions) < 2 {
		t.Errorf("ListEngineVersions = %d, %v", len(versions), err)
	}
	params, err := c.DescribeDBParameters(ctx, "shop-mysql80", "binlog_format")
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 1 || params[0].Name != "binlog_format" {
		t.Errorf("binlog_format = %+v", params)
	}

	created, err := c.CreateDeployment(ctx, CreateDeploymentInput{
		Name: "shop-upgrade", SourceARN: blue.ARN, TargetEngineVersion: "8.4.4",
		TargetDBParameterGroupName: "shop-mysql84", Tags: map[string]string{"created-by": "rdsbg"},
	})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	if !strings.HasPrefix(created.ID, "bgd-") || created.Status != "PROVISIONING" || created.Source != blue.ARN || created.Name != "shop-upgrade" {
		t.Errorf("created = %+v", created)
	}
	if _, err := c.CreateDeployment(ctx, CreateDeploymentInput{Name: "shop-upgrade", SourceARN: blue.ARN}); Classify(err) != KindAlreadyExists {
		t.Errorf("second create with the same name: %v (%s), want already-exists", err, Classify(err))
	}

	ready := h.waitDeployment(t, created.ID, "AVAILABLE", 2*time.Hour)
	if ready.Target == "" || len(ready.Tasks) == 0 || len(ready.Members) == 0 {
		t.Errorf("ready deployment = %+v", ready)
	}
	for _, task := range ready.Tasks {
		if task.Status != "COMPLETED" {
			t.Errorf("task %s is %s at AVAILABLE", task.Name, task.Status)
		}
	}
	listed, err := c.ListDeployments(ctx, blue.ARN)
	if err != nil || len(listed) != 1 || listed[0].ID != created.ID {
		t.Errorf("ListDeployments(source) = %+v, %v", listed, err)
	}
	if others, err := c.ListDeployments(ctx, "arn:aws:rds:us-east-1:123456789012:db:reporting-db"); err != nil || len(others) != 0 {
		t.Errorf("ListDeployments(other source) = %+v, %v", others, err)
	}

	sw, err := c.SwitchoverDeployment(ctx, created.ID, 300*time.Second)
	if err != nil {
		t.Fatalf("SwitchoverDeployment: %v", err)
	}
	if sw.Status != "SWITCHOVER_IN_PROGRESS" {
		t.Errorf("after switchover call: %s", sw.Status)
	}
	done := h.waitDeployment(t, created.ID, "SWITCHOVER_COMPLETED", time.Hour)
	if !strings.HasSuffix(done.Source, ":db:shop-db-old1") || done.Target != blue.ARN {
		t.Errorf("after switchover Source=%s Target=%s, want -old1 and the original ARN", done.Source, done.Target)
	}
	newBlue, err := c.DescribeInstance(ctx, "shop-db")
	if err != nil {
		t.Fatal(err)
	}
	if newBlue.EngineVersion != "8.4.4" || newBlue.ResourceID == blue.ResourceID {
		t.Errorf("production after switchover = %+v (old resource %s)", newBlue, blue.ResourceID)
	}

	if _, err := c.DeleteDeployment(ctx, created.ID, true); Classify(err) != KindInvalidState {
		t.Errorf("DeleteTarget after switchover: %v (%s), want invalid-state", err, Classify(err))
	}
	del, err := c.DeleteDeployment(ctx, created.ID, false)
	if err != nil {
		t.Fatalf("DeleteDeployment: %v", err)
	}
	if del.Status != "DELETING" {
		t.Errorf("after delete: %s", del.Status)
	}
	h.clock.Advance(10 * time.Minute)
	if _, err := c.DescribeDeployment(ctx, created.ID); Classify(err) != KindNotFound || !is[*rdstypes.BlueGreenDeploymentNotFoundFault](err) {
		t.Errorf("deleted deployment: %v, want BlueGreenDeploymentNotFoundFault", err)
	}

	off := false
	if _, err := c.ModifyInstance(ctx, ModifyInstanceInput{ID: "shop-db-old1", DeletionProtection: &off, ApplyImmediately: true}); err != nil {
		t.Fatalf("ModifyInstance old1: %v", err)
	}
	if err := c.DeleteInstance(ctx, DeleteInput{ID: "shop-db-old1", SkipFinalSnapshot: true}); err != nil {
		t.Fatalf("DeleteInstance old1: %v", err)
	}
	h.clock.Advance(time.Hour)
	if _, err := c.DescribeInstance(ctx, "shop-db-old1"); Classify(err) != KindNotFound {
		t.Errorf("deleted old blue: %v, want not-found", err)
	}

	// The call log's successful mutating calls are exactly what the
	// simulator accepted, in order.
	var accepted []string
	for _, m := range h.sim.Mutations() {
		accepted = append(accepted, m.Operation)
	}
	if got := h.mutatingCalls(); !reflect.DeepEqual(got, accepted) {
		t.Errorf("call log mutations %v\nsimulator accepted    %v", got, accepted)
	}
	wantOps := []string{"CreateBlueGreenDeployment", "SwitchoverBlueGreenDeployment", "DeleteBlueGreenDeployment", "ModifyDBInstance", "DeleteDBInstance"}
	if !reflect.DeepEqual(accepted, wantOps) {
		t.Errorf("accepted mutations %v, want %v", accepted, wantOps)
	}
	for _, call := range h.calls.Recent(recentCalls) {
		if call.RequestID == "" || call.HTTPStatus == 0 || call.Attempts != 1 {
			t.Errorf("call without request id, status or with retries: %+v", call)
		}
	}
}

func TestSimProxyRegisterAndDeregister(t *testing.T) {
	h := newSimHarness(t, "rds-postgres-native-proxy")
	ctx := context.Background()
	c := h.client

	if _, err := c.RegisterTargets(ctx, "billing-proxy", TargetRef{InstanceID: "billing-db"}); Classify(err) != KindAlreadyExists ||
		!is[*rdstypes.DBProxyTargetAlreadyRegisteredFault](err) {
		t.Errorf("registering a registered target: %v, want DBProxyTargetAlreadyRegisteredFault", err)
	}
	if err := c.DeregisterTargets(ctx, "billing-proxy", TargetRef{InstanceID: "billing-db"}); err != nil {
		t.Fatalf("DeregisterTargets: %v", err)
	}
	if targets, err := c.DescribeProxyTargets(ctx, "billing-proxy"); err != nil || len(targets) != 0 {
		t.Errorf("targets after deregister = %+v, %v", targets, err)
	}
	if err := c.DeregisterTargets(ctx, "billing-proxy", TargetRef{InstanceID: "billing-db"}); Classify(err) != KindNotFound {
		t.Errorf("deregistering twice: %v (%s), want not-found", err, Classify(err))
	}
	reg, err := c.RegisterTargets(ctx, "billing-proxy", TargetRef{InstanceID: "billing-db"})
	if err != nil {
		t.Fatalf("RegisterTargets: %v", err)
	}
	if len(reg) != 1 || reg[0].RdsResourceID != "billing-db" || reg[0].ProxyName != "billing-proxy" || reg[0].Health.State != "REGISTERING" {
		t.Errorf("registered = %+v", reg)
	}
	h.clock.Advance(5 * time.Minute)
	targets, err := c.DescribeProxyTargets(ctx, "billing-proxy")
	if err != nil || len(targets) != 1 || targets[0].Health.State != "AVAILABLE" {
		t.Errorf("targets after registration settled = %+v, %v", targets, err)
	}
	if _, err := c.DescribeProxyTargets(ctx, "no-such-proxy"); Classify(err) != KindNotFound || !is[*rdstypes.DBProxyNotFoundFault](err) {
		t.Errorf("unknown proxy: %v, want DBProxyNotFoundFault", err)
	}
}

// In the legacy regime a proxy target cannot be a blue/green source; the
// refusal code is undocumented, so the engine reads it through Inspect.
func TestSimLegacyRefusalIsInspectable(t *testing.T) {
	h := newSimHarness(t, "rds-postgres-legacy-proxy")
	ctx := context.Background()
	blue, err := h.client.DescribeInstance(ctx, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.client.CreateDeployment(ctx, CreateDeploymentInput{Name: "orders-upgrade", SourceARN: blue.ARN, TargetEngineVersion: "16.4"})
	if err == nil {
		t.Fatal("legacy regime accepted a proxy target as source")
	}
	info, ok := Inspect(err)
	if !ok || info.Code != "SourceDatabaseNotSupportedFault" || info.Operation != "CreateBlueGreenDeployment" ||
		info.HTTPStatus != 400 || info.RequestID == "" || info.Message == "" {
		t.Errorf("Inspect = %+v, %v", info, ok)
	}
	if !is[*rdstypes.SourceDatabaseNotSupportedFault](err) {
		t.Errorf("err %T is not the typed SourceDatabaseNotSupportedFault", err)
	}
	if len(h.sim.Mutations()) != 0 {
		t.Errorf("refused create was recorded as a mutation: %+v", h.sim.Mutations())
	}
}

func TestSimNotFoundIsTypedAndClassified(t *testing.T) {
	h := newSimHarness(t, "aurora-postgres-proxy")
	ctx := context.Background()
	c := h.client
	checks := map[string]func() error{
		"DescribeInstance":          func() error { _, err := c.DescribeInstance(ctx, "nope"); return err },
		"DescribeCluster":           func() error { _, err := c.DescribeCluster(ctx, "nope"); return err },
		"DescribeDeployment":        func() error { _, err := c.DescribeDeployment(ctx, "bgd-0000000000000000"); return err },
		"DescribeTargetGroups":      func() error { _, err := c.DescribeTargetGroups(ctx, "nope"); return err },
		"DescribeDBParameters":      func() error { _, err := c.DescribeDBParameters(ctx, "nope"); return err },
		"DescribeClusterParameters": func() error { _, err := c.DescribeClusterParameters(ctx, "nope"); return err },
		"DescribeEngineVersion":     func() error { _, err := c.DescribeEngineVersion(ctx, "aurora-postgresql", "9.9"); return err },
		"DescribeInstanceSnapshot":  func() error { _, err := c.DescribeInstanceSnapshot(ctx, "nope"); return err },
		"DescribeClusterSnapshot":   func() error { _, err := c.DescribeClusterSnapshot(ctx, "nope"); return err },
	}
	for name, call := range checks {
		if err := call(); Classify(err) != KindNotFound {
			t.Errorf("%s: %v (%s), want not-found", name, err, Classify(err))
		}
	}
	if err := checks["DescribeInstance"](); !is[*rdstypes.DBInstanceNotFoundFault](err) {
		t.Errorf("DescribeInstance: %T, want *DBInstanceNotFoundFault", err)
	}
	// rds-facts §1.15: the cluster variant fails with DBParameterGroupNotFound too.
	if err := checks["DescribeClusterParameters"](); !is[*rdstypes.DBParameterGroupNotFoundFault](err) {
		t.Errorf("DescribeClusterParameters: %v, want *DBParameterGroupNotFoundFault", err)
	}
}

func TestSimAuroraCluster(t *testing.T) {
	h := newSimHarness(t, "aurora-postgres-proxy")
	ctx := context.Background()
	c := h.client

	cl, err := c.DescribeCluster(ctx, "ledger-cluster")
	if err != nil {
		t.Fatal(err)
	}
	if cl.Engine != "aurora-postgresql" || cl.Writer() != "ledger-instance-1" || len(cl.Members) != 3 ||
		cl.ParameterGroup != "ledger-apg15-cluster" || len(cl.CustomEndpoints) != 1 || !cl.DeletionProtection || cl.Endpoint == "" || cl.ReaderEndpoint == "" {
		t.Errorf("cluster = %+v", cl)
	}
	clusters, err := c.ListClusters(ctx)
	if err != nil || len(clusters) != 1 || clusters[0].ID != "ledger-cluster" {
		t.Errorf("ListClusters = %+v, %v", clusters, err)
	}
	member, err := c.DescribeInstance(ctx, "ledger-instance-2")
	if err != nil || member.ClusterID != "ledger-cluster" {
		t.Errorf("member = %+v, %v", member, err)
	}

	targets, err := c.DescribeProxyTargets(ctx, "ledger-proxy")
	if err != nil {
		t.Fatal(err)
	}
	var tracked, instances int
	for _, tg := range targets {
		switch tg.Type {
		case "TRACKED_CLUSTER":
			tracked++
			if tg.RdsResourceID != "ledger-cluster" {
				t.Errorf("tracked cluster target = %+v", tg)
			}
		case "RDS_INSTANCE":
			instances++
			if tg.TrackedClusterID != "ledger-cluster" {
				t.Errorf("instance target without TrackedClusterId: %+v", tg)
			}
		}
	}
	if tracked != 1 || instances != 3 {
		t.Errorf("ledger-proxy targets: %d tracked, %d instances; want 1 and 3: %+v", tracked, instances, targets)
	}

	params, err := c.DescribeClusterParameters(ctx, "ledger-apg15-cluster")
	if err != nil || len(params) == 0 {
		t.Errorf("cluster parameters = %d, %v", len(params), err)
	}

	snap, err := c.CreateClusterSnapshot(ctx, "ledger-cluster", "ledger-before-upgrade")
	if err != nil {
		t.Fatalf("CreateClusterSnapshot: %v", err)
	}
	if snap.ID != "ledger-before-upgrade" || snap.Status != "creating" || snap.ARN == "" {
		t.Errorf("snapshot = %+v", snap)
	}
	h.clock.Advance(10 * time.Minute)
	if got, err := c.DescribeClusterSnapshot(ctx, "ledger-before-upgrade"); err != nil || got.Status != "available" {
		t.Errorf("snapshot later = %+v, %v", got, err)
	}

	mod, err := c.ModifyCluster(ctx, ModifyClusterInput{ID: "ledger-cluster", EngineVersion: "16.4", AllowMajorVersionUpgrade: true,
		ApplyImmediately: true, DBClusterParameterGroupName: "ledger-apg16-cluster", DBInstanceParameterGroupName: "ledger-apg16"})
	if err != nil {
		t.Fatalf("ModifyCluster: %v", err)
	}
	if mod.ID != "ledger-cluster" {
		t.Errorf("modified = %+v", mod)
	}
	if err := c.DeleteCluster(ctx, DeleteInput{ID: "ledger-cluster", SkipFinalSnapshot: true}); Classify(err) == "" {
		t.Errorf("deleting a cluster with live members succeeded")
	}
}

func TestSimInstanceSnapshot(t *testing.T) {
	h := newSimHarness(t, "rds-mariadb-no-proxy")
	ctx := context.Background()
	snap, err := h.client.CreateInstanceSnapshot(ctx, "catalog-db", "catalog-before")
	if err != nil {
		t.Fatalf("CreateInstanceSnapshot: %v", err)
	}
	if snap.ID != "catalog-before" || snap.Status != "creating" {
		t.Errorf("snapshot = %+v", snap)
	}
	h.clock.Advance(10 * time.Minute)
	if got, err := h.client.DescribeInstanceSnapshot(ctx, "catalog-before"); err != nil || got.Status != "available" {
		t.Errorf("snapshot later = %+v, %v", got, err)
	}
	if _, err := h.client.CreateInstanceSnapshot(ctx, "catalog-db", "catalog-before"); Classify(err) != KindAlreadyExists {
		t.Errorf("duplicate snapshot: %v (%s), want already-exists", err, Classify(err))
	}
}

func TestSimPaginationReachesTheEnd(t *testing.T) {
	h := newSimHarness(t, "rds-mariadb-no-proxy")
	h.sim.Update(func(st *sim.State) {
		for i := 0; i < 230; i++ {
			st.Instances = append(st.Instances, &sim.Instance{
				ID: fmt.Sprintf("bulk-%03d", i), Engine: "mysql", EngineVersion: "8.0.40", Status: "available",
				Class: "db.t4g.micro", ParameterGroup: "default.mysql8.0", BackupRetentionDays: 1, Port: 3306,
			})
		}
	})
	all, err := h.client.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := instanceIDs(all)
	if len(ids) != 232 || !contains(ids, "bulk-000") || !contains(ids, "bulk-229") || !contains(ids, "catalog-db") {
		t.Errorf("ListInstances returned %d instances", len(ids))
	}
	if n := h.sim.CallCounts()["DescribeDBInstances"]; n < 3 {
		t.Errorf("DescribeDBInstances called %d times, want one per page (≥3)", n)
	}
}

func TestSimThrottlingFaultIsRetried(t *testing.T) {
	h := newSimHarness(t, "rds-mariadb-no-proxy")
	h.sim.AddFault(sim.Fault{Operation: "DescribeDBInstances", Nth: 1, Code: "Throttling"})
	inst, err := h.client.DescribeInstance(context.Background(), "catalog-db")
	if err != nil || inst.ID != "catalog-db" {
		t.Fatalf("DescribeInstance through one throttle = %+v, %v", inst, err)
	}
	rec := h.calls.Recent(1)
	if len(rec) != 1 || rec[0].Attempts != 2 || !rec[0].OK() {
		t.Errorf("call = %+v, want a successful call with 2 attempts", rec)
	}
	if n := h.sim.CallCounts()["DescribeDBInstances"]; n != 2 {
		t.Errorf("simulator saw %d calls, want 2", n)
	}
}

func TestSimEveryScenarioDescribes(t *testing.T) {
	for _, sc := range []string{"rds-postgres-legacy-proxy", "rds-mysql-native-proxy", "aurora-postgres-proxy", "aurora-global-proxy", "rds-mariadb-no-proxy"} {
		t.Run(sc, func(t *testing.T) {
			h := newSimHarness(t, sc)
			ctx := context.Background()
			insts, err := h.client.ListInstances(ctx)
			if err != nil || len(insts) == 0 {
				t.Fatalf("ListInstances = %d, %v", len(insts), err)
			}
			for _, in := range insts {
				if in.ID == "" || in.ARN == "" || in.Engine == "" || in.Status == "" {
					t.Errorf("incomplete instance %+v", in)
				}
			}
			proxies, err := h.client.ListProxies(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range proxies {
				if _, err := h.client.DescribeProxyTargets(ctx, p.Name); err != nil {
					t.Errorf("DescribeProxyTargets(%s): %v", p.Name, err)
				}
			}
			if _, err := h.client.ListClusters(ctx); err != nil {
				t.Error(err)
			}
			if _, err := h.client.ListDeployments(ctx, ""); err != nil {
				t.Error(err)
			}
		})
	}
}

func instanceIDs(in []Instance) []string {
	var ids []string
	for _, i := range in {
		ids = append(ids, i.ID)
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasUpgrade(ev EngineVersion, version string, major bool) bool {
	for _, u := range ev.UpgradeTargets {
		if u.Version == version && u.Major == major {
			return true
		}
	}
	return false
}
