package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Where AWS refuses blue's registration while the deployment is being
// deleted (undocumented either way), the rollback retries at the fast
// cadence and registers as soon as AWS accepts, still before the deletion
// has finished; it says how many refusals it met.
func TestRollbackRetriesARegistrationRefusedDuringTheDeletion(t *testing.T) {
	refused := func(n int) sim.Fault {
		return sim.Fault{Operation: "RegisterDBProxyTargets", Code: "InvalidDBInstanceState", Nth: n, After: "DeleteBlueGreenDeployment",
			Message: "orders-db is part of a blue/green deployment that is being deleted"}
	}
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{refuseWhileProvisioning, refused(1), refused(2)}})
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	if err == nil || f.Outcome != contract.OutcomeRolledBack || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("finished %s proxy %s (%v), want rolled-back with the proxy on blue", f.Outcome, f.ProxyState, err)
	}
	var deleteAt, lastRegister = env.clock.Now(), env.clock.Now()
	for _, m := range env.sim.Mutations() {
		switch m.Operation {
		case "DeleteBlueGreenDeployment":
			deleteAt = m.Time
		case "RegisterDBProxyTargets":
			lastRegister = m.Time
		}
	}
	if gap := lastRegister.Sub(deleteAt); gap <= 0 || gap >= sim.FastTimings().DeploymentDelete {
		t.Errorf("registered %s after the deletion call: want after two refusals, before the deletion finished (%s)", gap, sim.FastTimings().DeploymentDelete)
	}
	said := false
	for _, ev := range env.events.ofType(contract.EventCompensation) {
		said = said || strings.Contains(ev.Message, "after 2 refusal(s) while deployment")
	}
	if !said {
		t.Errorf("no compensation event counts the refusals during the deletion")
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
}
