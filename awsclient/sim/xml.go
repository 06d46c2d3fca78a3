package sim

// Output shapes of the RDS awsQuery protocol. Field and list item element
// names follow the SDK's deserializers (rds-facts §6): an item under any
// other element name is silently dropped by the client.

type xmlEndpoint struct {
	Address      string `xml:"Address,omitempty"`
	Port         int    `xml:"Port"`
	HostedZoneID string `xml:"HostedZoneId,omitempty"`
}

type xmlParamGroupStatus struct {
	DBParameterGroupName string
	ParameterApplyStatus string
}

type xmlOptionGroupMembership struct {
	OptionGroupName string
	Status          string
}

type xmlPending struct {
	EngineVersion string `xml:"EngineVersion,omitempty"`
}

type xmlInstance struct {
	DBInstanceIdentifier                  string
	DBInstanceArn                         string
	DbiResourceID                         string `xml:"DbiResourceId"`
	DBInstanceClass                       string
	Engine                                string
	EngineVersion                         string
	DBInstanceStatus                      string
	MasterUsername                        string
	Endpoint                              *xmlEndpoint `xml:"Endpoint,omitempty"`
	AllocatedStorage                      int
	InstanceCreateTime                    string `xml:"InstanceCreateTime,omitempty"`
	BackupRetentionPeriod                 int
	MultiAZ                               bool
	AutoMinorVersionUpgrade               bool
	DBClusterIdentifier                   string                     `xml:"DBClusterIdentifier,omitempty"`
	ReadReplicaSourceDBInstanceIdentifier string                     `xml:"ReadReplicaSourceDBInstanceIdentifier,omitempty"`
	ReadReplicaDBInstanceIdentifiers      []string                   `xml:"ReadReplicaDBInstanceIdentifiers>ReadReplicaDBInstanceIdentifier"`
	DBParameterGroups                     []xmlParamGroupStatus      `xml:"DBParameterGroups>DBParameterGroup"`
	OptionGroupMemberships                []xmlOptionGroupMembership `xml:"OptionGroupMemberships>OptionGroupMembership"`
	PendingModifiedValues                 *xmlPending                `xml:"PendingModifiedValues,omitempty"`
	StorageEncrypted                      bool
	KmsKeyID                              string `xml:"KmsKeyId,omitempty"`
	DeletionProtection                    bool
	MasterUserSecret                      *xmlSecret `xml:"MasterUserSecret,omitempty"`
	PromotionTier                         *int       `xml:"PromotionTier,omitempty"`
	StorageType                           string
	Iops                                  int      `xml:"Iops,omitempty"`
	StorageThroughput                     int      `xml:"StorageThroughput,omitempty"`
	TagList                               []xmlTag `xml:"TagList>Tag"`
}

type xmlSecret struct {
	SecretArn    string
	SecretStatus string
}

type xmlClusterMember struct {
	DBInstanceIdentifier          string
	IsClusterWriter               bool
	DBClusterParameterGroupStatus string
	PromotionTier                 int
}

type xmlCluster struct {
	DBClusterIdentifier     string
	DBClusterArn            string
	DbClusterResourceID     string `xml:"DbClusterResourceId"`
	Engine                  string
	EngineVersion           string
	EngineMode              string
	Status                  string
	Endpoint                string
	ReaderEndpoint          string
	CustomEndpoints         []string `xml:"CustomEndpoints>member"`
	Port                    int
	MultiAZ                 bool
	DBClusterMembers        []xmlClusterMember `xml:"DBClusterMembers>DBClusterMember"`
	DBClusterParameterGroup string
	GlobalClusterIdentifier string `xml:"GlobalClusterIdentifier,omitempty"`
	BackupRetentionPeriod   int
	StorageEncrypted        bool
	DeletionProtection      bool
	MasterUserSecret        *xmlSecret `xml:"MasterUserSecret,omitempty"`
	ClusterCreateTime       string     `xml:"ClusterCreateTime,omitempty"`
	TagList                 []xmlTag   `xml:"TagList>Tag"`
}

type xmlSnapshot struct {
	DBSnapshotIdentifier string
	DBInstanceIdentifier string
	DBSnapshotArn        string
	SnapshotCreateTime   string `xml:"SnapshotCreateTime,omitempty"`
	Engine               string
	EngineVersion        string
	Status               string
	SnapshotType         string
	PercentProgress      int
}

type xmlClusterSnapshot struct {
	DBClusterSnapshotIdentifier string
	DBClusterIdentifier         string
	DBClusterSnapshotArn        string
	SnapshotCreateTime          string `xml:"SnapshotCreateTime,omitempty"`
	Engine                      string
	EngineVersion               string
	Status                      string
	SnapshotType                string
	PercentProgress             int
}

type xmlProxy struct {
	DBProxyName         string
	DBProxyArn          string
	Status              string
	EngineFamily        string
	VpcID               string   `xml:"VpcId"`
	VpcSecurityGroupIDs []string `xml:"VpcSecurityGroupIds>member"`
	VpcSubnetIDs        []string `xml:"VpcSubnetIds>member"`
	RoleArn             string
	Endpoint            string
	Auth                []xmlProxyAuth `xml:"Auth>member"`
	RequireTLS          bool
	IdleClientTimeout   int
	DebugLogging        bool
	CreatedDate         string
	UpdatedDate         string
}

type xmlProxyAuth struct {
	AuthScheme             string
	SecretArn              string
	IAMAuth                string
	ClientPasswordAuthType string
	Description            string
}

type xmlPoolConfig struct {
	MaxConnectionsPercent     int
	MaxIdleConnectionsPercent int
	ConnectionBorrowTimeout   int
}

type xmlTargetGroup struct {
	DBProxyName          string
	TargetGroupName      string
	TargetGroupArn       string
	IsDefault            bool
	Status               string
	ConnectionPoolConfig xmlPoolConfig
	CreatedDate          string
	UpdatedDate          string
}

type xmlTargetHealth struct {
	State       string
	Reason      string `xml:"Reason,omitempty"`
	Description string `xml:"Description,omitempty"`
}

type xmlTarget struct {
	TargetArn        string `xml:"TargetArn,omitempty"`
	Endpoint         string `xml:"Endpoint,omitempty"`
	TrackedClusterID string `xml:"TrackedClusterId,omitempty"`
	RdsResourceID    string `xml:"RdsResourceId"`
	Port             int
	Type             string
	Role             string `xml:"Role,omitempty"`
	TargetHealth     xmlTargetHealth
}

type xmlSwitchoverDetail struct {
	SourceMember string
	TargetMember string `xml:"TargetMember,omitempty"`
	Status       string `xml:"Status,omitempty"`
}

type xmlTask struct {
	Name   string
	Status string
}

type xmlTag struct {
	Key   string
	Value string
}

type xmlDeployment struct {
	BlueGreenDeploymentIdentifier string
	BlueGreenDeploymentName       string
	Source                        string
	Target                        string                `xml:"Target,omitempty"`
	SwitchoverDetails             []xmlSwitchoverDetail `xml:"SwitchoverDetails>member"`
	Tasks                         []xmlTask             `xml:"Tasks>member"`
	Status                        string
	StatusDetails                 string `xml:"StatusDetails,omitempty"`
	CreateTime                    string
	DeleteTime                    string   `xml:"DeleteTime,omitempty"`
	TagList                       []xmlTag `xml:"TagList>Tag"`
}

type xmlUpgradeTarget struct {
	Engine                string
	EngineVersion         string
	Description           string
	AutoUpgrade           bool
	IsMajorVersionUpgrade bool
}

type xmlEngineVersion struct {
	Engine                     string
	EngineVersion              string
	MajorEngineVersion         string
	DBParameterGroupFamily     string
	DBEngineDescription        string
	DBEngineVersionDescription string
	Status                     string
	ValidUpgradeTarget         []xmlUpgradeTarget `xml:"ValidUpgradeTarget>UpgradeTarget"`
}

type xmlParameter struct {
	ParameterName  string
	ParameterValue string `xml:"ParameterValue,omitempty"`
	Description    string
	Source         string
	ApplyType      string
	DataType       string
	IsModifiable   bool
	ApplyMethod    string `xml:"ApplyMethod,omitempty"`
}

// ---- operation results ----

type instancesResult struct {
	DBInstances struct {
		Items []xmlInstance `xml:"DBInstance"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type clustersResult struct {
	DBClusters struct {
		Items []xmlCluster `xml:"DBCluster"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type instanceResult struct {
	DBInstance xmlInstance
}

type clusterResult struct {
	DBCluster xmlCluster
}

type snapshotResult struct {
	DBSnapshot xmlSnapshot
}

type clusterSnapshotResult struct {
	DBClusterSnapshot xmlClusterSnapshot
}

type snapshotsResult struct {
	DBSnapshots struct {
		Items []xmlSnapshot `xml:"DBSnapshot"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type clusterSnapshotsResult struct {
	DBClusterSnapshots struct {
		Items []xmlClusterSnapshot `xml:"DBClusterSnapshot"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type proxiesResult struct {
	DBProxies struct {
		Items []xmlProxy `xml:"member"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type targetGroupsResult struct {
	TargetGroups struct {
		Items []xmlTargetGroup `xml:"member"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type targetsResult struct {
	Targets struct {
		Items []xmlTarget `xml:"member"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type registerResult struct {
	DBProxyTargets struct {
		Items []xmlTarget `xml:"member"`
	}
}

type deploymentResult struct {
	BlueGreenDeployment xmlDeployment
}

type deploymentsResult struct {
	BlueGreenDeployments struct {
		Items []xmlDeployment `xml:"member"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type engineVersionsResult struct {
	DBEngineVersions struct {
		Items []xmlEngineVersion `xml:"DBEngineVersion"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type parametersResult struct {
	Parameters struct {
		Items []xmlParameter `xml:"Parameter"`
	}
	Marker string `xml:"Marker,omitempty"`
}

type callerIdentityResult struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}
