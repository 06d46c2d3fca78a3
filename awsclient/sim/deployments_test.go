package sim_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func TestRDSTasksProgressOneAfterAnother(t *testing.T) {
	e := newEnv(t, sim.Options{})
	e.deregister("orders-proxy", []string{"orders-db"}, nil)
	d := e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("orders-upgrade"), Source: aws.String(arn("db", "orders-db")),
		TargetEngineVersion: aws.String("16.4"), TargetDBParameterGroupName: aws.String("orders-pg16")})
	id := aws.ToString(d.BlueGreenDeploymentIdentifier)
	if !regexp.MustCompile(`^bgd-[a-z0-9]{16}$`).MatchString(id) {
		t.Fatalf("deployment id %q", id)
	}
	want := []string{"CREATING_READ_REPLICA_OF_SOURCE", "DB_ENGINE_VERSION_UPGRADE", "CONFIGURE_BACKUPS", "CREATING_TOPOLOGY_OF_SOURCE"}
	if got := taskNames(d); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("tasks = %v, want %v", got, want)
	}
	for name, st := range taskStatuses(d) {
		if st != "PENDING" {
			t.Errorf("task %s is %s right after creation", name, st)
		}
	}
	if aws.ToString(d.Status) != "PROVISIONING" || d.Target != nil || len(d.SwitchoverDetails) != 2 {
		t.Fatalf("after create: status %s target %v members %d", aws.ToString(d.Status), d.Target, len(d.SwitchoverDetails))
	}

	e.advance(e.tm.ProvisioningStart)
	d = e.deployment(id)
	if taskStatuses(d)[want[0]] != "IN_PROGRESS" || taskStatuses(d)[want[1]] != "PENDING" {
		t.Fatalf("after start: %v", taskStatuses(d))
	}
	greenName := strings.TrimPrefix(aws.ToString(d.Target), arn("db", ""))
	if !regexp.MustCompile(`^orders-db-green-[a-z0-9]{6}$`).MatchString(greenName) {
		t.Fatalf("green name %q", greenName)
	}
	green := e.instance(greenName)
	if aws.ToString(green.DBInstanceStatus) != "creating" || aws.ToString(green.DbiResourceId) == aws.ToString(e.instance("orders-db").DbiResourceId) {
		t.Fatalf("green status %q, resource id must be its own", aws.ToString(green.DBInstanceStatus))
	}

	e.advance(e.tm.ReplicaCreate)
	d = e.deployment(id)
	if taskStatuses(d)[want[0]] != "COMPLETED" || taskStatuses(d)[want[1]] != "IN_PROGRESS" {
		t.Fatalf("after replica: %v", taskStatuses(d))
	}
	if got := aws.ToString(e.instance(greenName).DBInstanceStatus); got != "upgrading" {
		t.Fatalf("green during upgrade: %s", got)
	}
	e.advance(e.tm.EngineUpgrade)
	green = e.instance(greenName)
	if aws.ToString(green.EngineVersion) != "16.4" || aws.ToString(green.DBParameterGroups[0].DBParameterGroupName) != "orders-pg16" {
		t.Fatalf("green after upgrade: %s %s", aws.ToString(green.EngineVersion), aws.ToString(green.DBParameterGroups[0].DBParameterGroupName))
	}
	if taskStatuses(e.deployment(id))[want[2]] != "IN_PROGRESS" {
		t.Fatal("CONFIGURE_BACKUPS must start when the upgrade ends")
	}
	e.advance(e.tm.ConfigureBackups)
	d = e.deployment(id)
	if taskStatuses(d)[want[3]] != "IN_PROGRESS" || aws.ToString(d.SwitchoverDetails[1].TargetMember) == "" {
		t.Fatalf("topology: %v, replica member %+v", taskStatuses(d), d.SwitchoverDetails[1])
	}
	e.advance(e.tm.CreateTopology)
	d = e.deployment(id)
	if aws.ToString(d.Status) != "AVAILABLE" {
		t.Fatalf("status %s after every task", aws.ToString(d.Status))
	}
	for _, m := range d.SwitchoverDetails {
		if aws.ToString(m.Status) != "AVAILABLE" || aws.ToString(m.TargetMember) == "" {
			t.Errorf("member %+v", m)
		}
	}
	greenReplica := strings.TrimPrefix(aws.ToString(d.SwitchoverDetails[1].TargetMember), arn("db", ""))
	r := e.instance(greenReplica)
	if aws.ToString(r.ReadReplicaSourceDBInstanceIdentifier) != greenName || aws.ToString(r.EngineVersion) != "16.4" {
		t.Fatalf("green replica source %q version %q", aws.ToString(r.ReadReplicaSourceDBInstanceIdentifier), aws.ToString(r.EngineVersion))
	}
}

func TestFullLifecycleRenamesAndFlipsTwice(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	blueRes := aws.ToString(e.instance("catalog-db").DbiResourceId)
	d := e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("catalog-1"), Source: aws.String(arn("db", "catalog-db"))})
	id := aws.ToString(d.BlueGreenDeploymentIdentifier)
	if got := taskNames(d); strings.Join(got, ",") != "CREATING_READ_REPLICA_OF_SOURCE,CONFIGURE_BACKUPS" {
		t.Fatalf("no-upgrade, no-replica tasks = %v", got)
	}
	d = e.waitStatus(id, "AVAILABLE", time.Hour)
	greenName := strings.TrimPrefix(aws.ToString(d.Target), arn("db", ""))
	greenRes := aws.ToString(e.instance(greenName).DbiResourceId)

	out, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), SwitchoverTimeout: aws.Int32(300)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.BlueGreenDeployment.Status) != "SWITCHOVER_IN_PROGRESS" || aws.ToString(e.deployment(id).SwitchoverDetails[0].Status) != "SWITCHOVER_IN_PROGRESS" {
		t.Fatalf("switchover answer status %s", aws.ToString(out.BlueGreenDeployment.Status))
	}
	e.advance(e.tm.Switchover - e.tm.Rename + time.Second)
	if got := aws.ToString(e.instance("catalog-db").DBInstanceStatus); got != "renaming" {
		t.Fatalf("blue during rename: %s", got)
	}
	e.advance(e.tm.Rename)
	d = e.deployment(id)
	if aws.ToString(d.Status) != "SWITCHOVER_COMPLETED" {
		t.Fatalf("status %s", aws.ToString(d.Status))
	}
	if aws.ToString(d.Source) != arn("db", "catalog-db-old1") || aws.ToString(d.Target) != arn("db", "catalog-db") {
		t.Fatalf("source %s target %s", aws.ToString(d.Source), aws.ToString(d.Target))
	}
	m := d.SwitchoverDetails[0]
	if aws.ToString(m.SourceMember) != arn("db", "catalog-db-old1") || aws.ToString(m.TargetMember) != arn("db", "catalog-db") || aws.ToString(m.Status) != "SWITCHOVER_COMPLETED" {
		t.Fatalf("member %+v", m)
	}
	prod, old := e.instance("catalog-db"), e.instance("catalog-db-old1")
	if aws.ToString(prod.DbiResourceId) != greenRes || aws.ToString(old.DbiResourceId) != blueRes {
		t.Fatal("resource ids must stay with the resources: production now has green's")
	}
	if aws.ToString(prod.DBInstanceStatus) != "available" || aws.ToString(old.DBInstanceStatus) != "available" {
		t.Fatalf("statuses after switchover: %s / %s", aws.ToString(prod.DBInstanceStatus), aws.ToString(old.DBInstanceStatus))
	}
	if _, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(greenName)}); err == nil {
		t.Fatal("the green name must be gone after the rename")
	}

	// While the completed deployment exists, production can't get another.
	_, err = e.rds.CreateBlueGreenDeployment(ctx(), &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("catalog-2"), Source: aws.String(arn("db", "catalog-db"))})
	requireFault[*types.InvalidDBInstanceStateFault](t, err)
	_, err = e.rds.DeleteBlueGreenDeployment(ctx(), &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), DeleteTarget: aws.Bool(true)})
	requireFault[*types.InvalidBlueGreenDeploymentStateFault](t, err)

	del, err := e.rds.DeleteBlueGreenDeployment(ctx(), &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	if err != nil || aws.ToString(del.BlueGreenDeployment.Status) != "DELETING" || del.BlueGreenDeployment.DeleteTime == nil {
		t.Fatalf("delete: %v %+v", err, del)
	}
	e.advance(e.tm.DeploymentDelete)
	_, err = e.rds.DescribeBlueGreenDeployments(ctx(), &rds.DescribeBlueGreenDeploymentsInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	requireFault[*types.BlueGreenDeploymentNotFoundFault](t, err)
	requireHTTPStatus(t, err, 404)

	d2 := e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("catalog-2"), Source: aws.String(arn("db", "catalog-db")), TargetEngineVersion: aws.String("11.4.3")})
	id2 := aws.ToString(d2.BlueGreenDeploymentIdentifier)
	e.waitStatus(id2, "AVAILABLE", time.Hour)
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id2)}); err != nil {
		t.Fatal(err)
	}
	d2 = e.waitStatus(id2, "SWITCHOVER_COMPLETED", 5*time.Minute)
	if aws.ToString(d2.Source) != arn("db", "catalog-db-old2") {
		t.Fatalf("second switchover source %s, want -old2", aws.ToString(d2.Source))
	}
	if aws.ToString(e.instance("catalog-db").EngineVersion) != "11.4.3" || aws.ToString(e.instance("catalog-db-old1").DbiResourceId) != blueRes {
		t.Fatal("production must run the new version and -old1 must be untouched")
	}
	if e.sim.DeploymentsCreated() != 2 {
		t.Fatalf("DeploymentsCreated = %d", e.sim.DeploymentsCreated())
	}
}

func TestSwitchoverTimeoutRollsBack(t *testing.T) {
	tm := sim.FastTimings()
	tm.Switchover = 90 * time.Second
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Timings: &tm})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", time.Hour)
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), SwitchoverTimeout: aws.Int32(30)}); err != nil {
		t.Fatal(err)
	}
	e.advance(30 * time.Second)
	d := e.deployment(id)
	if aws.ToString(d.Status) != "SWITCHOVER_FAILED" || !strings.Contains(aws.ToString(d.StatusDetails), "30 seconds") || aws.ToString(d.SwitchoverDetails[0].Status) != "SWITCHOVER_FAILED" {
		t.Fatalf("at the timeout: %s %q", aws.ToString(d.Status), aws.ToString(d.StatusDetails))
	}
	e.advance(tm.Rollback)
	d = e.deployment(id)
	if aws.ToString(d.Status) != "AVAILABLE" || aws.ToString(d.Source) != arn("db", "catalog-db") {
		t.Fatalf("after rollback: %s source %s", aws.ToString(d.Status), aws.ToString(d.Source))
	}
	if _, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("catalog-db-old1")}); err == nil {
		t.Fatal("a rolled-back switchover must not rename anything")
	}
}

func TestSwitchoverFailFaultRollsBackOnce(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{{Switchover: "fail"}}})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", time.Hour)
	switchover := func() {
		t.Helper()
		if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	switchover()
	e.advance(e.tm.Switchover / 2)
	if d := e.deployment(id); aws.ToString(d.Status) != "SWITCHOVER_FAILED" || aws.ToString(d.StatusDetails) == "" {
		t.Fatalf("mid-switchover with a fail fault: %s %q", aws.ToString(d.Status), aws.ToString(d.StatusDetails))
	}
	e.advance(e.tm.Rollback)
	if d := e.deployment(id); aws.ToString(d.Status) != "AVAILABLE" {
		t.Fatalf("after rollback: %s", aws.ToString(d.Status))
	}
	if aws.ToString(e.instance("catalog-db").DBInstanceStatus) != "available" {
		t.Fatal("blue must be untouched after a rollback")
	}
	switchover() // the fault was one-shot
	d := e.waitStatus(id, "SWITCHOVER_COMPLETED", 5*time.Minute)
	if aws.ToString(d.Source) != arn("db", "catalog-db-old1") {
		t.Fatalf("source %s", aws.ToString(d.Source))
	}
}

func TestDeleteTargetBeforeSwitchoverRemovesGreen(t *testing.T) {
	e := newEnv(t, sim.Options{})
	e.deregister("orders-proxy", []string{"orders-db"}, nil)
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))}).BlueGreenDeploymentIdentifier)
	d := e.waitStatus(id, "AVAILABLE", time.Hour)
	green := strings.TrimPrefix(aws.ToString(d.Target), arn("db", ""))
	greenReplica := strings.TrimPrefix(aws.ToString(d.SwitchoverDetails[1].TargetMember), arn("db", ""))
	if _, err := e.rds.DeleteBlueGreenDeployment(ctx(), &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), DeleteTarget: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(e.instance(green).DBInstanceStatus); got != "deleting" {
		t.Fatalf("green status %s", got)
	}
	e.advance(e.tm.InstanceDelete)
	for _, name := range []string{green, greenReplica} {
		_, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(name)})
		requireFault[*types.DBInstanceNotFoundFault](t, err)
	}
	_, err := e.rds.DescribeBlueGreenDeployments(ctx(), &rds.DescribeBlueGreenDeploymentsInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	requireFault[*types.BlueGreenDeploymentNotFoundFault](t, err)
	if got := e.instance("orders-db"); aws.ToString(got.DBInstanceStatus) != "available" || len(got.ReadReplicaDBInstanceIdentifiers) != 1 {
		t.Fatal("deleting a deployment never touches blue")
	}
}

func TestGreenMissingMemberBlocksSwitchover(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	d := e.waitStatus(id, "AVAILABLE", time.Hour)
	green := strings.TrimPrefix(aws.ToString(d.Target), arn("db", ""))
	if _, err := e.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(green), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.InstanceDelete)
	d = e.deployment(id)
	if aws.ToString(d.SwitchoverDetails[0].Status) != "MISSING_TARGET" {
		t.Fatalf("member status %s", aws.ToString(d.SwitchoverDetails[0].Status))
	}
	_, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	requireFault[*types.InvalidBlueGreenDeploymentStateFault](t, err)
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	src := arn("db", "catalog-db")
	in := func(name, source string) *rds.CreateBlueGreenDeploymentInput {
		return &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String(name), Source: aws.String(source)}
	}
	for _, c := range []struct {
		what string
		in   *rds.CreateBlueGreenDeploymentInput
		code string
	}{
		{"name too long", in(strings.Repeat("a", 61), src), "InvalidParameterValue"},
		{"name starts with a digit", in("1abc", src), "InvalidParameterValue"},
		{"double hyphen", in("a--b", src), "InvalidParameterValue"},
		{"identifier instead of ARN", in("ok", "catalog-db"), "InvalidParameterValue"},
		{"unknown instance", in("ok", arn("db", "ghost")), "DBInstanceNotFound"},
		{"unknown cluster", in("ok", arn("cluster", "ghost")), "DBClusterNotFoundFault"},
		{"replica-less downgrade", &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("ok"), Source: aws.String(src), TargetEngineVersion: aws.String("10.6.18")}, "InvalidParameterCombination"},
		{"missing parameter group", &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("ok"), Source: aws.String(src), TargetDBParameterGroupName: aws.String("ghost")}, "DBParameterGroupNotFound"},
		{"group of the wrong family", &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("ok"), Source: aws.String(src), TargetEngineVersion: aws.String("11.4.3"), TargetDBParameterGroupName: aws.String("catalog-mariadb1011")}, "InvalidParameterCombination"},
	} {
		_, err := e.rds.CreateBlueGreenDeployment(ctx(), c.in)
		requireCode(t, err, c.code)
	}
	_, err := e.rds.CreateBlueGreenDeployment(ctx(), in("ok", arn("db", "ghost")))
	requireFault[*types.DBInstanceNotFoundFault](t, err)

	e.create(in("first", src))
	_, err = e.rds.CreateBlueGreenDeployment(ctx(), in("FIRST", arn("db", "search-db")))
	requireFault[*types.BlueGreenDeploymentAlreadyExistsFault](t, err)
	_, err = e.rds.CreateBlueGreenDeployment(ctx(), in("second", src))
	requireFault[*types.InvalidDBInstanceStateFault](t, err)

	e.sim.Update(func(st *sim.State) {
		for _, in := range st.Instances {
			if in.ID == "search-db" {
				in.BackupRetentionDays = 0
			}
		}
	})
	_, err = e.rds.CreateBlueGreenDeployment(ctx(), in("third", arn("db", "search-db")))
	requireFault[*types.SourceDatabaseNotSupportedFault](t, err)

	p := newEnv(t, sim.Options{})
	p.deregister("orders-proxy", []string{"orders-db"}, nil)
	_, err = p.rds.CreateBlueGreenDeployment(ctx(), in("replica", arn("db", "orders-db-replica-1")))
	requireFault[*types.SourceDatabaseNotSupportedFault](t, err)
	p.sim.Update(func(st *sim.State) {
		for _, in := range st.Instances {
			if in.ID == "orders-db" {
				in.Status = "modifying"
			}
		}
	})
	_, err = p.rds.CreateBlueGreenDeployment(ctx(), in("busy", arn("db", "orders-db")))
	requireFault[*types.InvalidDBInstanceStateFault](t, err)
	if n := len(p.sim.Mutations()); n != 1 {
		t.Fatalf("refused creations must not be logged as mutations: %d", n)
	}
}

func TestSwitchoverAndDescribeValidation(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	_, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), SwitchoverTimeout: aws.Int32(10)})
	requireCode(t, err, "InvalidParameterValue")
	_, err = e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	requireFault[*types.InvalidBlueGreenDeploymentStateFault](t, err) // still PROVISIONING
	_, err = e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String("bgd-0000000000000000")})
	requireFault[*types.BlueGreenDeploymentNotFoundFault](t, err)
	_, err = e.rds.DeleteBlueGreenDeployment(ctx(), &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String("bgd-0000000000000000")})
	requireFault[*types.BlueGreenDeploymentNotFoundFault](t, err)

	out, err := e.rds.DescribeBlueGreenDeployments(ctx(), &rds.DescribeBlueGreenDeploymentsInput{Filters: []types.Filter{{Name: aws.String("source"), Values: []string{arn("db", "catalog-db")}}}})
	if err != nil || len(out.BlueGreenDeployments) != 1 {
		t.Fatalf("source filter: %v %+v", err, out)
	}
	out, err = e.rds.DescribeBlueGreenDeployments(ctx(), &rds.DescribeBlueGreenDeploymentsInput{Filters: []types.Filter{{Name: aws.String("source"), Values: []string{arn("db", "search-db")}}}})
	if err != nil || len(out.BlueGreenDeployments) != 0 {
		t.Fatalf("source filter for another DB: %v %+v", err, out)
	}
}

func TestGreenUpgradeViaModify(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	d := e.waitStatus(id, "AVAILABLE", time.Hour)
	green := strings.TrimPrefix(aws.ToString(d.Target), arn("db", ""))
	modify := func(version string, major bool, group string) error {
		in := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(green), EngineVersion: aws.String(version), AllowMajorVersionUpgrade: aws.Bool(major), ApplyImmediately: aws.Bool(true)}
		if group != "" {
			in.DBParameterGroupName = aws.String(group)
		}
		_, err := e.rds.ModifyDBInstance(ctx(), in)
		return err
	}
	requireCode(t, modify("11.4.3", false, ""), "InvalidParameterCombination")
	requireCode(t, modify("9.0.0", true, ""), "InvalidParameterCombination")
	requireFault[*types.DBParameterGroupNotFoundFault](t, modify("11.4.3", true, "ghost"))
	if err := modify("11.4.3", true, "catalog-mariadb114"); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(e.instance(green).DBInstanceStatus); got != "upgrading" {
		t.Fatalf("green %s", got)
	}
	_, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	requireFault[*types.InvalidBlueGreenDeploymentStateFault](t, err)
	e.advance(e.tm.Modify)
	g := e.instance(green)
	if aws.ToString(g.DBInstanceStatus) != "available" || aws.ToString(g.EngineVersion) != "11.4.3" || aws.ToString(g.DBParameterGroups[0].DBParameterGroupName) != "catalog-mariadb114" {
		t.Fatalf("green after upgrade: %s %s", aws.ToString(g.DBInstanceStatus), aws.ToString(g.EngineVersion))
	}
	if aws.ToString(e.instance("catalog-db").EngineVersion) != "10.11.9" {
		t.Fatal("blue must keep its version")
	}
	_, err = e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("ghost"), DeletionProtection: aws.Bool(true)})
	requireFault[*types.DBInstanceNotFoundFault](t, err)
}

func TestGreenInvalidConfigurationFault(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{{GreenInvalidAfterMS: 20 * 60 * 1000}}})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", 15*time.Minute)
	d := e.waitStatus(id, "INVALID_CONFIGURATION", 10*time.Minute)
	if aws.ToString(d.StatusDetails) == "" {
		t.Fatal("INVALID_CONFIGURATION must explain itself in StatusDetails")
	}
	_, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	requireFault[*types.InvalidBlueGreenDeploymentStateFault](t, err)
}
