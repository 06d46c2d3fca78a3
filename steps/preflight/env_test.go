package preflight

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// The harness of preflight's tests: the real SDK client talking to the
// in-process simulator over loopback, on a virtual clock (the engine's
// tests use the same, steps/simenv_test.go), and hand-built discoveries
// for the pure tests.

type simEnv struct {
	api   *awsclient.Client
	sim   *sim.Simulator
	clock *clock.Virtual
	srv   *httptest.Server
}

// simStart is the virtual clock's start for every simulator test.
var simStart = simtest.Start

func newSimEnv(t *testing.T, scenario string) *simEnv {
	t.Helper()
	s := simtest.NewServer(t, sim.Options{Scenario: scenario})
	api, err := awsclient.New(context.Background(), awsclient.Options{
		EndpointURL: s.URL, Region: simtest.Region, Simulator: true, Clock: s.Clock, HTTPClient: s.HTTPClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &simEnv{api: api, sim: s.Sim, clock: s.Clock, srv: s.HTTP}
}

// assertNoMutations fails the test if any state-changing call reached AWS.
func (e *simEnv) assertNoMutations(t *testing.T) {
	t.Helper()
	if m := e.sim.Mutations(); len(m) > 0 {
		t.Errorf("read-only code changed AWS: %+v", m)
	}
}

// discover runs Discover and fails the test on error.
func (e *simEnv) discover(t *testing.T, source string) Discovery {
	t.Helper()
	d, err := Discover(context.Background(), e.api, source)
	if err != nil {
		t.Fatalf("Discover(%s): %v", source, err)
	}
	return d
}

// TestMain isolates the test process from the machine's AWS settings.
func TestMain(m *testing.M) {
	cleanup := simtest.IsolateProcess()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func fixtureRDSPostgres() Discovery {
	inst := awsclient.Instance{ID: "orders-db", ARN: "arn:aws:rds:us-east-1:123456789012:db:orders-db", Engine: "postgres", EngineVersion: "15.7",
		Status: "available", BackupRetentionDays: 7, DeletionProtection: true,
		ParameterGroups: []awsclient.ParameterGroupStatus{{Name: "orders-pg15", ApplyStatus: "in-sync"}},
		OptionGroups:    []string{"default:postgres-15"}, ReplicaIDs: []string{"orders-db-replica-1"}}
	return Discovery{
		Source: contract.Source{Kind: contract.KindInstance, ID: "orders-db", ARN: inst.ARN, Engine: "postgres", EngineVersion: "15.7",
			Region: "us-east-1", Account: "123456789012", Members: []string{"orders-db-replica-1"}},
		Instance: &inst,
		Members:  []awsclient.Instance{{ID: "orders-db-replica-1", Status: "available", ReplicaSourceID: "orders-db"}},
		Proxies: []contract.ProxyRegistration{{Proxy: "orders-proxy", TargetGroup: "default", Target: awsclient.TargetRef{InstanceID: "orders-db"},
			Targets: []awsclient.ProxyTarget{{ProxyName: "orders-proxy", Type: "RDS_INSTANCE", RdsResourceID: "orders-db", Role: "READ_WRITE", Health: awsclient.TargetHealth{State: "AVAILABLE"}}}}},
		ProxyInfo: []awsclient.Proxy{{Name: "orders-proxy", Status: "available"}},
		Identity:  awsclient.Identity{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/dba"},
	}
}

func fixtureMariaDBNoProxy() Discovery {
	d := fixtureRDSPostgres()
	inst := *d.Instance
	inst.ID, inst.ARN, inst.Engine, inst.EngineVersion = "catalog-db", "arn:aws:rds:us-east-1:123456789012:db:catalog-db", "mariadb", "10.11.9"
	inst.ReplicaIDs, inst.DeletionProtection = nil, false
	d.Instance = &inst
	d.Source = contract.Source{Kind: contract.KindInstance, ID: inst.ID, ARN: inst.ARN, Engine: inst.Engine, EngineVersion: inst.EngineVersion, Region: "us-east-1", Account: "123456789012"}
	d.Members, d.Proxies, d.ProxyInfo = nil, nil, nil
	return d
}

func fixtureAuroraGlobal() Discovery {
	cl := awsclient.Cluster{ID: "payments-cluster", ARN: "arn:aws:rds:us-east-1:123456789012:cluster:payments-cluster", Engine: "aurora-mysql",
		EngineVersion: "8.0.mysql_aurora.3.05.2", Status: "available", GlobalClusterID: "payments-global", BackupRetentionDays: 7,
		ParameterGroup: "payments-am8-cluster", DeletionProtection: true,
		Members: []awsclient.ClusterMember{{InstanceID: "payments-instance-1", Writer: true}, {InstanceID: "payments-instance-2"}}}
	return Discovery{
		Source: contract.Source{Kind: contract.KindCluster, ID: cl.ID, ARN: cl.ARN, Engine: cl.Engine, EngineVersion: cl.EngineVersion, Region: "us-east-1",
			Account: "123456789012", Members: []string{"payments-instance-1", "payments-instance-2"}, GlobalClusterID: "payments-global"},
		Cluster:   &cl,
		Proxies:   []contract.ProxyRegistration{{Proxy: "payments-proxy", TargetGroup: "default", Target: awsclient.TargetRef{ClusterID: cl.ID}}},
		ProxyInfo: []awsclient.Proxy{{Name: "payments-proxy", Status: "available"}},
		Identity:  awsclient.Identity{Account: "123456789012"},
	}
}
