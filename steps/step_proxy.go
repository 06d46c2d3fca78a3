package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
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
		return nil, err
	}
	out := targetsOf(ts, r.plan.Source)
	for i := range out {
		out[i].ProxyName = proxy
	}
	r.outageRead(proxy, out) // outage.go: windows and the live traffic line
	return out, nil
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
		ts, err := r.sourceTargets(ctx, reg.Proxy)
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
	r.noteProxyView(v)
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
	case awsclient.KindThrottled, awsclient.KindNotFound, awsclient.KindAccessDenied:
		return false
	}
	if info, ok := awsclient.Inspect(err); ok && info.HTTPStatus >= 500 {
		return false
	}
	_, ok := awsclient.Inspect(err)
	return ok
}

// deregisterAll removes the source from every original proxy that still
// has it. It opens the proxy-less window when asked to measure it.
func (r *run) deregisterAll(ctx context.Context, measure bool) error {
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
		if r.emptySince == nil {
			now := r.e.cfg.Clock.Now()
			r.emptySince = &now
		}
		r.outageEmptied(reg.Proxy) // outage.go: the window opens at this response
		if measure && r.proxylessSince == nil {
			now := r.e.cfg.Clock.Now()
			r.proxylessSince = &now
			_ = r.journal.Append(Record{Kind: RecordProxyless, State: "open", Time: now})
		}
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
		_, err = r.api.RegisterTargets(mctx, reg.Proxy, reg.Target)
		cancel()
		if err != nil && awsclient.Classify(err) != awsclient.KindAlreadyExists {
			return fmt.Errorf("register %s with proxy %s: %w", reg.Target.ID(), reg.Proxy, err)
		}
	}
	return nil
}

// waitDeregistered polls until no original proxy lists the source.
func (r *run) waitDeregistered(ctx context.Context, step StepID) error {
	return r.e.wait(ctx, waitSpec{step: step, what: "the proxy targets to be removed", speed: pollFast, limit: r.e.cfg.Poll.ProxyTargetLimit,
		poll: func(ctx context.Context) (bool, Progress, error) {
			v, err := r.viewProxies(ctx)
			return v.none(), Progress{ProxyTargets: v.targets, ProxylessSince: r.proxylessSince}, err
		}})
}

// waitHealthy polls until every original proxy shows the source AVAILABLE.
// The first healthy read closes an open proxy-less window; while it is
// open, polls come at the critical interval.
func (r *run) waitHealthy(ctx context.Context, step StepID, what string) error {
	n := len(r.proxies)
	speed := pollFast
	if r.proxylessSince != nil {
		speed = pollCritical
	}
	spec := waitSpec{step: step, what: what, speed: speed, reads: n, limit: r.e.cfg.Poll.ProxyTargetLimit, stable: r.e.cfg.Poll.StableReads,
		poll: func(ctx context.Context) (bool, Progress, error) {
			v, err := r.viewProxies(ctx)
			if err != nil {
				return false, Progress{}, err
			}
			healthy := v.healthyAll(n)
			if healthy {
				r.closeProxyless()
			}
			// After the close: the read that ends the window does not
			// also say the proxy has no target.
			prog := Progress{ProxyTargets: v.targets, ProxylessSince: r.proxylessSince}
			return healthy, prog, nil
		}}
	r.paceHealthWait(&spec) // when the reads come: critical_pace.go
	err := r.e.wait(ctx, spec)
	if err == nil {
		r.untagServing(ctx) // production's proxy serves again
	}
	return err
}

// closeProxyless ends the measured window at the first healthy read.
func (r *run) closeProxyless() {
	if r.proxylessSince == nil {
		return
	}
	now := r.e.cfg.Clock.Now()
	r.proxylessWindow += now.Sub(*r.proxylessSince)
	r.proxylessSince = nil
	_ = r.journal.Append(Record{Kind: RecordProxyless, State: "closed", Time: now, Message: fmt.Sprintf("proxy-less for %s", r.proxylessWindow)})
}

// detachProxy is step 1 (detach regime): deregister the source from every
// proxy before the deployment is created.
func (r *run) detachProxy(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if dep != nil || r.pastSwitchover(dep) {
				return stepDone, "the deployment exists already, so the proxy was detached before it was created", nil
			}
			v, err := r.viewProxies(ctx)
			if err != nil {
				return 0, "", err
			}
			if v.none() {
				return stepApplied, "no proxy lists the source any more", nil
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error {
			now := r.e.cfg.Clock.Now()
			r.detachedAt = &now // the outage before creation starts here (reattach.go)
			return r.deregisterAll(ctx, false)
		},
		settle: func(ctx context.Context) error { return r.waitDeregistered(ctx, ps.ID) },
	}
}

// checkProxyHealthy is a native-regime check step: the proxy keeps its
// target and must be healthy.
func (r *run) checkProxyHealthy(ps PlannedStep, what string, after func(dep *awsclient.Deployment) bool) stepImpl {
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

// attachProxyBlue is step 3 (detach regime): register blue again as soon
// as AWS accepted the creation, so the proxy is not empty while green is
// provisioning (reattach.go retries a refusal, bounded by
// --max-proxy-outage).
func (r *run) attachProxyBlue(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if r.pastSwitchover(dep) {
				return stepDone, "the switchover has started", nil
			}
			if r.continueWithoutProxy {
				return stepDone, "blue stays without the proxy until the switchover", nil
			}
			if r.prior.Steps[StepDetachProxyBlue] != "" {
				// A crash inside the critical section: the proxy is empty
				// on purpose and the section goes on (no re-registration,
				// no prompt); if compensation put blue back, the check
				// below sees it registered.
				v, err := r.viewProxies(ctx)
				if err != nil {
					return 0, "", err
				}
				if v.none() {
					return stepDone, "the critical section is under way: the proxy stays detached", nil
				}
			}
			v, err := r.viewProxies(ctx)
			if err != nil {
				return 0, "", err
			}
			if v.all(len(r.proxies)) {
				return stepApplied, "blue is registered again", nil
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error { return r.reattachBlue(ctx, ps) },
		settle: func(ctx context.Context) error {
			return r.waitHealthy(ctx, ps.ID, "blue's proxy targets to be AVAILABLE")
		},
	}
}

// detachProxyBlue is step 5: the critical section starts here.
func (r *run) detachProxyBlue(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if r.pastSwitchover(dep) {
				return stepDone, "the switchover has started", nil
			}
			v, err := r.viewProxies(ctx)
			if err != nil {
				return 0, "", err
			}
			if v.none() {
				if r.proxylessSince == nil && !r.continueWithoutProxy {
					// Resumed after the deregistration: the window is
					// measured from the journal's record of it.
					r.proxylessSince = r.prior.ProxylessAt
				}
				return stepApplied, "the proxy has no target already", nil
			}
			return stepTodo, "", nil
		},
		apply:  func(ctx context.Context) error { return r.deregisterAll(ctx, true) },
		settle: func(ctx context.Context) error { return r.waitDeregistered(ctx, ps.ID) },
	}
}

// attachProxyPrimary is step 7: register the new primary (it carries the
// original name) and wait until the proxy reports it healthy.
func (r *run) attachProxyPrimary(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if !r.switchoverDone(dep) {
				return 0, "", fatal("the switchover has not completed (deployment %s), so there is no new primary to register", depStatus(dep))
			}
			v, err := r.viewProxies(ctx)
			if err != nil {
				return 0, "", err
			}
			if v.all(len(r.proxies)) {
				return stepApplied, "the new primary is registered", nil
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error {
			err := r.registerNewPrimary(ctx, ps.ID)
			r.pace.registered = err == nil // the health wait starts at the registration (critical_pace.go)
			return err
		},
		settle: func(ctx context.Context) error {
			return r.waitHealthy(ctx, ps.ID, "the new primary's proxy targets to be AVAILABLE")
		},
	}
}

// registerNewPrimary registers the new primary. Where AWS handles proxies
// natively it refuses to register a DB that still belongs to a deployment,
// even after the switchover; the deployment object (never a database) is
// then deleted first, since the proxy must not stay empty.
func (r *run) registerNewPrimary(ctx context.Context, step StepID) error {
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
		if derr != nil && awsclient.Classify(derr) != awsclient.KindNotFound {
			return fmt.Errorf("%w; deleting deployment %s to allow it failed: %v", err, dep.ID, derr)
		}
	}
	if werr := r.waitDeploymentGone(ctx, step, dep.ID); werr != nil {
		return werr
	}
	return r.registerAll(ctx)
}

// fallbackToDetach handles a creation refused under auto mode's native
// plan: nothing has changed yet, so ask, re-plan in detach and go on.
func (r *run) fallbackToDetach(ctx context.Context, fb *errFallbackDetach) error {
	info := errorInfo(fb.err)
	text := fmt.Sprintf("AWS refused to create the blue/green deployment while %s is a target of %s (%s). Native RDS Proxy support does not apply to this database. Nothing has been changed. rdsbg can switch to the detach procedure: deregister the proxy, create the deployment, register blue again at once while green is provisioning, and detach/re-attach around the switchover. %s",
		r.plan.Source.ID, proxyNames(r.proxies), awsWords(fb.err), detachOutageNote(proxyNames(r.proxies), r.plan.Options.maxProxyOutage()))
	d, err := r.decide(ctx, Approval{Kind: "fallback-detach", Step: StepCreateDeployment, Title: "Switch to the detach procedure?", Text: text,
		Severity: SeverityReversible, Error: info, Choices: []Decision{DecisionApprove, DecisionDecline}})
	if err != nil {
		return err
	}
	if d != DecisionApprove {
		return fmt.Errorf("%w: the detach fallback was declined", ErrDeclined)
	}
	r.e.emit(Event{Type: EventNotice, Step: StepCreateDeployment, Message: "switching to the detach regime after AWS refused the creation with a registered proxy"})
	opts := r.plan.Options
	opts.ProxyMode = ProxyModeDetach
	d2 := r.disc
	d2.Proxies = r.proxies
	plan, err := BuildPlan(d2, opts, r.upgrade, r.e.cfg.Clock.Now())
	if err != nil {
		return err
	}
	r.plan = plan
	p := plan
	r.e.emit(Event{Type: EventPlanReady, Plan: &p, Message: "re-planned for the detach regime"})
	r.saveRunbook()
	return r.journal.Append(Record{Kind: RecordPlan, Plan: &p, Message: "fallback to detach"})
}

// awsWords is "Code: message" of an AWS error, without the SDK's wrapping.
func awsWords(err error) string {
	if info, ok := awsclient.Inspect(err); ok {
		return strings.TrimSpace(info.Code + ": " + info.Message)
	}
	return err.Error()
}

// rollback deletes the deployment with its green and restores the
// original proxy registrations. Only before a switchover.
func (r *run) rollback(ctx context.Context) error {
	cctx, cancel := detached(ctx, 2*r.e.cfg.Poll.DeleteLimit+r.e.cfg.Poll.ProxyTargetLimit) // registration during the deletion, health, then the deletion
	defer cancel()
	dep, err := r.findDeployment(cctx)
	if err != nil {
		return err
	}
	if r.pastSwitchover(dep) {
		return fatal("the switchover has started (deployment %s): rolling back is no longer possible", dep.Status)
	}
	if dep != nil {
		r.compensation("deleting deployment %s and its green resources", dep.ID)
		if dep.Status != "DELETING" {
			if _, err := r.api.DeleteDeployment(cctx, dep.ID, true); err != nil && awsclient.Classify(err) != awsclient.KindNotFound {
				return fmt.Errorf("delete deployment %s: %w", dep.ID, err)
			}
		}
	}
	// Registered as soon as AWS accepts it, not after the deletion
	// (reattach.go); the deletion is waited out after the proxy serves.
	r.compensation("registering the original targets with %s", proxyNames(r.proxies))
	if err := r.registerDuringDeletion(cctx, dep); err != nil {
		return err
	}
	if err := r.waitHealthy(cctx, StepAttachProxyBlue, "the original proxy targets to be AVAILABLE"); err != nil {
		return err
	}
	if dep != nil {
		if err := r.waitDeploymentGone(cctx, StepCreateDeployment, dep.ID); err != nil {
			return err
		}
	}
	r.compensation("the proxy targets %s again", r.plan.Source.ID)
	return nil
}

// continueWithoutProxyNote marks the journal record of that choice.
const continueWithoutProxyNote = "continue-without-proxy approved"

func (r *run) compensation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.e.emit(Event{Type: EventCompensation, Message: msg})
	_ = r.journal.Append(Record{Kind: RecordCompensation, Message: msg, DeploymentID: r.depID})
}
