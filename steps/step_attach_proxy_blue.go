package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// attach-proxy-blue (step 3).
//   detach regime: register blue with every proxy again at once, while
//     green is still provisioning, and wait for AVAILABLE. A refusal is
//     retried (reattachBlue, below), bounded by --max-proxy-outage, then
//     rolled back (compensate.go). Never asked: it restores production's
//     own registration, a decline would be compensated by the same call,
//     and a prompt would only keep the proxy empty while the operator
//     reads it.
//   native regime: a check that the proxy still serves blue.
//   none: not in the plan.
// Nothing to undo: it is itself the undoing of detach-proxy.

func planAttachProxyBlue(b planBuilder) (contract.PlannedStep, bool) {
	if !b.hasProxy() {
		return contract.PlannedStep{}, false
	}
	src := b.d.Source
	proxies := b.proxies()
	if b.native() {
		return b.proxyCheck(contract.StepAttachProxyBlue, "Check the proxy still serves blue",
			"The proxy must keep its healthy target on blue while green is built.",
			fmt.Sprintf("Nothing changes; the %s must show %s AVAILABLE.", proxies, src.ID)), true
	}
	return contract.PlannedStep{
		ID: contract.StepAttachProxyBlue, Title: "Register the proxies with blue again", Severity: contract.SeverityReversible,
		Why:    "Blue is registered with the proxy again at once, while green is still provisioning; traffic through the proxy resumes when the target turns AVAILABLE (about 5 minutes on AWS): the proxy is empty only for the create call plus this registration.",
		Effect: fmt.Sprintf("The %s %s to %s again once the target is AVAILABLE. If AWS refuses the registration, rdsbg retries every %s; after --max-proxy-outage %s it deletes the deployment with its green and restores the original targets.", proxies, b.verb("routes", "route"), src.ID, poll.DefaultPolicy().Slow, b.o.ProxyOutageLimit()),
		CLI: append(b.each(func(p string) string { return b.cli.register(p, src) }),
			b.each(func(p string) string { return b.cli.describeTargets(p) + "   # repeat until AVAILABLE" })...),
	}, true
}

func (r *run) attachProxyBlueStep(ps contract.PlannedStep) stepImpl {
	if ps.CheckOnly {
		return r.checkProxyHealthy(ps, "the proxy to keep blue AVAILABLE", r.pastSwitchover)
	}
	impl := r.attachProxyBlue(ps)
	impl.unasked = true
	return impl
}

// attachProxyBlue is step 3 (detach regime): register blue again as soon
// as AWS accepted the creation, so the proxy is not empty while green is
// provisioning (reattachBlue retries a refusal, bounded by
// --max-proxy-outage).
func (r *run) attachProxyBlue(ps contract.PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			_, early := r.beforeSwitchover(ctx, "the switchover has started")
			if early != nil {
				return early.result()
			}
			if r.continueWithoutProxy {
				return stepNotNeeded, "blue stays without the proxy until the switchover", nil
			}
			if r.prior.Steps[contract.StepDetachProxyBlue] != "" {
				// A crash inside the critical section: the proxy is empty
				// on purpose and the section goes on (no re-registration,
				// no prompt); if compensation put blue back, the check
				// below sees it registered.
				v, err := r.viewProxies(ctx)
				if err != nil {
					return 0, "", err
				}
				if v.none() {
					return stepNotNeeded, "the critical section is under way: the proxy stays detached", nil
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
			// Bounded like a refused registration: a target that does not
			// become AVAILABLE within --max-proxy-outage of its accepted
			// registration rolls back.
			deadline := r.e.cfg.Clock.Now().Add(r.plan.Options.ProxyOutageLimit())
			if r.continueWithoutProxy {
				deadline = time.Time{}
			}
			return r.waitHealthyUntil(ctx, ps.ID, "blue's proxy targets to be AVAILABLE", deadline)
		},
	}
}

// The bounded retry of attach-proxy-blue's registration. Whether legacy
// AWS accepts it while green is provisioning is undocumented (design.md
// §2), and native AWS refuses it, so a refusal is never fatal and never
// keyed on an error code: rdsbg retries at the slow cadence, shows the
// outage live, and at --max-proxy-outage asks (headless: decides) to roll
// back (compensate.go).

// errOutageRollback: blue could not be registered again within
// --max-proxy-outage and the run rolls back (delete the deployment with
// its green, register the original targets).
type errOutageRollback struct {
	err   error         // the last refusal, or the target's failing health
	limit time.Duration // --max-proxy-outage
	proxy string
	// notServing: blue was registered but never became AVAILABLE (err
	// holds TargetHealth's words).
	notServing bool
}

func (e *errOutageRollback) Error() string {
	if e.notServing {
		return fmt.Sprintf("blue was registered with %s again but did not become AVAILABLE within --max-proxy-outage %s (%s): rolled back so that the proxy is not empty for the whole provisioning; check the proxy's secret, its IAM role and the security groups",
			e.proxy, e.limit, e.err)
	}
	return fmt.Sprintf("AWS did not let rdsbg register blue with %s again within --max-proxy-outage %s (last answer: %s): rolled back so that the proxy is not empty for the whole provisioning",
		e.proxy, e.limit, awsWords(e.err))
}

func (e *errOutageRollback) Unwrap() error { return e.err }

// blueOutageSince is when the proxy lost blue before the creation: the
// earliest of the outage book's empty times (this process's deregistration
// and the open windows the journal carried over: a resume re-records them
// with their first start, so the bound counts from the first outage across
// any number of resumes) and the journal's record of detach-proxy
// starting. Now only when none is known.
func (r *run) blueOutageSince() time.Time {
	now := r.e.cfg.Clock.Now()
	since := now
	earlier := func(t time.Time) {
		if !t.IsZero() && !t.After(now) && t.Before(since) {
			since = t
		}
	}
	if t, ok := r.outages.emptySince(); ok {
		earlier(t)
	}
	if t, ok := r.prior.Started[contract.StepDetachProxy]; ok {
		earlier(t)
	}
	return since
}

// reattachBlue registers blue with every original proxy, retrying any
// failure at the slow cadence (a throttled, refused or failed call alike)
// until it succeeds or the outage reaches --max-proxy-outage.
func (r *run) reattachBlue(ctx context.Context, ps contract.PlannedStep) error {
	since := r.blueOutageSince()
	limit := r.plan.Options.ProxyOutageLimit()
	deadline := since.Add(limit)
	for attempt := 1; ; attempt++ {
		err := r.registerAll(ctx)
		if err == nil {
			if attempt > 1 {
				r.e.notice(ps.ID, "AWS accepted blue's registration at attempt %d, %s after the proxy lost it", attempt, r.e.cfg.Clock.Now().Sub(since).Round(time.Second))
			}
			return nil
		}
		if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			return err
		}
		now := r.e.cfg.Clock.Now()
		empty := now.Sub(since).Round(time.Second)
		s := since
		r.e.emit(contract.Event{Type: contract.EventProgress, Step: ps.ID, Progress: &contract.Progress{
			ProxylessSince: &s,
			Elapsed:        empty,
			Polls:          attempt,
			Waiting: fmt.Sprintf("AWS refused blue's registration with %s (%s): the proxy has been EMPTY since %s (%s); retrying every %s; rollback at --max-proxy-outage %s (in %s)",
				proxyNames(r.proxies), awsWords(err), since.UTC().Format("15:04:05"), empty, r.e.cfg.Poll.Slow, limit, maxDur(deadline.Sub(now), 0).Round(time.Second)),
		}})
		if !now.Before(deadline) {
			wait, derr := r.askOutage(ctx, ps, err, since, limit)
			if derr != nil {
				return derr
			}
			if !wait {
				return &errOutageRollback{err: err, limit: limit, proxy: proxyNames(r.proxies)}
			}
			deadline = now.Add(limit)
		}
		if serr := r.e.sleepProbing(ctx, r.e.jitter(r.e.cfg.Poll.Slow)); serr != nil {
			return serr
		}
	}
}

// askOutage asks whether to keep waiting for AWS to accept blue's
// registration or to roll back. Headless answers roll back.
func (r *run) askOutage(ctx context.Context, ps contract.PlannedStep, last error, since time.Time, limit time.Duration) (wait bool, err error) {
	empty := r.e.cfg.Clock.Now().Sub(since).Round(time.Second)
	text := fmt.Sprintf("The proxy %s has been EMPTY for %s (since %s): AWS keeps refusing to register %s again while green is provisioning (%s).\nwait: keep retrying every %s for another %s (asked again then).\nrollback: delete deployment %s with its green, register the original targets again and stop with the proxy on blue.",
		proxyNames(r.proxies), empty, since.UTC().Format("15:04:05"), r.plan.Source.ID, awsWords(last), r.e.cfg.Poll.Slow, limit, contract.OrNoDetails(r.dep.id))
	d, err := r.decide(ctx, contract.Approval{Kind: "proxy-outage", Step: ps.ID, Title: fmt.Sprintf("The proxy is still empty after --max-proxy-outage %s: wait longer or roll back?", limit),
		Text: text, Severity: contract.SeverityReversible, Error: errorInfo(last), Choices: []contract.Decision{contract.DecisionWait, contract.DecisionRollback}})
	if err != nil {
		return false, err
	}
	if d == contract.DecisionWait {
		r.e.notice(ps.ID, "waiting another %s for AWS to accept blue's registration, at the operator's choice; the proxy stays EMPTY meanwhile", limit)
		return true, nil
	}
	return false, nil
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
