package awsclient

import (
	"context"
	"time"
)

// Narrow interfaces, one per need, so that each part of the engine names
// exactly the calls it makes. *Client implements all of them; tests use the
// real *Client against the simulator rather than fakes of these interfaces.
// Every Describe/List method follows the API's Marker pagination to the end.

// Instances reads and changes DB instances.
type Instances interface {
	// DescribeInstance takes an identifier or an ARN. Not found ⇒ an error
	// that Classify reports as KindNotFound.
	DescribeInstance(ctx context.Context, id string) (Instance, error)
	ListInstances(ctx context.Context) ([]Instance, error)
	ModifyInstance(ctx context.Context, in ModifyInstanceInput) (Instance, error)
	DeleteInstance(ctx context.Context, in DeleteInput) error
	CreateInstanceSnapshot(ctx context.Context, instanceID, snapshotID string) (Snapshot, error)
	DescribeInstanceSnapshot(ctx context.Context, snapshotID string) (Snapshot, error)
}

// Clusters reads and changes Aurora DB clusters.
type Clusters interface {
	DescribeCluster(ctx context.Context, id string) (Cluster, error)
	ListClusters(ctx context.Context) ([]Cluster, error)
	ModifyCluster(ctx context.Context, in ModifyClusterInput) (Cluster, error)
	DeleteCluster(ctx context.Context, in DeleteInput) error
	CreateClusterSnapshot(ctx context.Context, clusterID, snapshotID string) (Snapshot, error)
	DescribeClusterSnapshot(ctx context.Context, snapshotID string) (Snapshot, error)
}

// Proxies reads RDS Proxies and moves their targets.
type Proxies interface {
	ListProxies(ctx context.Context) ([]Proxy, error)
	DescribeProxyTargets(ctx context.Context, proxyName string) ([]ProxyTarget, error)
	DescribeTargetGroups(ctx context.Context, proxyName string) ([]TargetGroup, error)
	RegisterTargets(ctx context.Context, proxyName string, target TargetRef) ([]ProxyTarget, error)
	DeregisterTargets(ctx context.Context, proxyName string, target TargetRef) error
}

// Deployments drives blue/green deployments.
type Deployments interface {
	CreateDeployment(ctx context.Context, in CreateDeploymentInput) (Deployment, error)
	// DescribeDeployment takes the bgd- identifier.
	DescribeDeployment(ctx context.Context, id string) (Deployment, error)
	// ListDeployments returns every deployment; with sourceARN set, only
	// those whose Source is that ARN (the "source" filter).
	ListDeployments(ctx context.Context, sourceARN string) ([]Deployment, error)
	SwitchoverDeployment(ctx context.Context, id string, timeout time.Duration) (Deployment, error)
	DeleteDeployment(ctx context.Context, id string, deleteTarget bool) (Deployment, error)
}

// EngineVersions reads the engine version catalogue.
type EngineVersions interface {
	// DescribeEngineVersion returns one engine version with its valid
	// upgrade targets; not found ⇒ KindNotFound.
	DescribeEngineVersion(ctx context.Context, engine, version string) (EngineVersion, error)
	// ListEngineVersions returns every version of an engine.
	ListEngineVersions(ctx context.Context, engine string) ([]EngineVersion, error)
}

// Parameters reads parameter groups.
type Parameters interface {
	// DescribeDBParameters returns the named parameters of a DB parameter
	// group (all of them when names is empty).
	DescribeDBParameters(ctx context.Context, group string, names ...string) ([]Parameter, error)
	DescribeClusterParameters(ctx context.Context, group string, names ...string) ([]Parameter, error)
	// ListParameterGroups lists every DB parameter group (cluster: every
	// DB cluster parameter group) with its family.
	ListParameterGroups(ctx context.Context, cluster bool) ([]ParameterGroup, error)
}

// Tagging reads and changes the tags of any RDS resource by ARN (proxies,
// deployments, instances, clusters): the durable record of what rdsbg
// changed, readable from any machine.
type Tagging interface {
	AddTagsToResource(ctx context.Context, arn string, tags map[string]string) error
	RemoveTagsFromResource(ctx context.Context, arn string, keys ...string) error
	ListTagsForResource(ctx context.Context, arn string) (map[string]string, error)
}

// Identities answers "who am I" (STS).
type Identities interface {
	CallerIdentity(ctx context.Context) (Identity, error)
}

// API is everything rdsbg calls. The engine holds one; each function takes
// the narrowest interface it needs.
type API interface {
	Instances
	Clusters
	Proxies
	Deployments
	EngineVersions
	Parameters
	Tagging
	Identities
	Secrets
	DBAuth
	// Region is the region the client talks to.
	Region() string
}
