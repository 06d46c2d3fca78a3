package steps

import (
	"context"
	"errors"
)

// A resume whose changed plan the operator declines is a stop like any
// other failure after a deregistration: the proxy gets back what rdsbg
// took from it (blue before the switchover, the new primary after it)
// before the run ends, and compensation never gives up on its own. Only
// the operator's explicit word leaves it empty: headless a second
// SIGINT/SIGTERM, in the wizard the severe "stop restoring" confirmation
// (Config.GiveUp in both), which ends the run with ProxyEmptyError, exit 5.

// changedPlanTitle is the changed plan's question; it says what declining
// does when a proxy is involved. restoreBeforeQuestion has put every
// proxy's target back by then (as AWS showed it), so declining only stops;
// only a run approved to continue without its proxy still has one to
// restore.
func (r *run) changedPlanTitle() string {
	title := "The plan changed since the interrupted run: run the new plan?"
	if len(r.proxies) > 0 && r.plan.Regime != RegimeNone {
		if r.continueWithoutProxy {
			return title + " (no: restore " + proxyNames(r.proxies) + ", then stop)"
		}
		title += " (no: stop here; " + proxyNames(r.proxies) + " keeps its target)"
	}
	return title
}

// restoreBeforeQuestion: no question waits while a proxy is empty
// (design.md §2; only the critical section's own and the
// --max-proxy-outage question may), and the changed plan's is no
// exception. When AWS shows a run's proxy without production's target
// here (a resume after detach-proxy or detach-proxy-blue, before the
// switchover), compensation puts the target back first, and the question
// comes with the proxy serving.
//
// The choice: restore, rather than carry the journal's plan on to its
// registration. Carrying on would make changes (a creation, a
// switchover) under a plan the operator is about to be asked to
// reconsider; the restore changes nothing but the proxy, which is what
// declining would do anyway, and the new plan's steps observe AWS again
// (detach-proxy deregisters again, asking as it always does, if the new
// plan still needs it). The restore is compensation's, so it never gives
// up on its own, rolls back at --max-proxy-outage when AWS refuses while
// the deployment exists, and stops only at the operator's word; stop is
// true when the run ends there, with f and err its end. restored: AWS
// showed every proxy serving once compensation was done, and discovery's
// record of the proxies rdsbg had emptied now says so.
func (r *run) restoreBeforeQuestion(ctx context.Context) (stop bool, f Finished, err error, restored bool) {
	if len(r.proxies) == 0 || r.plan.Regime == RegimeNone || r.continueWithoutProxy {
		return false, Finished{}, nil, false
	}
	if v, verr := r.viewProxies(ctx); verr == nil && v.all(len(r.proxies)) {
		return false, Finished{}, nil, false // AWS shows every proxy with its target: ask now
	}
	state, cerr := r.compensate(ctx, errors.New("the plan changed since the journal was written, and no question waits while the proxy is empty: it is restored before the new plan is put to the operator"))
	var orb *errOutageRollback
	switch {
	case errors.As(cerr, &orb):
		f, err = r.finish(OutcomeRolledBack, orb, state)
		return true, f, err, false
	case isProxyEmptyError(cerr):
		f, err = r.finish(OutcomeInterrupted, cerr, state)
		return true, f, err, false
	case cerr != nil:
		f, err = r.finish(OutcomeFailed, cerr, state)
		return true, f, err, false
	}
	if state != ProxyOnBlue && state != ProxyOnNewPrimary {
		return false, Finished{}, nil, false // left empty as approved (continue-without-proxy)
	}
	for i := range r.disc.Detached {
		r.disc.Detached[i].Registered = true
	}
	return false, Finished{}, nil, true
}

// declinedResume ends a resume whose changed plan was declined (or whose
// approval was interrupted): compensate, then finish cancelled with the
// proxy state compensation reached.
func (r *run) declinedResume(ctx context.Context, err error) (Finished, error) {
	return r.fail(ctx, err)
}
