package awsclient

import "time"

// Domain types: what the engine needs to know about AWS resources, free of
// SDK pointer types. Field comments name the RDS field they come from where
// the name differs (rds-facts.md §1.5–1.9).

// Instance is an RDS DB instance (standalone, read replica or Aurora member).
type Instance struct {
	ID                  string // DBInstanceIdentifier
	ARN                 string // DBInstanceArn
	ResourceID          string // DbiResourceId
	Engine              string
	EngineVersion       string
	Status              string // DBInstanceStatus: a plain string, not an enum
	Class               string // DBInstanceClass
	ClusterID           string // DBClusterIdentifier: set ⇒ Aurora member
	ReplicaSourceID     string // ReadReplicaSourceDBInstanceIdentifier: set ⇒ read replica
	ReplicaIDs          []string
	MultiAZ             bool
	BackupRetentionDays int
	ParameterGroups     []ParameterGroupStatus
	OptionGroups        []string
	DeletionProtection  bool
	ManagedMasterSecret bool // MasterUserSecret present ⇒ Secrets Manager password
	StorageEncrypted    bool
	Endpoint            string
	Port                int
	PercentProgress     string
}

// ParameterGroupStatus is one DBParameterGroups entry of an instance.
type ParameterGroupStatus struct {
	Name        string
	ApplyStatus string // "in-sync", "pending-reboot", "applying"
}

// Cluster is an Aurora DB cluster (or a Multi-AZ DB cluster, which blue/green
// refuses: Engine is then "mysql" or "postgres").
type Cluster struct {
	ID                  string
	ARN                 string
	ResourceID          string // DbClusterResourceId
	Engine              string
	EngineVersion       string
	EngineMode          string
	Status              string
	Members             []ClusterMember
	ParameterGroup      string // DBClusterParameterGroup
	GlobalClusterID     string // set ⇒ member of a global database
	ManagedMasterSecret bool
	DeletionProtection  bool
	BackupRetentionDays int
	Endpoint            string
	ReaderEndpoint      string
	CustomEndpoints     []string
	StorageEncrypted    bool
}

// ClusterMember is one DBClusterMembers entry.
type ClusterMember struct {
	InstanceID string
	Writer     bool
}

// Writer returns the writer's instance id, or "" when the cluster has none.
func (c Cluster) Writer() string {
	for _, m := range c.Members {
		if m.Writer {
			return m.InstanceID
		}
	}
	return ""
}

// Proxy is an RDS Proxy.
type Proxy struct {
	Name         string
	ARN          string
	Status       string // DBProxyStatus enum: available, modifying, …
	EngineFamily string
	Endpoint     string
	VpcID        string
}

// TargetGroup is a proxy's target group (always "default" today).
type TargetGroup struct {
	ProxyName string
	Name      string
	ARN       string
	Status    string
	IsDefault bool
}

// ProxyTarget is one DescribeDBProxyTargets entry.
type ProxyTarget struct {
	ProxyName        string // filled in by the client: the API omits it
	TargetARN        string
	Type             string // RDS_INSTANCE, TRACKED_CLUSTER, RDS_SERVERLESS_ENDPOINT
	RdsResourceID    string // instance id or cluster id
	TrackedClusterID string
	Endpoint         string
	Port             int
	Role             string // READ_WRITE, READ_ONLY, UNKNOWN
	Health           TargetHealth
}

// TargetHealth is the target's health as the proxy reports it.
type TargetHealth struct {
	State       string // REGISTERING, AVAILABLE, UNAVAILABLE, UNUSED
	Reason      string
	Description string
}

// TargetRef names what to register with or deregister from a proxy: one RDS
// instance or one Aurora cluster.
type TargetRef struct {
	InstanceID string
	ClusterID  string
}

// ID is whichever identifier is set.
func (r TargetRef) ID() string {
	if r.ClusterID != "" {
		return r.ClusterID
	}
	return r.InstanceID
}

// Deployment is a blue/green deployment.
type Deployment struct {
	ID            string // BlueGreenDeploymentIdentifier (bgd-…)
	Name          string
	Source        string // ARN; after switchover it is the -oldN resource
	Target        string // ARN; empty right after creation
	Status        string // PROVISIONING, AVAILABLE, SWITCHOVER_IN_PROGRESS, …
	StatusDetails string
	Members       []SwitchoverMember
	Tasks         []Task
	CreateTime    time.Time
	DeleteTime    time.Time
}

// SwitchoverMember is one SwitchoverDetails entry.
type SwitchoverMember struct {
	Source string // ARN
	Target string // ARN, empty while green is not yet created
	Status string
}

// Task is one entry of the deployment's Tasks.
type Task struct {
	Name   string
	Status string // PENDING, IN_PROGRESS, COMPLETED, FAILED
}

// EngineVersion is one DescribeDBEngineVersions entry.
type EngineVersion struct {
	Engine         string
	Version        string
	Major          string // MajorEngineVersion
	Family         string // DBParameterGroupFamily
	Status         string
	UpgradeTargets []UpgradeTarget
}

// UpgradeTarget is one ValidUpgradeTarget entry.
type UpgradeTarget struct {
	Engine      string
	Version     string
	Description string
	Major       bool // IsMajorVersionUpgrade
}

// Parameter is one DB or cluster parameter.
type Parameter struct {
	Name      string
	Value     string
	ApplyType string
	Source    string
}

// Snapshot is a DB snapshot or a DB cluster snapshot.
type Snapshot struct {
	ID     string
	ARN    string
	Status string // creating, available, …
}

// Identity is the STS caller identity.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}

// CreateDeploymentInput carries CreateBlueGreenDeployment's parameters.
// Empty strings and zero values are not sent.
type CreateDeploymentInput struct {
	Name                              string
	SourceARN                         string
	TargetEngineVersion               string
	TargetDBParameterGroupName        string
	TargetDBClusterParameterGroupName string
	TargetDBInstanceClass             string
	UpgradeTargetStorageConfig        bool
	Tags                              map[string]string
}

// ModifyInstanceInput carries the ModifyDBInstance parameters rdsbg uses.
type ModifyInstanceInput struct {
	ID                       string
	EngineVersion            string
	AllowMajorVersionUpgrade bool
	ApplyImmediately         bool
	DBParameterGroupName     string
	DeletionProtection       *bool
}

// ModifyClusterInput carries the ModifyDBCluster parameters rdsbg uses.
type ModifyClusterInput struct {
	ID                           string
	EngineVersion                string
	AllowMajorVersionUpgrade     bool
	ApplyImmediately             bool
	DBClusterParameterGroupName  string
	DBInstanceParameterGroupName string
	DeletionProtection           *bool
}

// DeleteInput deletes an instance or a cluster. Exactly one of
// SkipFinalSnapshot and FinalSnapshotID applies.
type DeleteInput struct {
	ID                string
	SkipFinalSnapshot bool
	FinalSnapshotID   string
}

// Call is one AWS API call as the call-log middleware saw it: it feeds the
// journal's audit trail and the UI's API panel.
type Call struct {
	Service    string        `json:"service"`
	Operation  string        `json:"operation"`
	Start      time.Time     `json:"start"`
	Duration   time.Duration `json:"duration_ns"`
	HTTPStatus int           `json:"http_status,omitempty"`
	RequestID  string        `json:"request_id,omitempty"`
	ErrorCode  string        `json:"error_code,omitempty"`
	Mutating   bool          `json:"mutating,omitempty"`
	// Attempts is how many HTTP requests the operation took (retries
	// after throttling or 5xx included); 0 when none was sent.
	Attempts int `json:"attempts,omitempty"`
}

// OK is true when the call succeeded.
func (c Call) OK() bool { return c.ErrorCode == "" && (c.HTTPStatus == 0 || c.HTTPStatus < 400) }
