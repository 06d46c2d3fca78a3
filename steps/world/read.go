package world

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// API is the calls Read makes; *awsclient.Client implements it. Every
// one is a read.
type API interface {
	DescribeInstance(ctx context.Context, id string) (awsclient.Instance, error)
	ListInstances(ctx context.Context) ([]awsclient.Instance, error)
	DescribeCluster(ctx context.Context, id string) (awsclient.Cluster, error)
	ListClusters(ctx context.Context) ([]awsclient.Cluster, error)
	DescribeDeployment(ctx context.Context, id string) (awsclient.Deployment, error)
	ListDeployments(ctx context.Context, sourceARN string) ([]awsclient.Deployment, error)
	ListProxies(ctx context.Context) ([]awsclient.Proxy, error)
	DescribeProxyTargets(ctx context.Context, proxyName string) ([]awsclient.ProxyTarget, error)
	ListTagsForResource(ctx context.Context, arn string) (map[string]string, error)
}

// Query says what to read. The cheapest reads name the deployment and the
// proxies; a full read (Details, AllProxies, FindDeployment) finds them.
type Query struct {
	// Source is the production name: the --source identifier.
	Source string
	// Kind is instance or cluster ("" ⇒ instance, then cluster).
	Kind string
	// BlueResourceID is blue's DbiResourceId (DbClusterResourceId) as
	// discovered before the run changed anything: once the deployment
	// object is gone, a production resource with another id is the former
	// green. "" when not known.
	BlueResourceID string
	// BlueCreated is blue's creation time, read with BlueResourceID:
	// green is created later, so a production resource created at
	// another time is the former green even where resource ids do not
	// differ (moto gives every instance the same one). Zero when not known.
	BlueCreated time.Time
	// SwitchedSeen: an earlier read of AWS by the same run showed the
	// switchover completed. A switchover never reverts, so once the
	// deployment is gone the view keeps it even where production cannot
	// be read or resource ids cannot tell (the same run adopted the
	// deployment after the switchover, so its "blue" is the new primary).
	SwitchedSeen bool
	// DeploymentID reads that deployment; without it, FindDeployment lists
	// the deployments and takes the source's.
	DeploymentID   string
	FindDeployment bool
	// Proxies are read (their targets); AllProxies also lists every proxy
	// in the Region with its tags and keeps those of the topology.
	Proxies    []string
	AllProxies bool
	// Targets are proxies' targets the caller read moments ago (by proxy
	// name): used as they are instead of reading them again.
	Targets map[string][]awsclient.ProxyTarget
	// Details reads the production resource and every resource of the
	// topology with its version, status, class and parameter group (one
	// list of instances, and of clusters for a cluster source).
	Details bool
}

// Read builds the World for q. It never fails: what AWS did not answer is
// listed in World.Unknown and left out of the view. A not-found answer is
// an answer (a deleted deployment or proxy), not an unknown.
func Read(ctx context.Context, api API, q Query, now time.Time) World {
	w := World{At: now, Source: q.Source, Kind: q.Kind}
	if w.Kind == "" {
		w.Kind = KindInstance
	}
	r := reader{api: api, q: q, w: &w}
	if q.Details {
		r.production(ctx)
	}
	r.deployment(ctx)
	r.members()
	if !q.Details && w.DeploymentGone != "" && q.BlueResourceID != "" {
		// The deployment is gone: only production's resource id still
		// says whether it was switched over (one read, in this case only).
		r.production(ctx)
	}
	if q.SwitchedSeen && w.Deployment == nil {
		switched := true
		w.switched = &switched
		if p := w.Production(); p != nil {
			p.Role = RoleNewPrimary
		}
	} else if q.BlueResourceID != "" && w.Deployment == nil {
		// No deployment object to say it: the resource ids do.
		if p := w.Production(); p != nil && p.ResourceID != "" {
			switched := !strings.EqualFold(p.ResourceID, q.BlueResourceID) ||
				(!q.BlueCreated.IsZero() && !p.Created.IsZero() && !p.Created.Equal(q.BlueCreated))
			w.switched = &switched
			p.Role = w.ProductionRole()
		}
	}
	if q.Details {
		r.details(ctx)
	}
	r.proxies(ctx)
	return w
}

type reader struct {
	api      API
	q        Query
	w        *World
	replicas []string // production's read replicas or cluster members (blue or new primary)
}

// unknown records what could not be read and why: the words in Unknown,
// the error for Err (a caller retries what is transient).
func (r *reader) unknown(err error, format string, args ...any) {
	r.w.Unknown = append(r.w.Unknown, awsclient.Sanitize(fmt.Sprintf(format, args...)+": "+err.Error()))
	r.w.errs = append(r.w.errs, err)
}

func notFound(err error) bool { return err != nil && awsclient.Classify(err) == awsclient.KindNotFound }

// production reads the resource carrying the source's name.
func (r *reader) production(ctx context.Context) {
	q := r.q
	if q.Kind != KindCluster {
		in, err := r.api.DescribeInstance(ctx, q.Source)
		switch {
		case err == nil:
			r.w.Kind = KindInstance
			r.add(instanceResource(in), true)
			r.replicas = append(r.replicas, in.ReplicaIDs...)
			return
		case !notFound(err):
			r.unknown(err, "DB instance %s", q.Source)
			return
		case q.Kind == KindInstance:
			return // AWS has no instance of that name now (mid-rename, or deleted)
		}
	}
	cl, err := r.api.DescribeCluster(ctx, q.Source)
	switch {
	case err == nil:
		r.w.Kind = KindCluster
		r.add(clusterResource(cl), true)
		for _, m := range cl.Members {
			r.replicas = append(r.replicas, m.InstanceID)
		}
	case !notFound(err):
		r.unknown(err, "DB cluster %s", q.Source)
	}
}

// deployment reads the run's deployment, or finds the source's.
func (r *reader) deployment(ctx context.Context) {
	q := r.q
	switch {
	case q.DeploymentID != "":
		d, err := r.api.DescribeDeployment(ctx, q.DeploymentID)
		switch {
		case notFound(err):
			r.w.DeploymentGone = q.DeploymentID
		case err != nil:
			r.unknown(err, "deployment %s", q.DeploymentID)
		default:
			r.w.Deployment = newDeployment(d)
		}
	case q.FindDeployment:
		all, err := r.api.ListDeployments(ctx, "")
		if err != nil {
			r.unknown(err, "blue/green deployments")
			return
		}
		for _, d := range all {
			if !strings.EqualFold(lastField(d.Source), q.Source) && !strings.EqualFold(lastField(d.Target), q.Source) &&
				!strings.EqualFold(d.Tags[TagSource], q.Source) {
				continue
			}
			// AWS allows one deployment per source; one being deleted may
			// linger beside a new one, which wins.
			if r.w.Deployment == nil || r.w.Deployment.Phase == PhaseDeleting {
				r.w.Deployment = newDeployment(d)
			}
		}
	}
}

func newDeployment(d awsclient.Deployment) *Deployment {
	return &Deployment{Deployment: d, Phase: PhaseOf(d.Status), Owner: OwnerOf(d.Tags)}
}

// members adds the deployment's members with the role the phase gives
// them: before the switchover the source side is blue and the target side
// green; after it the source side is old blue (-oldN) and the target side
// production, the new primary.
func (r *reader) members() {
	d := r.w.Deployment
	if d == nil {
		return
	}
	after := d.Phase == PhaseAfter || (d.Phase == PhaseDeleting && deletingAfterSwitchover(d.Deployment))
	pairs := d.Members
	if len(pairs) == 0 && (d.Source != "" || d.Target != "") {
		pairs = []awsclient.SwitchoverMember{{Source: d.Source, Target: d.Target}}
	}
	for _, m := range pairs {
		for i, arn := range []string{m.Source, m.Target} {
			if arn == "" || !(strings.Contains(arn, ":db:") || strings.Contains(arn, ":cluster:")) {
				continue // custom endpoints are not resources of their own
			}
			role := RoleBlue
			switch {
			case after && i == 0:
				role = RoleOldBlue
			case after:
				role = RoleNewPrimary
			case i == 1:
				role = RoleGreen
			}
			id := lastField(arn)
			r.add(Resource{ID: id, Kind: kindOfARN(arn), ARN: arn, Role: role, Production: strings.EqualFold(id, r.q.Source) && kindOfARN(arn) == r.w.Kind}, false)
		}
	}
}

// add puts res in the view, or completes the entry of the same name with
// what res knows. A role res carries (the deployment's word for its
// member) wins over one derived from a name.
func (r *reader) add(res Resource, production bool) {
	explicit := res.Role != ""
	if !explicit {
		res.Role = r.roleOf(res.ID)
	}
	if cur := r.w.Resource(res.ID); cur != nil {
		role := cur.Role
		if explicit {
			role = res.Role
		}
		prod := cur.Production || res.Production || production
		mergeResource(cur, res)
		cur.Role, cur.Production = role, prod
		return
	}
	res.Production = res.Production || production
	r.w.Resources = append(r.w.Resources, res)
}

func mergeResource(dst *Resource, src Resource) {
	set := func(d *string, s string) {
		if s != "" {
			*d = s
		}
	}
	set(&dst.ARN, src.ARN)
	set(&dst.ResourceID, src.ResourceID)
	if !src.Created.IsZero() {
		dst.Created = src.Created
	}
	set(&dst.Engine, src.Engine)
	set(&dst.Version, src.Version)
	set(&dst.Status, src.Status)
	set(&dst.Class, src.Class)
	set(&dst.ParameterGroup, src.ParameterGroup)
	set(&dst.Kind, src.Kind)
}

// roleOf names a resource the deployment does not list: by its name
// (-oldN, -green-xxxxxx) or as production's own.
func (r *reader) roleOf(id string) Role {
	if res := r.w.Resource(id); res != nil && res.Role != "" {
		return res.Role
	}
	src := r.q.Source
	switch {
	case strings.EqualFold(id, src):
		return r.w.ProductionRole()
	case IsOldBlueName(src, id):
		return RoleOldBlue
	case IsGreenName(id) && strings.HasPrefix(strings.ToLower(id), strings.ToLower(src)):
		return RoleGreen
	}
	for _, rep := range r.replicas {
		if strings.EqualFold(rep, id) {
			return r.w.ProductionRole()
		}
	}
	for _, res := range r.w.Resources {
		// A replica's old or green copy is named after the replica.
		if res.Role != RoleOther && res.ID != "" && (IsOldBlueName(res.ID, id) || (IsGreenName(id) && strings.HasPrefix(strings.ToLower(id), strings.ToLower(res.ID)))) {
			if IsGreenName(id) {
				return RoleGreen
			}
			return RoleOldBlue
		}
	}
	return RoleOther
}

// details fills versions, statuses, classes and parameter groups of the
// topology from one list of instances (and of clusters), and adds the
// -oldN and -green- resources AWS still has by name.
func (r *reader) details(ctx context.Context) {
	instances, err := r.api.ListInstances(ctx)
	if err != nil {
		r.unknown(err, "DB instances")
	}
	var clusters []awsclient.Cluster
	if r.w.Kind == KindCluster {
		if clusters, err = r.api.ListClusters(ctx); err != nil {
			r.unknown(err, "DB clusters")
		}
	}
	for _, c := range clusters {
		if r.w.Resource(c.ID) != nil || r.roleOf(c.ID) != RoleOther {
			r.add(clusterResource(c), false)
		}
	}
	for _, in := range instances {
		if r.w.Resource(in.ID) != nil || r.roleOf(in.ID) != RoleOther || r.memberOfTopology(in) {
			r.add(instanceResource(in), false)
		}
	}
}

// memberOfTopology: an instance of one of the topology's clusters.
func (r *reader) memberOfTopology(in awsclient.Instance) bool {
	if in.ClusterID == "" {
		return false
	}
	c := r.w.Resource(in.ClusterID)
	return c != nil && c.Kind == KindCluster
}

// proxies reads the proxies asked for and, in a full read, every proxy of
// the Region that belongs to the topology.
func (r *reader) proxies(ctx context.Context) {
	asked := map[string]bool{}
	for _, n := range r.q.Proxies {
		asked[strings.ToLower(n)] = true
	}
	if d := r.w.Deployment; d != nil {
		for _, n := range d.Owner.Proxies {
			asked[strings.ToLower(n)] = true
		}
	}
	if !r.q.AllProxies {
		for _, n := range r.q.Proxies {
			r.w.Proxies = append(r.w.Proxies, r.proxy(ctx, awsclient.Proxy{Name: n}, false))
		}
		return
	}
	all, err := r.api.ListProxies(ctx)
	if err != nil {
		r.unknown(err, "RDS proxies")
		for _, n := range r.q.Proxies {
			r.w.Proxies = append(r.w.Proxies, Proxy{Name: n, Unread: "the list of proxies could not be read"})
		}
		return
	}
	listed := map[string]bool{}
	for _, p := range all {
		listed[strings.ToLower(p.Name)] = true
		px := r.proxy(ctx, p, true)
		if asked[strings.ToLower(p.Name)] || r.ofTopology(px) {
			r.w.Proxies = append(r.w.Proxies, px)
		}
	}
	for _, n := range r.q.Proxies {
		if !listed[strings.ToLower(n)] {
			r.w.Proxies = append(r.w.Proxies, Proxy{Name: n, Gone: true})
		}
	}
}

// ofTopology: a proxy that points at one of the topology's resources, or
// that rdsbg's tags tie to the source.
func (r *reader) ofTopology(p Proxy) bool {
	for _, reg := range p.Registrations {
		if reg.Role != RoleOther {
			return true
		}
	}
	if p.Detached != nil && strings.EqualFold(p.Detached.Source, r.q.Source) {
		return true
	}
	return false
}

func (r *reader) proxy(ctx context.Context, p awsclient.Proxy, tags bool) Proxy {
	out := Proxy{Name: p.Name, ARN: p.ARN, EngineFamily: p.EngineFamily, Status: p.Status}
	ts, known := r.q.Targets[p.Name]
	var err error
	if !known {
		ts, err = r.api.DescribeProxyTargets(ctx, p.Name)
	}
	switch {
	case notFound(err) && proxyGone(err):
		out.Gone = true
		return out
	case notFound(err):
		// No target group: it fronts nothing.
	case err != nil:
		out.Unread = awsclient.Sanitize(err.Error())
		r.unknown(err, "targets of proxy %s", p.Name)
	default:
		out.Registrations = r.registrations(ts)
	}
	if tags && p.ARN != "" {
		tv, err := r.api.ListTagsForResource(ctx, p.ARN)
		switch {
		case err != nil && !notFound(err):
			r.unknown(err, "tags of proxy %s", p.Name)
		case err == nil:
			if t, ok := ParseDetachedTag(tv[TagDetached]); ok {
				out.Detached = &t
			}
			if l, ok := ParseLease(tv[TagOwner]); ok {
				out.Lease = &l
			}
		}
	}
	return out
}

// proxyGone: the not-found is about the proxy itself, not its target group.
func proxyGone(err error) bool {
	info, ok := awsclient.Inspect(err)
	return !ok || !strings.Contains(info.Code, "TargetGroup")
}

// registrations groups a proxy's entries by the DB registered: a cluster's
// TRACKED_CLUSTER entry with its instance entries, an instance alone.
func (r *reader) registrations(ts []awsclient.ProxyTarget) []Registration {
	var out []Registration
	index := map[string]int{}
	for _, t := range ts {
		id, kind := t.RdsResourceID, KindInstance
		switch {
		case t.TrackedClusterID != "":
			id, kind = t.TrackedClusterID, KindCluster
		case t.Type == "TRACKED_CLUSTER":
			kind = KindCluster
		}
		key := strings.ToLower(id)
		i, ok := index[key]
		if !ok {
			out = append(out, Registration{Resource: id, Kind: kind, Role: r.roleOf(id),
				Production: strings.EqualFold(id, r.q.Source) && kind == r.w.Kind, Health: awsclient.TargetHealth{State: "AVAILABLE"}})
			i = len(out) - 1
			index[key] = i
		}
		reg := &out[i]
		reg.Targets = append(reg.Targets, t)
		if reg.Health.State == "AVAILABLE" && t.Health.State != "AVAILABLE" {
			reg.Health = t.Health
		}
	}
	return out
}

func instanceResource(in awsclient.Instance) Resource {
	res := Resource{ID: in.ID, Kind: KindInstance, ARN: in.ARN, ResourceID: in.ResourceID, Created: in.CreateTime, Engine: in.Engine, Version: in.EngineVersion, Status: in.Status, Class: in.Class}
	if len(in.ParameterGroups) > 0 {
		res.ParameterGroup = in.ParameterGroups[0].Name
	}
	return res
}

func clusterResource(c awsclient.Cluster) Resource {
	return Resource{ID: c.ID, Kind: KindCluster, ARN: c.ARN, ResourceID: c.ResourceID, Created: c.CreateTime, Engine: c.Engine, Version: c.EngineVersion, Status: c.Status, ParameterGroup: c.ParameterGroup}
}
