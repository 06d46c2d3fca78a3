package sim_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// The storage options reach green's primary, through the SDK's own
// serializer (TargetIops, TargetStorageType, TargetAllocatedStorage,
// TargetStorageThroughput), and are refused where they do not apply.
func TestCreateWithTargetStorage(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	in := func(name string) *rds.CreateBlueGreenDeploymentInput {
		return &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String(name), Source: aws.String(arn("db", "catalog-db"))}
	}
	bad := []struct {
		what string
		mod  func(*rds.CreateBlueGreenDeploymentInput)
		code string
	}{
		{"unknown storage type", func(r *rds.CreateBlueGreenDeploymentInput) { r.TargetStorageType = aws.String("gp4") }, "InvalidParameterValue"},
		{"zero IOPS", func(r *rds.CreateBlueGreenDeploymentInput) { r.TargetIops = aws.Int32(-1) }, "InvalidParameterValue"},
		{"throughput on io1", func(r *rds.CreateBlueGreenDeploymentInput) {
			r.TargetStorageType, r.TargetStorageThroughput = aws.String("io1"), aws.Int32(500)
		}, "InvalidParameterCombination"},
	}
	for _, c := range bad {
		r := in("bad")
		c.mod(r)
		_, err := e.rds.CreateBlueGreenDeployment(ctx(), r)
		requireCode(t, err, c.code)
	}
	r := in("storage")
	r.TargetStorageType, r.TargetAllocatedStorage, r.TargetIops, r.TargetStorageThroughput = aws.String("gp3"), aws.Int32(400), aws.Int32(12000), aws.Int32(500)
	d := e.create(r)
	e.waitStatus(aws.ToString(d.BlueGreenDeploymentIdentifier), "AVAILABLE", 2*time.Hour)
	green := e.instance(arnID(aws.ToString(e.deployment(aws.ToString(d.BlueGreenDeploymentIdentifier)).Target)))
	if aws.ToString(green.StorageType) != "gp3" || aws.ToInt32(green.AllocatedStorage) != 400 || aws.ToInt32(green.Iops) != 12000 || aws.ToInt32(green.StorageThroughput) != 500 {
		t.Fatalf("green storage %s %d GiB %d IOPS %d MiB/s: want gp3 400 12000 500", aws.ToString(green.StorageType), aws.ToInt32(green.AllocatedStorage), aws.ToInt32(green.Iops), aws.ToInt32(green.StorageThroughput))
	}
	blue := e.instance("catalog-db")
	if aws.ToInt32(blue.Iops) == 12000 {
		t.Fatal("blue's storage changed with green's")
	}

	a := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	a.deregister("ledger-proxy", nil, []string{"ledger-cluster"})
	_, err := a.rds.CreateBlueGreenDeployment(ctx(), &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("x"),
		Source: aws.String(arn("cluster", "ledger-cluster")), TargetIops: aws.Int32(3000)})
	requireCode(t, err, "InvalidParameterCombination")
}

func arnID(a string) string {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == ':' {
			return a[i+1:]
		}
	}
	return a
}
