package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/world"
)

// mutationTimeout bounds one mutating call sent with a context detached
// from cancellation: an interrupt never abandons a request half-sent.
const mutationTimeout = 2 * time.Minute

// detached returns a context that ignores the caller's cancellation (an
// interrupt) but still ends after limit.
func detached(ctx context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), limit)
}

// sourceTargets returns the entries of one proxy that stand for the source.
func (r *run) sourceTargets(ctx context.Context, proxy string) ([]awsclient.ProxyTarget, error) {
	ts, err := r.api.DescribeProxyTargets(ctx, proxy)
	if err != nil {
		r.outageUnread(proxy) // outage.go: unknown from here, never "empty"
		return nil, err
	}
	r.tags.read(proxy, ts, r.e.cfg.Clock.Now())
	out := r.plan.Source.Entries(ts)
	for i := range out {
		out[i].ProxyName = proxy
	}
	r.outageRead(proxy, out) // outage.go: windows and the live traffic line
	return out, nil
}

// sourceTargetsNow is sourceTargets, answered from the world the step just
// read for its reconciliation when there is one (reconcile.go).
func (r *run) sourceTargetsNow(ctx context.Context, proxy string) ([]awsclient.ProxyTarget, error) {
	if w := r.snap; w != nil {
		if p := w.Proxy(proxy); p != nil && p.Known() && !p.Gone {
			return sourceEntries(*p, r.plan.Source), nil // readWorld fed the outage book
		}
	}
	return r.sourceTargets(ctx, proxy)
}

// proxyView is the source's entries on every original proxy.
type proxyView struct {
	targets    []awsclient.ProxyTarget
	registered int // proxies that have the source registered
	healthy    int // proxies where every entry of the source is AVAILABLE
}

func (v proxyView) all(n int) bool        { return v.registered == n }
func (v proxyView) none() bool            { return v.registered == 0 }
func (v proxyView) healthyAll(n int) bool { return v.healthy == n }

func (r *run) viewProxies(ctx context.Context) (v proxyView, err error) {
	defer func() { r.tags.remember(v, err, r.e.cfg.Clock.Now()) }()
	for _, reg := range r.proxies {
		ts, err := r.sourceTargetsNow(ctx, reg.Proxy)
		if err != nil {
			return v, err
		}
		v.targets = append(v.targets, ts...)
		if len(ts) > 0 {
			v.registered++
			if allAvailable(ts) {
				v.healthy++
			}
		}
	}
	return v, nil
}

func allAvailable(ts []awsclient.ProxyTarget) bool {
	for _, t := range ts {
		if t.Health.State != "AVAILABLE" {
			return false
		}
	}
	return len(ts) > 0
}

// refusal is an error that means "AWS will not do this" rather than "try
// again" or "you may not": the regime fallbacks key on it, never on one
// error code (the real codes are undocumented, design.md §2).
func refusal(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch awsclient.Classify(err) {
	case awsclient.KindThrottled, awsclient.KindNotFound, awsclient.KindAccessDenied, awsclient.KindCredentials:
		return false
	}
	if info, ok := awsclient.Inspect(err); ok && info.HTTPStatus >= 500 {
		return false
	}
	_, ok := awsclient.Inspect(err)
	return ok
}

// deregisterAll removes the source from every original proxy that still
// has it; the outage book opens a window at each response, its cause named
// by the step (outage.go).
func (r *run) deregisterAll(ctx context.Context) error {
	for _, reg := range r.proxies {
		ts, err := r.targetsToDetach(ctx, reg.Proxy)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			continue
		}
		if err := r.tagDetached(ctx, reg); err != nil {
			return err // never empty a proxy without its record in AWS
		}
		mctx, cancel := detached(ctx, mutationTimeout)
		err = r.api.DeregisterTargets(mctx, reg.Proxy, reg.Target)
		cancel()
		if err != nil && awsclient.Classify(err) != awsclient.KindNotFound {
			return fmt.Errorf("deregister %s from proxy %s: %w", reg.Target.ID(), reg.Proxy, err)
		}
		r.outageEmptied(reg.Proxy) // outage.go: the window opens at this response
	}
	return nil
}

// registerAll registers the source (blue before the switchover, the new
// primary after it: it carries the same name) with every original proxy.
func (r *run) registerAll(ctx context.Context) error {
	for _, reg := range r.proxies {
		ts, err := r.sourceTargets(ctx, reg.Proxy)
		if err != nil {
			return err
		}
		if len(ts) > 0 {
			continue
		}
		mctx, cancel := detached(ctx, mutationTimeout)
		created, err := r.api.RegisterTargets(mctx, reg.Proxy, reg.Target)
		cancel()
		if err != nil && awsclient.Classify(err) != awsclient.KindAlreadyExists {
			return fmt.Errorf("register %s with proxy %s: %w", reg.Target.ID(), reg.Proxy, err)
		}
		if err == nil && len(created) > 0 {
			// AWS's answer shows the target registered: the last word on
			// this proxy until the next read (compensate.go speaks from it).
			r.tags.read(reg.Proxy, created, r.e.cfg.Clock.Now())
		}
	}
	return nil
}

// waitDeregistered polls until no original proxy lists the source.
func (r *run) waitDeregistered(ctx context.Context, step contract.StepID) error {
	return r.e.wait(ctx, poll.Spec{Step: step, What: "the proxy targets to be removed", Speed: poll.Fast, Limit: r.e.cfg.Poll.ProxyTargetLimit,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			v, err := r.viewProxies(ctx)
			return v.none(), contract.Progress{ProxyTargets: v.targets, ProxylessSince: r.outages.criticalSince()}, err
		}})
}

// waitHealthy polls until every original proxy shows the source AVAILABLE.
// The outage book ends an open window at the first of the healthy reads
// (outage.go); while the critical section's is open, polls come at the
// critical interval. A target that AWS reports failing (UNAVAILABLE for a
// reason other than the proxy's own scaling) is shown with TargetHealth's
// reason and description at once, and ends the wait once it has failed
// for --max-proxy-outage (errTargetUnhealthy): registering again cannot
// heal it. outageDeadline, when set, ends the wait with a rollback
// (errOutageRollback) if the proxy does not serve by then
// (attach-proxy-blue).
func (r *run) waitHealthy(ctx context.Context, step contract.StepID, what string) error {
	return r.waitHealthyUntil(ctx, step, what, time.Time{})
}

func (r *run) waitHealthyUntil(ctx context.Context, step contract.StepID, what string, outageDeadline time.Time) error {
	n := len(r.proxies)
	speed := poll.Fast
	if r.outages.criticalSince() != nil {
		speed = poll.Critical
	}
	spec := poll.Spec{Step: step, What: what, Speed: speed, Reads: n, Limit: r.e.cfg.Poll.ProxyTargetLimit, Stable: r.e.cfg.Poll.StableReads,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			v, err := r.viewProxies(ctx)
			if err != nil {
				return false, contract.Progress{}, err
			}
			healthy := v.healthyAll(n)
			// The read that ends the window does not also say the proxy
			// has no target.
			prog := contract.Progress{ProxyTargets: v.targets, ProxylessSince: r.outages.criticalSince()}
			if !healthy {
				if sick := r.noteTargetHealth(step, v); sick != nil {
					return false, prog, &poll.FatalError{Err: sick}
				}
				if words := failingWords(v.targets); words != "" {
					prog.Waiting = what + ": " + words
				}
				if !outageDeadline.IsZero() && !r.e.cfg.Clock.Now().Before(outageDeadline) {
					return false, prog, &poll.FatalError{Err: &errOutageRollback{err: errors.New(contract.OrNoDetails(failingWords(v.targets))), limit: r.plan.Options.ProxyOutageLimit(), proxy: proxyNames(r.proxies), notServing: true}}
				}
			}
			return healthy, prog, nil
		}}
	r.paceHealthWait(&spec) // when the reads come
	err := r.e.wait(ctx, spec)
	if err == nil {
		r.untagServing(ctx) // production's proxy serves again
	}
	return err
}

// registerNewPrimary registers the new primary. Where AWS handles proxies
// natively it refuses to register a DB that still belongs to a deployment,
// even after the switchover; the deployment object (never a database) is
// then deleted first, since the proxy must not stay empty.
func (r *run) registerNewPrimary(ctx context.Context, step contract.StepID) error {
	if err := r.deregisterOldBlue(ctx, step); err != nil {
		return err
	}
	err := r.registerAll(ctx)
	if err == nil || !refusal(err) {
		return err
	}
	dep, ferr := r.findDeployment(ctx)
	if ferr != nil || dep == nil || !r.switchoverDone(dep) {
		return err
	}
	r.compensation("AWS refused to register the new primary while deployment %s exists (%s): deleting the deployment object (not its databases), then registering again", dep.ID, errorInfo(err).Code)
	if dep.Status != "DELETING" {
		mctx, cancel := detached(ctx, mutationTimeout)
		_, derr := r.api.DeleteDeployment(mctx, dep.ID, false)
		cancel()
		if derr == nil {
			r.leaseGone() // the lease goes with the deployment (ownership.go)
		}
		if derr != nil && awsclient.Classify(derr) != awsclient.KindNotFound {
			return fmt.Errorf("%w; deleting deployment %s to allow it failed: %v", err, dep.ID, derr)
		}
	}
	if werr := r.waitDeploymentGone(ctx, step, dep.ID); werr != nil {
		return werr
	}
	return r.registerAll(ctx)
}

// errTargetUnhealthy: production is registered with a proxy, and AWS has
// reported the target failing (TargetHealth UNAVAILABLE for a reason other
// than the proxy's own scaling) for longer than --max-proxy-outage.
type errTargetUnhealthy struct {
	Proxy  string
	Target string
	Health awsclient.TargetHealth
	Since  time.Time
	For    time.Duration
}

func (e *errTargetUnhealthy) Error() string {
	return fmt.Sprintf("proxy %s has %s registered but AWS has reported it not AVAILABLE for %s (since %s): TargetHealth %s. Registering it again cannot fix that: check the proxy's secret in Secrets Manager, its IAM role and the security groups between the proxy and the database, then `aws rds describe-db-proxy-targets --db-proxy-name %s`",
		e.Proxy, e.Target, e.For.Round(time.Second), e.Since.UTC().Format(time.RFC3339), world.HealthWords(e.Health), e.Proxy)
}

// failingTarget is the first of the source's entries AWS reports failing
// (not AVAILABLE, not on its way there).
func failingTarget(ts []awsclient.ProxyTarget) (awsclient.ProxyTarget, bool) {
	for _, t := range ts {
		h := t.Health
		if h.State == "AVAILABLE" || h.State == "REGISTERING" || (h.State == "UNAVAILABLE" && h.Reason == "PENDING_PROXY_CAPACITY") {
			continue
		}
		return t, true
	}
	return awsclient.ProxyTarget{}, false
}

// failingWords names the failing entry with TargetHealth's reason and
// description, "" when none fails.
func failingWords(ts []awsclient.ProxyTarget) string {
	t, ok := failingTarget(ts)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s on %s is %s", t.RdsResourceID, t.ProxyName, world.HealthWords(t.Health))
}

// noteTargetHealth keeps since when each proxy's target has been failing,
// across the run's waits, says so at once the first time, and returns a
// errTargetUnhealthy once it has failed for --max-proxy-outage.
func (r *run) noteTargetHealth(step contract.StepID, v proxyView) error {
	now := r.e.cfg.Clock.Now()
	failing := map[string]awsclient.ProxyTarget{}
	for _, t := range v.targets {
		if f, ok := failingTarget([]awsclient.ProxyTarget{t}); ok {
			if _, seen := failing[t.ProxyName]; !seen {
				failing[t.ProxyName] = f
			}
		}
	}
	if r.unhealthy == nil {
		r.unhealthy = map[string]time.Time{}
	}
	for _, reg := range r.proxies {
		t, bad := failing[reg.Proxy]
		since, seen := r.unhealthy[reg.Proxy]
		switch {
		case !bad:
			delete(r.unhealthy, reg.Proxy)
		case !seen:
			r.unhealthy[reg.Proxy] = now
			r.e.notice(step, "PROXY %s NOT SERVING: %s is registered but %s", reg.Proxy, t.RdsResourceID, world.HealthWords(t.Health))
		case now.Sub(since) >= r.plan.Options.ProxyOutageLimit():
			return &errTargetUnhealthy{Proxy: reg.Proxy, Target: t.RdsResourceID, Health: t.Health, Since: since, For: now.Sub(since)}
		}
	}
	return nil
}

// deregisterOldBlue takes the old blue (-oldN) off the run's proxies before
// the new primary is registered: after a switchover made outside rdsbg
// while blue was registered, the proxy followed the renamed old blue,
// which is read-only, and a proxy takes one DB target (issue 20, X3).
// Only what the world view names old blue is deregistered.
func (r *run) deregisterOldBlue(ctx context.Context, step contract.StepID) error {
	q := r.worldQuery(false)
	q.DeploymentID, q.FindDeployment = "", false
	q.Targets = nil // read now: this deregisters
	w := world.Read(ctx, r.api, q, r.e.cfg.Clock.Now())
	if !w.Known() {
		return &errWorldUnknown{what: w.Unknown, err: w.Err()}
	}
	for _, reg := range r.proxies {
		p := w.Proxy(reg.Proxy)
		if p == nil || p.Gone {
			continue
		}
		for _, old := range p.Registrations {
			if old.Role != world.RoleOldBlue {
				continue
			}
			ref := awsclient.TargetRef{InstanceID: old.Resource}
			if old.Kind == world.KindCluster {
				ref = awsclient.TargetRef{ClusterID: old.Resource}
			}
			r.compensation("proxy %s points at %s, the old blue (read-only since the switchover): deregistering it so that the new primary %s can be registered", reg.Proxy, old.Resource, r.plan.Source.ID)
			mctx, cancel := detached(ctx, mutationTimeout)
			err := r.api.DeregisterTargets(mctx, reg.Proxy, ref)
			cancel()
			if err != nil && !awsclient.IsNotFound(err) {
				return fmt.Errorf("deregister the old blue %s from proxy %s: %w", old.Resource, reg.Proxy, err)
			}
			r.outageEmptied(reg.Proxy) // outage.go: it served no writes, and now nothing
		}
	}
	return nil
}

// The native regime turns the four proxy steps into checks: the proxy
// keeps its target and must be healthy (design.md §2).

// checkProxyHealthy is a native-regime check step: the proxy keeps its
// target and must be healthy.
func (r *run) checkProxyHealthy(ps contract.PlannedStep, what string, after func(dep *awsclient.Deployment) bool) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			if after != nil {
				dep, err := r.findDeployment(ctx)
				if err != nil {
					return 0, "", err
				}
				if after(dep) {
					return stepDone, "the procedure is past this check", nil
				}
			}
			return stepTodo, "", nil
		},
		settle: func(ctx context.Context) error { return r.waitHealthy(ctx, ps.ID, what) },
	}
}

// criticalPace is what a run remembers to pace its critical waits.
type criticalPace struct {
	// registration: how long blue's registration took to turn AVAILABLE in
	// this run: after lo (a read still showed it registering) and by hi
	// (the first AVAILABLE read), from the start of its wait.
	registration *registrationTiming
	// registered: attach-proxy-primary registered the new primary in this
	// process just now (the call succeeded), so the health wait that
	// follows starts at the registration. Consumed by that wait.
	registered bool
}

type registrationTiming struct{ lo, hi time.Duration }

// paceHealthWait shapes a waitHealthy: blue's registration (outside the
// critical section) is timed closely and remembered; the new primary's,
// inside it, is read when blue's time has passed and ends at the first
// AVAILABLE read when verify follows.
func (r *run) paceHealthWait(spec *poll.Spec) {
	def, _ := r.e.rows.def(spec.Step)
	switch {
	case spec.Speed != poll.Critical:
		spec.Ramp = true
		if def.refills() && def.section == outsideSection {
			spec.Seen = func(lo, hi time.Duration) { r.pace.registration = &registrationTiming{lo: lo, hi: hi} }
			// Blue's registration wait follows the deployment's reads and
			// the step's own; its closely spaced reads are marked urgent
			// (the proxy is empty until blue is AVAILABLE) so that the
			// pacer does not stretch them and blur the timing.
			poll := spec.Poll
			spec.Poll = func(ctx context.Context) (bool, contract.Progress, error) { return poll(awsclient.Urgent(ctx)) }
		}
	case def.refills() && def.section == inSection && r.pace.registered:
		// attach-proxy-primary's own wait, right after its registration
		// (compensation's waits on the same step keep the stable reads:
		// no verify follows them).
		r.pace.registered = false
		if r.planHas(contract.StepVerify) {
			spec.Stable = 1
		}
		reg := r.pace.registration
		if reg == nil {
			return // no prediction: read at once, then every critical interval
		}
		// Blue turned AVAILABLE between lo and hi: read in the middle of
		// that span, and at its end if not yet (one or two reads, a lag of
		// at most half the span). Until then read about once a second
		// (Fast): enough to see a registration quicker than blue's.
		half := max((reg.hi-reg.lo)/2, poll.DueMinStep)
		mid := max(reg.hi-half, 0)
		spec.Due = &poll.DueWindow{From: mid, To: reg.hi, Step: half, Before: r.e.cfg.Poll.Fast}
		spec.First = min(mid, r.e.cfg.Poll.Fast)
	}
}

func (r *run) planHas(id contract.StepID) bool {
	for _, s := range r.plan.Steps {
		if s.ID == id {
			return true
		}
	}
	return false
}
