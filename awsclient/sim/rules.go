package sim

import (
	"fmt"
	"sort"
)

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

// policyDenies answers AccessDenied for an RDS action outside allowed, as
// IAM does for an identity whose policy does not grant it.
func (s *Simulator) policyDenies(allowed []string, op string) *apiError {
	service := "rds"
	if op == opGetMetricData {
		service = "cloudwatch" // the CloudWatch endpoint (metrics.go)
	} else if desc, known := s.ops[op]; !known || desc.sts {
		return nil // unknown actions get InvalidAction; STS needs no permission
	}
	for _, a := range allowed {
		if a == op || a == service+":"+op || a == service+":*" || a == "*" {
			return nil
		}
	}
	return &apiError{Code: "AccessDenied", Status: 403, Message: fmt.Sprintf(
		"User: arn:aws:sts::%s:assumed-role/rdsbg-operator/session is not authorized to perform: %s:%s because no identity-based policy allows the %s:%s action",
		s.st.Account, service, op, service, op)}
}

// proxyGuardrail is the native regime's extra switchover check: a proxy
// that fronts blue must be able to reach both environments, else the
// switchover is refused (rds-facts §4.2, §5.4). In the model the proxy
// always can, unless a ProxyUnreachable fault says otherwise.
func (s *Simulator) proxyGuardrail(d *Deployment) *apiError {
	if !s.st.nativeCovers(d.SourceResourceID) {
		return nil
	}
	proxies := s.st.registeredProxies(d.SourceResourceID)
	if len(proxies) == 0 {
		return nil
	}
	for _, f := range s.faults {
		if f.ProxyUnreachable && s.faultWindowOpen(f) {
			s.stats.ModelFaults++
			blue, green := s.deploymentNames(d)
			return fail(codeInvalidDeploymentState, "Switchover of blue/green deployment %s is not allowed: RDS Proxy %s can't reach both the blue environment (%s) and the green environment (%s).", d.ID, proxies[0].Name, blue, green)
		}
	}
	return nil
}

// ReadOnlyPath answers ReadOnly as a JSON array: what no RDS API shows.
const ReadOnlyPath = "/_sim/read-only"

// ReadOnly names the DB instances and clusters that refuse writes: green
// before a switchover, old blue after it (rds-facts §4.1, §4.4), sorted.
func (s *Simulator) ReadOnly() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.clock.Now())
	out := []string{}
	for _, c := range s.st.Clusters {
		if c.ReadOnly {
			out = append(out, c.ID)
		}
	}
	for _, in := range s.st.Instances {
		if in.ReadOnly {
			out = append(out, in.ID)
		}
	}
	sort.Strings(out)
	return out
}
