package sim

// Rules of AWS's documentation that the first model lacked (issue 15;
// docs/simulator.md "Differences fixed").

// blueUpgradeRefusal refuses an engine upgrade of a blue resource (the
// source of a deployment that has not switched over) to a version above
// green's: the blue/green limitations do not allow blue to be upgraded
// past green. res is the instance's or cluster's resource id.
func (s *Simulator) blueUpgradeRefusal(res, engine, current, to, kind, id string) *apiError {
	st := s.st
	d := st.activeDeploymentFor(res)
	if d == nil || d.Status == bgSwitchoverCompleted {
		return nil
	}
	for _, m := range d.Members {
		if m.Kind == "endpoint" || m.Source != res {
			continue
		}
		green := d.TargetEngineVersion
		if in := st.instanceByResource(m.Target); in != nil {
			green = in.EngineVersion
		} else if cl := st.clusterByResource(m.Target); cl != nil {
			green = cl.EngineVersion
		}
		if green == "" {
			green = current // green is not there yet: it will be a copy of blue
		}
		if above, _ := st.validUpgrade(engine, green, to); above {
			return fail(codeInvalidParameterCombination, "%s %s is the blue environment of blue/green deployment %s: it can't be upgraded to %s, above the green environment's %s.", kind, id, d.ID, to, green)
		}
	}
	return nil
}

// replicaUpgradeRule returns the instances an engine upgrade of in
// changes. RDS for PostgreSQL upgrades the in-Region read replicas with
// their primary; RDS for MySQL and MariaDB do not: a major upgrade of a
// primary is refused while one of its replicas still runs an older major
// version (upgrade the replicas first), and a minor upgrade leaves them as
// they are.
func (s *Simulator) replicaUpgradeRule(in *Instance, to string, major bool) ([]*Instance, *apiError) {
	replicas := s.st.replicas(in)
	if in.Engine == "postgres" {
		return append([]*Instance{in}, replicas...), nil
	}
	if major {
		want := ""
		if ev := s.st.findEngine(in.Engine, to); ev != nil {
			want = ev.Major
		}
		for _, r := range replicas {
			ev := s.st.findEngine(r.Engine, r.EngineVersion)
			if ev != nil && ev.Major != want {
				return nil, fail(codeInvalidParameterCombination, "DB instance %s has read replica %s on %s %s: upgrade every read replica to %s before its source.", in.ID, r.ID, r.Engine, r.EngineVersion, to)
			}
		}
	}
	return []*Instance{in}, nil
}

// liftOldBlueGuard makes the old blue cluster and its instances writable:
// what deleting an Aurora deployment after its switchover does.
func (s *Simulator) liftOldBlueGuard(d *Deployment) {
	for _, m := range d.Members {
		if in := s.st.instanceByResource(m.Source); in != nil {
			in.ReadOnly = false
		}
		if cl := s.st.clusterByResource(m.Source); cl != nil {
			cl.ReadOnly = false
		}
	}
}
