package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func TestDescribeProxiesAndTargetGroups(t *testing.T) {
	e := newEnv(t, sim.Options{})
	out, err := e.rds.DescribeDBProxies(ctx(), &rds.DescribeDBProxiesInput{})
	if err != nil || len(out.DBProxies) != 2 {
		t.Fatalf("proxies: %v %+v", err, out)
	}
	p := out.DBProxies[1]
	if aws.ToString(p.DBProxyName) != "orders-proxy" || p.Status != types.DBProxyStatusAvailable || !strings.Contains(aws.ToString(p.DBProxyArn), ":db-proxy:prx-") {
		t.Fatalf("proxy %+v", p)
	}
	_, err = e.rds.DescribeDBProxies(ctx(), &rds.DescribeDBProxiesInput{DBProxyName: aws.String("ghost")})
	requireFault[*types.DBProxyNotFoundFault](t, err)
	requireHTTPStatus(t, err, 404)

	tg, err := e.rds.DescribeDBProxyTargetGroups(ctx(), &rds.DescribeDBProxyTargetGroupsInput{DBProxyName: aws.String("orders-proxy")})
	if err != nil || len(tg.TargetGroups) != 1 || aws.ToString(tg.TargetGroups[0].TargetGroupName) != "default" || !aws.ToBool(tg.TargetGroups[0].IsDefault) {
		t.Fatalf("target groups: %v %+v", err, tg)
	}
	_, err = e.rds.DescribeDBProxyTargets(ctx(), &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), TargetGroupName: aws.String("other")})
	requireFault[*types.DBProxyTargetGroupNotFoundFault](t, err)

	targets := e.targets("orders-proxy")
	if len(targets) != 1 || targets[0].Type != types.TargetTypeRdsInstance || targets[0].Role != types.TargetRoleReadWrite ||
		aws.ToString(targets[0].RdsResourceId) != "orders-db" || targets[0].TargetHealth.State != types.TargetStateAvailable {
		t.Fatalf("targets %+v", targets)
	}
}

func TestLegacyRegimeRefusesCreationWhileRegistered(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	_, err := e.rds.CreateBlueGreenDeployment(ctx(), &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))})
	f := requireFault[*types.SourceDatabaseNotSupportedFault](t, err)
	if !strings.Contains(f.ErrorMessage(), "RDS Proxy") || !strings.Contains(f.ErrorMessage(), "orders-proxy") {
		t.Fatalf("message must say the source is registered with RDS Proxy: %q", f.ErrorMessage())
	}
	if len(e.sim.Mutations()) != 0 || e.sim.DeploymentsCreated() != 0 {
		t.Fatal("a refused creation changes nothing")
	}

	e.deregister("orders-proxy", []string{"orders-db"}, nil)
	if got := e.targets("orders-proxy"); len(got) != 0 {
		t.Fatalf("after deregister: %d targets", len(got))
	}
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))}).BlueGreenDeploymentIdentifier)

	// Legacy allows registering blue again after creation (the detach flow).
	reg, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	if err != nil || len(reg.DBProxyTargets) != 1 || reg.DBProxyTargets[0].TargetHealth.State != types.TargetStateRegistering {
		t.Fatalf("register: %v %+v", err, reg)
	}
	e.advance(e.tm.TargetRegister / 2)
	h := e.targets("orders-proxy")[0].TargetHealth
	if h.State != types.TargetStateUnavailable || h.Reason != types.TargetHealthReasonPendingProxyCapacity {
		t.Fatalf("mid-registration health %+v", h)
	}
	e.advance(e.tm.TargetRegister)
	if got := e.targets("orders-proxy")[0].TargetHealth.State; got != types.TargetStateAvailable {
		t.Fatalf("health after TargetRegister: %s", got)
	}

	_, err = e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	requireFault[*types.DBProxyTargetAlreadyRegisteredFault](t, err)
	_, err = e.rds.DeregisterDBProxyTargets(ctx(), &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String("billing-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	requireFault[*types.DBProxyTargetNotFoundFault](t, err)
	requireHTTPStatus(t, err, 404)
	_, err = e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("ghost"), DBInstanceIdentifiers: []string{"orders-db"}})
	requireFault[*types.DBProxyNotFoundFault](t, err)
	_, err = e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"ghost"}})
	requireFault[*types.DBInstanceNotFoundFault](t, err)

	// Only primaries can be targets.
	e.deregister("orders-proxy", []string{"orders-db"}, nil)
	_, err = e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db-replica-1"}})
	requireFault[*types.InvalidDBInstanceStateFault](t, err)

	// In the legacy regime the proxy stays with blue's resource through a
	// switchover: that is why the wizard detaches first.
	e.waitStatus(id, "AVAILABLE", time.Hour)
	if _, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(id, "SWITCHOVER_COMPLETED", 5*time.Minute)
	if got := aws.ToString(e.targets("orders-proxy")[0].RdsResourceId); got != "orders-db-old1" {
		t.Fatalf("legacy proxy target after switchover: %s, want orders-db-old1", got)
	}
}

func TestConfigurableRefusalCodes(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, LegacyProxyRefusalCode: "InvalidParameterCombination"})
	_, err := e.rds.CreateBlueGreenDeployment(ctx(), &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))})
	requireCode(t, err, "InvalidParameterCombination")

	n := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative, NativeRegisterRefusalCode: "InvalidDBProxyStateFault"})
	n.deregister("shop-proxy", []string{"shop-db"}, nil)
	n.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("s"), Source: aws.String(arn("db", "shop-db"))})
	_, err = n.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("shop-proxy"), DBInstanceIdentifiers: []string{"shop-db"}})
	requireFault[*types.InvalidDBProxyStateFault](t, err)
}

func TestNativeRegimeProxyFollowsSwitchover(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	blueRes := aws.ToString(e.instance("shop-db").DbiResourceId)
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("shop"), Source: aws.String(arn("db", "shop-db")), TargetEngineVersion: aws.String("8.4.3")}).BlueGreenDeploymentIdentifier)
	d := e.waitStatus(id, "AVAILABLE", time.Hour)
	green := strings.TrimPrefix(aws.ToString(d.Target), arn("db", ""))
	greenRes := aws.ToString(e.instance(green).DbiResourceId)

	// A DB in a deployment, blue or green, can't be registered any more.
	e.sim.Update(func(st *sim.State) {
		st.Proxies = append(st.Proxies, &sim.Proxy{Name: "spare-proxy", EngineFamily: "MYSQL", VpcID: "vpc-0f1e2d3c4b5a69788"})
	})
	for _, db := range []string{"shop-db", green} {
		_, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("spare-proxy"), DBInstanceIdentifiers: []string{db}})
		requireFault[*types.InvalidDBInstanceStateFault](t, err)
	}

	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Switchover / 2)
	mid := e.targets("shop-proxy")
	if len(mid) != 1 || aws.ToString(mid[0].RdsResourceId) != "shop-db" || mid[0].TargetHealth.State != types.TargetStateAvailable {
		t.Fatalf("during switchover the old target stays AVAILABLE: %+v", mid)
	}
	e.advance(e.tm.Switchover / 2)
	if aws.ToString(e.deployment(id).Status) != "SWITCHOVER_COMPLETED" {
		t.Fatal("switchover should be complete")
	}
	after := e.targets("shop-proxy")
	if len(after) != 1 || aws.ToString(after[0].RdsResourceId) != "shop-db" || after[0].TargetHealth.State != types.TargetStateUnavailable {
		t.Fatalf("right after switchover: %+v", after)
	}
	if aws.ToString(e.instance("shop-db").DbiResourceId) != greenRes || aws.ToString(e.instance("shop-db-old1").DbiResourceId) != blueRes {
		t.Fatal("production name must now be green's resource")
	}
	e.advance(e.tm.ProxyFollow)
	if got := e.targets("shop-proxy")[0].TargetHealth.State; got != types.TargetStateAvailable {
		t.Fatalf("new primary health %s", got)
	}
}

func TestAuroraTrackedClusterShape(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	targets := e.targets("ledger-proxy")
	if len(targets) != 4 {
		t.Fatalf("want TRACKED_CLUSTER + 3 instances, got %d", len(targets))
	}
	tc := targets[0]
	if tc.Type != types.TargetTypeTrackedCluster || aws.ToInt32(tc.Port) != 0 || tc.Port == nil || aws.ToString(tc.RdsResourceId) != "ledger-cluster" || tc.Endpoint != nil {
		t.Fatalf("tracked cluster %+v", tc)
	}
	roles := map[types.TargetRole]int{}
	for _, x := range targets[1:] {
		if x.Type != types.TargetTypeRdsInstance || aws.ToString(x.TrackedClusterId) != "ledger-cluster" || aws.ToInt32(x.Port) != 5432 {
			t.Errorf("member target %+v", x)
		}
		roles[x.Role]++
	}
	if roles[types.TargetRoleReadWrite] != 1 || roles[types.TargetRoleReadOnly] != 2 {
		t.Fatalf("roles %v", roles)
	}
	_, err := e.rds.CreateBlueGreenDeployment(ctx(), &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("l"), Source: aws.String(arn("cluster", "ledger-cluster"))})
	requireFault[*types.SourceClusterNotSupportedFault](t, err)

	e.deregister("ledger-proxy", nil, []string{"ledger-cluster"})
	if got := e.targets("ledger-proxy"); len(got) != 0 {
		t.Fatalf("deregistering the cluster removes all its entries, %d left", len(got))
	}
	_, err = e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("ledger-proxy"), DBInstanceIdentifiers: []string{"ledger-instance-1"}})
	requireCode(t, err, "InvalidParameterValue")
	reg, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("ledger-proxy"), DBClusterIdentifiers: []string{"ledger-cluster"}})
	if err != nil || len(reg.DBProxyTargets) != 4 {
		t.Fatalf("register cluster: %v %+v", err, reg)
	}
}

func TestAuroraGlobalRefusedEvenInNativeRegime(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraGlobal, ProxyRegime: sim.RegimeNative})
	_, err := e.rds.CreateBlueGreenDeployment(ctx(), &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("p"), Source: aws.String(arn("cluster", "payments-cluster"))})
	f := requireFault[*types.SourceClusterNotSupportedFault](t, err)
	if !strings.Contains(f.ErrorMessage(), "global") {
		t.Fatalf("message should explain the global database: %q", f.ErrorMessage())
	}
	if _, err := sim.New(sim.Options{ProxyRegime: "sometimes"}); err == nil {
		t.Fatal("an unknown regime must be refused")
	}
}

func TestAuroraLifecycleWithCustomEndpoint(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	e.deregister("ledger-proxy", nil, []string{"ledger-cluster"})
	blueRes := aws.ToString(e.cluster("ledger-cluster").DbClusterResourceId)
	d := e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("ledger-16"), Source: aws.String(arn("cluster", "ledger-cluster")),
		TargetEngineVersion: aws.String("16.4"), TargetDBClusterParameterGroupName: aws.String("ledger-apg16-cluster"), TargetDBParameterGroupName: aws.String("ledger-apg16")})
	id := aws.ToString(d.BlueGreenDeploymentIdentifier)
	want := "CREATING_READ_REPLICA_OF_SOURCE,DB_ENGINE_VERSION_UPGRADE,CREATE_DB_INSTANCES_FOR_CLUSTER,CREATE_CUSTOM_ENDPOINTS"
	if got := strings.Join(taskNames(d), ","); got != want {
		t.Fatalf("tasks %s", got)
	}
	if len(d.SwitchoverDetails) != 5 || aws.ToString(d.SwitchoverDetails[4].SourceMember) != arn("cluster-endpoint", "ledger-reporting") {
		t.Fatalf("members %+v", d.SwitchoverDetails)
	}
	d = e.waitStatus(id, "AVAILABLE", 2*time.Hour)
	greenCluster := strings.TrimPrefix(aws.ToString(d.Target), arn("cluster", ""))
	gc := e.cluster(greenCluster)
	if aws.ToString(gc.EngineVersion) != "16.4" || aws.ToString(gc.DBClusterParameterGroup) != "ledger-apg16-cluster" || len(gc.DBClusterMembers) != 3 || len(gc.CustomEndpoints) != 1 {
		t.Fatalf("green cluster %+v", gc)
	}
	if !strings.HasPrefix(aws.ToString(d.SwitchoverDetails[4].TargetMember), arn("cluster-endpoint", "ledger-reporting-green-")) {
		t.Fatalf("green endpoint member %s", aws.ToString(d.SwitchoverDetails[4].TargetMember))
	}
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	d = e.waitStatus(id, "SWITCHOVER_COMPLETED", 5*time.Minute)
	if aws.ToString(d.Source) != arn("cluster", "ledger-cluster-old1") || aws.ToString(d.SwitchoverDetails[4].SourceMember) != arn("cluster-endpoint", "ledger-reporting-old1") ||
		aws.ToString(d.SwitchoverDetails[4].TargetMember) != arn("cluster-endpoint", "ledger-reporting") {
		t.Fatalf("after switchover %+v", d)
	}
	prod := e.cluster("ledger-cluster")
	if aws.ToString(prod.EngineVersion) != "16.4" || aws.ToString(prod.DbClusterResourceId) == blueRes || aws.ToString(prod.DBClusterMembers[0].DBInstanceIdentifier) != "ledger-instance-1" {
		t.Fatalf("production cluster %+v", prod)
	}
	if !strings.HasPrefix(prod.CustomEndpoints[0], "ledger-reporting.cluster-custom-") {
		t.Fatalf("production endpoint %v", prod.CustomEndpoints)
	}
	if aws.ToString(e.instance("ledger-instance-1-old1").DBClusterIdentifier) != "ledger-cluster-old1" {
		t.Fatal("old blue instances belong to the -old1 cluster")
	}
	// Legacy Aurora: re-register the cluster under its production name.
	reg, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("ledger-proxy"), DBClusterIdentifiers: []string{"ledger-cluster"}})
	if err != nil || aws.ToString(reg.DBProxyTargets[0].RdsResourceId) != "ledger-cluster" {
		t.Fatalf("register new primary: %v", err)
	}
}

func TestModifyAndDeleteCluster(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	_, err := e.rds.ModifyDBCluster(ctx(), &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster"), EngineVersion: aws.String("16.4"), ApplyImmediately: aws.Bool(true)})
	requireCode(t, err, "InvalidParameterCombination")
	_, err = e.rds.ModifyDBCluster(ctx(), &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster"), EngineVersion: aws.String("16.4"), AllowMajorVersionUpgrade: aws.Bool(true),
		ApplyImmediately: aws.Bool(true), DBClusterParameterGroupName: aws.String("ghost")})
	requireFault[*types.DBClusterParameterGroupNotFoundFault](t, err)
	out, err := e.rds.ModifyDBCluster(ctx(), &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster"), EngineVersion: aws.String("16.4"), AllowMajorVersionUpgrade: aws.Bool(true),
		ApplyImmediately: aws.Bool(true), DBClusterParameterGroupName: aws.String("ledger-apg16-cluster"), DBInstanceParameterGroupName: aws.String("ledger-apg16")})
	if err != nil || aws.ToString(out.DBCluster.Status) != "upgrading" {
		t.Fatalf("modify cluster: %v", err)
	}
	e.advance(e.tm.Modify)
	c := e.cluster("ledger-cluster")
	if aws.ToString(c.EngineVersion) != "16.4" || aws.ToString(c.Status) != "available" || aws.ToString(e.instance("ledger-instance-2").EngineVersion) != "16.4" {
		t.Fatalf("after upgrade %+v", c)
	}
	if got := aws.ToString(e.instance("ledger-instance-2").DBParameterGroups[0].DBParameterGroupName); got != "ledger-apg16" {
		t.Fatalf("instance group %s", got)
	}

	_, err = e.rds.DeleteDBCluster(ctx(), &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster"), SkipFinalSnapshot: aws.Bool(true)})
	requireCode(t, err, "InvalidParameterCombination") // deletion protection
	if _, err := e.rds.ModifyDBCluster(ctx(), &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster"), DeletionProtection: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.rds.DeleteDBCluster(ctx(), &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster"), SkipFinalSnapshot: aws.Bool(true)})
	requireFault[*types.InvalidDBClusterStateFault](t, err) // members left
	for _, m := range []string{"ledger-instance-1", "ledger-instance-2", "ledger-instance-3"} {
		if _, err := e.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.rds.DeleteDBCluster(ctx(), &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("ledger-cluster"), FinalDBSnapshotIdentifier: aws.String("ledger-final")}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.InstanceDelete + e.tm.ClusterDelete)
	_, err = e.rds.DescribeDBClusters(ctx(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("ledger-cluster")})
	requireFault[*types.DBClusterNotFoundFault](t, err)
	if got := e.targets("ledger-proxy"); len(got) != 0 {
		t.Fatalf("a deleted cluster leaves its proxy: %d targets", len(got))
	}
	snaps, err := e.rds.DescribeDBClusterSnapshots(ctx(), &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("ledger-final")})
	if err != nil || aws.ToString(snaps.DBClusterSnapshots[0].Status) != "available" {
		t.Fatalf("final snapshot: %v", err)
	}
}

func TestNativeRegimeAuroraClusterTargetFollows(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres, ProxyRegime: sim.RegimeNative})
	blueWriter := aws.ToString(e.instance("ledger-instance-1").DbiResourceId)
	d := e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("ledger"), Source: aws.String(arn("cluster", "ledger-cluster")),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("dba")}}})
	if len(d.TagList) != 1 || aws.ToString(d.TagList[0].Key) != "team" {
		t.Fatalf("tags %+v", d.TagList)
	}
	id := aws.ToString(d.BlueGreenDeploymentIdentifier)
	_, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("ops-proxy"), DBClusterIdentifiers: []string{"ledger-cluster"}})
	requireFault[*types.InvalidDBClusterStateFault](t, err)
	e.waitStatus(id, "AVAILABLE", 2*time.Hour)
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Switchover)
	targets := e.targets("ledger-proxy")
	if len(targets) != 4 || aws.ToString(targets[0].RdsResourceId) != "ledger-cluster" || targets[0].TargetHealth.State != types.TargetStateUnavailable {
		t.Fatalf("after switchover %+v", targets)
	}
	if aws.ToString(targets[1].RdsResourceId) != "ledger-instance-1" || aws.ToString(e.instance("ledger-instance-1").DbiResourceId) == blueWriter {
		t.Fatal("the proxy's writer must be the new primary's instance under the production name")
	}
	e.advance(e.tm.ProxyFollow)
	if got := e.targets("ledger-proxy")[0].TargetHealth.State; got != types.TargetStateAvailable {
		t.Fatalf("health %s", got)
	}
}
