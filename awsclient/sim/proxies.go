package sim

import (
	"net/url"
	"strings"
	"time"
)

const defaultTargetGroup = "default"

// health is a registration's TargetHealth at now: REGISTERING, then
// UNAVAILABLE (PENDING_PROXY_CAPACITY), then AVAILABLE (rds-facts §1.10).
func health(r *ProxyRegistration, now time.Time) xmlTargetHealth {
	switch {
	case now.Before(r.RegisteringUntil):
		return xmlTargetHealth{State: "REGISTERING"}
	case now.Before(r.AvailableAt):
		return xmlTargetHealth{State: "UNAVAILABLE", Reason: "PENDING_PROXY_CAPACITY", Description: "DBProxy Target is waiting for proxy to scale to desired capacity"}
	}
	return xmlTargetHealth{State: "AVAILABLE"}
}

// newRegistration starts a registration: REGISTERING for the first third
// of Timings.TargetRegister, AVAILABLE at its end.
func (s *Simulator) newRegistration(res string, cluster bool, now time.Time) *ProxyRegistration {
	return &ProxyRegistration{ResourceID: res, Cluster: cluster,
		RegisteringUntil: now.Add(s.timings.TargetRegister / 3), AvailableAt: now.Add(s.timings.TargetRegister)}
}

// xmlTargets expands one registration into DescribeDBProxyTargets entries:
// one RDS_INSTANCE for an instance; TRACKED_CLUSTER plus one RDS_INSTANCE
// per member for an Aurora cluster.
func (s *Simulator) xmlTargets(r *ProxyRegistration, now time.Time) []xmlTarget {
	st := s.st
	h := health(r, now)
	if !r.Cluster {
		in := st.instanceByResource(r.ResourceID)
		if in == nil {
			return nil
		}
		return []xmlTarget{{TargetArn: st.instanceARN(in.ID), Endpoint: st.instanceEndpoint(in.ID), RdsResourceID: in.ID,
			Port: in.Port, Type: "RDS_INSTANCE", Role: "READ_WRITE", TargetHealth: h}}
	}
	c := st.clusterByResource(r.ResourceID)
	if c == nil {
		return nil
	}
	out := []xmlTarget{{TargetArn: st.clusterARN(c.ID), RdsResourceID: c.ID, Port: 0, Type: "TRACKED_CLUSTER", TargetHealth: h}}
	for _, m := range st.members(c) {
		role := "READ_ONLY"
		if m.Writer {
			role = "READ_WRITE"
		}
		out = append(out, xmlTarget{TargetArn: st.instanceARN(m.ID), Endpoint: st.instanceEndpoint(m.ID), TrackedClusterID: c.ID,
			RdsResourceID: m.ID, Port: m.Port, Type: "RDS_INSTANCE", Role: role, TargetHealth: h})
	}
	return out
}

func (s *Simulator) xmlProxy(p *Proxy) xmlProxy {
	endpoint := p.Name + ".proxy-" + s.st.hash + "." + s.st.Region + ".rds.amazonaws.com"
	if addr := s.ProxyAddress(p.Name); addr != "" {
		endpoint = addr
	}
	return xmlProxy{DBProxyName: p.Name, DBProxyArn: s.st.proxyARN(p), Status: p.Status, EngineFamily: p.EngineFamily,
		VpcID: p.VpcID, VpcSecurityGroupIDs: []string{"sg-0c1d2e3f4a5b6c7d8"},
		VpcSubnetIDs: []string{"subnet-01a2b3c4d5e6f7a8b", "subnet-02b3c4d5e6f7a8b9c"},
		RoleArn:      "arn:aws:iam::" + s.st.Account + ":role/" + p.Name + "-secrets",
		Endpoint:     endpoint,
		Auth: []xmlProxyAuth{{AuthScheme: "SECRETS", SecretArn: s.proxySecretARN(p), IAMAuth: "DISABLED",
			ClientPasswordAuthType: clientPasswordAuth(p.EngineFamily), Description: "application credentials"}},
		RequireTLS: true, IdleClientTimeout: 1800, CreatedDate: ts(p.CreateTime), UpdatedDate: ts(p.CreateTime)}
}

// proxyAndGroup resolves DBProxyName and TargetGroupName (default only).
func (s *Simulator) proxyAndGroup(form url.Values) (*Proxy, *apiError) {
	name := form.Get("DBProxyName")
	if name == "" {
		return nil, missing("DBProxyName")
	}
	p := s.st.findProxy(name)
	if p == nil {
		return nil, fail(codeProxyNotFound, "DBProxy %s not found.", name)
	}
	if g := form.Get("TargetGroupName"); g != "" && !strings.EqualFold(g, defaultTargetGroup) {
		return nil, fail(codeTargetGroupNotFound, "DBProxyTargetGroup %s not found for DBProxy %s.", g, p.Name)
	}
	return p, nil
}

func (s *Simulator) describeDBProxies(c *call) (any, *apiError) {
	var items []xmlProxy
	if name := c.form.Get("DBProxyName"); name != "" {
		p := s.st.findProxy(name)
		if p == nil {
			return nil, fail(codeProxyNotFound, "DBProxy %s not found.", name)
		}
		items = append(items, s.xmlProxy(p))
	} else {
		for _, p := range s.st.Proxies {
			items = append(items, s.xmlProxy(p))
		}
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r proxiesResult
	r.DBProxies.Items = page
	r.Marker = marker
	return r, nil
}

func (s *Simulator) describeDBProxyTargetGroups(c *call) (any, *apiError) {
	p, err := s.proxyAndGroup(c.form)
	if err != nil {
		return nil, err
	}
	items := []xmlTargetGroup{{DBProxyName: p.Name, TargetGroupName: defaultTargetGroup,
		TargetGroupArn: "arn:aws:rds:" + s.st.Region + ":" + s.st.Account + ":target-group:" + p.TargetGroupSuffix,
		IsDefault:      true, Status: "available",
		ConnectionPoolConfig: xmlPoolConfig{MaxConnectionsPercent: 100, MaxIdleConnectionsPercent: 50, ConnectionBorrowTimeout: 120},
		CreatedDate:          ts(p.CreateTime), UpdatedDate: ts(p.CreateTime)}}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r targetGroupsResult
	r.TargetGroups.Items = page
	r.Marker = marker
	return r, nil
}

func (s *Simulator) describeDBProxyTargets(c *call) (any, *apiError) {
	p, err := s.proxyAndGroup(c.form)
	if err != nil {
		return nil, err
	}
	var items []xmlTarget
	sick := s.targetUnavailable()
	for _, r := range p.Targets {
		for _, t := range s.xmlTargets(r, c.now) {
			if sick != "" && t.TargetHealth.State == "AVAILABLE" {
				t.TargetHealth = unavailableHealth(sick)
			}
			items = append(items, t)
		}
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r targetsResult
	r.Targets.Items = page
	r.Marker = marker
	return r, nil
}

// registrationRef is one DB named in a Register/Deregister call.
type registrationRef struct {
	name     string
	res      string
	cluster  bool
	instance *Instance
	clust    *Cluster
}

// resolveRefs looks up DBInstanceIdentifiers and DBClusterIdentifiers.
func (s *Simulator) resolveRefs(form url.Values) ([]registrationRef, *apiError) {
	var refs []registrationRef
	for _, id := range list(form, "DBInstanceIdentifiers.member") {
		in := s.st.findInstance(id)
		if in == nil {
			return nil, instanceNotFound(id)
		}
		refs = append(refs, registrationRef{name: in.ID, res: in.ResourceID, instance: in})
	}
	for _, id := range list(form, "DBClusterIdentifiers.member") {
		cl := s.st.findCluster(id)
		if cl == nil {
			return nil, clusterNotFound(id)
		}
		refs = append(refs, registrationRef{name: cl.ID, res: cl.ResourceID, cluster: true, clust: cl})
	}
	return refs, nil
}

func registeredWith(p *Proxy, res string) *ProxyRegistration {
	for _, t := range p.Targets {
		if t.ResourceID == res {
			return t
		}
	}
	return nil
}

// proxyEngineFamily is the proxy family an engine belongs to.
func proxyEngineFamily(engine string) string {
	if strings.Contains(engine, "postgres") {
		return "POSTGRESQL"
	}
	if strings.Contains(engine, "sqlserver") {
		return "SQLSERVER"
	}
	return "MYSQL"
}

func (s *Simulator) registerDBProxyTargets(c *call) (any, *apiError) {
	p, err := s.proxyAndGroup(c.form)
	if err != nil {
		return nil, err
	}
	refs, err := s.resolveRefs(c.form)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, fail(codeInvalidParameterValue, "Specify DBInstanceIdentifiers or DBClusterIdentifiers to register.")
	}
	if len(refs) > 1 {
		return nil, fail(codeInvalidParameterValue, "A DB proxy target group can hold only one DB instance or DB cluster.")
	}
	ref := refs[0]
	if registeredWith(p, ref.res) != nil {
		if s.acceptsDuplicateRegistration() {
			reg := s.newRegistration(ref.res, ref.cluster, c.now)
			reg.RegisteringUntil, reg.AvailableAt = c.now, c.now // moto's targets are healthy at once
			p.Targets = append(p.Targets, reg)
			var r registerResult
			r.DBProxyTargets.Items = s.xmlTargets(reg, c.now)
			return r, nil
		}
		return nil, fail("DBProxyTargetAlreadyRegisteredFault", "%s is already registered with DBProxy %s.", ref.name, p.Name)
	}
	if len(p.Targets) > 0 {
		return nil, fail(codeInvalidParameterValue, "DBProxy %s already has a target; a proxy can front only one DB instance or DB cluster.", p.Name)
	}
	if ref.instance != nil {
		in := ref.instance
		if in.ClusterResourceID != "" {
			return nil, fail(codeInvalidParameterValue, "DB instance %s is a member of an Aurora DB cluster: register the cluster with DBClusterIdentifiers.", in.ID)
		}
		if in.ReplicaOf != "" {
			return nil, fail(codeInvalidInstanceState, "DB instance %s is a read replica; only a primary DB instance can be a proxy target.", in.ID)
		}
		if proxyEngineFamily(in.Engine) != p.EngineFamily {
			return nil, fail(codeInvalidParameterValue, "DB instance %s (engine %s) does not match the engine family %s of DBProxy %s.", in.ID, in.Engine, p.EngineFamily, p.Name)
		}
		switch in.Status {
		case "available", "modifying", "backing-up", "creating":
		default:
			return nil, fail(codeInvalidInstanceState, "DB instance %s is in an unsupported state - %s, needs to be in [AVAILABLE, MODIFYING, BACKING_UP, CREATING]", in.ID, strings.ToUpper(strings.ReplaceAll(in.Status, "-", "_")))
		}
	} else {
		cl := ref.clust
		if proxyEngineFamily(cl.Engine) != p.EngineFamily {
			return nil, fail(codeInvalidParameterValue, "DB cluster %s (engine %s) does not match the engine family %s of DBProxy %s.", cl.ID, cl.Engine, p.EngineFamily, p.Name)
		}
		if cl.Status != "available" && cl.Status != "modifying" && cl.Status != "backing-up" {
			return nil, fail(codeInvalidClusterState, "DB cluster %s is in an unsupported state - %s, needs to be in [AVAILABLE, MODIFYING, BACKING_UP]", cl.ID, strings.ToUpper(cl.Status))
		}
	}
	// Native regime: a DB that takes part in a deployment can no longer be
	// registered (rds-facts §5.4; the real code is undocumented).
	if s.st.nativeCovers(ref.res) {
		if d := s.st.activeDeploymentFor(ref.res); d != nil {
			code := s.opts.NativeRegisterRefusalCode
			if code == "" {
				code = codeInvalidInstanceState
				if ref.cluster {
					code = codeInvalidClusterState
				}
			}
			return nil, fail(code, "%s is part of blue/green deployment %s and can't be registered with a DB proxy: register the proxy target before creating the blue/green deployment.", ref.name, d.ID)
		}
	}
	if d := s.st.activeDeploymentFor(ref.res); d != nil && d.Status == bgProvisioning && s.refusesRegisterWhileProvisioning() {
		code := codeInvalidInstanceState
		if ref.cluster {
			code = codeInvalidClusterState
		}
		return nil, fail(code, "%s is part of blue/green deployment %s, which is provisioning, and can't be registered with a DB proxy now.", ref.name, d.ID)
	}
	reg := s.newRegistration(ref.res, ref.cluster, c.now)
	p.Targets = append(p.Targets, reg)
	var r registerResult
	r.DBProxyTargets.Items = s.xmlTargets(reg, c.now)
	return r, nil
}

func (s *Simulator) deregisterDBProxyTargets(c *call) (any, *apiError) {
	p, err := s.proxyAndGroup(c.form)
	if err != nil {
		return nil, err
	}
	refs, err := s.resolveRefs(c.form)
	if err != nil {
		// Deregistering something that does not exist is a missing target.
		if err.Code == codeInstanceNotFound || err.Code == codeClusterNotFound {
			return nil, fail("DBProxyTargetNotFoundFault", "%s", err.Message)
		}
		return nil, err
	}
	if len(refs) == 0 {
		return nil, fail(codeInvalidParameterValue, "Specify DBInstanceIdentifiers or DBClusterIdentifiers to deregister.")
	}
	for _, ref := range refs {
		if registeredWith(p, ref.res) == nil {
			return nil, fail("DBProxyTargetNotFoundFault", "%s is not registered with DBProxy %s.", ref.name, p.Name)
		}
	}
	for _, ref := range refs {
		kept := p.Targets[:0]
		for _, t := range p.Targets {
			if t.ResourceID != ref.res {
				kept = append(kept, t)
			}
		}
		p.Targets = kept
	}
	s.dropClients(p, c.now) // connection_drops.go
	return nil, nil
}

// nativeCovers says whether the native regime's proxy handling applies to
// the resource: never to an Aurora global database member, which AWS's
// native support excludes (rds-facts §5.4), so such a member behaves as in
// the legacy regime even in a native account (scenario fleet:N has both).
func (st *State) nativeCovers(res string) bool {
	if st.Regime != RegimeNative {
		return false
	}
	if c := st.clusterByResource(res); c != nil && c.GlobalClusterID != "" {
		return false
	}
	return true
}
