package steps

import (
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// Hand-built discoveries for the pure tests (plan, regime, render); the
// simulator tests check that Discover produces values of this shape.

var planTime = time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)

func fixtureRDSPostgres() preflight.Discovery {
	inst := awsclient.Instance{ID: "orders-db", ARN: "arn:aws:rds:us-east-1:123456789012:db:orders-db", Engine: "postgres", EngineVersion: "15.7",
		Status: "available", BackupRetentionDays: 7, DeletionProtection: true,
		ParameterGroups: []awsclient.ParameterGroupStatus{{Name: "orders-pg15", ApplyStatus: "in-sync"}},
		OptionGroups:    []string{"default:postgres-15"}, ReplicaIDs: []string{"orders-db-replica-1"}}
	return preflight.Discovery{
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

func fixtureMariaDBNoProxy() preflight.Discovery {
	d := fixtureRDSPostgres()
	inst := *d.Instance
	inst.ID, inst.ARN, inst.Engine, inst.EngineVersion = "catalog-db", "arn:aws:rds:us-east-1:123456789012:db:catalog-db", "mariadb", "10.11.9"
	inst.ReplicaIDs, inst.DeletionProtection = nil, false
	d.Instance = &inst
	d.Source = contract.Source{Kind: contract.KindInstance, ID: inst.ID, ARN: inst.ARN, Engine: inst.Engine, EngineVersion: inst.EngineVersion, Region: "us-east-1", Account: "123456789012"}
	d.Members, d.Proxies, d.ProxyInfo = nil, nil, nil
	return d
}

func fixtureAuroraGlobal() preflight.Discovery {
	cl := awsclient.Cluster{ID: "payments-cluster", ARN: "arn:aws:rds:us-east-1:123456789012:cluster:payments-cluster", Engine: "aurora-mysql",
		EngineVersion: "8.0.mysql_aurora.3.05.2", Status: "available", GlobalClusterID: "payments-global", BackupRetentionDays: 7,
		ParameterGroup: "payments-am8-cluster", DeletionProtection: true,
		Members: []awsclient.ClusterMember{{InstanceID: "payments-instance-1", Writer: true}, {InstanceID: "payments-instance-2"}}}
	return preflight.Discovery{
		Source: contract.Source{Kind: contract.KindCluster, ID: cl.ID, ARN: cl.ARN, Engine: cl.Engine, EngineVersion: cl.EngineVersion, Region: "us-east-1",
			Account: "123456789012", Members: []string{"payments-instance-1", "payments-instance-2"}, GlobalClusterID: "payments-global"},
		Cluster:   &cl,
		Proxies:   []contract.ProxyRegistration{{Proxy: "payments-proxy", TargetGroup: "default", Target: awsclient.TargetRef{ClusterID: cl.ID}}},
		ProxyInfo: []awsclient.Proxy{{Name: "payments-proxy", Status: "available"}},
		Identity:  awsclient.Identity{Account: "123456789012"},
	}
}
