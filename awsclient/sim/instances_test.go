package sim_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func TestDeleteInstanceRules(t *testing.T) {
	e := newEnv(t, sim.Options{})
	_, err := e.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders-db"), SkipFinalSnapshot: aws.Bool(true)})
	requireCode(t, err, "InvalidParameterCombination") // deletion protection
	_, err = e.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("billing-db")})
	requireCode(t, err, "InvalidParameterCombination") // neither skip nor final snapshot
	_, err = e.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("billing-db"), SkipFinalSnapshot: aws.Bool(true), FinalDBSnapshotIdentifier: aws.String("x")})
	requireCode(t, err, "InvalidParameterCombination") // both
	_, err = e.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("ghost"), SkipFinalSnapshot: aws.Bool(true)})
	requireFault[*types.DBInstanceNotFoundFault](t, err)

	out, err := e.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("billing-db"), FinalDBSnapshotIdentifier: aws.String("billing-final")})
	if err != nil || aws.ToString(out.DBInstance.DBInstanceStatus) != "deleting" {
		t.Fatalf("delete: %v", err)
	}
	if got := e.targets("billing-proxy"); len(got) != 1 {
		t.Fatal("the proxy keeps its target until the instance is gone")
	}
	e.advance(e.tm.InstanceDelete)
	_, err = e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("billing-db")})
	requireFault[*types.DBInstanceNotFoundFault](t, err)
	if got := e.targets("billing-proxy"); len(got) != 0 {
		t.Fatalf("a deleted instance leaves its proxy: %d targets", len(got))
	}

	if _, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("orders-db"), DeletionProtection: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if aws.ToBool(e.instance("orders-db").DeletionProtection) {
		t.Fatal("DeletionProtection must be off after ModifyDBInstance")
	}
}

func TestSnapshots(t *testing.T) {
	e := newEnv(t, sim.Options{})
	out, err := e.rds.CreateDBSnapshot(ctx(), &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders-db"), DBSnapshotIdentifier: aws.String("orders-before")})
	if err != nil || aws.ToString(out.DBSnapshot.Status) != "creating" {
		t.Fatalf("create snapshot: %v", err)
	}
	_, err = e.rds.CreateDBSnapshot(ctx(), &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders-db"), DBSnapshotIdentifier: aws.String("orders-before")})
	requireFault[*types.DBSnapshotAlreadyExistsFault](t, err)
	_, err = e.rds.CreateDBSnapshot(ctx(), &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("ghost"), DBSnapshotIdentifier: aws.String("s")})
	requireFault[*types.DBInstanceNotFoundFault](t, err)
	_, err = e.rds.CreateDBSnapshot(ctx(), &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders-db"), DBSnapshotIdentifier: aws.String("bad--id")})
	requireCode(t, err, "InvalidParameterValue")
	e.advance(e.tm.Snapshot)
	got, err := e.rds.DescribeDBSnapshots(ctx(), &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("orders-before")})
	if err != nil || aws.ToString(got.DBSnapshots[0].Status) != "available" || aws.ToString(got.DBSnapshots[0].DBInstanceIdentifier) != "orders-db" {
		t.Fatalf("describe snapshot: %v %+v", err, got)
	}
	_, err = e.rds.DescribeDBSnapshots(ctx(), &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("ghost")})
	requireFault[*types.DBSnapshotNotFoundFault](t, err)

	a := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	cs, err := a.rds.CreateDBClusterSnapshot(ctx(), &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("ledger-cluster"), DBClusterSnapshotIdentifier: aws.String("ledger-before")})
	if err != nil || aws.ToString(cs.DBClusterSnapshot.Status) != "creating" {
		t.Fatalf("cluster snapshot: %v", err)
	}
	_, err = a.rds.CreateDBClusterSnapshot(ctx(), &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("ledger-cluster"), DBClusterSnapshotIdentifier: aws.String("ledger-before")})
	requireFault[*types.DBClusterSnapshotAlreadyExistsFault](t, err)
	_, err = a.rds.DescribeDBClusterSnapshots(ctx(), &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("ghost")})
	requireFault[*types.DBClusterSnapshotNotFoundFault](t, err)
	a.advance(a.tm.Snapshot)
	list, err := a.rds.DescribeDBClusterSnapshots(ctx(), &rds.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: aws.String("ledger-cluster")})
	if err != nil || len(list.DBClusterSnapshots) != 1 || aws.ToString(list.DBClusterSnapshots[0].Status) != "available" {
		t.Fatalf("cluster snapshots: %v %+v", err, list)
	}
}

func TestModifyRefusedWhileNotAvailableOrOnAuroraMember(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	_, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("ledger-instance-1"), EngineVersion: aws.String("15.8"), ApplyImmediately: aws.Bool(true)})
	requireCode(t, err, "InvalidParameterCombination")
	e.sim.Update(func(st *sim.State) {
		for _, in := range st.Instances {
			if in.ID == "ops-db" {
				in.Status = "backing-up"
			}
		}
	})
	_, err = e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("ops-db"), EngineVersion: aws.String("16.6"), ApplyImmediately: aws.Bool(true)})
	requireFault[*types.InvalidDBInstanceStateFault](t, err)
}
