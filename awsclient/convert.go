package awsclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Conversions from SDK shapes to domain types. Absent fields become zero
// values; nothing here fails. Every string passes Sanitize (sanitize.go).

// str is aws.ToString, sanitized.
func str(p *string) string { return Sanitize(aws.ToString(p)) }

// strs copies a list of strings, sanitized.
func strs(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = Sanitize(s)
	}
	return out
}

func toInstance(in rdstypes.DBInstance) Instance {
	out := Instance{
		ID:                  str(in.DBInstanceIdentifier),
		ARN:                 str(in.DBInstanceArn),
		ResourceID:          str(in.DbiResourceId),
		CreateTime:          aws.ToTime(in.InstanceCreateTime),
		Engine:              str(in.Engine),
		EngineVersion:       str(in.EngineVersion),
		Status:              str(in.DBInstanceStatus),
		Class:               str(in.DBInstanceClass),
		ClusterID:           str(in.DBClusterIdentifier),
		ReplicaSourceID:     str(in.ReadReplicaSourceDBInstanceIdentifier),
		ReplicaIDs:          strs(in.ReadReplicaDBInstanceIdentifiers),
		MultiAZ:             aws.ToBool(in.MultiAZ),
		BackupRetentionDays: int(aws.ToInt32(in.BackupRetentionPeriod)),
		DeletionProtection:  aws.ToBool(in.DeletionProtection),
		ManagedMasterSecret: in.MasterUserSecret != nil,
		StorageEncrypted:    aws.ToBool(in.StorageEncrypted),
		PercentProgress:     str(in.PercentProgress),
		Port:                int(aws.ToInt32(in.DbInstancePort)),
	}
	for _, pg := range in.DBParameterGroups {
		out.ParameterGroups = append(out.ParameterGroups, ParameterGroupStatus{
			Name:        str(pg.DBParameterGroupName),
			ApplyStatus: str(pg.ParameterApplyStatus),
		})
	}
	for _, og := range in.OptionGroupMemberships {
		out.OptionGroups = append(out.OptionGroups, str(og.OptionGroupName))
	}
	if in.Endpoint != nil {
		out.Endpoint = str(in.Endpoint.Address)
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
		ID:                  str(in.DBClusterIdentifier),
		ARN:                 str(in.DBClusterArn),
		ResourceID:          str(in.DbClusterResourceId),
		CreateTime:          aws.ToTime(in.ClusterCreateTime),
		Engine:              str(in.Engine),
		EngineVersion:       str(in.EngineVersion),
		EngineMode:          str(in.EngineMode),
		Status:              str(in.Status),
		ParameterGroup:      str(in.DBClusterParameterGroup),
		GlobalClusterID:     str(in.GlobalClusterIdentifier),
		ManagedMasterSecret: in.MasterUserSecret != nil,
		DeletionProtection:  aws.ToBool(in.DeletionProtection),
		BackupRetentionDays: int(aws.ToInt32(in.BackupRetentionPeriod)),
		Endpoint:            str(in.Endpoint),
		ReaderEndpoint:      str(in.ReaderEndpoint),
		CustomEndpoints:     strs(in.CustomEndpoints),
		StorageEncrypted:    aws.ToBool(in.StorageEncrypted),
	}
	for _, m := range in.DBClusterMembers {
		out.Members = append(out.Members, ClusterMember{
			InstanceID: str(m.DBInstanceIdentifier),
			Writer:     aws.ToBool(m.IsClusterWriter),
		})
	}
	return out
}

func toProxy(in rdstypes.DBProxy) Proxy {
	p := Proxy{
		Name:         str(in.DBProxyName),
		ARN:          str(in.DBProxyArn),
		Status:       Sanitize(string(in.Status)),
		EngineFamily: str(in.EngineFamily),
		Endpoint:     str(in.Endpoint),
		VpcID:        str(in.VpcId),
	}
	for _, a := range in.Auth {
		p.Auth = append(p.Auth, ProxyAuth{AuthScheme: string(a.AuthScheme), SecretARN: str(a.SecretArn), IAMAuth: string(a.IAMAuth), UserName: str(a.UserName)})
	}
	return p
}

func toTargetGroup(in rdstypes.DBProxyTargetGroup) TargetGroup {
	return TargetGroup{
		ProxyName: str(in.DBProxyName),
		Name:      str(in.TargetGroupName),
		ARN:       str(in.TargetGroupArn),
		Status:    str(in.Status),
		IsDefault: aws.ToBool(in.IsDefault),
	}
}

// toProxyTarget fills in ProxyName, which the API leaves out of targets.
func toProxyTarget(proxyName string, in rdstypes.DBProxyTarget) ProxyTarget {
	out := ProxyTarget{
		ProxyName:        proxyName,
		TargetARN:        str(in.TargetArn),
		Type:             Sanitize(string(in.Type)),
		RdsResourceID:    str(in.RdsResourceId),
		TrackedClusterID: str(in.TrackedClusterId),
		Endpoint:         str(in.Endpoint),
		Port:             int(aws.ToInt32(in.Port)),
		Role:             Sanitize(string(in.Role)),
	}
	if h := in.TargetHealth; h != nil {
		out.Health = TargetHealth{
			State:       Sanitize(string(h.State)),
			Reason:      Sanitize(string(h.Reason)),
			Description: str(h.Description),
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
		ID:            str(in.BlueGreenDeploymentIdentifier),
		Name:          str(in.BlueGreenDeploymentName),
		Source:        str(in.Source),
		Target:        str(in.Target),
		Status:        str(in.Status),
		StatusDetails: str(in.StatusDetails),
		CreateTime:    aws.ToTime(in.CreateTime),
		DeleteTime:    aws.ToTime(in.DeleteTime),
		Tags:          tagMap(in.TagList),
	}
	for _, d := range in.SwitchoverDetails {
		out.Members = append(out.Members, SwitchoverMember{
			Source: str(d.SourceMember),
			Target: str(d.TargetMember),
			Status: str(d.Status),
		})
	}
	for _, t := range in.Tasks {
		out.Tasks = append(out.Tasks, Task{Name: str(t.Name), Status: str(t.Status)})
	}
	return out
}

func toEngineVersion(in rdstypes.DBEngineVersion) EngineVersion {
	out := EngineVersion{
		Engine:  str(in.Engine),
		Version: str(in.EngineVersion),
		Major:   str(in.MajorEngineVersion),
		Family:  str(in.DBParameterGroupFamily),
		Status:  str(in.Status),
	}
	for _, t := range in.ValidUpgradeTarget {
		out.UpgradeTargets = append(out.UpgradeTargets, UpgradeTarget{
			Engine:      str(t.Engine),
			Version:     str(t.EngineVersion),
			Description: str(t.Description),
			Major:       aws.ToBool(t.IsMajorVersionUpgrade),
		})
	}
	return out
}

func toParameter(in rdstypes.Parameter) Parameter {
	return Parameter{
		Name:      str(in.ParameterName),
		Value:     str(in.ParameterValue),
		ApplyType: str(in.ApplyType),
		Source:    str(in.Source),
	}
}

func toInstanceSnapshot(in rdstypes.DBSnapshot) Snapshot {
	return Snapshot{
		ID:     str(in.DBSnapshotIdentifier),
		ARN:    str(in.DBSnapshotArn),
		Status: str(in.Status),
	}
}

func toClusterSnapshot(in rdstypes.DBClusterSnapshot) Snapshot {
	return Snapshot{
		ID:     str(in.DBClusterSnapshotIdentifier),
		ARN:    str(in.DBClusterSnapshotArn),
		Status: str(in.Status),
	}
}
