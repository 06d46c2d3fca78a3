package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// Compensation (design.md §5): a failure or an interrupt after a
// deregistration puts the proxy's target back before the run stops —
// blue before the switchover, the new primary after it, a switchover in
// progress waited out first. It never gives up on its own: through
// throttling, refused connections, timeouts and 5xx it tries again with a
// jittered backoff capped at PollPolicy.RetryMax, for ever, showing what it
// waits for and since when. Only the operator stops it (Config.GiveUp: a
// second SIGINT/SIGTERM headless, a severe confirmation in the wizard);
// the run then ends with ProxyEmptyError, which says in plain words that
// the proxy is EMPTY, since when, and the AWS CLI command that restores it.

// ProxyEmptyError ends a run whose compensation the operator stopped while
// a proxy had no target. It unwraps to context.Canceled: exit 5.
type ProxyEmptyError struct {
	Proxies  []string
	Since    time.Time
	Commands []string // the AWS CLI commands that restore the targets
	Cause    error    // what compensation was answering
}

func (e *ProxyEmptyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the proxy %s is EMPTY since %s: applications using it cannot connect. rdsbg stopped restoring it at the operator's request. Restore it with:",
		strings.Join(e.Proxies, ", "), e.Since.UTC().Format(time.RFC3339))
	for _, c := range e.Commands {
		b.WriteString("\n  " + c)
	}
	return b.String()
}

func (e *ProxyEmptyError) Unwrap() error { return context.Canceled }

// compensationContext ignores the run's cancellation (the interrupt that
// led here) and ends only when the operator gives up.
func (r *run) compensationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if gu := r.e.cfg.GiveUp; gu != nil {
		go func() {
			select {
			case <-gu:
				cancel()
			case <-cctx.Done():
			}
		}()
	}
	return cctx, cancel
}

// compensate returns the proxy state the run ends in. Its error is nil
// unless the operator gave up with a proxy still empty (*ProxyEmptyError).
func (r *run) compensate(ctx context.Context, cause error) (string, error) {
	if len(r.proxies) == 0 || r.plan.Regime == RegimeNone {
		return ProxyNotUsed, nil
	}
	cctx, cancel := r.compensationContext(ctx)
	defer cancel()
	started := r.e.cfg.Clock.Now()
	announced := false
	for attempt := 1; ; attempt++ {
		state, err := r.compensateOnce(cctx, cause, &announced)
		if err == nil {
			return state, nil
		}
		if cctx.Err() != nil {
			return ProxyEmpty, r.abandon(cause)
		}
		next := r.e.retryDelay(attempt)
		since := r.emptyFrom()
		what := "AWS, to restore the proxy's target"
		r.compensation("attempt %d to restore %s failed (%s); the proxy has been empty for %s; trying again in %s, for as long as it takes (a second Ctrl+C or SIGTERM stops trying and leaves the proxy EMPTY)",
			attempt, proxyNames(r.proxies), awsclient.Sanitize(errorInfo(err).Message), r.e.cfg.Clock.Now().Sub(since).Round(time.Second), next.Round(time.Second))
		p := Progress{Waiting: what, Elapsed: r.e.cfg.Clock.Now().Sub(started), Polls: attempt, ProxylessSince: &since,
			Retry: &RetryInfo{Error: errorInfo(err).Message, Failing: r.e.cfg.Clock.Now().Sub(started), NextIn: next, Attempts: attempt}}
		r.e.emit(Event{Type: EventProgress, Step: r.restoringStep(), Progress: &p})
		if err := r.e.cfg.Clock.Sleep(cctx, next); err != nil {
			return ProxyEmpty, r.abandon(cause)
		}
	}
}

// restoringStep is the step whose registration compensation restores:
// blue's before the switchover, the new primary's after it.
func (r *run) restoringStep() StepID {
	if r.sawSwitchover {
		return StepAttachProxyPrimary
	}
	return StepAttachProxyBlue
}

// compensateOnce is one attempt: read, wait out a switchover, register,
// wait for health. Any error means "try again".
func (r *run) compensateOnce(ctx context.Context, cause error, announced *bool) (string, error) {
	dep, err := r.findDeployment(ctx)
	if err != nil {
		return "", err
	}
	if dep != nil && dep.Status == "SWITCHOVER_IN_PROGRESS" {
		r.compensation("waiting for the switchover in progress to finish before touching the proxy")
		if err := r.e.wait(ctx, waitSpec{step: StepSwitchover, what: "the switchover to finish or roll back", speed: pollFast,
			limit: r.plan.Options.SwitchoverTimeout + r.e.cfg.Poll.SwitchoverMargin,
			poll: func(ctx context.Context) (bool, Progress, error) {
				d, err := r.api.DescribeDeployment(ctx, dep.ID)
				if err != nil {
					return false, Progress{}, err
				}
				dep = &d
				return d.Status != "SWITCHOVER_IN_PROGRESS", r.depProgress(d), nil
			}}); err != nil {
			return "", err
		}
	}
	done := r.switchoverDone(dep)
	r.sawSwitchover = done
	v, err := r.viewProxies(ctx)
	if err != nil {
		return "", err
	}
	n := len(r.proxies)
	if v.all(n) && v.healthyAll(n) {
		r.closeProxyless()
		return restoredState(done), nil
	}
	if r.continueWithoutProxy && !done {
		r.compensation("the proxy stays empty until the switchover, as approved")
		return ProxyEmpty, nil
	}
	if !*announced {
		who := "blue (" + r.plan.Source.ID + ")"
		if done {
			who = "the new primary (" + r.plan.Source.ID + ")"
		}
		r.compensation("re-registering %s with %s after: %v", who, proxyNames(r.proxies), cause)
		*announced = true
	}
	if done {
		err = r.registerNewPrimary(ctx, StepAttachProxyPrimary)
	} else {
		err = r.registerAll(ctx)
	}
	if err != nil {
		return "", err
	}
	if err := r.waitHealthy(ctx, r.restoringStep(), "the proxy targets to be AVAILABLE again"); err != nil {
		return "", err
	}
	state := restoredState(done)
	r.compensation("proxy restored: %s", state)
	return state, nil
}

func restoredState(switchedOver bool) string {
	if switchedOver {
		return ProxyOnNewPrimary
	}
	return ProxyOnBlue
}

// emptyFrom is when the proxy lost its target, as well as the run knows.
func (r *run) emptyFrom() time.Time {
	return r.proxyless.emptyFrom(r.prior.ProxylessAt, r.e.cfg.Clock.Now())
}

// restoreCommands are the AWS CLI lines that give every original proxy its
// target back.
func (r *run) restoreCommands() []string {
	c := cliBuilder{region: r.plan.Source.Region}
	src := r.plan.Source
	if src.ID == "" {
		src = r.disc.Source
		c.region = src.Region
	}
	var out []string
	for _, reg := range r.proxies {
		out = append(out, c.register(reg.Proxy, src))
	}
	return out
}

// abandon is the operator's explicit stop: say it everywhere, plainly.
func (r *run) abandon(cause error) error {
	var names []string
	for _, reg := range r.proxies {
		names = append(names, reg.Proxy)
	}
	perr := &ProxyEmptyError{Proxies: names, Since: r.emptyFrom(), Commands: r.restoreCommands(), Cause: cause}
	r.compensation("%s", perr.Error())
	return perr
}

// liveProxyState names where the proxy points, from a fresh read.
func (r *run) liveProxyState(ctx context.Context, dep *awsclient.Deployment) string {
	if len(r.proxies) == 0 {
		return ProxyNotUsed
	}
	v, err := r.viewProxies(ctx)
	if err != nil || !v.all(len(r.proxies)) {
		return ProxyEmpty
	}
	if r.switchoverDone(dep) {
		return ProxyOnNewPrimary
	}
	return ProxyOnBlue
}

// isProxyEmptyError reports whether err is the operator's stop with a
// proxy left empty.
func isProxyEmptyError(err error) bool {
	var pe *ProxyEmptyError
	return errors.As(err, &pe)
}

// describeEmpty fills the summary's account of an empty proxy.
func (r *run) describeEmpty(f *Finished) {
	if f.ProxyState != ProxyEmpty || len(r.proxies) == 0 {
		return
	}
	since := r.emptyFrom()
	f.ProxyEmptySince = &since
	f.RestoreCommands = r.restoreCommands()
}
