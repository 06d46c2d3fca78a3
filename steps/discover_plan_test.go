package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

func TestDiscoverFindsTheSourcesDeployment(t *testing.T) {
	env := newSimEnv(t, sim.ScenarioRDSMariaDBNoProxy)
	ctx := context.Background()
	dep, err := env.api.CreateDeployment(ctx, awsclient.CreateDeploymentInput{Name: "rdsbg-catalog-db-20261121", SourceARN: "arn:aws:rds:us-east-1:123456789012:db:catalog-db"})
	if err != nil {
		t.Fatal(err)
	}
	d := env.discover(t, "catalog-db")
	if len(d.Deployments) != 1 || d.Deployments[0].ID != dep.ID {
		t.Fatalf("deployments %+v", d.Deployments)
	}
	other := env.discover(t, "search-db")
	if len(other.Deployments) != 0 {
		t.Errorf("search-db has no deployment: %+v", other.Deployments)
	}
	p, err := BuildPlan(d, contract.Options{DeploymentName: "rdsbg-catalog-db-20261121"}, nil, planTime)
	if err != nil || p.Deployment != dep.ID {
		t.Errorf("plan adopts %q (%v), want %s", p.Deployment, err, dep.ID)
	}
}

func TestDiscoverSourceBehindTwoProxies(t *testing.T) {
	env := newSimEnv(t, sim.ScenarioRDSPostgresNative)
	env.sim.Update(func(st *sim.State) {
		orders := simProxy(st, "orders-proxy").Targets[0]
		second := *orders
		simProxy(st, "billing-proxy").Targets = append(simProxy(st, "billing-proxy").Targets, &second)
	})
	d := env.discover(t, "orders-db")
	if len(d.Proxies) != 2 || len(d.ProxyInfo) != 2 {
		t.Fatalf("proxies %+v", d.Proxies)
	}
	p, err := BuildPlan(d, contract.Options{ProxyMode: contract.ProxyModeDetach}, nil, planTime)
	if err != nil {
		t.Fatal(err)
	}
	detach, _ := p.Step(contract.StepDetachProxy)
	deregs := 0
	for _, l := range detach.CLI {
		if strings.Contains(l, "deregister-db-proxy-targets") {
			deregs++
		}
	}
	if deregs != 2 || !strings.Contains(p.RegimeReason, "proxies ") || !strings.Contains(p.RegimeReason, " and ") {
		t.Errorf("both proxies must be detached and named: %v / %s", detach.CLI, p.RegimeReason)
	}
	if !strings.Contains(detach.Effect, "route to") {
		t.Errorf("plural verb expected: %s", detach.Effect)
	}
	env.assertNoMutations(t)
}

// simProxy is one proxy of the simulator's state, by name.
func simProxy(st *sim.State, name string) *sim.Proxy {
	for _, p := range st.Proxies {
		if p.Name == name {
			return p
		}
	}
	panic("no proxy " + name)
}
