package sim

import (
	"strings"
	"time"
)

func (s *Simulator) findSnapshot(id string, cluster bool) *Snapshot {
	for _, sn := range s.st.Snapshots {
		if sn.Cluster == cluster && strings.EqualFold(sn.ID, id) {
			return sn
		}
	}
	return nil
}

// addSnapshot records a manual snapshot: creating, then available after
// Timings.Snapshot.
func (s *Simulator) addSnapshot(id string, cluster bool, source, engine, version string, now time.Time) *Snapshot {
	sn := &Snapshot{ID: id, Cluster: cluster, SourceID: source, Engine: engine, Version: version, Status: "creating", CreateTime: now}
	s.st.Snapshots = append(s.st.Snapshots, sn)
	s.schedule(now.Add(s.timings.Snapshot), func(time.Time) { sn.Status = "available" })
	return sn
}

func (s *Simulator) xmlSnapshot(sn *Snapshot) xmlSnapshot {
	return xmlSnapshot{DBSnapshotIdentifier: sn.ID, DBInstanceIdentifier: sn.SourceID,
		DBSnapshotArn:      "arn:aws:rds:" + s.st.Region + ":" + s.st.Account + ":snapshot:" + sn.ID,
		SnapshotCreateTime: ts(sn.CreateTime), Engine: sn.Engine, EngineVersion: sn.Version, Status: sn.Status,
		SnapshotType: "manual", PercentProgress: snapshotProgress(sn)}
}

func (s *Simulator) xmlClusterSnapshot(sn *Snapshot) xmlClusterSnapshot {
	return xmlClusterSnapshot{DBClusterSnapshotIdentifier: sn.ID, DBClusterIdentifier: sn.SourceID,
		DBClusterSnapshotArn: "arn:aws:rds:" + s.st.Region + ":" + s.st.Account + ":cluster-snapshot:" + sn.ID,
		SnapshotCreateTime:   ts(sn.CreateTime), Engine: sn.Engine, EngineVersion: sn.Version, Status: sn.Status,
		SnapshotType: "manual", PercentProgress: snapshotProgress(sn)}
}

func snapshotProgress(sn *Snapshot) int {
	if sn.Status == "available" {
		return 100
	}
	return 0
}

// validSnapshotID applies RDS's identifier rule: 1–255 letters, digits and
// hyphens, starting with a letter, no double or trailing hyphen.
func validSnapshotID(id string) bool {
	if id == "" || len(id) > 255 || !isLetter(id[0]) || strings.HasSuffix(id, "-") || strings.Contains(id, "--") {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isLetter(id[i]) && !isDigit(id[i]) && id[i] != '-' {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }

func (s *Simulator) createDBSnapshot(c *call) (any, *apiError) {
	id, src := c.form.Get("DBSnapshotIdentifier"), c.form.Get("DBInstanceIdentifier")
	if id == "" {
		return nil, missing("DBSnapshotIdentifier")
	}
	if src == "" {
		return nil, missing("DBInstanceIdentifier")
	}
	if !validSnapshotID(id) {
		return nil, fail(codeInvalidParameterValue, "The parameter DBSnapshotIdentifier is not a valid identifier: %s", id)
	}
	in := s.st.findInstance(src)
	if in == nil {
		return nil, instanceNotFound(src)
	}
	if in.ClusterResourceID != "" {
		return nil, fail(codeInvalidParameterValue, "The specified instance is a member of a cluster; snapshot the DB cluster instead.")
	}
	if in.Status != "available" {
		return nil, fail(codeInvalidInstanceState, "Cannot create a snapshot because the database instance %s is not currently in the available state.", in.ID)
	}
	if s.findSnapshot(id, false) != nil {
		return nil, fail("DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier %s already exists.", id)
	}
	sn := s.addSnapshot(id, false, in.ID, in.Engine, in.EngineVersion, c.now)
	return snapshotResult{DBSnapshot: s.xmlSnapshot(sn)}, nil
}

func (s *Simulator) createDBClusterSnapshot(c *call) (any, *apiError) {
	id, src := c.form.Get("DBClusterSnapshotIdentifier"), c.form.Get("DBClusterIdentifier")
	if id == "" {
		return nil, missing("DBClusterSnapshotIdentifier")
	}
	if src == "" {
		return nil, missing("DBClusterIdentifier")
	}
	if !validSnapshotID(id) {
		return nil, fail(codeInvalidParameterValue, "The parameter DBClusterSnapshotIdentifier is not a valid identifier: %s", id)
	}
	cl := s.st.findCluster(src)
	if cl == nil {
		return nil, clusterNotFound(src)
	}
	if cl.Status != "available" {
		return nil, fail(codeInvalidClusterState, "DBCluster %s is not in available state.", cl.ID)
	}
	if s.findSnapshot(id, true) != nil {
		return nil, fail("DBClusterSnapshotAlreadyExistsFault", "Cannot create the cluster snapshot because one with the identifier %s already exists.", id)
	}
	sn := s.addSnapshot(id, true, cl.ID, cl.Engine, cl.EngineVersion, c.now)
	return clusterSnapshotResult{DBClusterSnapshot: s.xmlClusterSnapshot(sn)}, nil
}

func (s *Simulator) describeDBSnapshots(c *call) (any, *apiError) {
	id, src := c.form.Get("DBSnapshotIdentifier"), c.form.Get("DBInstanceIdentifier")
	var items []xmlSnapshot
	for _, sn := range s.st.Snapshots {
		if sn.Cluster || (id != "" && !strings.EqualFold(sn.ID, id)) || (src != "" && !strings.EqualFold(sn.SourceID, src)) {
			continue
		}
		items = append(items, s.xmlSnapshot(sn))
	}
	if id != "" && len(items) == 0 {
		return nil, fail("DBSnapshotNotFound", "DBSnapshot %s not found.", id)
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r snapshotsResult
	r.DBSnapshots.Items = page
	r.Marker = marker
	return r, nil
}

func (s *Simulator) describeDBClusterSnapshots(c *call) (any, *apiError) {
	id, src := c.form.Get("DBClusterSnapshotIdentifier"), c.form.Get("DBClusterIdentifier")
	var items []xmlClusterSnapshot
	for _, sn := range s.st.Snapshots {
		if !sn.Cluster || (id != "" && !strings.EqualFold(sn.ID, id)) || (src != "" && !strings.EqualFold(sn.SourceID, src)) {
			continue
		}
		items = append(items, s.xmlClusterSnapshot(sn))
	}
	if id != "" && len(items) == 0 {
		return nil, fail("DBClusterSnapshotNotFoundFault", "DBClusterSnapshot %s not found.", id)
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r clusterSnapshotsResult
	r.DBClusterSnapshots.Items = page
	r.Marker = marker
	return r, nil
}
