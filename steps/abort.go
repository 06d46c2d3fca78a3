package steps

import (
	"context"
	"fmt"

	"github.com/rdsbg/rdsbg/awsclient"
)

// Abort undoes a run before its switchover: it deletes the deployment
// together with its green resources and registers the original proxy
// targets again. After a switchover there is nothing to abort (the new
// primary is production): it refuses with exit 2. A refused abort writes
// nothing to the journal: it is not a run, and the journal must never say
// something happened that did not.
func (e *Engine) Abort(ctx context.Context) (Finished, error) {
	r, err := e.beginJournalled(ctx)
	if err != nil {
		return e.finishEarly(OutcomeFailed, err, "")
	}
	defer r.close()
	if r.prior.Plan != nil && r.prior.Unfinished() {
		r.restoreFromJournal()
	} else {
		// No unfinished run in this journal (none at all, lost, or kept
		// elsewhere): act on what AWS shows, including the proxies found
		// by their rdsbg:detached tag.
		opts := e.cfg.Options.WithDefaultsAt(e.cfg.Clock.Now())
		r.plan = Plan{Source: r.disc.Source, Options: opts, Proxies: r.disc.Proxies, Regime: RegimeDetach, GeneratedAt: e.cfg.Clock.Now().UTC()}
		r.proxies = r.disc.Proxies
		if len(r.disc.Deployments) == 1 {
			r.dep.id = r.disc.Deployments[0].ID
		}
	}
	if len(r.proxies) == 0 {
		r.plan.Regime = RegimeNone
	}

	dep, err := r.findDeployment(ctx)
	if err != nil {
		return e.finishEarly(OutcomeFailed, err, r.proxyStateFromAWS(ctx))
	}
	if refusal := r.abortRefusal(ctx, dep); refusal != nil {
		return e.finishEarly(OutcomeFailed, refusal, r.proxyStateFromDiscovery())
	}

	e.emit(Event{Type: EventRunStarted, Message: "abort for " + r.disc.Source.ID})
	var ref *depRef
	if dep != nil {
		ref = &depRef{id: dep.ID, status: dep.Status}
	}
	a := r.abortApproval(ctx, ref)
	for _, dp := range r.disc.Detached {
		if !dp.Registered {
			a.Text += "\nFound in AWS: " + dp.Words() + "."
		}
	}
	if err := r.ask(ctx, a); err != nil {
		return e.finishEarly(outcomeOf(err), err, r.liveProxyState(ctx, dep))
	}
	// The journal records the abort only once it is approved: a declined
	// or refused abort is not a run, and must not hide the run it would
	// have undone (a run paused ready stays listed and resumable).
	_ = r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &r.plan.Options, Plan: &r.plan, DeploymentID: r.dep.id, Message: "abort"})
	_ = r.journal.Append(Record{Kind: RecordProxies, Proxies: r.proxies})
	for _, rec := range r.outageMarkers() { // the windows of the run it undoes
		_ = r.journal.Append(rec)
	}
	r.setCurrent("abort")
	if r.plan.Regime == RegimeNone {
		r.proxies = nil
	}
	if err := r.rollback(ctx); err != nil {
		state, cerr := r.compensate(ctx, err)
		if cerr != nil {
			return r.finish(OutcomeInterrupted, cerr, state)
		}
		return r.finish(outcomeOf(err), err, state)
	}
	state := ProxyNotUsed
	if len(r.proxies) > 0 {
		state = r.liveProxyState(ctx, nil)
	}
	return r.finish(OutcomeRolledBack, nil, state)
}

// abortRefusal says why there is nothing to abort, in terms of what AWS and
// the journal show, or returns nil. It changes nothing.
func (r *run) abortRefusal(ctx context.Context, dep *awsclient.Deployment) error {
	src := r.disc.Source.ID
	refuse := func(format string, args ...any) error {
		return &InputError{Input: "abort", ExitCode: ExitUsage, Message: fmt.Sprintf(format, args...)}
	}
	if r.pastSwitchover(dep) {
		where := "the journal records a completed switchover and the deployment object is gone"
		if dep != nil {
			where = fmt.Sprintf("deployment %s is %s", dep.ID, dep.Status)
		}
		next := fmt.Sprintf("`rdsbg resume --source %s` finishes the run (the proxy on the new primary, verify, cleanup)", src)
		if r.prior.Finished != nil && r.prior.Finished.Outcome == OutcomeDone {
			next = fmt.Sprintf("the last run finished (%s); `rdsbg status --source %s` shows it", r.prior.Finished.Outcome, src)
		}
		return refuse("%s: the switchover has happened, so there is nothing to abort: %s is the new primary and serves production, and abort would delete green, which is production now. Proxy: %s. %s",
			where, src, r.proxyStateFromDiscovery(), next)
	}
	if dep != nil {
		return nil
	}
	for _, dp := range r.disc.Detached {
		if !dp.Registered {
			return nil // a proxy to restore
		}
	}
	v, err := r.viewProxies(ctx)
	if err != nil || !v.all(len(r.proxies)) {
		return nil // a proxy to restore (or not known): abort registers it
	}
	if r.prior.Plan != nil && r.prior.Unfinished() {
		return nil // close the unfinished run: nothing left in AWS to undo
	}
	last := "no rdsbg run is recorded in this state directory"
	if r.prior.Finished != nil {
		last = fmt.Sprintf("the last run finished (%s)", r.prior.Finished.Outcome)
	}
	return refuse("nothing to abort for %s: %s, AWS shows no blue/green deployment for it, and no proxy that rdsbg emptied (proxy: %s)", src, last, r.proxyStateFromDiscovery())
}
