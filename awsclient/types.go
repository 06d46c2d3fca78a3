package awsclient

import "time"

// Domain types: what the engine needs to know about AWS resources, free of
// SDK pointer types. Field comments name the RDS field they come from where
// the name differs (rds-facts.md §1.5–1.9).

// Instance is an RDS DB instance (standalone, read replica or Aurora member).
type Instance struct {
	ID                  string                 `json:"id,omitempty"`          // DBInstanceIdentifier
	ARN                 string                 `json:"arn,omitempty"`         // DBInstanceArn
	ResourceID          string                 `json:"resource_id,omitempty"` // DbiResourceId
	CreateTime          time.Time              `json:"create_time,omitzero"`  // InstanceCreateTime: with ResourceID, which instance this is
	Engine              string                 `json:"engine,omitempty"`
	EngineVersion       string                 `json:"engine_version,omitempty"`
	Status              string                 `json:"status,omitempty"`            // DBInstanceStatus: a plain string, not an enum
	Class               string                 `json:"class,omitempty"`             // DBInstanceClass
	ClusterID           string                 `json:"cluster_id,omitempty"`        // DBClusterIdentifier: set ⇒ Aurora member
	ReplicaSourceID     string                 `json:"replica_source_id,omitempty"` // ReadReplicaSourceDBInstanceIdentifier: set ⇒ read replica
	ReplicaIDs          []string               `json:"replica_ids,omitempty"`
	MultiAZ             bool                   `json:"multi_az,omitempty"`
	BackupRetentionDays int                    `json:"backup_retention_days,omitempty"`
	ParameterGroups     []ParameterGroupStatus `json:"parameter_groups,omitempty"`
	OptionGroups        []string               `json:"option_groups,omitempty"`
	DeletionProtection  bool                   `json:"deletion_protection,omitempty"`
	ManagedMasterSecret bool                   `json:"managed_master_secret,omitempty"` // MasterUserSecret present ⇒ Secrets Manager password
	StorageEncrypted    bool                   `json:"storage_encrypted,omitempty"`
	Endpoint            string                 `json:"endpoint,omitempty"`
	Port                int                    `json:"port,omitempty"`
	PercentProgress     string                 `json:"percent_progress,omitempty"`
}

// ParameterGroupStatus is one DBParameterGroups entry of an instance.
type ParameterGroupStatus struct {
	Name        string `json:"name,omitempty"`
	ApplyStatus string `json:"apply_status,omitempty"` // "in-sync", "pending-reboot", "applying"
}

// Cluster is an Aurora DB cluster (or a Multi-AZ DB cluster, which blue/green
// refuses: Engine is then "mysql" or "postgres").
type Cluster struct {
	ID                  string          `json:"id,omitempty"`
	ARN                 string          `json:"arn,omitempty"`
	ResourceID          string          `json:"resource_id,omitempty"` // DbClusterResourceId
	CreateTime          time.Time       `json:"create_time,omitzero"`  // ClusterCreateTime: with ResourceID, which cluster this is
	Engine              string          `json:"engine,omitempty"`
	EngineVersion       string          `json:"engine_version,omitempty"`
	EngineMode          string          `json:"engine_mode,omitempty"`
	Status              string          `json:"status,omitempty"`
	Members             []ClusterMember `json:"members,omitempty"`
	ParameterGroup      string          `json:"parameter_group,omitempty"`   // DBClusterParameterGroup
	GlobalClusterID     string          `json:"global_cluster_id,omitempty"` // set ⇒ member of a global database
	ManagedMasterSecret bool            `json:"managed_master_secret,omitempty"`
	DeletionProtection  bool            `json:"deletion_protection,omitempty"`
	BackupRetentionDays int             `json:"backup_retention_days,omitempty"`
	Endpoint            string          `json:"endpoint,omitempty"`
	ReaderEndpoint      string          `json:"reader_endpoint,omitempty"`
	CustomEndpoints     []string        `json:"custom_endpoints,omitempty"`
	StorageEncrypted    bool            `json:"storage_encrypted,omitempty"`
}

// ClusterMember is one DBClusterMembers entry.
type ClusterMember struct {
	InstanceID string `json:"instance_id,omitempty"`
	Writer     bool   `json:"writer,omitempty"`
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
	Name         string `json:"name,omitempty"`
	ARN          string `json:"arn,omitempty"`
	Status       string `json:"status,omitempty"` // DBProxyStatus enum: available, modifying, …
	EngineFamily string `json:"engine_family,omitempty"`
	Endpoint     string `json:"endpoint,omitempty"`
	VpcID        string `json:"vpc_id,omitempty"`
	// Auth is how clients log in through the proxy; its SecretArn holds
	// the credentials the database checks may use (dbaccess.go).
	Auth []ProxyAuth `json:"auth,omitempty"`
}

// TargetGroup is a proxy's target group (always "default" today).
type TargetGroup struct {
	ProxyName string `json:"proxy_name,omitempty"`
	Name      string `json:"name,omitempty"`
	ARN       string `json:"arn,omitempty"`
	Status    string `json:"status,omitempty"`
	IsDefault bool   `json:"is_default,omitempty"`
}

// ProxyTarget is one DescribeDBProxyTargets entry.
type ProxyTarget struct {
	ProxyName        string       `json:"proxy_name,omitempty"` // filled in by the client: the API omits it
	TargetARN        string       `json:"target_arn,omitempty"`
	Type             string       `json:"type,omitempty"`            // RDS_INSTANCE, TRACKED_CLUSTER, RDS_SERVERLESS_ENDPOINT
	RdsResourceID    string       `json:"rds_resource_id,omitempty"` // instance id or cluster id
	TrackedClusterID string       `json:"tracked_cluster_id,omitempty"`
	Endpoint         string       `json:"endpoint,omitempty"`
	Port             int          `json:"port,omitempty"`
	Role             string       `json:"role,omitempty"` // READ_WRITE, READ_ONLY, UNKNOWN
	Health           TargetHealth `json:"health,omitempty"`
}

// TargetHealth is the target's health as the proxy reports it.
type TargetHealth struct {
	State       string `json:"state,omitempty"` // REGISTERING, AVAILABLE, UNAVAILABLE, UNUSED
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
}

// TargetRef names what to register with or deregister from a proxy: one RDS
// instance or one Aurora cluster.
type TargetRef struct {
	InstanceID string `json:"instance_id,omitempty"`
	ClusterID  string `json:"cluster_id,omitempty"`
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
	ID            string             `json:"id,omitempty"` // BlueGreenDeploymentIdentifier (bgd-…)
	Name          string             `json:"name,omitempty"`
	Source        string             `json:"source,omitempty"` // ARN; after switchover it is the -oldN resource
	Target        string             `json:"target,omitempty"` // ARN; empty right after creation
	Status        string             `json:"status,omitempty"` // PROVISIONING, AVAILABLE, SWITCHOVER_IN_PROGRESS, …
	StatusDetails string             `json:"status_details,omitempty"`
	Members       []SwitchoverMember `json:"members,omitempty"`
	Tasks         []Task             `json:"tasks,omitempty"`
	CreateTime    time.Time          `json:"create_time,omitempty"`
	DeleteTime    time.Time          `json:"delete_time,omitempty"`
	Tags          map[string]string  `json:"tags,omitempty"` // TagList
}

// SwitchoverMember is one SwitchoverDetails entry.
type SwitchoverMember struct {
	Source string `json:"source,omitempty"` // ARN
	Target string `json:"target,omitempty"` // ARN, empty while green is not yet created
	Status string `json:"status,omitempty"`
}

// Task is one entry of the deployment's Tasks.
type Task struct {
	Name   string `json:"name,omitempty"`
	Status string `json:"status,omitempty"` // PENDING, IN_PROGRESS, COMPLETED, FAILED
}

// EngineVersion is one DescribeDBEngineVersions entry.
type EngineVersion struct {
	Engine         string          `json:"engine,omitempty"`
	Version        string          `json:"version,omitempty"`
	Major          string          `json:"major,omitempty"`  // MajorEngineVersion
	Family         string          `json:"family,omitempty"` // DBParameterGroupFamily
	Status         string          `json:"status,omitempty"`
	UpgradeTargets []UpgradeTarget `json:"upgrade_targets,omitempty"`
}

// UpgradeTarget is one ValidUpgradeTarget entry.
type UpgradeTarget struct {
	Engine      string `json:"engine,omitempty"`
	Version     string `json:"version,omitempty"`
	Description string `json:"description,omitempty"`
	Major       bool   `json:"major,omitempty"` // IsMajorVersionUpgrade
}

// Parameter is one DB or cluster parameter.
type Parameter struct {
	Name      string `json:"name,omitempty"`
	Value     string `json:"value,omitempty"`
	ApplyType string `json:"apply_type,omitempty"`
	Source    string `json:"source,omitempty"`
}

// Snapshot is a DB snapshot or a DB cluster snapshot.
type Snapshot struct {
	ID     string `json:"id,omitempty"`
	ARN    string `json:"arn,omitempty"`
	Status string `json:"status,omitempty"` // creating, available, …
}

// Identity is the STS caller identity.
type Identity struct {
	Account string `json:"account,omitempty"`
	ARN     string `json:"arn,omitempty"`
	UserID  string `json:"user_id,omitempty"`
	// Partition is the caller ARN's partition (aws, aws-cn, aws-us-gov).
	Partition string `json:"partition,omitempty"`
}

// CreateDeploymentInput carries CreateBlueGreenDeployment's parameters.
// Empty strings and zero values are not sent.
type CreateDeploymentInput struct {
	Name                              string            `json:"name,omitempty"`
	SourceARN                         string            `json:"source_arn,omitempty"`
	TargetEngineVersion               string            `json:"target_engine_version,omitempty"`
	TargetDBParameterGroupName        string            `json:"target_d_b_parameter_group_name,omitempty"`
	TargetDBClusterParameterGroupName string            `json:"target_d_b_cluster_parameter_group_name,omitempty"`
	TargetDBInstanceClass             string            `json:"target_d_b_instance_class,omitempty"`
	UpgradeTargetStorageConfig        bool              `json:"upgrade_target_storage_config,omitempty"`
	TargetIops                        int32             `json:"target_iops,omitempty"`
	TargetStorageType                 string            `json:"target_storage_type,omitempty"`
	TargetAllocatedStorage            int32             `json:"target_allocated_storage,omitempty"`
	TargetStorageThroughput           int32             `json:"target_storage_throughput,omitempty"`
	Tags                              map[string]string `json:"tags,omitempty"`
}

// ModifyInstanceInput carries the ModifyDBInstance parameters rdsbg uses.
type ModifyInstanceInput struct {
	ID                       string `json:"id,omitempty"`
	EngineVersion            string `json:"engine_version,omitempty"`
	AllowMajorVersionUpgrade bool   `json:"allow_major_version_upgrade,omitempty"`
	ApplyImmediately         bool   `json:"apply_immediately,omitempty"`
	DBParameterGroupName     string `json:"d_b_parameter_group_name,omitempty"`
	DeletionProtection       *bool  `json:"deletion_protection,omitempty"`
}

// ModifyClusterInput carries the ModifyDBCluster parameters rdsbg uses.
type ModifyClusterInput struct {
	ID                           string `json:"id,omitempty"`
	EngineVersion                string `json:"engine_version,omitempty"`
	AllowMajorVersionUpgrade     bool   `json:"allow_major_version_upgrade,omitempty"`
	ApplyImmediately             bool   `json:"apply_immediately,omitempty"`
	DBClusterParameterGroupName  string `json:"d_b_cluster_parameter_group_name,omitempty"`
	DBInstanceParameterGroupName string `json:"d_b_instance_parameter_group_name,omitempty"`
	DeletionProtection           *bool  `json:"deletion_protection,omitempty"`
}

// DeleteInput deletes an instance or a cluster. Exactly one of
// SkipFinalSnapshot and FinalSnapshotID applies.
type DeleteInput struct {
	ID                string `json:"id,omitempty"`
	SkipFinalSnapshot bool   `json:"skip_final_snapshot,omitempty"`
	FinalSnapshotID   string `json:"final_snapshot_id,omitempty"`
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
	// Expected is set when the error is the answer a permission probe
	// asked for (WithProbe): AWS refused the deliberate call after IAM
	// authorized it, so the action is allowed. It is not a failure.
	Expected string `json:"expected,omitempty"`
}

// OK is true when the call succeeded.
func (c Call) OK() bool { return c.ErrorCode == "" && (c.HTTPStatus == 0 || c.HTTPStatus < 400) }

// AsIntended: the call succeeded, or answered a probe as expected.
func (c Call) AsIntended() bool { return c.OK() || c.Expected != "" }
