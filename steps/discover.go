package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
)

// Discovery is what AWS says about the source right now.
type Discovery struct {
	Source   Source              `json:"source"`
	Instance *awsclient.Instance `json:"instance,omitempty"` // RDS source (nil for Aurora)
	Cluster  *awsclient.Cluster  `json:"cluster,omitempty"`  // Aurora source
	// Members: RDS ⇒ the read replicas; Aurora ⇒ the member instances,
	// writer first.
	Members []awsclient.Instance `json:"members,omitempty"`
	// Proxies: every proxy whose default target group includes the source.
	Proxies   []ProxyRegistration `json:"proxies,omitempty"`
	ProxyInfo []awsclient.Proxy   `json:"proxy_info,omitempty"`
	// Deployments whose Source or Target is the source's ARN. After a
	// switchover the deployment's Target carries the production name (and
	// Source the -oldN one), so matching both finds a deployment in any
	// phase without guessing -oldN names.
	Deployments []awsclient.Deployment `json:"deployments,omitempty"`
	// DeploymentNames are the names of every deployment in the account
	// and Region: a default name that is taken gets a suffix (prepare.go).
	DeploymentNames []string           `json:"-"`
	Identity        awsclient.Identity `json:"identity"`
	// Detached: proxies tagged rdsbg:detached for the source (proxy_tags.go),
	// or empty and listed by rdsbg's deployment for the source. One with
	// no target is in Proxies too: it belongs to the topology.
	Detached []DetachedProxy `json:"detached_proxies,omitempty"`
	// Untrusted: empty proxies whose rdsbg:detached tag names the source
	// but does not agree with AWS (another engine family, not listed by
	// the source's deployment): said, never acted on.
	Untrusted []string `json:"untrusted_tags,omitempty"`
}

// Kinds of Source.
const (
	KindInstance = "instance"
	KindCluster  = "cluster"
)

// isNotFound is true for "no such resource" answers of any kind.
func isNotFound(err error) bool {
	return err != nil && awsclient.Classify(err) == awsclient.KindNotFound
}

// sourceRef is the --source value taken apart.
type sourceRef struct {
	ID   string
	Kind string // "" when an identifier does not say
}

// parseSource accepts an identifier or an RDS ARN of a DB instance or a
// DB cluster, and refuses ARNs of another Region, account or resource type.
// account may be empty when STS is unavailable; the check is then skipped.
func parseSource(input, region, account string) (sourceRef, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return sourceRef{}, SourceRequired()
	}
	if !strings.HasPrefix(s, "arn:") {
		if strings.ContainsAny(s, ":/ ") {
			return sourceRef{}, usageError(input, "%s is neither a DB identifier nor an RDS ARN: pass the identifier (e.g. orders-db) or arn:aws:rds:<region>:<account>:db:<id>", input)
		}
		return sourceRef{ID: s}, nil
	}
	a, ok := awsclient.ParseRDSARN(s)
	if !ok {
		return sourceRef{}, usageError(input, "%s is not an RDS DB instance or cluster ARN (expected arn:aws:rds:<region>:<account>:db:<id> or …:cluster:<id>)", input)
	}
	ref := sourceRef{ID: a.Name}
	switch a.Type {
	case "db":
		ref.Kind = KindInstance
	case "cluster":
		ref.Kind = KindCluster
	default:
		return sourceRef{}, usageError(input, "%s names an RDS %s, not a DB instance or cluster: pass the database's identifier or ARN", input, a.Type)
	}
	if region != "" && !strings.EqualFold(a.Region, region) {
		return sourceRef{}, usageError(input, "%s is in Region %s but rdsbg is talking to %s: pass --region %s", input, a.Region, region, a.Region)
	}
	if account != "" && a.Account != account {
		return sourceRef{}, usageError(input, "%s belongs to account %s but the credentials are for account %s: blue/green works within one account; use a profile for %s", input, a.Account, account, a.Account)
	}
	return ref, nil
}

// Discover reads the source, its replicas or members, the proxies in front
// of it and any existing deployment. Read-only. An input that is not a
// primary (read replica, Aurora member), is unknown, or is an ARN from
// elsewhere is refused with an *InputError naming it.
func Discover(ctx context.Context, api awsclient.API, source string) (Discovery, error) {
	var d Discovery
	ident, err := api.CallerIdentity(ctx)
	if err != nil {
		return d, fmt.Errorf("cannot resolve the AWS identity (sts get-caller-identity); check the profile and credentials: %w", err)
	}
	d.Identity = ident
	ref, err := parseSource(source, api.Region(), ident.Account)
	if err != nil {
		return d, err
	}

	if ref.Kind != KindCluster {
		inst, err := api.DescribeInstance(ctx, ref.ID)
		switch {
		case err == nil:
			if err := refuseNonPrimaryInstance(source, inst); err != nil {
				return d, err
			}
			if err := discoverInstance(ctx, api, &d, inst); err != nil {
				return d, err
			}
		case !isNotFound(err):
			return d, fmt.Errorf("describe DB instance %s: %w", ref.ID, err)
		case ref.Kind == KindInstance:
			return d, usageError(source, "DB instance %s not found in %s: run `rdsbg` to list the sources, or `aws rds describe-db-instances --region %s`", ref.ID, api.Region(), api.Region())
		}
	}
	if d.Source.ID == "" {
		cl, err := api.DescribeCluster(ctx, ref.ID)
		switch {
		case err == nil:
			if err := discoverCluster(ctx, api, &d, cl); err != nil {
				return d, err
			}
		case isNotFound(err) && ref.Kind == KindCluster:
			return d, usageError(source, "DB cluster %s not found in %s: run `rdsbg` to list the sources, or `aws rds describe-db-clusters --region %s`", ref.ID, api.Region(), api.Region())
		case isNotFound(err):
			return d, usageError(source, "%s is neither a DB instance nor a DB cluster in %s: run `rdsbg` to list the sources, or `aws rds describe-db-instances --region %s` and `aws rds describe-db-clusters --region %s`", source, api.Region(), api.Region(), api.Region())
		default:
			return d, fmt.Errorf("describe DB cluster %s: %w", ref.ID, err)
		}
	}
	d.Source.Region = api.Region()
	d.Source.Account = ident.Account

	// The deployments first: an rdsbg deployment's tags name the run's
	// proxies, which tells an emptied proxy of the topology from another
	// application's (discoverProxies).
	deps, err := api.ListDeployments(ctx, "")
	if err != nil {
		return d, fmt.Errorf("list blue/green deployments: %w", err)
	}
	for _, dep := range deps {
		d.DeploymentNames = append(d.DeploymentNames, dep.Name)
		if strings.EqualFold(dep.Source, d.Source.ARN) || strings.EqualFold(dep.Target, d.Source.ARN) {
			d.Deployments = append(d.Deployments, dep)
		}
	}
	if err := discoverProxies(ctx, api, &d); err != nil {
		return d, err
	}
	return d, nil
}

// rdsbgDeployment is the source's live deployment that rdsbg made (its
// rdsbg:source tag names the source), nil when there is none.
func (d Discovery) rdsbgDeployment() *awsclient.Deployment {
	for i := range d.Deployments {
		dep := &d.Deployments[i]
		if dep.Status != "DELETING" && strings.EqualFold(dep.Tags[TagSource], d.Source.ID) {
			return dep
		}
	}
	return nil
}

// proxyFamily is the RDS Proxy engine family an engine belongs to.
func proxyFamily(engine string) string {
	switch {
	case strings.Contains(engine, "postgres"):
		return "POSTGRESQL"
	case strings.Contains(engine, "sqlserver"):
		return "SQLSERVER"
	}
	return "MYSQL"
}

// trustDetachedTag says whether an rdsbg:detached tag naming the source
// is consistent with AWS (issue 20: a tag authorizes nothing by itself):
// the proxy is of the source's engine family, and when rdsbg's deployment
// for the source exists, that deployment lists the proxy and the tag's run
// is the deployment's. why says what does not match.
func (d Discovery) trustDetachedTag(p awsclient.Proxy, tag DetachedTag) (ok bool, why string) {
	if p.EngineFamily != "" && !strings.EqualFold(p.EngineFamily, proxyFamily(d.Source.Engine)) {
		return false, fmt.Sprintf("the proxy's engine family is %s, and %s runs %s", p.EngineFamily, d.Source.ID, d.Source.Engine)
	}
	if !strings.EqualFold(tag.Target, d.Source.ID) {
		return false, fmt.Sprintf("the tag says it served %s, not %s", tag.Target, d.Source.ID)
	}
	if dep := d.rdsbgDeployment(); dep != nil {
		listed := false
		for _, name := range strings.Fields(dep.Tags[TagProxies]) {
			listed = listed || strings.EqualFold(name, p.Name)
		}
		if !listed {
			return false, fmt.Sprintf("deployment %s, which rdsbg made for %s, lists its proxies as %q", dep.ID, d.Source.ID, dep.Tags[TagProxies])
		}
		if run := dep.Tags[TagRun]; run != "" && tag.Run != "" && run != tag.Run {
			return false, fmt.Sprintf("the tag names run %s, but deployment %s was made by run %s", tag.Run, dep.ID, run)
		}
	}
	return true, ""
}

// refuseNonPrimaryInstance turns a replica or an Aurora member into an
// input error that names the primary to pass instead.
func refuseNonPrimaryInstance(input string, inst awsclient.Instance) error {
	if inst.ClusterID != "" {
		return usageError(input, "%s is a member instance of DB cluster %s: pass --source %s", inst.ID, inst.ClusterID, inst.ClusterID)
	}
	if inst.ReplicaSourceID != "" {
		primary := inst.ReplicaSourceID
		if i := strings.LastIndex(primary, ":"); i >= 0 {
			primary = primary[i+1:]
		}
		return usageError(input, "%s is a read replica of %s: pass --source %s", inst.ID, primary, primary)
	}
	return nil
}

func discoverInstance(ctx context.Context, api awsclient.API, d *Discovery, inst awsclient.Instance) error {
	d.Instance = &inst
	d.Source = Source{Kind: KindInstance, ID: inst.ID, ARN: inst.ARN, Engine: inst.Engine, EngineVersion: inst.EngineVersion, ResourceID: inst.ResourceID, Created: inst.CreateTime}
	for _, id := range inst.ReplicaIDs {
		r, err := api.DescribeInstance(ctx, id)
		if isNotFound(err) {
			continue // deleted since the source was read
		}
		if err != nil {
			return fmt.Errorf("describe read replica %s: %w", id, err)
		}
		d.Members = append(d.Members, r)
		d.Source.Members = append(d.Source.Members, r.ID)
	}
	return nil
}

func discoverCluster(ctx context.Context, api awsclient.API, d *Discovery, cl awsclient.Cluster) error {
	d.Cluster = &cl
	d.Source = Source{Kind: KindCluster, ID: cl.ID, ARN: cl.ARN, Engine: cl.Engine, EngineVersion: cl.EngineVersion, GlobalClusterID: cl.GlobalClusterID, ResourceID: cl.ResourceID, Created: cl.CreateTime}
	members := append([]awsclient.ClusterMember(nil), cl.Members...)
	sort.SliceStable(members, func(i, j int) bool { return members[i].Writer && !members[j].Writer })
	for _, m := range members {
		inst, err := api.DescribeInstance(ctx, m.InstanceID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("describe cluster member %s: %w", m.InstanceID, err)
		}
		d.Members = append(d.Members, inst)
		d.Source.Members = append(d.Source.Members, inst.ID)
	}
	return nil
}

// discoverProxies lists every proxy and keeps those whose targets include
// the source: the API has no "proxies in front of DB X" query (§1.7).
func discoverProxies(ctx context.Context, api awsclient.API, d *Discovery) error {
	proxies, err := api.ListProxies(ctx)
	if err != nil {
		return fmt.Errorf("list RDS proxies: %w", err)
	}
	for _, p := range proxies {
		targets, err := api.DescribeProxyTargets(ctx, p.Name)
		if isNotFound(err) {
			continue // deleted, or no target group: it fronts nothing
		}
		if err != nil {
			return fmt.Errorf("describe targets of proxy %s: %w", p.Name, err)
		}
		mine := targetsOf(targets, d.Source)
		// A proxy rdsbg emptied says so in its tags: AWS, not the
		// journal, remembers it (proxy_tags.go).
		tag, tagged, err := readDetachedTag(ctx, api, p)
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("read the tags of proxy %s (rdsbg keeps which proxies it emptied there; the credentials need rds:ListTagsForResource): %w", p.Name, err)
		}
		tagged = tagged && strings.EqualFold(tag.Source, d.Source.ID)
		if tagged && len(targets) == 0 {
			ok, why := d.trustDetachedTag(p, tag)
			if ok && d.rdsbgDeployment() == nil {
				// Consistent, but nothing else in AWS says the proxy is the
				// source's: only `resume --source --confirm` acts on it
				// (restoreWithoutJournal), never a run's plan.
				d.Detached = append(d.Detached, DetachedProxy{Proxy: p.Name, ARN: p.ARN, Tag: tag, Uncorroborated: true})
				d.ProxyInfo = append(d.ProxyInfo, p)
				continue
			}
			if !ok {
				// Not of the topology on the tag's word alone: said, not acted on.
				d.Untrusted = append(d.Untrusted, fmt.Sprintf("proxy %s carries %s naming %s, but %s: rdsbg does not register %s with it on the tag's word (check who tagged it: aws rds list-tags-for-resource --resource-name %s)",
					p.Name, TagDetached, d.Source.ID, why, d.Source.ID, p.ARN))
				continue
			}
		}
		if !tagged && len(targets) == 0 {
			// No tag (removed, or never written), but rdsbg's deployment for
			// the source lists the proxy: its own record of the run's
			// proxies (X9).
			if dep := d.rdsbgDeployment(); dep != nil && len(mine) == 0 && strings.EqualFold(p.EngineFamily, proxyFamily(d.Source.Engine)) {
				for _, name := range strings.Fields(dep.Tags[TagProxies]) {
					if strings.EqualFold(name, p.Name) {
						tag = DetachedTag{TargetKind: d.Source.Kind, Target: d.Source.ID, Source: d.Source.ID, Run: dep.Tags[TagRun]}
						tagged = true
						d.Detached = append(d.Detached, DetachedProxy{Proxy: p.Name, ARN: p.ARN, Tag: tag, FromDeployment: dep.ID})
					}
				}
			}
		} else if tagged {
			d.Detached = append(d.Detached, DetachedProxy{Proxy: p.Name, ARN: p.ARN, Tag: tag, Registered: len(mine) > 0})
		}
		if len(mine) == 0 && !(tagged && len(targets) == 0) {
			continue // a proxy now serving another database is not ours
		}
		d.Proxies = append(d.Proxies, ProxyRegistration{Proxy: p.Name, TargetGroup: "default", Target: d.Source.Target(), Targets: mine})
		d.ProxyInfo = append(d.ProxyInfo, p)
	}
	return nil
}

// targetsOf returns the proxy targets that stand for the source: the
// instance entry of an RDS source, or the TRACKED_CLUSTER entry and its
// instance entries for an Aurora cluster.
func targetsOf(targets []awsclient.ProxyTarget, src Source) []awsclient.ProxyTarget {
	var out []awsclient.ProxyTarget
	for _, t := range targets {
		switch src.Kind {
		case KindCluster:
			if strings.EqualFold(t.TrackedClusterID, src.ID) || (t.Type == "TRACKED_CLUSTER" && strings.EqualFold(t.RdsResourceID, src.ID)) {
				out = append(out, t)
			}
		default:
			if t.Type != "TRACKED_CLUSTER" && t.TrackedClusterID == "" && strings.EqualFold(t.RdsResourceID, src.ID) {
				out = append(out, t)
			}
		}
	}
	return out
}

// SourceSummary is one row of the wizard's source screen.
type SourceSummary struct {
	Kind          string   `json:"kind"`
	ID            string   `json:"id"`
	Engine        string   `json:"engine"`
	EngineVersion string   `json:"engine_version"`
	Status        string   `json:"status"`
	Proxies       []string `json:"proxies,omitempty"`
	Members       int      `json:"members"` // replicas or cluster members
}

// ListSources returns the databases a run can start from: standalone
// instances and clusters (never replicas or cluster members), each with
// the proxies in front of it, sorted by identifier.
func ListSources(ctx context.Context, api awsclient.API) ([]SourceSummary, error) {
	instances, err := api.ListInstances(ctx)
	if err != nil {
		return nil, fmt.Errorf("list DB instances: %w", err)
	}
	clusters, err := api.ListClusters(ctx)
	if err != nil {
		return nil, fmt.Errorf("list DB clusters: %w", err)
	}
	proxies, err := api.ListProxies(ctx)
	if err != nil {
		return nil, fmt.Errorf("list RDS proxies: %w", err)
	}
	// proxy names by lower-cased instance or cluster id
	fronting := map[string][]string{}
	for _, p := range proxies {
		targets, err := api.DescribeProxyTargets(ctx, p.Name)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("describe targets of proxy %s: %w", p.Name, err)
		}
		if len(targets) == 0 {
			// An empty proxy may be one that rdsbg emptied: its tag names
			// the source it belongs to (proxy_tags.go).
			if tag, ok, err := readDetachedTag(ctx, api, p); err == nil && ok {
				id := strings.ToLower(tag.Source)
				fronting[id] = append(fronting[id], p.Name+" (detached)")
			}
			continue
		}
		seen := map[string]bool{}
		for _, t := range targets {
			id := strings.ToLower(t.RdsResourceID)
			if t.TrackedClusterID != "" {
				id = strings.ToLower(t.TrackedClusterID)
			}
			if id != "" && !seen[id] {
				seen[id] = true
				fronting[id] = append(fronting[id], p.Name)
			}
		}
	}
	var out []SourceSummary
	for _, in := range instances {
		if in.ClusterID != "" || in.ReplicaSourceID != "" {
			continue
		}
		out = append(out, SourceSummary{Kind: KindInstance, ID: in.ID, Engine: in.Engine, EngineVersion: in.EngineVersion, Status: in.Status, Proxies: fronting[strings.ToLower(in.ID)], Members: len(in.ReplicaIDs)})
	}
	for _, cl := range clusters {
		out = append(out, SourceSummary{Kind: KindCluster, ID: cl.ID, Engine: cl.Engine, EngineVersion: cl.EngineVersion, Status: cl.Status, Proxies: fronting[strings.ToLower(cl.ID)], Members: len(cl.Members)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
