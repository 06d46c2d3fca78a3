package sim

import (
	"sort"
	"strings"
	"time"
)

// ---- output conversion ----

func (s *Simulator) xmlInstance(in *Instance) xmlInstance {
	st := s.st
	x := xmlInstance{
		DBInstanceIdentifier: in.ID, DBInstanceArn: st.instanceARN(in.ID), DbiResourceID: in.ResourceID,
		DBInstanceClass: in.Class, Engine: in.Engine, EngineVersion: in.EngineVersion, DBInstanceStatus: in.Status,
		MasterUsername: "dbadmin", AllocatedStorage: in.AllocatedStorage, InstanceCreateTime: ts(in.CreateTime),
		BackupRetentionPeriod: in.BackupRetentionDays, MultiAZ: in.MultiAZ, AutoMinorVersionUpgrade: true,
		StorageEncrypted: in.StorageEncrypted, DeletionProtection: in.DeletionProtection, StorageType: in.StorageType,
		Iops: in.Iops, StorageThroughput: in.StorageThroughput,
	}
	if x.StorageType == "" {
		x.StorageType = "gp3"
	}
	if in.Status != "creating" {
		x.Endpoint = &xmlEndpoint{Address: st.instanceEndpoint(in.ID), Port: in.Port, HostedZoneID: "Z2R2ITUGPM61AM"}
		if host, port, ok := s.boundEndpoint(in.ResourceID); ok {
			x.Endpoint.Address, x.Endpoint.Port = host, port // a real database stands in (forward.go)
		}
	}
	if in.StorageEncrypted {
		x.KmsKeyID = "arn:aws:kms:" + st.Region + ":" + st.Account + ":key/0d4e5f6a-1b2c-4d3e-8f9a-0b1c2d3e4f5a"
	}
	if in.ClusterResourceID != "" {
		if c := st.clusterByResource(in.ClusterResourceID); c != nil {
			x.DBClusterIdentifier = c.ID
		}
		tier := 1
		x.PromotionTier = &tier
	}
	if in.ReplicaOf != "" {
		if src := st.instanceByResource(in.ReplicaOf); src != nil {
			x.ReadReplicaSourceDBInstanceIdentifier = src.ID
		}
	}
	for _, r := range st.replicas(in) {
		x.ReadReplicaDBInstanceIdentifiers = append(x.ReadReplicaDBInstanceIdentifiers, r.ID)
	}
	if in.ParameterGroup != "" {
		status := in.ParameterApplyStatus
		if status == "" {
			status = "in-sync"
		}
		x.DBParameterGroups = []xmlParamGroupStatus{{DBParameterGroupName: in.ParameterGroup, ParameterApplyStatus: status}}
	}
	if in.OptionGroup != "" {
		x.OptionGroupMemberships = []xmlOptionGroupMembership{{OptionGroupName: in.OptionGroup, Status: "in-sync"}}
	}
	if in.PendingEngineVersion != "" {
		x.PendingModifiedValues = &xmlPending{EngineVersion: in.PendingEngineVersion}
	}
	if in.ManagedMasterSecret {
		x.MasterUserSecret = &xmlSecret{SecretArn: "arn:aws:secretsmanager:" + st.Region + ":" + st.Account + ":secret:rds!db-" + strings.ToLower(in.ResourceID), SecretStatus: "active"}
	}
	x.TagList = s.xmlTags(in)
	return x
}

func (s *Simulator) xmlCluster(c *Cluster) xmlCluster {
	st := s.st
	x := xmlCluster{
		DBClusterIdentifier: c.ID, DBClusterArn: st.clusterARN(c.ID), DbClusterResourceID: c.ResourceID,
		Engine: c.Engine, EngineVersion: c.EngineVersion, EngineMode: "provisioned", Status: c.Status,
		Endpoint: st.clusterEndpoint(c.ID, "cluster"), ReaderEndpoint: st.clusterEndpoint(c.ID, "cluster-ro"),
		Port: c.Port, DBClusterParameterGroup: c.ParameterGroup, GlobalClusterIdentifier: c.GlobalClusterID,
		BackupRetentionPeriod: c.BackupRetentionDays, StorageEncrypted: c.StorageEncrypted,
		DeletionProtection: c.DeletionProtection, ClusterCreateTime: ts(c.CreateTime),
	}
	if host, port, ok := s.boundEndpoint(c.ResourceID); ok {
		x.Endpoint, x.Port = host, port // a real database stands in (forward.go)
	}
	for _, ep := range c.CustomEndpoints {
		x.CustomEndpoints = append(x.CustomEndpoints, st.clusterEndpoint(ep, "cluster-custom"))
	}
	members := st.members(c)
	x.MultiAZ = len(members) > 1
	for _, m := range members {
		x.DBClusterMembers = append(x.DBClusterMembers, xmlClusterMember{DBInstanceIdentifier: m.ID, IsClusterWriter: m.Writer,
			DBClusterParameterGroupStatus: "in-sync", PromotionTier: 1})
	}
	if c.ManagedMasterSecret {
		x.MasterUserSecret = &xmlSecret{SecretArn: "arn:aws:secretsmanager:" + st.Region + ":" + st.Account + ":secret:rds!cluster-" + strings.ToLower(c.ResourceID), SecretStatus: "active"}
	}
	x.TagList = s.xmlTags(c)
	return x
}

func sortedInstances(in []*Instance) []*Instance {
	out := append([]*Instance(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func sortedClusters(in []*Cluster) []*Cluster {
	out := append([]*Cluster(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ---- describe ----

func (s *Simulator) describeDBInstances(c *call) (any, *apiError) {
	id := c.form.Get("DBInstanceIdentifier")
	var items []xmlInstance
	f, ferr := filtersFor(c.form, "db-cluster-id", "db-instance-id", "dbi-resource-id", "domain", "engine")
	if ferr != nil {
		return nil, ferr
	}
	// No simulated resource belongs to a directory domain or a clone group.
	_, none := f["domain"]
	if _, ok := f["clone-group-id"]; ok {
		none = true
	}
	if id != "" {
		in := s.st.findInstance(id)
		if in == nil {
			return nil, instanceNotFound(id)
		}
		items = append(items, s.xmlInstance(in))
	} else {
		for _, in := range sortedInstances(s.st.Instances) {
			x := s.xmlInstance(in)
			if none {
				continue
			}
			if v, ok := f["db-instance-id"]; ok && !matchesAny(x.DBInstanceIdentifier, v) && !matchesAny(x.DBInstanceArn, v) {
				continue
			}
			if v, ok := f["db-cluster-id"]; ok && (x.DBClusterIdentifier == "" || !matchesAny(x.DBClusterIdentifier, v) && !matchesAny(s.st.clusterARN(x.DBClusterIdentifier), v)) {
				continue
			}
			if v, ok := f["dbi-resource-id"]; ok && !matchesAny(x.DbiResourceID, v) {
				continue
			}
			if v, ok := f["engine"]; ok && !matchesAny(x.Engine, v) {
				continue
			}
			items = append(items, x)
		}
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r instancesResult
	r.DBInstances.Items = page
	r.Marker = marker
	return r, nil
}

func (s *Simulator) describeDBClusters(c *call) (any, *apiError) {
	id := c.form.Get("DBClusterIdentifier")
	var items []xmlCluster
	f, ferr := filtersFor(c.form, "clone-group-id", "db-cluster-id", "db-cluster-resource-id", "domain", "engine")
	if ferr != nil {
		return nil, ferr
	}
	// No simulated resource belongs to a directory domain or a clone group.
	_, none := f["domain"]
	if _, ok := f["clone-group-id"]; ok {
		none = true
	}
	if id != "" {
		cl := s.st.findCluster(id)
		if cl == nil {
			return nil, clusterNotFound(id)
		}
		items = append(items, s.xmlCluster(cl))
	} else {
		for _, cl := range sortedClusters(s.st.Clusters) {
			x := s.xmlCluster(cl)
			if none {
				continue
			}
			if v, ok := f["db-cluster-id"]; ok && !matchesAny(x.DBClusterIdentifier, v) && !matchesAny(x.DBClusterArn, v) {
				continue
			}
			if v, ok := f["db-cluster-resource-id"]; ok && !matchesAny(x.DbClusterResourceID, v) {
				continue
			}
			if v, ok := f["engine"]; ok && !matchesAny(x.Engine, v) {
				continue
			}
			items = append(items, x)
		}
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r clustersResult
	r.DBClusters.Items = page
	r.Marker = marker
	return r, nil
}

// ---- modify ----

// inSwitchover reports whether res is part of a switchover in progress:
// RDS refuses to modify those (rds-facts §4.3).
func (st *State) inSwitchover(res string) bool {
	d := st.activeDeploymentFor(res)
	return d != nil && d.Status == "SWITCHOVER_IN_PROGRESS"
}

// checkUpgrade validates an engine version change and returns the version
// to apply ("" when unchanged) and whether it is a major upgrade.
func (st *State) checkUpgrade(engine, current, requested string, allowMajor bool) (string, bool, *apiError) {
	if requested == "" {
		return "", false, nil
	}
	to := st.resolveVersion(engine, requested)
	if to == current {
		return "", false, nil
	}
	ok, major := st.validUpgrade(engine, current, to)
	if !ok {
		return "", false, fail(codeInvalidParameterCombination, "Cannot upgrade %s from %s to %s", engine, current, requested)
	}
	if major && !allowMajor {
		return "", false, fail(codeInvalidParameterCombination, "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")
	}
	return to, major, nil
}

// checkGroupFamily validates that a parameter group exists and fits the
// engine version; it returns the group to use after the change.
func (st *State) checkGroupFamily(requested, current, engine, version string, cluster bool) (string, *apiError) {
	ev := st.findEngine(engine, version)
	if requested != "" {
		g := st.findParameterGroup(requested, cluster)
		if g == nil {
			if cluster {
				return "", fail(codeClusterParamGroupNotFound, "DBClusterParameterGroup not found: %s", requested)
			}
			return "", fail(codeParameterGroupNotFound, "DBParameterGroup not found: %s", requested)
		}
		if ev != nil && g.Family != ev.Family {
			return "", fail(codeInvalidParameterCombination, "The parameter group %s with DBParameterGroupFamily %s can't be used for this instance. Use a parameter group with DBParameterGroupFamily %s.", requested, g.Family, ev.Family)
		}
		return g.Name, nil
	}
	if ev == nil || current == "" {
		return current, nil
	}
	if g := st.findParameterGroup(current, cluster); g != nil && g.Family != ev.Family {
		// A major upgrade without a new group moves to the family's
		// default group, as RDS does for default groups.
		return "default." + ev.Family, nil
	}
	return current, nil
}

func (s *Simulator) modifyDBInstance(c *call) (any, *apiError) {
	id := c.form.Get("DBInstanceIdentifier")
	if id == "" {
		return nil, missing("DBInstanceIdentifier")
	}
	in := s.st.findInstance(id)
	if in == nil {
		return nil, instanceNotFound(id)
	}
	allowMajor, _, err := boolParam(c.form, "AllowMajorVersionUpgrade")
	if err != nil {
		return nil, err
	}
	applyNow, _, err := boolParam(c.form, "ApplyImmediately")
	if err != nil {
		return nil, err
	}
	protect, protectSet, err := boolParam(c.form, "DeletionProtection")
	if err != nil {
		return nil, err
	}
	if in.Status != "available" {
		return nil, fail(codeInvalidInstanceState, "Database instance is not in available state.")
	}
	if s.st.inSwitchover(in.ResourceID) || (in.ClusterResourceID != "" && s.st.inSwitchover(in.ClusterResourceID)) {
		return nil, fail(codeInvalidInstanceState, "DB instance %s is part of a blue/green switchover in progress and can't be modified.", in.ID)
	}
	requested := c.form.Get("EngineVersion")
	if requested != "" && in.ClusterResourceID != "" {
		return nil, fail(codeInvalidParameterCombination, "The engine version of an Aurora DB instance is set on its DB cluster: modify the cluster instead.")
	}
	to, major, err := s.st.checkUpgrade(in.Engine, in.EngineVersion, requested, allowMajor)
	if err != nil {
		return nil, err
	}
	var upgraded []*Instance
	if to != "" {
		if err := s.blueUpgradeRefusal(in.ResourceID, in.Engine, in.EngineVersion, to, "DB instance", in.ID); err != nil {
			return nil, err
		}
		if upgraded, err = s.replicaUpgradeRule(in, to, major); err != nil {
			return nil, err
		}
	}
	finalVersion := in.EngineVersion
	if to != "" {
		finalVersion = to
	}
	group, err := s.st.checkGroupFamily(c.form.Get("DBParameterGroupName"), in.ParameterGroup, in.Engine, finalVersion, false)
	if err != nil {
		return nil, err
	}
	if protectSet {
		in.DeletionProtection = protect
	}
	if to != "" && !applyNow {
		in.PendingEngineVersion = to
		return instanceResult{DBInstance: s.xmlInstance(in)}, nil
	}
	in.ParameterGroup = group
	if to != "" {
		for _, t := range upgraded {
			s.startUpgrade(t, to, c.now)
		}
	}
	return instanceResult{DBInstance: s.xmlInstance(in)}, nil
}

// startUpgrade puts an instance in "upgrading" and finishes the upgrade
// after Timings.Modify.
func (s *Simulator) startUpgrade(in *Instance, to string, now time.Time) {
	in.Status = "upgrading"
	in.PendingEngineVersion = ""
	s.schedule(now.Add(s.timings.Modify), func(time.Time) {
		if in.Status == "upgrading" {
			in.EngineVersion = to
			in.Status = "available"
		}
	})
}

func (s *Simulator) modifyDBCluster(c *call) (any, *apiError) {
	id := c.form.Get("DBClusterIdentifier")
	if id == "" {
		return nil, missing("DBClusterIdentifier")
	}
	cl := s.st.findCluster(id)
	if cl == nil {
		return nil, clusterNotFound(id)
	}
	allowMajor, _, err := boolParam(c.form, "AllowMajorVersionUpgrade")
	if err != nil {
		return nil, err
	}
	// ApplyImmediately is only validated: the simulator applies a cluster
	// engine upgrade at once either way, because rdsbg always asks for that.
	if _, _, err := boolParam(c.form, "ApplyImmediately"); err != nil {
		return nil, err
	}
	protect, protectSet, err := boolParam(c.form, "DeletionProtection")
	if err != nil {
		return nil, err
	}
	if cl.Status != "available" {
		return nil, fail(codeInvalidClusterState, "DBCluster %s is not in available state.", cl.ID)
	}
	if s.st.inSwitchover(cl.ResourceID) {
		return nil, fail(codeInvalidClusterState, "DBCluster %s is part of a blue/green switchover in progress and can't be modified.", cl.ID)
	}
	to, _, err := s.st.checkUpgrade(cl.Engine, cl.EngineVersion, c.form.Get("EngineVersion"), allowMajor)
	if err != nil {
		return nil, err
	}
	if to != "" {
		if err := s.blueUpgradeRefusal(cl.ResourceID, cl.Engine, cl.EngineVersion, to, "DB cluster", cl.ID); err != nil {
			return nil, err
		}
	}
	finalVersion := cl.EngineVersion
	if to != "" {
		finalVersion = to
	}
	clusterGroup, err := s.st.checkGroupFamily(c.form.Get("DBClusterParameterGroupName"), cl.ParameterGroup, cl.Engine, finalVersion, true)
	if err != nil {
		return nil, err
	}
	members := s.st.members(cl)
	instanceGroups := map[*Instance]string{}
	for _, m := range members {
		requested := ""
		if to != "" {
			// DBInstanceParameterGroupName only applies with a major upgrade.
			requested = c.form.Get("DBInstanceParameterGroupName")
		}
		g, err := s.st.checkGroupFamily(requested, m.ParameterGroup, m.Engine, finalVersion, false)
		if err != nil {
			return nil, err
		}
		instanceGroups[m] = g
	}
	if protectSet {
		cl.DeletionProtection = protect
	}
	cl.ParameterGroup = clusterGroup
	if to != "" {
		cl.Status = "upgrading"
		for _, m := range members {
			m.ParameterGroup = instanceGroups[m]
			m.Status = "upgrading"
		}
		s.schedule(c.now.Add(s.timings.Modify), func(time.Time) {
			if cl.Status != "upgrading" {
				return
			}
			cl.EngineVersion = to
			cl.Status = "available"
			for _, m := range s.st.members(cl) {
				if m.Status == "upgrading" {
					m.EngineVersion = to
					m.Status = "available"
				}
			}
		})
	}
	return clusterResult{DBCluster: s.xmlCluster(cl)}, nil
}

// ---- delete ----

// finalSnapshotRule checks that exactly one of SkipFinalSnapshot=true and
// FinalDBSnapshotIdentifier is given.
func finalSnapshotRule(c *call, snapParam string) (string, *apiError) {
	skip, _, err := boolParam(c.form, "SkipFinalSnapshot")
	if err != nil {
		return "", err
	}
	final := c.form.Get(snapParam)
	if skip == (final != "") {
		return "", fail(codeInvalidParameterCombination, "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is true, and must not be given when it is.")
	}
	return final, nil
}

func (s *Simulator) deleteDBInstance(c *call) (any, *apiError) {
	id := c.form.Get("DBInstanceIdentifier")
	if id == "" {
		return nil, missing("DBInstanceIdentifier")
	}
	in := s.st.findInstance(id)
	if in == nil {
		return nil, instanceNotFound(id)
	}
	final := ""
	if in.ClusterResourceID == "" {
		var err *apiError
		if final, err = finalSnapshotRule(c, "FinalDBSnapshotIdentifier"); err != nil {
			return nil, err
		}
	}
	if in.DeletionProtection {
		return nil, fail(codeInvalidParameterCombination, "Cannot delete protected DB Instance, please disable deletion protection and try again.")
	}
	if in.Status == "deleting" {
		return nil, fail(codeInvalidInstanceState, "DB instance %s is already being deleted.", in.ID)
	}
	if s.st.inSwitchover(in.ResourceID) {
		return nil, fail(codeInvalidInstanceState, "DB instance %s is part of a blue/green switchover in progress.", in.ID)
	}
	if final != "" {
		if s.findSnapshot(final, false) != nil {
			return nil, fail("DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier %s already exists.", final)
		}
		s.addSnapshot(final, false, in.ID, in.Engine, in.EngineVersion, c.now)
	}
	s.startInstanceDelete(in, c.now)
	return instanceResult{DBInstance: s.xmlInstance(in)}, nil
}

func (s *Simulator) startInstanceDelete(in *Instance, now time.Time) {
	in.Status = "deleting"
	s.schedule(now.Add(s.timings.InstanceDelete), func(at time.Time) {
		if in.Status == "deleting" {
			for _, p := range s.st.registeredProxies(in.ResourceID) {
				s.emitProxy(at, p, "RDS-EVENT-0214", "configuration change", "DB instance "+in.ID+" was deleted and removed from the target group of "+p.Name+".")
			}
			s.st.removeInstance(in)
			s.emitInstance(at, in.ID, "RDS-EVENT-0003", "deletion", "DB instance deleted")
		}
	})
}

func (s *Simulator) deleteDBCluster(c *call) (any, *apiError) {
	id := c.form.Get("DBClusterIdentifier")
	if id == "" {
		return nil, missing("DBClusterIdentifier")
	}
	cl := s.st.findCluster(id)
	if cl == nil {
		return nil, clusterNotFound(id)
	}
	final, err := finalSnapshotRule(c, "FinalDBSnapshotIdentifier")
	if err != nil {
		return nil, err
	}
	if cl.DeletionProtection {
		return nil, fail(codeInvalidParameterCombination, "Cannot delete protected Cluster, please disable deletion protection and try again.")
	}
	if s.liveMembers(cl) > 0 {
		return nil, fail(codeInvalidClusterState, "Cluster cannot be deleted, it still contains DB instances in non-deleting state.")
	}
	if cl.Status == "deleting" {
		return nil, fail(codeInvalidClusterState, "DBCluster %s is already being deleted.", cl.ID)
	}
	if final != "" {
		if s.findSnapshot(final, true) != nil {
			return nil, fail("DBClusterSnapshotAlreadyExistsFault", "Cannot create the cluster snapshot because one with the identifier %s already exists.", final)
		}
		s.addSnapshot(final, true, cl.ID, cl.Engine, cl.EngineVersion, c.now)
	}
	s.startClusterDelete(cl, c.now)
	return clusterResult{DBCluster: s.xmlCluster(cl)}, nil
}

func (s *Simulator) startClusterDelete(cl *Cluster, now time.Time) {
	cl.Status = "deleting"
	s.schedule(now.Add(s.timings.ClusterDelete), func(at time.Time) {
		if cl.Status != "deleting" {
			return
		}
		if len(s.st.members(cl)) > 0 {
			// Members still going away: try again once they are gone.
			s.startClusterDelete(cl, now.Add(s.timings.ClusterDelete))
			return
		}
		for _, p := range s.st.registeredProxies(cl.ResourceID) {
			s.emitProxy(at, p, "RDS-EVENT-0215", "configuration change", "DB cluster "+cl.ID+" was deleted and removed from the target group of "+p.Name+".")
		}
		s.st.removeCluster(cl)
		s.emitCluster(at, cl.ID, "RDS-EVENT-0171", "deletion", "DB cluster deleted")
	})
}

// liveMembers counts a cluster's instances that are not being deleted.
func (s *Simulator) liveMembers(cl *Cluster) int {
	n := 0
	for _, m := range s.st.members(cl) {
		if m.Status != "deleting" {
			n++
		}
	}
	return n
}
