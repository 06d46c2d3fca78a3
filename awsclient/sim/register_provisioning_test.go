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

// The legacy regime accepts blue's registration while green is
// provisioning unless the refuse_register_while_provisioning fault is
// armed; then it refuses until provisioning ends (or the deployment goes).
func TestRegisterWhileProvisioningAcceptedOrRefused(t *testing.T) {
	register := func(e *env) error {
		_, err := e.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("orders-proxy"), DBInstanceIdentifiers: []string{"orders-db"}})
		return err
	}
	in := &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("o"), Source: aws.String(arn("db", "orders-db"))}

	accept := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	accept.deregister("orders-proxy", []string{"orders-db"}, nil)
	accept.create(in)
	if err := register(accept); err != nil {
		t.Fatalf("legacy regime without the fault: registration during provisioning refused: %v", err)
	}

	refuse := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{RefuseRegisterWhileProvisioning: true}}})
	refuse.deregister("orders-proxy", []string{"orders-db"}, nil)
	id := aws.ToString(refuse.create(in).BlueGreenDeploymentIdentifier)
	requireFault[*types.InvalidDBInstanceStateFault](t, register(refuse))
	requireFault[*types.InvalidDBInstanceStateFault](t, register(refuse))
	if n := refuse.sim.Stats().ModelFaults; n != 2 {
		t.Errorf("model faults %d, want 2 refusals", n)
	}
	refuse.waitStatus(id, "AVAILABLE", 2*time.Hour)
	if err := register(refuse); err != nil {
		t.Fatalf("registration once green is AVAILABLE: %v", err)
	}
}

func TestParseRefuseRegisterWhileProvisioning(t *testing.T) {
	f, err := sim.ParseFaults(strings.NewReader(`[{"refuse_register_while_provisioning":true,"until":"DeleteBlueGreenDeployment"}]`))
	if err != nil || len(f) != 1 || !f[0].RefuseRegisterWhileProvisioning || f[0].Until != "DeleteBlueGreenDeployment" {
		t.Fatalf("parsed %+v %v", f, err)
	}
}
