package steps

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func TestDiscoverRDSInstanceWithReplicaAndProxy(t *testing.T) {
	env := newSimEnv(t, sim.ScenarioRDSPostgresNative)
	for _, source := range []string{"orders-db", "ORDERS-DB", "arn:aws:rds:us-east-1:123456789012:db:orders-db"} {
		d := env.discover(t, source)
		if d.Source.Kind != KindInstance || d.Source.ID != "orders-db" || d.Instance == nil || d.Cluster != nil {
			t.Fatalf("%s: source %+v", source, d.Source)
		}
		if d.Source.ARN != "arn:aws:rds:us-east-1:123456789012:db:orders-db" || d.Source.Engine != "postgres" || d.Source.Region != "us-east-1" || d.Source.Account != "123456789012" {
			t.Errorf("source %+v", d.Source)
		}
		if len(d.Members) != 1 || d.Members[0].ID != "orders-db-replica-1" {
			t.Errorf("members %+v", d.Members)
		}
		if len(d.Proxies) != 1 || d.Proxies[0].Proxy != "orders-proxy" || d.Proxies[0].Target.InstanceID != "orders-db" || len(d.Proxies[0].Targets) != 1 {
			t.Errorf("proxies %+v (billing-proxy fronts another DB and must not appear)", d.Proxies)
		}
		if len(d.ProxyInfo) != 1 || d.ProxyInfo[0].Name != "orders-proxy" {
			t.Errorf("proxy info %+v", d.ProxyInfo)
		}
		if d.Identity.Account != "123456789012" {
			t.Errorf("identity %+v", d.Identity)
		}
	}
	env.assertNoMutations(t)
}

func TestDiscoverAuroraClusterListsWriterFirst(t *testing.T) {
	env := newSimEnv(t, sim.ScenarioAuroraPostgres)
	d := env.discover(t, "ledger-cluster")
	byARN := env.discover(t, "arn:aws:rds:us-east-1:123456789012:cluster:ledger-cluster")
	if byARN.Source.ID != "ledger-cluster" || byARN.Source.Kind != KindCluster {
		t.Errorf("by ARN: %+v", byARN.Source)
	}
	if d.Source.Kind != KindCluster || d.Cluster == nil || d.Instance != nil {
		t.Fatalf("source %+v", d.Source)
	}
	if len(d.Members) != 3 || d.Members[0].ID != d.Cluster.Writer() {
		t.Errorf("members %v, writer %s", d.Source.Members, d.Cluster.Writer())
	}
	if len(d.Proxies) != 1 || d.Proxies[0].Proxy != "ledger-proxy" || d.Proxies[0].Target.ClusterID != "ledger-cluster" {
		t.Errorf("proxies %+v", d.Proxies)
	}
	if r, _ := ChooseRegime(d, ProxyModeAuto); r != RegimeNative {
		t.Errorf("aurora-postgresql behind a proxy: regime %s", r)
	}
	env.assertNoMutations(t)
}

func TestDiscoverRegimePerScenario(t *testing.T) {
	cases := []struct {
		scenario, source string
		want             Regime
	}{
		{sim.ScenarioRDSPostgresLegacy, "orders-db", RegimeNative},
		{sim.ScenarioRDSMySQLNative, "shop-db", RegimeNative},
		{sim.ScenarioAuroraPostgres, "ledger-cluster", RegimeNative},
		{sim.ScenarioAuroraGlobal, "payments-cluster", RegimeDetach},
		{sim.ScenarioRDSMariaDBNoProxy, "catalog-db", RegimeNone},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			env := newSimEnv(t, c.scenario)
			d := env.discover(t, c.source)
			if got, why := ChooseRegime(d, ProxyModeAuto); got != c.want {
				t.Errorf("regime %s (%s), want %s", got, why, c.want)
			}
			env.assertNoMutations(t)
		})
	}
}

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
	p, err := BuildPlan(d, Options{DeploymentName: "rdsbg-catalog-db-20261121"}, nil, planTime)
	if err != nil || p.Deployment != dep.ID {
		t.Errorf("plan adopts %q (%v), want %s", p.Deployment, err, dep.ID)
	}
}

func TestDiscoverRefusesBadSources(t *testing.T) {
	cases := []struct {
		scenario, source string
		phrases          []string
	}{
		{sim.ScenarioRDSPostgresNative, "orders-db-replica-1", []string{"orders-db-replica-1 is a read replica of orders-db: pass --source orders-db"}},
		{sim.ScenarioAuroraPostgres, "ledger-instance-2", []string{"ledger-instance-2 is a member instance of DB cluster ledger-cluster: pass --source ledger-cluster"}},
		{sim.ScenarioRDSPostgresNative, "nope-db", []string{"nope-db", "rdsbg", "describe-db-instances"}},
		{sim.ScenarioRDSPostgresNative, "arn:aws:rds:us-east-1:123456789012:db:nope-db", []string{"DB instance nope-db not found", "describe-db-instances"}},
		{sim.ScenarioAuroraPostgres, "arn:aws:rds:us-east-1:123456789012:cluster:nope-cluster", []string{"DB cluster nope-cluster not found", "describe-db-clusters"}},
		{sim.ScenarioRDSPostgresNative, "arn:aws:rds:eu-west-1:123456789012:db:orders-db", []string{"arn:aws:rds:eu-west-1:123456789012:db:orders-db", "Region eu-west-1", "--region eu-west-1"}},
		{sim.ScenarioRDSPostgresNative, "arn:aws:rds:us-east-1:999999999999:db:orders-db", []string{"account 999999999999", "123456789012"}},
		{sim.ScenarioRDSPostgresNative, "arn:aws:rds:us-east-1:123456789012:db-proxy:prx-0123", []string{"db-proxy", "not a DB instance or cluster"}},
		{sim.ScenarioRDSPostgresNative, "arn:aws:s3:::bucket", []string{"arn:aws:s3:::bucket", "not an RDS"}},
		{sim.ScenarioRDSPostgresNative, "orders db", []string{"orders db", "neither a DB identifier nor an RDS ARN"}},
	}
	for _, c := range cases {
		t.Run(c.source, func(t *testing.T) {
			env := newSimEnv(t, c.scenario)
			_, err := Discover(context.Background(), env.api, c.source)
			var in *InputError
			if !errors.As(err, &in) {
				t.Fatalf("want *InputError, got %v", err)
			}
			if in.ExitCode != ExitUsage {
				t.Errorf("exit %d", in.ExitCode)
			}
			for _, p := range c.phrases {
				if !strings.Contains(in.Message, p) {
					t.Errorf("message %q lacks %q", in.Message, p)
				}
			}
			env.assertNoMutations(t)
		})
	}
}

func TestListSourcesShowsPrimariesWithTheirProxies(t *testing.T) {
	env := newSimEnv(t, sim.ScenarioRDSPostgresNative)
	got, err := ListSources(context.Background(), env.api)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]SourceSummary{}
	for _, s := range got {
		byID[s.ID] = s
	}
	if _, ok := byID["orders-db-replica-1"]; ok {
		t.Errorf("a read replica is not a source: %+v", got)
	}
	orders := byID["orders-db"]
	if orders.Kind != KindInstance || orders.Members != 1 || len(orders.Proxies) != 1 || orders.Proxies[0] != "orders-proxy" || orders.Status != "available" {
		t.Errorf("orders-db %+v", orders)
	}
	if b := byID["billing-db"]; len(b.Proxies) != 1 || b.Proxies[0] != "billing-proxy" {
		t.Errorf("billing-db %+v", b)
	}
	if a, ok := byID["analytics-mysql"]; !ok || len(a.Proxies) != 0 {
		t.Errorf("analytics-mysql %+v", a)
	}

	aurora := newSimEnv(t, sim.ScenarioAuroraPostgres)
	got, err = ListSources(context.Background(), aurora.api)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if strings.HasPrefix(s.ID, "ledger-instance") {
			t.Errorf("cluster member listed as a source: %+v", s)
		}
		if s.ID == "ledger-cluster" && (s.Kind != KindCluster || s.Members != 3 || len(s.Proxies) != 1) {
			t.Errorf("ledger-cluster %+v", s)
		}
	}
	env.assertNoMutations(t)
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
	p, err := BuildPlan(d, Options{ProxyMode: ProxyModeDetach}, nil, planTime)
	if err != nil {
		t.Fatal(err)
	}
	detach, _ := p.Step(StepDetachProxy)
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
