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

// IAM authorizes a request before the service looks at it: under an
// allow_only policy a denied action is AccessDenied even when the request
// is invalid or names nothing that exists, and an allowed one reaches the
// validation — the order rdsbg's permission probe relies on (steps/permprobe.go).
func TestAllowOnlyDeniesBeforeValidation(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy,
		Faults: []sim.Fault{{AllowOnly: []string{"rds:DescribeDBProxies", "rds:DeregisterDBProxyTargets"}}}})
	_, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("no-such-proxy"), DBInstanceIdentifiers: []string{"no-such-db"}})
	requireCode(t, err, "AccessDenied")
	_, err = e.rds.AddTagsToResource(ctx(), &rds.AddTagsToResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:db-proxy:nothing"), Tags: []types.Tag{}})
	requireCode(t, err, "AccessDenied")
	// Allowed: validation answers, and an empty deregistration changes
	// nothing.
	_, err = e.rds.DeregisterDBProxyTargets(ctx(), &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy")})
	requireCode(t, err, "InvalidParameterValue")
	if m := e.sim.Mutations(); len(m) != 0 {
		t.Fatalf("refused calls changed something: %+v", m)
	}
}

// The probe of rds:RegisterDBProxyTargets: registering blue again is
// DBProxyTargetAlreadyRegisteredFault with no change (API reference).
func TestRegisteringARegisteredTargetChangesNothing(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	before := e.targets("orders-proxy")
	_, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
	requireCode(t, err, "DBProxyTargetAlreadyRegisteredFault")
	requireHTTPStatus(t, err, 400)
	if after := e.targets("orders-proxy"); len(after) != len(before) || len(e.sim.Mutations()) != 0 {
		t.Fatalf("targets %d → %d, mutations %+v", len(before), len(after), e.sim.Mutations())
	}
}

// Green's members have their own events (source types db-cluster and
// db-instance): created during provisioning, deleted with the deployment's
// DeleteTarget.
func TestMembersEmitCreationAndDeletionEvents(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	e.deregister("ledger-proxy", nil, []string{"ledger-cluster"})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("l"), Source: aws.String(arn("cluster", "ledger-cluster"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", 2*time.Hour)
	out, err := e.rds.DescribeEvents(ctx(), &rds.DescribeEventsInput{SourceType: types.SourceTypeDbCluster, Duration: aws.Int32(24 * 60)})
	if err != nil || len(out.Events) != 1 || !strings.HasPrefix(aws.ToString(out.Events[0].SourceIdentifier), "ledger-cluster-green-") ||
		aws.ToString(out.Events[0].Message) != "DB cluster created" || out.Events[0].EventCategories[0] != "creation" {
		t.Fatalf("cluster events %v %+v", err, out)
	}
	instances, err := e.rds.DescribeEvents(ctx(), &rds.DescribeEventsInput{SourceType: types.SourceTypeDbInstance, Duration: aws.Int32(24 * 60)})
	if err != nil || len(instances.Events) != 3 {
		t.Fatalf("one creation event per green instance (writer and two readers): %v %d", err, len(instances.Events))
	}
	if _, err := e.rds.DeleteBlueGreenDeployment(ctx(), &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), DeleteTarget: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Hour)
	ids := strings.Join(e.sim.EventIDs(), ",")
	for _, want := range []string{"RDS-EVENT-0170 ledger-cluster-green-", "RDS-EVENT-0005 ledger-instance-1-green-", "RDS-EVENT-0003 ledger-instance-1-green-", "RDS-EVENT-0171 ledger-cluster-green-"} {
		if !strings.Contains(ids, want) {
			t.Errorf("no %q in %s", want, ids)
		}
	}
}
