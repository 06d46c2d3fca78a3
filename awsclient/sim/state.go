package sim

import (
	"strconv"
	"strings"
	"time"
)

// State is the simulated account and Region. Tests may change it through
// Simulator.Update. Relations between resources are held by resource id
// (DbiResourceId / DbClusterResourceId), never by name, because a
// switchover renames resources while their resource ids stay put
// (rds-facts §4.4).
type State struct {
	Region  string
	Account string
	Regime  string // RegimeLegacy or RegimeNative

	Instances       []*Instance
	Clusters        []*Cluster
	Proxies         []*Proxy
	Deployments     []*Deployment
	ParameterGroups []*ParameterGroup
	Engines         []*EngineVersion
	Snapshots       []*Snapshot

	hash string // the account's endpoint hash, as in <id>.<hash>.<region>.rds.amazonaws.com
	// goneARNs remembers the last ARN of deleted resources so a deployment
	// that still points at them can name them.
	goneARNs map[string]string
}

// Instance is a DB instance: standalone, read replica or Aurora member.
type Instance struct {
	ID                   string
	ResourceID           string // DbiResourceId
	Engine               string
	EngineVersion        string
	Status               string
	Class                string
	ClusterResourceID    string // set ⇒ Aurora member of that cluster
	Writer               bool   // Aurora: the cluster writer
	ReplicaOf            string // DbiResourceId of the source ⇒ a read replica
	MultiAZ              bool
	BackupRetentionDays  int
	ParameterGroup       string
	ParameterApplyStatus string // "in-sync" unless a test says otherwise
	OptionGroup          string
	DeletionProtection   bool
	ManagedMasterSecret  bool
	StorageEncrypted     bool
	Port                 int
	AllocatedStorage     int
	StorageType          string // "" reads as gp3
	Iops                 int
	StorageThroughput    int
	CreateTime           time.Time
	PendingEngineVersion string // ModifyDBInstance without ApplyImmediately
	// ReadOnly: the database refuses writes. Green is read-only until the
	// switchover, old blue after it (RDS: until read_only is set to 0;
	// Aurora: until a reboot or the deployment's deletion; rds-facts §4.1,
	// §4.4, §4.5). No API field shows it: Stats().ReadOnly does.
	ReadOnly bool
}

// Cluster is an Aurora DB cluster.
type Cluster struct {
	ID                  string
	ResourceID          string // DbClusterResourceId
	Engine              string
	EngineVersion       string
	Status              string
	ParameterGroup      string // DBClusterParameterGroup
	GlobalClusterID     string
	DeletionProtection  bool
	ManagedMasterSecret bool
	StorageEncrypted    bool
	BackupRetentionDays int
	Port                int
	CustomEndpoints     []string
	CreateTime          time.Time
	ReadOnly            bool // as Instance.ReadOnly
}

// Proxy is an RDS Proxy with its single default target group.
type Proxy struct {
	Name              string
	EngineFamily      string // MYSQL | POSTGRESQL
	Status            string
	VpcID             string
	ARNSuffix         string // prx-…
	TargetGroupSuffix string // prx-tg-…
	CreateTime        time.Time
	Targets           []*ProxyRegistration
}

// ProxyRegistration is one registered DB: an instance or an Aurora cluster
// (which DescribeDBProxyTargets expands into TRACKED_CLUSTER + members).
type ProxyRegistration struct {
	ResourceID       string // DbiResourceId or DbClusterResourceId
	Cluster          bool
	RegisteringUntil time.Time // REGISTERING before this
	AvailableAt      time.Time // UNAVAILABLE (PENDING_PROXY_CAPACITY) before this, AVAILABLE after
}

// Deployment is a blue/green deployment.
type Deployment struct {
	ID                  string // bgd-…
	Name                string
	Cluster             bool   // Aurora source
	SourceResourceID    string // blue top-level resource
	TargetResourceID    string // green top-level resource, "" until it exists
	Status              string
	StatusDetails       string
	Tasks               []Task
	Members             []*Member
	TargetEngineVersion string
	TargetParamGroup    string
	TargetClusterGroup  string
	TargetClass         string
	TargetStorage       targetStorage // storage_options.go
	CreateTime          time.Time
	DeleteTime          time.Time
	Tags                map[string]string

	switchoverFault string // "fail" or "timeout": the next switchover rolls back
	creationFailed  bool   // a CreationFail fault stopped provisioning
}

// Task is one entry of a deployment's Tasks.
type Task struct {
	Name   string
	Status string
}

// Member is one SwitchoverDetails entry. Instance and cluster members hold
// resource ids; custom endpoint members hold the index of the endpoint in
// their cluster's CustomEndpoints.
type Member struct {
	Kind          string // "instance", "cluster" or "endpoint"
	Source        string // resource id (endpoint: the blue cluster's)
	Target        string // resource id, "" until green exists (endpoint: the green cluster's)
	EndpointIndex int    // endpoint members: position in CustomEndpoints of both clusters
	Status        string
}

// ParameterGroup is a DB or DB cluster parameter group.
type ParameterGroup struct {
	Name       string
	Family     string
	Cluster    bool
	Parameters []Parameter
}

// Parameter is one parameter of a group.
type Parameter struct {
	Name      string
	Value     string
	ApplyType string // static | dynamic
	Source    string // engine-default | user | system
	DataType  string
}

// EngineVersion is one DescribeDBEngineVersions entry.
type EngineVersion struct {
	Engine  string
	Version string
	Major   string
	Family  string
	Default bool
	Targets []UpgradeTarget
}

// UpgradeTarget is one ValidUpgradeTarget entry.
type UpgradeTarget struct {
	Engine  string
	Version string
	Major   bool
}

// Snapshot is a manual DB or DB cluster snapshot.
type Snapshot struct {
	ID         string
	Cluster    bool
	SourceID   string // instance or cluster identifier at snapshot time
	Engine     string
	Version    string
	Status     string
	CreateTime time.Time
}

func (st *State) instanceARN(id string) string {
	return "arn:aws:rds:" + st.Region + ":" + st.Account + ":db:" + id
}

func (st *State) clusterARN(id string) string {
	return "arn:aws:rds:" + st.Region + ":" + st.Account + ":cluster:" + id
}

func (st *State) endpointARN(name string) string {
	return "arn:aws:rds:" + st.Region + ":" + st.Account + ":cluster-endpoint:" + name
}

func (st *State) proxyARN(p *Proxy) string {
	return "arn:aws:rds:" + st.Region + ":" + st.Account + ":db-proxy:" + p.ARNSuffix
}

func (st *State) instanceEndpoint(id string) string {
	return id + "." + st.hash + "." + st.Region + ".rds.amazonaws.com"
}

func (st *State) clusterEndpoint(id, kind string) string {
	return id + "." + kind + "-" + st.hash + "." + st.Region + ".rds.amazonaws.com"
}

// findInstance takes an identifier or an ARN, case-insensitively.
func (st *State) findInstance(idOrARN string) *Instance {
	id := idOrARN
	if strings.HasPrefix(idOrARN, "arn:") {
		i := strings.Index(idOrARN, ":db:")
		if i < 0 {
			return nil
		}
		id = idOrARN[i+4:]
	}
	for _, in := range st.Instances {
		if strings.EqualFold(in.ID, id) {
			return in
		}
	}
	return nil
}

func (st *State) findCluster(idOrARN string) *Cluster {
	id := idOrARN
	if strings.HasPrefix(idOrARN, "arn:") {
		i := strings.Index(idOrARN, ":cluster:")
		if i < 0 {
			return nil
		}
		id = idOrARN[i+9:]
	}
	for _, c := range st.Clusters {
		if strings.EqualFold(c.ID, id) {
			return c
		}
	}
	return nil
}

func (st *State) instanceByResource(res string) *Instance {
	for _, in := range st.Instances {
		if in.ResourceID == res {
			return in
		}
	}
	return nil
}

func (st *State) clusterByResource(res string) *Cluster {
	for _, c := range st.Clusters {
		if c.ResourceID == res {
			return c
		}
	}
	return nil
}

func (st *State) findProxy(name string) *Proxy {
	for _, p := range st.Proxies {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

func (st *State) findParameterGroup(name string, cluster bool) *ParameterGroup {
	for _, g := range st.ParameterGroups {
		if g.Cluster == cluster && strings.EqualFold(g.Name, name) {
			return g
		}
	}
	return nil
}

// members returns a cluster's instances, writer first.
func (st *State) members(c *Cluster) []*Instance {
	var writer, readers []*Instance
	for _, in := range st.Instances {
		if in.ClusterResourceID != c.ResourceID {
			continue
		}
		if in.Writer {
			writer = append(writer, in)
		} else {
			readers = append(readers, in)
		}
	}
	return append(writer, readers...)
}

// replicas returns the read replicas of an instance.
func (st *State) replicas(in *Instance) []*Instance {
	var out []*Instance
	for _, r := range st.Instances {
		if r.ReplicaOf != "" && r.ReplicaOf == in.ResourceID {
			out = append(out, r)
		}
	}
	return out
}

// resourceARN names an instance or a cluster by resource id, or the last
// ARN it had when it is gone.
func (st *State) resourceARN(res string) string {
	if res == "" {
		return ""
	}
	if in := st.instanceByResource(res); in != nil {
		return st.instanceARN(in.ID)
	}
	if c := st.clusterByResource(res); c != nil {
		return st.clusterARN(c.ID)
	}
	return st.goneARNs[res]
}

func (st *State) removeInstance(in *Instance) {
	st.rememberGone(in.ResourceID, st.instanceARN(in.ID))
	for i, x := range st.Instances {
		if x == in {
			st.Instances = append(st.Instances[:i], st.Instances[i+1:]...)
			break
		}
	}
	// A replica whose source disappears is promoted to standalone, and a
	// proxy drops a deleted target (RDS-EVENT-0214, rds-facts §4.5).
	for _, r := range st.Instances {
		if r.ReplicaOf == in.ResourceID {
			r.ReplicaOf = ""
		}
	}
	st.dropProxyTargets(in.ResourceID)
}

func (st *State) removeCluster(c *Cluster) {
	st.rememberGone(c.ResourceID, st.clusterARN(c.ID))
	for i, ep := range c.CustomEndpoints {
		st.rememberGone(goneEndpointKey(c.ResourceID, i), st.endpointARN(ep))
	}
	for i, x := range st.Clusters {
		if x == c {
			st.Clusters = append(st.Clusters[:i], st.Clusters[i+1:]...)
			break
		}
	}
	st.dropProxyTargets(c.ResourceID)
}

func (st *State) rememberGone(res, arn string) {
	if st.goneARNs == nil {
		st.goneARNs = map[string]string{}
	}
	st.goneARNs[res] = arn
}

func (st *State) dropProxyTargets(res string) {
	for _, p := range st.Proxies {
		kept := p.Targets[:0]
		for _, t := range p.Targets {
			if t.ResourceID != res {
				kept = append(kept, t)
			}
		}
		p.Targets = kept
	}
}

// registeredProxies lists the proxies that have res as a target.
func (st *State) registeredProxies(res string) []*Proxy {
	var out []*Proxy
	for _, p := range st.Proxies {
		for _, t := range p.Targets {
			if t.ResourceID == res {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// activeDeploymentFor returns a live deployment in which res takes part,
// as blue or as green.
func (st *State) activeDeploymentFor(res string) *Deployment {
	for _, d := range st.Deployments {
		if d.Status == "DELETING" {
			continue
		}
		if d.SourceResourceID == res || d.TargetResourceID == res {
			return d
		}
		for _, m := range d.Members {
			if m.Kind != "endpoint" && (m.Source == res || m.Target == res) {
				return d
			}
		}
	}
	return nil
}

func (st *State) findDeployment(id string) *Deployment {
	for _, d := range st.Deployments {
		if strings.EqualFold(d.ID, id) {
			return d
		}
	}
	return nil
}

func (st *State) removeDeployment(d *Deployment) {
	for i, x := range st.Deployments {
		if x == d {
			st.Deployments = append(st.Deployments[:i], st.Deployments[i+1:]...)
			return
		}
	}
}

func (st *State) findEngine(engine, version string) *EngineVersion {
	for _, e := range st.Engines {
		if e.Engine == engine && e.Version == version {
			return e
		}
	}
	return nil
}

// goneEndpointKey indexes goneARNs for a deleted cluster's custom endpoint.
func goneEndpointKey(clusterRes string, index int) string {
	return "endpoint:" + clusterRes + ":" + strconv.Itoa(index)
}
