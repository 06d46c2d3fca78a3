package steps

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"syscall"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/world"
)

// What a run may act on (design.md §8, issue 20): a deployment whose run
// tag is this journal's run, or one the operator names with --adopt after
// seeing its settings beside the requested ones — and in either case only
// when its settings match the request and no other live owner holds it.
// Everything else is refused before any change (exit 2) with what AWS
// shows and the way on.

// errForeign refuses a deployment (or a proxy) that is not this run's.
type errForeign struct {
	Message string
}

func (e *errForeign) Error() string { return e.Message }

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
func requestFingerprint(o contract.Options) string {
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
func compareWithRequest(w world.World, o contract.Options, blueVersion, blueClass string) ([]settingRow, bool) {
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
		gv, gc, gpg = contract.OrNoDetails(g.Version), contract.OrNoDetails(g.Class), contract.OrNoDetails(g.ParameterGroup)
	}
	switch {
	case o.TargetEngineVersion != "":
		match := g != nil && (versionMatches(g.Version, o.TargetEngineVersion) || (o.UpgradeVia == contract.UpgradeViaModify && g.Version == blueVersion))
		add("engine version", o.TargetEngineVersion, gv, match)
	default:
		add("engine version", blueVersion+" (no upgrade)", gv, g != nil && g.Version == blueVersion)
	}
	if w.Kind == contract.KindInstance {
		want, label := o.TargetDBInstanceClass, o.TargetDBInstanceClass
		if want == "" {
			want, label = blueClass, blueClass+" (blue's)"
		}
		add("instance class", label, gc, g != nil && strings.EqualFold(g.Class, want))
	}
	if w.Kind == contract.KindInstance && o.TargetDBParameterGroupName != "" {
		add("parameter group", o.TargetDBParameterGroupName, gpg, g != nil && strings.EqualFold(g.ParameterGroup, o.TargetDBParameterGroupName))
	}
	if w.Kind == contract.KindCluster && o.TargetDBClusterParameterGroupName != "" {
		add("cluster parameter group", o.TargetDBClusterParameterGroupName, gpg, g != nil && strings.EqualFold(g.ParameterGroup, o.TargetDBClusterParameterGroupName))
	}
	if d.Owner.Request != "" {
		want := requestFingerprint(o)
		add("requested by rdsbg ("+contract.TagRequest+")", want, d.Owner.Request, d.Owner.Request == want)
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
func (r *run) gateFresh(ctx context.Context, o contract.Options) (contract.Options, error) {
	w := r.readWorld(ctx, true)
	r.world = &w
	src := r.disc.Source.ID
	if !w.Known() {
		return o, fmt.Errorf("AWS could not be read for %s (%s): rdsbg acts only on a world it has read; nothing was changed, run again when AWS answers", src, strings.Join(w.Unknown, "; "))
	}
	now := r.e.cfg.Clock.Now()
	for _, dp := range r.disc.Detached {
		if dp.Uncorroborated && !dp.Registered {
			return o, &errForeign{Message: fmt.Sprintf("%s and has NO target, but no rdsbg deployment of %s lists that proxy: a run does not register %s with a proxy on a tag's word. If the proxy is %s's, restore it first with `rdsbg resume --source %s --confirm %s` (it shows what it registers where); if it is not, remove the tag (aws rds remove-tags-from-resource --resource-name %s --tag-keys %s). Nothing was changed",
				dp.Words(), src, src, src, src, src, dp.ARN, contract.TagDetached)}
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
		return o, &contract.InputError{Input: "--adopt", ExitCode: contract.ExitUsage, Message: fmt.Sprintf("--adopt %s does not name %s's deployment: %s; nothing was changed", r.e.cfg.Adopt, src, found)}
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
		return o, &errForeign{Message: fmt.Sprintf("deployment %s (%s, %s) exists for %s and was not created by this run (%s): rdsbg will not act on it without --adopt. Its green beside this request:%s\nNothing was changed; %s",
			d.ID, d.Name, d.Status, src, d.Owner.Words(now), table, next)}
	}
	if !match {
		return o, &errForeign{Message: fmt.Sprintf("--adopt %s: deployment %s (%s, %s; %s) does not match this request, whoever created it:%s\nNothing was changed; run with the deployment's settings, or undo it",
			d.ID, d.ID, d.Name, d.Status, d.Owner.Words(now), table)}
	}
	if l := d.Owner.Lease; l != nil {
		if st := r.e.judgeLease(l, "", now); st == leaseLive || st == leaseExpired {
			if err := r.takeOver(ctx, fmt.Sprintf("deployment %s (%s)", d.ID, d.Name), *l, st); err != nil {
				return o, err
			}
		}
	}
	r.e.notice(contract.StepPreflight, "adopting deployment %s (%s, %s) at the operator's --adopt: %s; its green matches this request:%s", d.ID, d.Name, d.Status, d.Owner.Words(now), table)
	o.DeploymentName = d.Name
	if o.ProxyMode == contract.ProxyModeAuto && contract.Regime(d.Owner.Regime) == contract.RegimeDetach {
		r.e.notice(contract.StepPreflight, "deployment %s was made by rdsbg in the detach regime (%s=%s): this run goes on in that regime", d.ID, contract.TagRegime, contract.RegimeDetach)
		o.ProxyMode = contract.ProxyModeDetach
	}
	r.adopting = d.ID
	return o, nil
}

// Ownership in AWS (design.md §8): every run has an id (RunID), tags the
// deployment it creates with it, and holds an owner lease (rdsbg:owner,
// world.Lease) on that deployment — and, while it holds them empty, on its
// proxies — naming its host, pid and user, renewed while it lives and
// released when its process ends. The local lock (lock.go) stays the fast
// path on one machine; the lease is what another machine, or another
// state directory, sees.
//
// A lease is live while its holder may still act: on this host, while its
// pid is alive; on another host, until it expires. A run, resume or abort
// that finds a lease held by someone else refuses before any change (exit
// 2), naming the holder and how old the lease is; --take-over (severe)
// takes it, live or expired. A run's own lease left by a process of the
// same run that died on this host is simply renewed: that is a resume
// after a crash.

// Lease timing: a renewal every leaseRenew (one AddTagsToResource call,
// 0.1 a minute, nothing beside the RDS API's 12 a second: green's
// provisioning stays within BenchmarkAPIFootprint's 6 calls a minute with
// the proxies' watch), a lease that lapses leaseTTL after its last
// renewal. On this host a dead pid frees it at once; elsewhere a stale
// lease needs --take-over whether it lapsed or not, so a long TTL costs
// nothing but the word "live".
const (
	leaseTTL   = 30 * time.Minute
	leaseRenew = 10 * time.Minute
)

// claimSettle is how long a fresh run waits between writing its claim on
// a proxy and reading it back before it empties it: two runs that claimed
// the same proxy within it both read the last writer's claim, and only
// that one goes on.
const claimSettle = 2 * time.Second

// Holder is a process's identity in a lease; zero fields are filled from
// the operating system (Config.Holder: tests give each engine its own).
type Holder struct {
	Host string
	PID  int
	User string
	// Alive reports whether a pid on this host is alive; nil ⇒ the
	// operating system's answer (signal 0).
	Alive func(pid int) bool
}

// withDefaults fills the holder from the operating system.
func (h Holder) withDefaults() Holder {
	if h.Host == "" {
		h.Host, _ = os.Hostname()
		if h.Host == "" {
			h.Host = "unknown-host"
		}
	}
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	if h.User == "" {
		if u, err := user.Current(); err == nil {
			h.User = u.Username
		} else {
			h.User = os.Getenv("USER")
		}
	}
	if h.Alive == nil {
		h.Alive = pidAlive
	}
	return h
}

// pidAlive: signal 0 reaches the process (EPERM: it exists, as another
// user's).
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// newRunID names a run: the time its plan was made and four random bytes,
// so two runs planned in the same second differ.
func newRunID(now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// leaseState is how a lease found in AWS stands for this process.
type leaseState int

const (
	leaseFree    leaseState = iota // none, released, or ours
	leaseStale                     // this run's own, left by a process of it that died on this host
	leaseLive                      // someone else may be acting now
	leaseExpired                   // someone else's, not renewed in time (a process on another host that stopped)
)

// judgeLease says how l stands for this process running run.
func (e *Engine) judgeLease(l *world.Lease, run string, now time.Time) leaseState {
	h := e.holder
	switch {
	case l == nil || !l.Released.IsZero():
		return leaseFree
	case world.SameHolder(*l, e.lease(run, now)):
		return leaseFree
	case strings.EqualFold(l.Host, h.Host):
		if l.PID != h.PID && h.Alive(l.PID) {
			return leaseLive
		}
		if l.Run == run {
			return leaseStale
		}
		return leaseExpired // the process is gone, whatever the lease's time says
	case l.Expired(now):
		return leaseExpired
	}
	return leaseLive
}

// lease is this process's lease for run, renewed now.
func (e *Engine) lease(run string, now time.Time) world.Lease {
	return world.Lease{Run: run, Host: e.holder.Host, PID: e.holder.PID, User: e.holder.User, Renewed: now.UTC(), Until: now.Add(leaseTTL).UTC()}
}

// errHeld refuses to act on what another owner holds (exit 2).
type errHeld struct {
	What  string      // "deployment bgd-… (name)" or "proxy orders-proxy"
	Lease world.Lease // the holder's lease
	State string      // "live" or "expired"
	Age   time.Duration
	// Next is the way on, in words.
	Next string
}

func (e *errHeld) Error() string {
	state := fmt.Sprintf("its lease was renewed %s ago and is live", e.Age.Round(time.Second))
	if e.State == "expired" {
		state = fmt.Sprintf("its lease was last renewed %s ago and has expired (the holder stopped without releasing it)", e.Age.Round(time.Second))
	}
	return fmt.Sprintf("%s is held by %s: %s. rdsbg changed nothing. %s", e.What, e.Lease.Holder(), state, e.Next)
}

// takeOverWords is the way on past a lease.
func takeOverWords(source string, st leaseState) string {
	wait := "Wait for that run to finish (`rdsbg status --source " + source + "` shows it), or"
	if st == leaseExpired {
		wait = "If that run is really gone,"
	}
	return fmt.Sprintf("%s take it over with --take-over --confirm %s (severe: the other run, if it still lives, stops at its next change).", wait, source)
}

// heldError builds the refusal for what, held under l.
func (r *run) heldError(what string, l world.Lease, st leaseState) error {
	now := r.e.cfg.Clock.Now()
	state := "live"
	if st == leaseExpired {
		state = "expired"
	}
	return &errHeld{What: what, Lease: l, State: state, Age: l.Age(now), Next: takeOverWords(r.disc.Source.ID, st)}
}

// takeOver asks for --take-over's severe confirmation (headless:
// --confirm; the wizard: the typed identifier) before this run replaces
// another owner's lease on what.
func (r *run) takeOver(ctx context.Context, what string, l world.Lease, st leaseState) error {
	if !r.e.cfg.TakeOver {
		return r.heldError(what, l, st)
	}
	now := r.e.cfg.Clock.Now()
	text := fmt.Sprintf("%s is held by %s (lease renewed %s ago, %s). Taking it over makes this run its owner: if the other run still lives it stops at its next change, without touching anything. Type %s to take it over.",
		what, l.Holder(), l.Age(now).Round(time.Second), map[bool]string{true: "expired", false: "live"}[st == leaseExpired], r.disc.Source.ID)
	if err := r.ask(ctx, contract.Approval{Kind: "take-over", Title: "Take over " + what + " from another rdsbg run?", Text: text,
		Severity: contract.SeveritySevere, Confirm: r.disc.Source.ID}); err != nil {
		return err
	}
	r.e.notice(contract.StepPreflight, "took over %s from %s at the operator's --take-over", what, l.Holder())
	return nil
}

// leaseKeeper holds the run's lease on its deployment: taken at the run's
// first change (or first wait) after the deployment is known, renewed
// while the run lives (heartbeat, reconcile.go; awaitAnswer while a
// question waits; compensation), released when it ends
// (finish.go). A run refused before any change writes nothing.
type leaseKeeper struct {
	pending string    // the deployment whose lease the run takes at its first change
	force   bool      // the operator took it over (--take-over): write whatever AWS shows
	arn     string    // the deployment the lease is on; "" until taken
	next    time.Time // when the next renewal is due
}

// holdDeployment makes this run take its lease on deployment id at its
// first change (after a resume's or an adoption's checks). force: the
// operator took it over.
func (r *run) holdDeployment(id string, force bool) {
	if id != "" && r.leases.arn == "" {
		r.leases.pending, r.leases.force = id, force
	}
}

// ensureLease writes the pending lease. With a fresh view w of the world,
// it first checks that nobody else took the deployment since the gate
// (then the run stops without a change: errTakenOver).
func (r *run) ensureLease(ctx context.Context, w *world.World) error {
	id := r.leases.pending
	if id == "" || r.plan.Source.ARN == "" {
		return nil
	}
	now := r.e.cfg.Clock.Now()
	if w != nil && !r.leases.force {
		if d := w.Deployment; d != nil && strings.EqualFold(d.ID, id) && d.Owner.Lease != nil {
			if st := r.e.judgeLease(d.Owner.Lease, contract.RunID(r.plan), now); st == leaseLive || (st == leaseExpired && d.Owner.Lease.Run != contract.RunID(r.plan)) {
				return &errTakenOver{Diff: world.Difference{Kind: world.DiffLeaseTaken, Subject: id,
					What: fmt.Sprintf("deployment %s is held by %s", id, d.Owner.Lease.Holder()), Who: "it took the deployment after this run checked it"}}
			}
		}
	}
	arn := awsclient.DeploymentARN(r.plan.Source.ARN, id)
	mctx, cancel := detached(ctx, mutationTimeout)
	err := r.api.AddTagsToResource(mctx, arn, map[string]string{contract.TagOwner: r.e.lease(contract.RunID(r.plan), now).Value()})
	cancel()
	if awsclient.IsNotFound(err) {
		r.leaseGone() // deleted meanwhile (its cleanup, or someone): nothing to hold
		return nil
	}
	if err != nil {
		return fmt.Errorf("write this run's owner lease (%s) on deployment %s: %w", contract.TagOwner, id, err)
	}
	r.leases.pending, r.leases.arn, r.leases.next = "", arn, now.Add(leaseRenew)
	return nil
}

// renewLease renews the lease when due: one call every leaseRenew. A
// failure is retried at the next heartbeat; the lease has leaseTTL.
func (r *run) renewLease(ctx context.Context) {
	now := r.e.cfg.Clock.Now()
	if r.leases.arn == "" || now.Before(r.leases.next) || r.outages.criticalSince() != nil {
		return // not due, or in the critical section (the lease lasts leaseTTL)
	}
	mctx, cancel := detached(ctx, 30*time.Second)
	err := r.api.AddTagsToResource(mctx, r.leases.arn, map[string]string{contract.TagOwner: r.e.lease(contract.RunID(r.plan), now).Value()})
	cancel()
	r.leases.next = now.Add(leaseRenew)
	if err != nil {
		r.leases.next = now.Add(time.Minute) // again in a minute: the lease lasts leaseTTL
	}
}

// answerCheck is how often, in wall time, a run waiting for the
// operator's answer looks whether its lease is due (a comparison of two
// times; the renewal itself stays at leaseRenew). A second of wall time
// keeps the lease fresh under any --time-scale below 600.
const answerCheck = time.Second

// awaitAnswer asks the approver and waits for its answer, renewing the
// lease when due meanwhile: a run waiting at a question for longer than
// leaseTTL is alive, and must not look expired to another operator. The
// approver answers on a goroutine of its own; the renewal stays on the
// engine's (the UI's Update does no I/O), so r's state has one writer.
// Due or not, the lease is looked at once more after the answer: the
// calls then do not depend on which of the answer and a check came first.
func (r *run) awaitAnswer(ctx context.Context, a contract.Approval) (contract.Decision, error) {
	type answer struct {
		d   contract.Decision
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		// An approver that never returns normally (a test's t.FailNow
		// ends its goroutine) still ends the wait.
		ans := answer{err: fmt.Errorf("the approval %q got no answer", a.Title)}
		defer func() { answered <- ans }()
		ans.d, ans.err = r.e.cfg.Approver.Approve(ctx, a)
	}()
	check := time.NewTicker(answerCheck)
	defer check.Stop()
	for {
		select {
		case ans := <-answered:
			if ans.err == nil {
				r.renewLease(ctx)
			}
			return ans.d, ans.err
		case <-check.C:
			r.renewLease(ctx)
		}
	}
}

// leaseGone: the run deleted its deployment, and the lease with it.
func (r *run) leaseGone() {
	r.leases.arn, r.leases.pending = "", ""
}

// releaseLease marks the lease released when the run ends (finish), so
// that nobody has to wait for it to expire or take it over. A process that
// dies leaves it as it was: it expires, or this host sees the pid gone.
func (r *run) releaseLease() {
	if r.leases.arn == "" {
		return
	}
	now := r.e.cfg.Clock.Now()
	l := r.e.lease(contract.RunID(r.plan), now)
	l.Released = now.UTC()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = r.api.AddTagsToResource(ctx, r.leases.arn, map[string]string{contract.TagOwner: l.Value()})
	r.leases.arn = ""
}
