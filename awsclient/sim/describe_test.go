package sim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func TestEveryScenarioBuildsAndUnknownOneIsNamed(t *testing.T) {
	infos := sim.Scenarios()
	if len(infos) != 6 {
		t.Fatalf("want 6 scenarios, got %d", len(infos))
	}
	for _, info := range infos {
		if _, err := sim.New(sim.Options{Scenario: info.Name}); err != nil {
			t.Errorf("scenario %s: %v", info.Name, err)
		}
		if info.Description == "" {
			t.Errorf("scenario %s has no description", info.Name)
		}
	}
	_, err := sim.New(sim.Options{Scenario: "nope"})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), sim.ScenarioAuroraGlobal) {
		t.Fatalf("want an error naming the input and the valid scenarios, got %v", err)
	}
}

func TestDescribeDBInstancesShapes(t *testing.T) {
	e := newEnv(t, sim.Options{})
	primary := e.instance("orders-db")
	if got := primary.ReadReplicaDBInstanceIdentifiers; len(got) != 1 || got[0] != "orders-db-replica-1" {
		t.Errorf("replicas = %v", got)
	}
	if len(primary.DBParameterGroups) != 1 || aws.ToString(primary.DBParameterGroups[0].ParameterApplyStatus) != "in-sync" {
		t.Errorf("parameter groups = %+v", primary.DBParameterGroups)
	}
	if !strings.HasPrefix(aws.ToString(primary.DbiResourceId), "db-") || aws.ToString(primary.DBInstanceStatus) != "available" {
		t.Errorf("resource id %q status %q", aws.ToString(primary.DbiResourceId), aws.ToString(primary.DBInstanceStatus))
	}
	if aws.ToInt32(primary.BackupRetentionPeriod) == 0 || primary.Endpoint == nil || aws.ToInt32(primary.Endpoint.Port) != 5432 {
		t.Errorf("backups %d endpoint %+v", aws.ToInt32(primary.BackupRetentionPeriod), primary.Endpoint)
	}
	if primary.InstanceCreateTime == nil {
		t.Error("InstanceCreateTime missing: timestamp not parsed")
	}
	replica := e.instance(arn("db", "orders-db-replica-1")) // by ARN
	if aws.ToString(replica.ReadReplicaSourceDBInstanceIdentifier) != "orders-db" {
		t.Errorf("replica source = %q", aws.ToString(replica.ReadReplicaSourceDBInstanceIdentifier))
	}
	if e.instance("ORDERS-DB").DBInstanceIdentifier == nil {
		t.Error("lookup must be case-insensitive")
	}

	out, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("engine"), Values: []string{"mysql"}}}})
	if err != nil || len(out.DBInstances) != 1 || aws.ToString(out.DBInstances[0].DBInstanceIdentifier) != "analytics-mysql" {
		t.Fatalf("engine filter: %v %+v", err, out)
	}

	_, err = e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("ghost")})
	f := requireFault[*types.DBInstanceNotFoundFault](t, err)
	if !strings.Contains(f.ErrorMessage(), "ghost") {
		t.Errorf("message %q does not name the instance", f.ErrorMessage())
	}
	requireHTTPStatus(t, err, 404)
}

func TestDescribeDBClustersAndClusterFilter(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	c := e.cluster("ledger-cluster")
	if len(c.DBClusterMembers) != 3 || !aws.ToBool(c.DBClusterMembers[0].IsClusterWriter) || aws.ToString(c.DBClusterMembers[0].DBInstanceIdentifier) != "ledger-instance-1" {
		t.Fatalf("members = %+v", c.DBClusterMembers)
	}
	if len(c.CustomEndpoints) != 1 || !strings.HasPrefix(c.CustomEndpoints[0], "ledger-reporting.cluster-custom-") {
		t.Errorf("custom endpoints = %v", c.CustomEndpoints)
	}
	if aws.ToString(c.DBClusterParameterGroup) != "ledger-apg15-cluster" || aws.ToString(c.EngineVersion) != "15.6" {
		t.Errorf("group %q version %q", aws.ToString(c.DBClusterParameterGroup), aws.ToString(c.EngineVersion))
	}
	out, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("db-cluster-id"), Values: []string{"ledger-cluster"}}}})
	if err != nil || len(out.DBInstances) != 3 {
		t.Fatalf("db-cluster-id filter: %v, %d instances", err, len(out.DBInstances))
	}
	_, err = e.rds.DescribeDBClusters(ctx(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("ghost")})
	requireFault[*types.DBClusterNotFoundFault](t, err)

	g := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraGlobal})
	if aws.ToString(g.cluster("payments-cluster").GlobalClusterIdentifier) != "payments-global" {
		t.Error("the global scenario's cluster must carry GlobalClusterIdentifier")
	}
}

func TestPaginationWithMaxRecords20(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	e.sim.Update(func(st *sim.State) {
		for i := 0; i < 45; i++ {
			st.Instances = append(st.Instances, &sim.Instance{ID: fmt.Sprintf("bulk-%02d", i), Engine: "mysql", EngineVersion: "8.0.40", Class: "db.t4g.micro", Port: 3306})
		}
	})
	var pages, total int
	seen := map[string]bool{}
	p := rds.NewDescribeDBInstancesPaginator(e.rds, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if len(out.DBInstances) > 20 {
			t.Fatalf("page of %d > MaxRecords", len(out.DBInstances))
		}
		for _, in := range out.DBInstances {
			seen[aws.ToString(in.DBInstanceIdentifier)] = true
		}
		pages++
		total += len(out.DBInstances)
	}
	if total != 47 || len(seen) != 47 || pages != 3 {
		t.Fatalf("pages=%d total=%d distinct=%d, want 3/47/47", pages, total, len(seen))
	}
	for _, bad := range []int32{19, 101} {
		_, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(bad)})
		requireCode(t, err, "InvalidParameterValue")
	}
}

func TestEmptyListsAreValid(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	out, err := e.rds.DescribeBlueGreenDeployments(ctx(), &rds.DescribeBlueGreenDeploymentsInput{})
	if err != nil || len(out.BlueGreenDeployments) != 0 || out.Marker != nil {
		t.Fatalf("empty deployments: %v %+v", err, out)
	}
	if got := e.targets("ops-proxy"); len(got) != 0 {
		t.Fatalf("ops-proxy has no targets, got %d", len(got))
	}
	snaps, err := e.rds.DescribeDBSnapshots(ctx(), &rds.DescribeDBSnapshotsInput{})
	if err != nil || len(snaps.DBSnapshots) != 0 {
		t.Fatalf("empty snapshots: %v %+v", err, snaps)
	}
}

func TestEngineCatalogueAndParameters(t *testing.T) {
	e := newEnv(t, sim.Options{})
	out, err := e.rds.DescribeDBEngineVersions(ctx(), &rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres"), EngineVersion: aws.String("15.7")})
	if err != nil || len(out.DBEngineVersions) != 1 {
		t.Fatalf("15.7: %v %+v", err, out)
	}
	v := out.DBEngineVersions[0]
	if aws.ToString(v.DBParameterGroupFamily) != "postgres15" {
		t.Errorf("family %q", aws.ToString(v.DBParameterGroupFamily))
	}
	var minor, major bool
	for _, u := range v.ValidUpgradeTarget {
		if aws.ToString(u.EngineVersion) == "15.8" && !aws.ToBool(u.IsMajorVersionUpgrade) {
			minor = true
		}
		if aws.ToString(u.EngineVersion) == "16.4" && aws.ToBool(u.IsMajorVersionUpgrade) {
			major = true
		}
	}
	if !minor || !major {
		t.Errorf("want 15.8 (minor) and 16.4 (major) among %+v", v.ValidUpgradeTarget)
	}
	def, err := e.rds.DescribeDBEngineVersions(ctx(), &rds.DescribeDBEngineVersionsInput{Engine: aws.String("mysql"), DefaultOnly: aws.Bool(true)})
	if err != nil || len(def.DBEngineVersions) != 1 {
		t.Fatalf("DefaultOnly: %v %+v", err, def)
	}
	none, err := e.rds.DescribeDBEngineVersions(ctx(), &rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres"), EngineVersion: aws.String("9.9")})
	if err != nil || len(none.DBEngineVersions) != 0 {
		t.Fatalf("unknown version must be an empty list: %v %+v", err, none)
	}

	params, err := e.rds.DescribeDBParameters(ctx(), &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("orders-pg15")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range params.Parameters {
		if aws.ToString(p.ParameterName) == "rds.logical_replication" && aws.ToString(p.ParameterValue) == "1" {
			found = true
		}
	}
	if !found {
		t.Errorf("rds.logical_replication=1 missing from %d parameters", len(params.Parameters))
	}
	_, err = e.rds.DescribeDBParameters(ctx(), &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("ghost")})
	requireFault[*types.DBParameterGroupNotFoundFault](t, err)
	requireHTTPStatus(t, err, 404)

	a := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	cp, err := a.rds.DescribeDBClusterParameters(ctx(), &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String("ledger-apg15-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	found = false
	for _, p := range cp.Parameters {
		if aws.ToString(p.ParameterName) == "synchronous_commit" && aws.ToString(p.ParameterValue) == "on" {
			found = true
		}
	}
	if !found {
		t.Error("synchronous_commit=on missing from the Aurora PostgreSQL cluster group")
	}
	_, err = a.rds.DescribeDBClusterParameters(ctx(), &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String("ghost")})
	requireFault[*types.DBParameterGroupNotFoundFault](t, err)
}

func TestGetCallerIdentity(t *testing.T) {
	e := newEnv(t, sim.Options{Account: "210987654321"})
	out, err := e.sts.GetCallerIdentity(ctx(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != "210987654321" || !strings.HasPrefix(aws.ToString(out.Arn), "arn:aws:iam::210987654321:") || aws.ToString(out.UserId) == "" {
		t.Fatalf("identity = %+v", out)
	}
}
