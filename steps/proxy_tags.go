package steps

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
	"github.com/rdsbg/rdsbg/steps/world"
)

// AWS holds the truth (design.md §5): before rdsbg empties a proxy it tags
// the proxy with what it served, and it removes the tag once the proxy
// serves production again; the deployment is tagged at creation. Discovery
// reads these tags, so a journal that is lost, unreadable or on another
// machine never loses a proxy. The formats are documented in
// docs/events.md ("Tags rdsbg keeps in AWS").

// maxTagValue is AWS's limit on a tag value (characters).
const maxTagValue = world.MaxTagValue

// proxyTagState is a run's memory of its proxies' ARNs and tags.
type proxyTagState struct {
	arns   map[string]string // proxy name → ARN
	tagged map[string]bool   // proxy name → carries rdsbg:detached
	// The last complete view of the proxies and when it was read: the
	// step's observe reads it just before its apply, and writing the tag
	// costs one call on the critical path, so the apply does not read the
	// same targets a second time (the pacer admits 11 calls a second there).
	view   *proxyView
	viewAt time.Time
	// last is every proxy's whole target list as last read, and when: a
	// reconciliation within viewFreshness uses it instead of a new read
	// (the critical section's calls come back to back).
	last map[string]targetsRead
}

type targetsRead struct {
	at      time.Time
	targets []awsclient.ProxyTarget
}

// read keeps a proxy's whole target list.
func (s *proxyTagState) read(proxy string, ts []awsclient.ProxyTarget, at time.Time) {
	if s.last == nil {
		s.last = map[string]targetsRead{}
	}
	s.last[proxy] = targetsRead{at: at, targets: ts}
}

// fresh are the target lists read within viewFreshness of now.
func (s *proxyTagState) fresh(now time.Time) map[string][]awsclient.ProxyTarget {
	out := map[string][]awsclient.ProxyTarget{}
	for p, t := range s.last {
		if now.Sub(t.at) < viewFreshness {
			out[p] = t.targets
		}
	}
	return out
}

// remember keeps a view that viewProxies completed.
func (s *proxyTagState) remember(v proxyView, err error, at time.Time) {
	if err != nil {
		s.view = nil
		return
	}
	s.view, s.viewAt = &v, at
}

// viewFreshness is how old a view may be to stand for a fresh read before
// a deregistration. AWS answers a deregistration of a target it no longer
// has with not-found, which deregisterAll tolerates.
const viewFreshness = time.Second

// targetsToDetach is the source's entries on one proxy: from the view read
// within the last second, else from AWS.
func (r *run) targetsToDetach(ctx context.Context, proxy string) ([]awsclient.ProxyTarget, error) {
	if v := r.tags.view; v != nil && r.e.cfg.Clock.Now().Sub(r.tags.viewAt) < viewFreshness {
		var out []awsclient.ProxyTarget
		for _, t := range v.targets {
			if t.ProxyName == proxy {
				out = append(out, t)
			}
		}
		r.tags.view = nil // one use: the next deregistration reads again
		return out, nil
	}
	return r.sourceTargets(ctx, proxy)
}

// proxyARN finds a proxy's ARN: from discovery, else from a fresh list.
func (r *run) proxyARN(ctx context.Context, name string) (string, error) {
	if arn := r.tags.arns[name]; arn != "" {
		return arn, nil
	}
	if r.tags.arns == nil {
		r.tags.arns = map[string]string{}
	}
	for _, p := range r.disc.ProxyInfo {
		r.tags.arns[p.Name] = p.ARN
	}
	if arn := r.tags.arns[name]; arn != "" {
		return arn, nil
	}
	all, err := r.api.ListProxies(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range all {
		r.tags.arns[p.Name] = p.ARN
	}
	if arn := r.tags.arns[name]; arn != "" {
		return arn, nil
	}
	return "", fmt.Errorf("proxy %s not found", name)
}

// tagDetached writes rdsbg:detached on the proxy before its target is
// deregistered. If it fails the deregistration must not happen: the change
// must never exist without its durable record.
func (r *run) tagDetached(ctx context.Context, reg contract.ProxyRegistration) error {
	arn, err := r.proxyARN(ctx, reg.Proxy)
	if err == nil {
		kind, id := contract.KindInstance, reg.Target.InstanceID
		if reg.Target.ClusterID != "" {
			kind, id = contract.KindCluster, reg.Target.ClusterID
		}
		now := r.e.cfg.Clock.Now()
		tag := preflight.DetachedTag{TargetKind: kind, Target: id, Source: r.plan.Source.ID, Run: contract.RunID(r.plan), At: now}
		mctx, cancel := detached(ctx, mutationTimeout)
		// The owner lease beside it: while the proxy is empty another run
		// sees who holds it (ownership.go).
		err = r.api.AddTagsToResource(mctx, arn, map[string]string{contract.TagDetached: tag.Value(), contract.TagOwner: r.e.lease(contract.RunID(r.plan), now).Value()})
		cancel()
	}
	if err != nil {
		return fmt.Errorf("did not deregister %s from proxy %s: tagging the proxy first (%s, the record in AWS that rdsbg emptied it) failed, and the proxy is never emptied without that record (the credentials need rds:AddTagsToResource): %w",
			reg.Target.ID(), reg.Proxy, contract.TagDetached, err)
	}
	if r.tags.tagged == nil {
		r.tags.tagged = map[string]bool{}
	}
	r.tags.tagged[reg.Proxy] = true
	return nil
}

// untagServing removes rdsbg:detached from every proxy of the run that
// carries it, once the proxies serve production again (blue registered
// again, or the new primary registered and AVAILABLE). A failure leaves a
// stale tag, which the next run removes: a notice, not a failure.
func (r *run) untagServing(ctx context.Context) {
	for _, d := range r.disc.Detached {
		if r.tags.tagged == nil {
			r.tags.tagged = map[string]bool{}
		}
		if _, seen := r.tags.tagged[d.Proxy]; !seen {
			r.tags.tagged[d.Proxy] = true
		}
	}
	for _, reg := range r.proxies {
		if !r.tags.tagged[reg.Proxy] {
			continue
		}
		arn, err := r.proxyARN(ctx, reg.Proxy)
		if err == nil && r.claimedByOther(ctx, arn) {
			// Another live run holds the proxy now: its tags are its own.
			r.tags.tagged[reg.Proxy] = false
			continue
		}
		if err == nil {
			mctx, cancel := detached(ctx, mutationTimeout)
			err = r.api.RemoveTagsFromResource(mctx, arn, contract.TagDetached, contract.TagOwner)
			cancel()
		}
		if err != nil && !awsclient.IsNotFound(err) {
			r.e.notice("", "proxy %s serves production again but its %s tag could not be removed (%v): the next rdsbg run for %s removes it", reg.Proxy, contract.TagDetached, err, r.plan.Source.ID)
			continue
		}
		r.tags.tagged[reg.Proxy] = false
	}
}

// claimedByOther: the proxy's owner lease names another run that is live.
func (r *run) claimedByOther(ctx context.Context, arn string) bool {
	tags, err := r.api.ListTagsForResource(ctx, arn)
	if err != nil {
		return false
	}
	l, ok := world.ParseLease(tags[contract.TagOwner])
	return ok && l.Run != contract.RunID(r.plan) && r.e.judgeLease(&l, contract.RunID(r.plan), r.e.cfg.Clock.Now()) == leaseLive
}

// claimProxies is a fresh run's claim on its proxies before it empties
// them, its first change (issue 20): it refuses a proxy another live run
// holds, writes its own rdsbg:detached and owner lease, waits claimSettle
// and reads them back. Of two runs that claimed at the same moment only
// the last writer reads its own lease back and goes on; the other stops
// before emptying anything.
// whileSettling runs between the claim's write and its read-back (blue's
// tag: its calls then cost neither the empty proxy's time nor the pacer's
// budget right before the deregistration).
func (r *run) claimProxies(ctx context.Context, whileSettling func(context.Context) error) error {
	now := r.e.cfg.Clock.Now()
	for _, reg := range r.proxies {
		arn, err := r.proxyARN(ctx, reg.Proxy)
		if err != nil {
			return err
		}
		tags, err := r.api.ListTagsForResource(ctx, arn)
		if err != nil {
			return err
		}
		if l, ok := world.ParseLease(tags[contract.TagOwner]); ok && l.Run != contract.RunID(r.plan) {
			if st := r.e.judgeLease(&l, contract.RunID(r.plan), now); st == leaseLive {
				return r.heldError("proxy "+reg.Proxy, l, st)
			}
		}
	}
	for _, reg := range r.proxies {
		if err := r.tagDetached(ctx, reg); err != nil {
			return err
		}
	}
	settled := r.e.cfg.Clock.Now().Add(claimSettle)
	if err := whileSettling(ctx); err != nil {
		return err
	}
	if err := r.e.cfg.Clock.Sleep(ctx, settled.Sub(r.e.cfg.Clock.Now())); err != nil {
		return err
	}
	for _, reg := range r.proxies {
		arn, _ := r.proxyARN(ctx, reg.Proxy)
		tags, err := r.api.ListTagsForResource(ctx, arn)
		if err != nil {
			return err
		}
		l, ok := world.ParseLease(tags[contract.TagOwner])
		if ok && !world.SameHolder(l, r.e.lease(contract.RunID(r.plan), now)) {
			r.tags.tagged[reg.Proxy] = false // its tags are the other run's
			r.claimLost = true
			also := ""
			if len(r.blueTags.tagged) > 0 {
				also = fmt.Sprintf(" and blue's tag %s=%s, which the other run's creation needs as well", contract.TagSource, r.plan.Source.ID)
			}
			return &errForeign{Message: fmt.Sprintf("%s claimed proxy %s at the same moment as this run: that run goes on, and this one stops before emptying anything (it wrote only its claim, which the other run's replaced%s); rdsbg changed nothing else",
				l.Holder(), reg.Proxy, also)}
		}
	}
	return nil
}

// untagIfServing is finish's safety net: whatever path ended the run, a
// proxy that serves production again does not keep the tag.
func (r *run) untagIfServing(proxyState string) {
	if proxyState != contract.ProxyOnBlue && proxyState != contract.ProxyOnNewPrimary {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), mutationTimeout)
	defer cancel()
	r.untagServing(ctx)
}

// deploymentTags are the tags CreateBlueGreenDeployment carries.
func (r *run) deploymentTags() map[string]string {
	tags := map[string]string{
		"created-by":        "rdsbg",
		contract.TagSource:  r.plan.Source.ID,
		contract.TagRegime:  string(r.plan.Regime),
		contract.TagProxies: proxiesTagValue(r.proxies),
		contract.TagRun:     contract.RunID(r.plan),
		contract.TagRequest: requestFingerprint(r.plan.Options), // ownership.go
		contract.TagOwner:   r.e.lease(contract.RunID(r.plan), r.e.cfg.Clock.Now()).Value(),
	}
	if f := r.plan.Options.Fleet; f != "" {
		tags[contract.TagFleet] = f
	}
	return tags
}

// proxiesTagValue lists proxy names, space-separated, within AWS's 256
// characters ("+N" counts the names that did not fit). "-" for none: an
// empty value reads as "no tag" in some consoles.
func proxiesTagValue(regs []contract.ProxyRegistration) string {
	var names []string
	for _, r := range regs {
		names = append(names, r.Proxy)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "-"
	}
	for kept := len(names); kept > 0; kept-- {
		v := strings.Join(names[:kept], " ")
		if kept < len(names) {
			v += fmt.Sprintf(" +%d", len(names)-kept)
		}
		if len(v) <= maxTagValue {
			return v
		}
	}
	return fmt.Sprintf("+%d", len(names))
}

// reconcileDeployment says what a fresh run found in AWS besides the
// deployment the gate accepted (ownership.go): proxies rdsbg emptied. It
// refuses an adopted deployment whose tags name another source or regime.
func (r *run) reconcileDeployment() error {
	for _, dp := range r.disc.Detached {
		if dp.Registered {
			r.e.notice(contract.StepPreflight, "%s; it lists %s again, so the stale tag is removed at the end of this run", dp.Words(), r.disc.Source.ID)
			continue
		}
		r.e.notice(contract.StepPreflight, "%s and has NO target now: this run registers it again", dp.Words())
	}
	if r.plan.Deployment == "" {
		return nil
	}
	var dep *awsclient.Deployment
	for i := range r.disc.Deployments {
		if r.disc.Deployments[i].ID == r.plan.Deployment {
			dep = &r.disc.Deployments[i]
		}
	}
	if dep == nil {
		return nil
	}
	src, ok := dep.Tags[contract.TagSource]
	if !ok {
		return nil
	}
	regime := contract.Regime(dep.Tags[contract.TagRegime])
	if !strings.EqualFold(src, r.plan.Source.ID) {
		return &contract.InputError{Input: "--adopt", ExitCode: contract.ExitUsage, Message: fmt.Sprintf(
			"deployment %s (%s) is tagged %s=%s, not %s: rdsbg will not adopt it. Inspect it: aws rds list-tags-for-resource --resource-name %s",
			dep.ID, dep.Name, contract.TagSource, src, r.plan.Source.ID, awsclient.DeploymentARN(r.plan.Source.ARN, dep.ID))}
	}
	if regime != "" && regime != r.plan.Regime {
		return &contract.InputError{Input: "--proxy-mode", ExitCode: contract.ExitUsage, Message: fmt.Sprintf(
			"deployment %s (%s) was created by rdsbg run %s in the %s regime, but this plan is %s (%s): rdsbg will not carry on with it under another procedure. Pass --proxy-mode %s to carry on with it, or undo it with `rdsbg abort --source %s`",
			dep.ID, dep.Name, dep.Tags[contract.TagRun], regime, r.plan.Regime, r.plan.RegimeReason, regime, r.plan.Source.ID)}
	}
	return nil
}

// proxyStateFromAWS reads where the source's proxies point now, for stops
// that happen before a plan exists: the run's proxies, else discovery's
// (which includes proxies found by their tag).
func (r *run) proxyStateFromAWS(ctx context.Context) string {
	regs := r.proxies
	if len(regs) == 0 {
		regs = r.disc.Proxies
	}
	if len(regs) == 0 {
		return contract.ProxyNotUsed
	}
	saved, savedSource := r.proxies, r.plan.Source
	r.proxies = regs
	if r.plan.Source.ID == "" {
		r.plan.Source = r.disc.Source // before a plan exists
	}
	defer func() { r.proxies, r.plan.Source = saved, savedSource }()
	// Read-only: findDeployment would adopt (and journal) a deployment.
	var dep *awsclient.Deployment
	if r.dep.id != "" {
		if d, err := r.api.DescribeDeployment(ctx, r.dep.id); err == nil {
			dep = &d
		}
	} else {
		for i := range r.disc.Deployments {
			if r.disc.Deployments[i].Status != "DELETING" {
				dep = &r.disc.Deployments[i]
				break
			}
		}
	}
	v, err := r.viewProxies(ctx)
	switch {
	case err != nil:
		return contract.ProxyUnknown
	case !v.all(len(regs)):
		return contract.ProxyEmpty
	case r.switchoverDone(dep):
		return contract.ProxyOnNewPrimary
	}
	return contract.ProxyOnBlue
}

// earlyProxyState is the proxy state of a stop before a run began (lock
// held, state directory not writable, unreadable journal): read from AWS,
// with the detached proxies found by their tags. A refusal of bad input
// (bad flags, unknown source) reads no proxy, so it says "unknown": a
// sentence about the present comes from AWS, and nothing was read; "blue"
// here once claimed a proxy an earlier run had emptied was serving.
func (e *Engine) earlyProxyState(err error) (string, []preflight.DetachedProxy) {
	source := e.cfg.Options.Source
	var usage *contract.InputError
	if errors.As(err, &usage) || source == "" || e.cfg.API == nil {
		return contract.ProxyUnknown, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, derr := preflight.Discover(ctx, e.cfg.API, source)
	if derr != nil {
		return contract.ProxyUnknown, nil
	}
	r := &run{e: e, api: e.cfg.API, disc: d}
	if recs, err := journal.Read(journal.Path(e.cfg.StateDir, d.Source.ID)); err == nil {
		r.prior = journal.Fold(recs) // what it says of a switchover, if readable
	}
	var empty []preflight.DetachedProxy
	for _, dp := range d.Detached {
		if !dp.Registered {
			empty = append(empty, dp)
		}
	}
	return r.proxyStateFromDiscovery(), empty
}

// detachedAdvice is what an early stop adds when a proxy is empty: never
// "try another state directory", since a second run elsewhere is exactly
// how a proxy gets forgotten; the exact commands that restore it instead.
func detachedAdvice(source string, empty []preflight.DetachedProxy) string {
	var b strings.Builder
	for i, dp := range empty {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(dp.Words())
		flag := "--db-instance-identifiers"
		if dp.Tag.TargetKind == contract.KindCluster {
			flag = "--db-cluster-identifiers"
		}
		fmt.Fprintf(&b, " and has NO target: restore it with `aws rds register-db-proxy-targets --db-proxy-name %s %s %s`", dp.Proxy, flag, dp.Tag.Target)
	}
	fmt.Fprintf(&b, ". Do not start a run elsewhere: fix the cause above and run `rdsbg resume --source %s` (it restores the proxy) or `rdsbg abort --source %s`", source, source)
	return b.String()
}

// emptiedByTag: discovery found a proxy that rdsbg emptied and that still
// has no target.
func (r *run) emptiedByTag() bool {
	for _, dp := range r.disc.Detached {
		if !dp.Registered {
			return true
		}
	}
	return false
}

// restoreWithoutJournal is `resume` when this state directory has no
// unfinished run but AWS shows a proxy that rdsbg emptied (the journal is
// lost, unreadable or on another machine): it puts the proxy back (blue
// before a switchover, the new primary after it), then says how to carry
// on. It journals no plan: the next `resume` must not mistake this restore
// for the lost run.
func (r *run) restoreWithoutJournal(ctx context.Context) (contract.Finished, error) {
	now := r.e.cfg.Clock.Now()
	opts := r.e.cfg.Options.WithDefaultsAt(now)
	proxies := r.disc.Proxies
	for _, dp := range r.disc.Detached {
		if dp.Uncorroborated && !dp.Registered {
			// On the operator's --source and --confirm only (the approval
			// below names it).
			proxies = append(proxies, contract.ProxyRegistration{Proxy: dp.Proxy, TargetGroup: "default", Target: r.disc.Source.Target()})
		}
	}
	r.plan = contract.Plan{Source: r.disc.Source, Options: opts, Proxies: proxies, Regime: contract.RegimeDetach, GeneratedAt: now.UTC()}
	r.proxies = proxies
	var dep *awsclient.Deployment
	for i, d := range r.disc.Deployments {
		if d.Status != "DELETING" {
			dep = &r.disc.Deployments[i]
		}
	}
	if dep != nil {
		r.dep.id = dep.ID
	}
	var found []string
	for _, dp := range r.disc.Detached {
		if !dp.Registered {
			found = append(found, dp.Words())
		}
	}
	// rdsbg did not journal this emptying itself: a tag (or a deployment's
	// list) authorizes nothing alone, so the operator's typed word does
	// (--source and --confirm headless), after seeing exactly what happens.
	text := fmt.Sprintf("No journal of a run for %s is in %s, but AWS shows: %s, with NO target. rdsbg did not record this itself, so only your word authorizes it: register %s with %s again (RegisterDBProxyTargets; the new primary if the switchover happened) and wait until it is AVAILABLE. Type %s to register it.",
		r.disc.Source.ID, r.e.cfg.StateDir, strings.Join(found, "; "), r.disc.Source.ID, proxyNames(r.proxies), r.disc.Source.ID)
	if err := r.ask(ctx, contract.Approval{Kind: "restore-from-tag", Title: fmt.Sprintf("Register %s with %s again, on the word of AWS's tags?", r.disc.Source.ID, proxyNames(r.proxies)),
		Text: text, Severity: contract.SeveritySevere, Confirm: r.disc.Source.ID, CLI: r.restoreCommands()}); err != nil {
		return r.e.finishEarly(outcomeOf(err), err, contract.ProxyEmpty)
	}
	r.e.emit(contract.Event{Type: contract.EventRunStarted, Message: fmt.Sprintf("resuming %s without a journal: %s", r.disc.Source.ID, strings.Join(found, "; "))})
	_ = r.journal.Append(journal.Record{Kind: journal.RecordCompensation, Source: r.disc.Source.ID, DeploymentID: r.dep.id, Message: "no journal; restoring from the tags in AWS: " + strings.Join(found, "; ")})
	_ = r.journal.Append(journal.Record{Kind: journal.RecordProxies, Proxies: r.proxies})
	state, cerr := r.compensate(ctx, errors.New("the run's journal is not in "+r.e.cfg.StateDir))
	if cerr != nil {
		return r.finish(outcomeOf(cerr), cerr, state)
	}
	next := fmt.Sprintf("to start over, `rdsbg run --source %s`", r.disc.Source.ID)
	if dep != nil {
		next = fmt.Sprintf("deployment %s (%s) is still there: carry on with `rdsbg run --source %s` (it adopts it) or undo it with `rdsbg abort --source %s`", dep.ID, dep.Status, r.disc.Source.ID, r.disc.Source.ID)
	}
	err := &contract.InputError{Input: "--source", ExitCode: contract.ExitUsage, Message: fmt.Sprintf(
		"no unfinished run for %s in %s, but AWS showed %s: rdsbg registered it again (proxy: %s); %s",
		r.disc.Source.ID, r.e.cfg.StateDir, strings.Join(found, "; "), state, next)}
	return r.finish(contract.OutcomeFailed, err, state)
}

// detachedStopError is an early stop's error with the truth about an empty
// proxy added; it unwraps to the original, so the exit code is unchanged.
type detachedStopError struct {
	err error
	msg string
}

func (e *detachedStopError) Error() string { return e.msg }
func (e *detachedStopError) Unwrap() error { return e.err }

// withDetachedAdvice adds what AWS shows about empty proxies to an early
// stop, replacing a state directory error's "pass --state-dir" (a second
// run elsewhere is how a proxy gets forgotten).
func withDetachedAdvice(err error, source string, empty []preflight.DetachedProxy) error {
	msg := err.Error()
	var dirErr *journal.StateDirError
	if errors.As(err, &dirErr) {
		msg = fmt.Sprintf("state directory %s is not writable (%v): the journal must be written before any change, so rdsbg changed nothing; make it writable", dirErr.Dir, dirErr.Err)
	}
	return &detachedStopError{err: err, msg: msg + ". " + detachedAdvice(source, empty)}
}

// proxyStateFromDiscovery is the proxy state as discovery read it moments
// ago: no further call, so a refusal that reports it leaves no record of
// its own in the journal's call log.
func (r *run) proxyStateFromDiscovery() string {
	regs := r.proxies
	if len(regs) == 0 {
		regs = r.disc.Proxies
	}
	if len(regs) == 0 {
		return contract.ProxyNotUsed
	}
	for _, reg := range regs {
		registered := false
		for _, seen := range r.disc.Proxies {
			if strings.EqualFold(seen.Proxy, reg.Proxy) && len(seen.Targets) > 0 {
				registered = true
			}
		}
		if !registered {
			return contract.ProxyEmpty
		}
	}
	var dep *awsclient.Deployment
	for i := range r.disc.Deployments {
		d := &r.disc.Deployments[i]
		if (r.dep.id != "" && d.ID == r.dep.id) || (r.dep.id == "" && d.Status != "DELETING") {
			dep = d
		}
	}
	if r.switchoverDone(dep) {
		return contract.ProxyOnNewPrimary
	}
	return contract.ProxyOnBlue
}
