package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/world"
)

// What a run may act on (design.md §8, issue 20): a deployment whose run
// tag is this journal's run, or one the operator names with --adopt after
// seeing its settings beside the requested ones — and in either case only
// when its settings match the request and no other live owner holds it.
// Everything else is refused before any change (exit 2) with what AWS
// shows and the way on.

// ForeignError refuses a deployment (or a proxy) that is not this run's.
type ForeignError struct {
	Message string
}

func (e *ForeignError) Error() string { return e.Message }

// worldQuery is the read of the run's world: full at the start, on resume
// and for status and abort (every proxy with its tags, every resource with
// its version); quick before a mutation (the deployment and the run's
// proxies).
func (r *run) worldQuery(full bool) world.Query {
	src := r.plan.Source
	if src.ID == "" {
		src = r.disc.Source
	}
	q := world.Query{Source: src.ID, Kind: src.Kind, BlueResourceID: src.ResourceID, BlueCreated: src.Created, DeploymentID: r.dep.id, SwitchedSeen: r.switchedSeen()}
	for _, reg := range r.proxies {
		q.Proxies = append(q.Proxies, reg.Proxy)
	}
	if len(q.Proxies) == 0 && len(r.proxies) == 0 {
		for _, reg := range r.disc.Proxies {
			q.Proxies = append(q.Proxies, reg.Proxy)
		}
	}
	q.FindDeployment = q.DeploymentID == ""
	if full {
		q.AllProxies, q.Details = true, true
	} else {
		q.Targets = r.tags.fresh(r.e.cfg.Clock.Now())
	}
	return q
}

// readWorld reads the run's world now. Every proxy it read feeds the
// outage book (outage.go) and the cache of fresh reads, as sourceTargets
// does.
func (r *run) readWorld(ctx context.Context, full bool) world.World {
	q := r.worldQuery(full)
	w := world.Read(ctx, r.api, q, r.e.cfg.Clock.Now())
	r.seeWorld(w) // deployment.go: the labels follow AWS's word
	for _, p := range w.Proxies {
		if _, cached := q.Targets[p.Name]; cached || !p.Known() || p.Gone {
			continue
		}
		var all []awsclient.ProxyTarget
		for _, reg := range p.Registrations {
			all = append(all, reg.Targets...)
		}
		r.tags.read(p.Name, all, w.At)
		r.outageRead(p.Name, sourceEntries(p, r.plan.Source))
	}
	return w
}

// requestFingerprint is rdsbg:request: the changes a run asked for, so
// that a run finding a deployment can tell whether it was made for the
// same request. Readable when it fits a tag value, else a digest.
func requestFingerprint(o Options) string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return world.TagSafe(s, 255)
	}
	storage := "-"
	if o.UpgradeTargetStorageConfig || o.TargetIops != 0 || o.TargetStorageType != "" || o.TargetAllocatedStorage != 0 || o.TargetStorageThroughput != 0 {
		storage = fmt.Sprintf("%t/%s/%d/%d/%d", o.UpgradeTargetStorageConfig, dash(o.TargetStorageType), o.TargetIops, o.TargetAllocatedStorage, o.TargetStorageThroughput)
	}
	v := fmt.Sprintf("version=%s class=%s pg=%s cpg=%s storage=%s", dash(o.TargetEngineVersion), dash(o.TargetDBInstanceClass),
		dash(o.TargetDBParameterGroupName), dash(o.TargetDBClusterParameterGroupName), storage)
	if len(v) <= world.MaxTagValue {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "sha256=" + hex.EncodeToString(sum[:16])
}

// settingRow is one line of the side-by-side comparison of a deployment
// with the request.
type settingRow struct {
	name, requested, green string
	match                  bool
}

// greenOf is green's primary resource (or, after a switchover, the new
// primary): the one whose settings a request is compared with.
func greenOf(w world.World) *world.Resource {
	role := world.RoleGreen
	if s, _ := w.SwitchedOver(); s {
		return w.Production()
	}
	for _, res := range w.ByRole(role) {
		if res.Kind == w.Kind && strings.HasPrefix(strings.ToLower(res.ID), strings.ToLower(w.Source)+"-green-") {
			r := res
			return &r
		}
	}
	return nil
}

// compareWithRequest lays a deployment's green beside the request: engine
// version, class, parameter groups (those asked for) and the request's
// fingerprint when rdsbg made it. blue is production before the run.
func compareWithRequest(w world.World, o Options, blueVersion, blueClass string) ([]settingRow, bool) {
	d := w.Deployment
	g := greenOf(w)
	if d == nil {
		return nil, false
	}
	var rows []settingRow
	ok := true
	add := func(name, req, green string, match bool) {
		rows = append(rows, settingRow{name, req, green, match})
		ok = ok && match
	}
	gv, gc, gpg := "unknown", "unknown", "unknown"
	if g != nil {
		gv, gc, gpg = orNone(g.Version), orNone(g.Class), orNone(g.ParameterGroup)
	}
	switch {
	case o.TargetEngineVersion != "":
		match := g != nil && (versionMatches(g.Version, o.TargetEngineVersion) || (o.UpgradeVia == UpgradeViaModify && g.Version == blueVersion))
		add("engine version", o.TargetEngineVersion, gv, match)
	default:
		add("engine version", blueVersion+" (no upgrade)", gv, g != nil && g.Version == blueVersion)
	}
	if w.Kind == KindInstance {
		want, label := o.TargetDBInstanceClass, o.TargetDBInstanceClass
		if want == "" {
			want, label = blueClass, blueClass+" (blue's)"
		}
		add("instance class", label, gc, g != nil && strings.EqualFold(g.Class, want))
	}
	if w.Kind == KindInstance && o.TargetDBParameterGroupName != "" {
		add("parameter group", o.TargetDBParameterGroupName, gpg, g != nil && strings.EqualFold(g.ParameterGroup, o.TargetDBParameterGroupName))
	}
	if w.Kind == KindCluster && o.TargetDBClusterParameterGroupName != "" {
		add("cluster parameter group", o.TargetDBClusterParameterGroupName, gpg, g != nil && strings.EqualFold(g.ParameterGroup, o.TargetDBClusterParameterGroupName))
	}
	if d.Owner.Request != "" {
		want := requestFingerprint(o)
		add("requested by rdsbg ("+TagRequest+")", want, d.Owner.Request, d.Owner.Request == want)
	}
	return rows, ok
}

// settingsTable renders the comparison for a refusal or an approval.
func settingsTable(rows []settingRow, depID string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n  %-26s %-36s %s", "setting", "requested", "green of "+depID)
	for _, r := range rows {
		mark := ""
		if !r.match {
			mark = "   ✗ differs"
		}
		fmt.Fprintf(&b, "\n  %-26s %-36s %s%s", r.name, r.requested, r.green, mark)
	}
	return b.String()
}

// blueSettings are production's version and class before the run, for the
// comparison: from the world when production is still blue, else from
// discovery.
func (r *run) blueSettings(w world.World) (version, class string) {
	version = r.disc.Source.EngineVersion
	if r.disc.Instance != nil {
		class = r.disc.Instance.Class
	}
	if p := w.Production(); p != nil && p.Role == world.RoleBlue {
		version, class = p.Version, orDefault(p.Class, class)
	}
	return version, class
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// gateFresh is a fresh run's reconciliation with the world before it
// plans: it reads the whole topology and refuses (exit 2) a deployment of
// the source that is not adopted with --adopt, one whose settings differ
// from the request, and anything another live owner holds. It returns the
// options with the adopted deployment's name and regime.
func (r *run) gateFresh(ctx context.Context, o Options) (Options, error) {
	w := r.readWorld(ctx, true)
	r.world = &w
	src := r.disc.Source.ID
	if !w.Known() {
		return o, fmt.Errorf("AWS could not be read for %s (%s): rdsbg acts only on a world it has read; nothing was changed, run again when AWS answers", src, strings.Join(w.Unknown, "; "))
	}
	now := r.e.cfg.Clock.Now()
	for _, dp := range r.disc.Detached {
		if dp.Uncorroborated && !dp.Registered {
			return o, &ForeignError{Message: fmt.Sprintf("%s and has NO target, but no rdsbg deployment of %s lists that proxy: a run does not register %s with a proxy on a tag's word. If the proxy is %s's, restore it first with `rdsbg resume --source %s --confirm %s` (it shows what it registers where); if it is not, remove the tag (aws rds remove-tags-from-resource --resource-name %s --tag-keys %s). Nothing was changed",
				dp.Words(), src, src, src, src, src, dp.ARN, TagDetached)}
		}
	}
	for _, p := range w.Proxies {
		if p.Lease == nil {
			continue
		}
		if st := r.e.judgeLease(p.Lease, "", now); st == leaseLive {
			if err := r.takeOver(ctx, "proxy "+p.Name, *p.Lease, st); err != nil {
				return o, err
			}
		}
	}
	d := w.Deployment
	if r.e.cfg.Adopt != "" && (d == nil || !strings.EqualFold(d.ID, r.e.cfg.Adopt)) {
		found := "AWS shows no blue/green deployment for it"
		if d != nil {
			found = fmt.Sprintf("its deployment is %s (%s, %s)", d.ID, d.Name, d.Status)
		}
		return o, &InputError{Input: "--adopt", ExitCode: ExitUsage, Message: fmt.Sprintf("--adopt %s does not name %s's deployment: %s; nothing was changed", r.e.cfg.Adopt, src, found)}
	}
	if d == nil || d.Phase == world.PhaseDeleting {
		return o, nil // preflight reports a deployment still being deleted
	}
	blueVersion, blueClass := r.blueSettings(w)
	rows, match := compareWithRequest(w, o, blueVersion, blueClass)
	table := settingsTable(rows, d.ID)
	if r.e.cfg.Adopt == "" {
		next := fmt.Sprintf("carry on with it from the state directory whose journal started it (`rdsbg resume --source %s`), or here with `rdsbg run --source %s --adopt %s` and the same settings", src, src, d.ID)
		if !match {
			next = fmt.Sprintf("its settings differ from this request, so rdsbg will not carry on with it under this request; resume the run that made it, or undo it (`rdsbg abort --source %s` from its state directory, or `aws rds delete-blue-green-deployment --blue-green-deployment-identifier %s --delete-target`)", src, d.ID)
		}
		return o, &ForeignError{Message: fmt.Sprintf("deployment %s (%s, %s) exists for %s and was not created by this run (%s): rdsbg will not act on it without --adopt. Its green beside this request:%s\nNothing was changed; %s",
			d.ID, d.Name, d.Status, src, d.Owner.Words(now), table, next)}
	}
	if !match {
		return o, &ForeignError{Message: fmt.Sprintf("--adopt %s: deployment %s (%s, %s; %s) does not match this request, whoever created it:%s\nNothing was changed; run with the deployment's settings, or undo it",
			d.ID, d.ID, d.Name, d.Status, d.Owner.Words(now), table)}
	}
	if l := d.Owner.Lease; l != nil {
		if st := r.e.judgeLease(l, "", now); st == leaseLive || st == leaseExpired {
			if err := r.takeOver(ctx, fmt.Sprintf("deployment %s (%s)", d.ID, d.Name), *l, st); err != nil {
				return o, err
			}
		}
	}
	r.e.notice(StepPreflight, "adopting deployment %s (%s, %s) at the operator's --adopt: %s; its green matches this request:%s", d.ID, d.Name, d.Status, d.Owner.Words(now), table)
	o.DeploymentName = d.Name
	if o.ProxyMode == ProxyModeAuto && Regime(d.Owner.Regime) == RegimeDetach {
		r.e.notice(StepPreflight, "deployment %s was made by rdsbg in the detach regime (%s=%s): this run goes on in that regime", d.ID, TagRegime, RegimeDetach)
		o.ProxyMode = ProxyModeDetach
	}
	r.adopting = d.ID
	return o, nil
}
