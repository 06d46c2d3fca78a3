package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// attach-proxy-blue in the detach regime: blue is registered again right
// after AWS accepted the creation, while green is provisioning. Whether
// legacy AWS accepts that registration is undocumented (design.md §2), and
// native AWS refuses it, so a refusal is never fatal and never keyed on an
// error code: rdsbg retries at the slow cadence, shows the outage live,
// and at --max-proxy-outage asks (headless: decides) to roll back.

// errOutageRollback: blue could not be registered again within
// --max-proxy-outage and the run rolls back (delete the deployment with
// its green, register the original targets).
type errOutageRollback struct {
	err   error         // the last refusal
	limit time.Duration // --max-proxy-outage
	proxy string
}

func (e *errOutageRollback) Error() string {
	return fmt.Sprintf("AWS did not let rdsbg register blue with %s again within --max-proxy-outage %s (last answer: %s): rolled back so that the proxy is not empty for the whole provisioning",
		e.proxy, e.limit, awsWords(e.err))
}

func (e *errOutageRollback) Unwrap() error { return e.err }

// blueOutageSince is when the proxy lost blue before the creation: the
// earliest of this process's deregistration, the open outage windows the
// journal carried over for the run's proxies (outage.go: a resume
// re-records them with their first start, so the bound counts from the
// first outage across any number of resumes) and the journal's record of
// detach-proxy starting. Now only when none is known.
func (r *run) blueOutageSince() time.Time {
	now := r.e.cfg.Clock.Now()
	since := now
	earlier := func(t time.Time) {
		if !t.IsZero() && !t.After(now) && t.Before(since) {
			since = t
		}
	}
	if r.detachedAt != nil {
		earlier(*r.detachedAt)
	}
	for _, reg := range r.proxies {
		if p := r.outages.proxies[reg.Proxy]; p != nil && p.emptySince != nil {
			earlier(*p.emptySince)
		}
	}
	if t, ok := r.prior.Started[StepDetachProxy]; ok {
		earlier(t)
	}
	return since
}

// reattachBlue registers blue with every original proxy, retrying any
// failure at the slow cadence (a throttled, refused or failed call alike)
// until it succeeds or the outage reaches --max-proxy-outage.
func (r *run) reattachBlue(ctx context.Context, ps PlannedStep) error {
	since := r.blueOutageSince()
	limit := r.plan.Options.maxProxyOutage()
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
		r.e.emit(Event{Type: EventProgress, Step: ps.ID, Progress: &Progress{
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
func (r *run) askOutage(ctx context.Context, ps PlannedStep, last error, since time.Time, limit time.Duration) (wait bool, err error) {
	empty := r.e.cfg.Clock.Now().Sub(since).Round(time.Second)
	text := fmt.Sprintf("The proxy %s has been EMPTY for %s (since %s): AWS keeps refusing to register %s again while green is provisioning (%s).\nwait: keep retrying every %s for another %s (asked again then).\nrollback: delete deployment %s with its green, register the original targets again and stop with the proxy on blue.",
		proxyNames(r.proxies), empty, since.UTC().Format("15:04:05"), r.plan.Source.ID, awsWords(last), r.e.cfg.Poll.Slow, limit, orNone(r.depID))
	d, err := r.decide(ctx, Approval{Kind: "proxy-outage", Step: ps.ID, Title: fmt.Sprintf("The proxy is still empty after --max-proxy-outage %s: wait longer or roll back?", limit),
		Text: text, Severity: SeverityReversible, Error: errorInfo(last), Choices: []Decision{DecisionWait, DecisionRollback}})
	if err != nil {
		return false, err
	}
	if d == DecisionWait {
		r.e.notice(ps.ID, "waiting another %s for AWS to accept blue's registration, at the operator's choice; the proxy stays EMPTY meanwhile", limit)
		return true, nil
	}
	return false, nil
}

// rollbackOutage undoes the run after errOutageRollback and ends it with
// the proxy on blue, naming what is left.
func (r *run) rollbackOutage(ctx context.Context, orb *errOutageRollback) (Finished, error) {
	var green []string
	if dep, err := r.findDeployment(ctx); err == nil && dep != nil {
		for _, m := range dep.Members {
			if m.Target != "" {
				green = append(green, m.Target)
			}
		}
	}
	r.compensation("rolling back: %v", orb)
	if err := r.rollback(ctx); err != nil {
		return r.fail(ctx, fmt.Errorf("%v; the rollback did not finish: %w", orb, err))
	}
	r.e.emit(Event{Type: EventCompensation, Message: r.leftAfterRollback(ctx, green)})
	return r.finish(OutcomeRolledBack, orb, ProxyOnBlue)
}

// leftAfterRollback names what the rollback leaves: green resources AWS is
// still deleting, and the journal.
func (r *run) leftAfterRollback(ctx context.Context, green []string) string {
	var still []string
	for _, arn := range green {
		id, status := lastField(arn), ""
		var err error
		switch {
		case strings.Contains(arn, ":db:"):
			var i awsclient.Instance
			i, err = r.api.DescribeInstance(ctx, id)
			status = i.Status
		case strings.Contains(arn, ":cluster:"):
			var c awsclient.Cluster
			c, err = r.api.DescribeCluster(ctx, id)
			status = c.Status
		default:
			continue // custom endpoints go with their cluster
		}
		if err == nil {
			still = append(still, fmt.Sprintf("%s (%s)", id, status))
		}
	}
	msg := fmt.Sprintf("rolled back: the proxy targets blue (%s); deployment %s is deleted", r.plan.Source.ID, orNone(r.depID))
	if len(still) > 0 {
		msg += "; AWS is still deleting green: " + strings.Join(still, ", ")
	} else {
		msg += " with its green"
	}
	return msg + "; left: the journal " + r.journal.Path() + "; start again with `rdsbg run` when AWS accepts the registration, or use --proxy-mode native where AWS supports it"
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// registerDuringDeletion registers the original targets while AWS deletes
// dep (nil: no deployment), as soon as AWS accepts it: the rollback's
// outage is then the deletion call plus the registration, not the whole
// deletion too. Whether AWS accepts a registration while the deployment
// is DELETING is undocumented (rds-facts §5.4 says only that a DB in a
// deployment cannot be registered; the simulator no longer counts a
// DELETING deployment), so a refusal is retried at the fast cadence until
// it is accepted or the deployment is gone, then registered as usual.
func (r *run) registerDuringDeletion(ctx context.Context, dep *awsclient.Deployment) error {
	if dep == nil {
		return r.registerAll(ctx)
	}
	gone, refusals := false, 0
	started := r.e.cfg.Clock.Now()
	err := r.e.wait(ctx, waitSpec{step: StepAttachProxyBlue, what: "AWS to accept the original targets while deployment " + dep.ID + " is deleted", speed: pollFast, limit: r.e.cfg.Poll.DeleteLimit,
		poll: func(ctx context.Context) (bool, Progress, error) {
			err := r.registerAll(ctx)
			if err == nil {
				return true, Progress{}, nil
			}
			if !refusal(err) {
				if retryable(ctx, err) {
					return false, Progress{}, err // throttled, 5xx, refused connection: the wait retries it
				}
				// Denied, not found: waiting fixes nothing; the rollback
				// fails and compensation (which the operator can stop)
				// takes over.
				return false, Progress{}, &fatalError{err: err}
			}
			refusals++
			d, derr := r.api.DescribeDeployment(ctx, dep.ID)
			if awsclient.Classify(derr) == awsclient.KindNotFound {
				gone = true
				return true, Progress{DeploymentID: dep.ID, DeploymentStatus: "deleted"}, nil
			}
			if derr != nil {
				return false, Progress{}, derr
			}
			p := r.depProgress(d)
			p.Waiting = fmt.Sprintf("AWS refuses to register %s while deployment %s is %s (%s): retrying until it accepts or the deployment is gone",
				r.plan.Source.ID, dep.ID, d.Status, awsWords(err))
			return false, p, nil
		}})
	if err != nil {
		return err
	}
	if gone {
		return r.registerAll(ctx)
	}
	if refusals > 0 {
		r.compensation("AWS accepted the original targets %s after %d refusal(s) while deployment %s was being deleted", r.e.cfg.Clock.Now().Sub(started).Round(time.Second), refusals, dep.ID)
	}
	return nil
}
