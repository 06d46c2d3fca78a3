package awsclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Conversions from SDK shapes to domain types. Absent fields become zero
// values; nothing here fails.

func toInstance(in rdstypes.DBInstance) Instance {
	out := Instance{
		ID:                  aws.ToString(in.DBInstanceIdentifier),
		ARN:                 aws.ToString(in.DBInstanceArn),
		ResourceID:          aws.ToString(in.DbiResourceId),
		Engine:              aws.ToString(in.Engine),
		EngineVersion:       aws.ToString(in.EngineVersion),
		Status:              aws.ToString(in.DBInstanceStatus),
		Class:               aws.ToString(in.DBInstanceClass),
		ClusterID:           aws.ToString(in.DBClusterIdentifier),
		ReplicaSourceID:     aws.ToString(in.ReadReplicaSourceDBInstanceIdentifier),
		ReplicaIDs:          append([]string(nil), in.ReadReplicaDBInstanceIdentifiers...),
		MultiAZ:             aws.ToBool(in.MultiAZ),
		BackupRetentionDays: int(aws.ToInt32(in.BackupRetentionPeriod)),
		DeletionProtection:  aws.ToBool(in.DeletionProtection),
		ManagedMasterSecret: in.MasterUserSecret != nil,
		StorageEncrypted:    aws.ToBool(in.StorageEncrypted),
		PercentProgress:     aws.ToString(in.PercentProgress),
		Port:                int(aws.ToInt32(in.DbInstancePort)),
	}
	for _, pg := range in.DBParameterGroups {
		out.ParameterGroups = append(out.ParameterGroups, ParameterGroupStatus{
			Name:        aws.ToString(pg.DBParameterGroupName),
			ApplyStatus: aws.ToString(pg.ParameterApplyStatus),
		})
	}
	for _, og := range in.OptionGroupMemberships {
		out.OptionGroups = append(out.OptionGroups, aws.ToString(og.OptionGroupName))
	}
	if in.Endpoint != nil {
		out.Endpoint = aws.ToString(in.Endpoint.Address)
		// The endpoint's port is the one clients use; DbInstancePort is only
		// set for Aurora members and is the fallback while no endpoint exists.
		if p := aws.ToInt32(in.Endpoint.Port); p != 0 {
			out.Port = int(p)
		}
	}
	return out
}

func toCluster(in rdstypes.DBCluster) Cluster {
	out := Cluster{
		ID:                  aws.ToString(in.DBClusterIdentifier),
		ARN:                 aws.ToString(in.DBClusterArn),
		ResourceID:          aws.ToString(in.DbClusterResourceId),
		Engine:              aws.ToString(in.Engine),
		EngineVersion:       aws.ToString(in.EngineVersion),
		EngineMode:          aws.ToString(in.EngineMode),
		Status:              aws.ToString(in.Status),
		ParameterGroup:      aws.ToString(in.DBClusterParameterGroup),
		GlobalClusterID:     aws.ToString(in.GlobalClusterIdentifier),
		ManagedMasterSecret: in.MasterUserSecret != nil,
		DeletionProtection:  aws.ToBool(in.DeletionProtection),
		BackupRetentionDays: int(aws.ToInt32(in.BackupRetentionPeriod)),
		Endpoint:            aws.ToString(in.Endpoint),
		ReaderEndpoint:      aws.ToString(in.ReaderEndpoint),
		CustomEndpoints:     append([]string(nil), in.CustomEndpoints...),
		StorageEncrypted:    aws.ToBool(in.StorageEncrypted),
	}
	for _, m := range in.DBClusterMembers {
		out.Members = append(out.Members, ClusterMember{
			InstanceID: aws.ToString(m.DBInstanceIdentifier),
			Writer:     aws.ToBool(m.IsClusterWriter),
		})
	}
	return out
}

func toProxy(in rdstypes.DBProxy) Proxy {
	return Proxy{
		Name:         aws.ToString(in.DBProxyName),
		ARN:          aws.ToString(in.DBProxyArn),
		Status:       string(in.Status),
		EngineFamily: aws.ToString(in.EngineFamily),
		Endpoint:     aws.ToString(in.Endpoint),
		VpcID:        aws.ToString(in.VpcId),
	}
}

func toTargetGroup(in rdstypes.DBProxyTargetGroup) TargetGroup {
	return TargetGroup{
		ProxyName: aws.ToString(in.DBProxyName),
		Name:      aws.ToString(in.TargetGroupName),
		ARN:       aws.ToString(in.TargetGroupArn),
		Status:    aws.ToString(in.Status),
		IsDefault: aws.ToBool(in.IsDefault),
	}
}

// toProxyTarget fills in ProxyName, which the API leaves out of targets.
func toProxyTarget(proxyName string, in rdstypes.DBProxyTarget) ProxyTarget {
	out := ProxyTarget{
		ProxyName:        proxyName,
		TargetARN:        aws.ToString(in.TargetArn),
		Type:             string(in.Type),
		RdsResourceID:    aws.ToString(in.RdsResourceId),
		TrackedClusterID: aws.ToString(in.TrackedClusterId),
		Endpoint:         aws.ToString(in.Endpoint),
		Port:             int(aws.ToInt32(in.Port)),
		Role:             string(in.Role),
	}
	if h := in.TargetHealth; h != nil {
		out.Health = TargetHealth{
			State:       string(h.State),
			Reason:      string(h.Reason),
			Description: aws.ToString(h.Description),
		}
	}
	return out
}

func toProxyTargets(proxyName string, in []rdstypes.DBProxyTarget) []ProxyTarget {
	out := make([]ProxyTarget, 0, len(in))
	for _, t := range in {
		out = append(out, toProxyTarget(proxyName, t))
	}
	return out
}

func toDeployment(in rdstypes.BlueGreenDeployment) Deployment {
	out := Deployment{
		ID:            aws.ToString(in.BlueGreenDeploymentIdentifier),
		Name:          aws.ToString(in.BlueGreenDeploymentName),
		Source:        aws.ToString(in.Source),
		Target:        aws.ToString(in.Target),
		Status:        aws.ToString(in.Status),
		StatusDetails: aws.ToString(in.StatusDetails),
		CreateTime:    aws.ToTime(in.CreateTime),
		DeleteTime:    aws.ToTime(in.DeleteTime),
		Tags:          tagMap(in.TagList),
	}
	for _, d := range in.SwitchoverDetails {
		out.Members = append(out.Members, SwitchoverMember{
			Source: aws.ToString(d.SourceMember),
			Target: aws.ToString(d.TargetMember),
			Status: aws.ToString(d.Status),
		})
	}
	for _, t := range in.Tasks {
		out.Tasks = append(out.Tasks, Task{Name: aws.ToString(t.Name), Status: aws.ToString(t.Status)})
	}
	return out
}

func toEngineVersion(in rdstypes.DBEngineVersion) EngineVersion {
	out := EngineVersion{
		Engine:  aws.ToString(in.Engine),
		Version: aws.ToString(in.EngineVersion),
		Major:   aws.ToString(in.MajorEngineVersion),
		Family:  aws.ToString(in.DBParameterGroupFamily),
		Status:  aws.ToString(in.Status),
	}
	for _, t := range in.ValidUpgradeTarget {
		out.UpgradeTargets = append(out.UpgradeTargets, UpgradeTarget{
			Engine:      aws.ToString(t.Engine),
			Version:     aws.ToString(t.EngineVersion),
			Description: aws.ToString(t.Description),
			Major:       aws.ToBool(t.IsMajorVersionUpgrade),
		})
	}
	return out
}

func toParameter(in rdstypes.Parameter) Parameter {
	return Parameter{
		Name:      aws.ToString(in.ParameterName),
		Value:     aws.ToString(in.ParameterValue),
		ApplyType: aws.ToString(in.ApplyType),
		Source:    aws.ToString(in.Source),
	}
}

func toInstanceSnapshot(in rdstypes.DBSnapshot) Snapshot {
	return Snapshot{
		ID:     aws.ToString(in.DBSnapshotIdentifier),
		ARN:    aws.ToString(in.DBSnapshotArn),
		Status: aws.ToString(in.Status),
	}
}

func toClusterSnapshot(in rdstypes.DBClusterSnapshot) Snapshot {
	return Snapshot{
		ID:     aws.ToString(in.DBClusterSnapshotIdentifier),
		ARN:    aws.ToString(in.DBClusterSnapshotArn),
		Status: aws.ToString(in.Status),
	}
}
