package steps

import (
	"context"
	"fmt"
)

// Abort undoes a run before its switchover: it deletes the deployment
// together with its green resources and registers the original proxy
// targets again. After a switchover there is nothing to abort (the new
// primary is production): it refuses with exit 2.
func (e *Engine) Abort(ctx context.Context) (Finished, error) {
	source, err := e.resumeSource()
	if err != nil {
		return e.finishEarly(OutcomeFailed, err, "")
	}
	r, err := e.begin(ctx, source)
	if err != nil {
		return e.finishEarly(OutcomeFailed, err, "")
	}
	defer r.close()
	if r.prior.Plan != nil && r.prior.Finished != nil && r.prior.Finished.Outcome == OutcomeDone {
		// A finished change has nothing to undo; saying "the proxy points
		// at blue" here would be false: the journal knows where it is.
		return e.finishEarly(OutcomeFailed, &InputError{Input: "abort", ExitCode: ExitUsage, Message: fmt.Sprintf(
			"the last run for %s finished (%s; proxy: %s): there is nothing to abort", r.disc.Source.ID, r.prior.Finished.Outcome, r.prior.Finished.ProxyState)}, r.prior.Finished.ProxyState)
	}
	if r.prior.Plan != nil {
		r.restoreFromJournal()
	} else {
		// No journal (the deployment was made by hand or the journal is
		// lost): act on what AWS shows.
		opts := e.cfg.Options.WithDefaultsAt(e.cfg.Clock.Now())
		r.plan = Plan{Source: r.disc.Source, Options: opts, Proxies: r.disc.Proxies, Regime: RegimeDetach}
		r.proxies = r.disc.Proxies
		if len(r.disc.Deployments) == 1 {
			r.depID = r.disc.Deployments[0].ID
		}
	}
	if len(r.proxies) == 0 {
		r.plan.Regime = RegimeNone
	}
	e.emit(Event{Type: EventRunStarted, Message: "abort for " + r.disc.Source.ID})
	// The journal records the abort only once it is approved: a declined
	// or refused abort is not a run, and must not hide the run it would
	// have undone (a run paused ready stays listed and resumable).
	startAbort := func() {
		_ = r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &r.plan.Options, Plan: &r.plan, DeploymentID: r.depID, Message: "abort"})
		_ = r.journal.Append(Record{Kind: RecordProxies, Proxies: r.proxies})
		for _, rec := range r.outageMarkers() { // the windows of the run it undoes
			_ = r.journal.Append(rec)
		}
	}

	dep, err := r.findDeployment(ctx)
	if err != nil {
		startAbort()
		return r.finish(OutcomeFailed, err, r.liveProxyState(ctx, dep))
	}
	if r.pastSwitchover(dep) {
		what := "the switchover has happened"
		if dep != nil {
			what = fmt.Sprintf("deployment %s is %s: the switchover has happened", dep.ID, dep.Status)
		}
		err := &InputError{Input: "abort", ExitCode: ExitUsage, Message: fmt.Sprintf(
			"%s, so there is nothing to abort. %s is the new primary; use `rdsbg resume --source %s` to finish (proxy, verify, cleanup)", what, r.disc.Source.ID, r.disc.Source.ID)}
		startAbort()
		return r.finish(OutcomeFailed, err, r.liveProxyState(ctx, dep))
	}
	var ref *depRef
	if dep != nil {
		ref = &depRef{id: dep.ID, status: dep.Status}
	}
	if err := r.ask(ctx, r.abortApproval(ctx, ref)); err != nil {
		return e.finishEarly(outcomeOf(err), err, r.liveProxyState(ctx, dep))
	}
	startAbort()
	r.setCurrent("abort")
	if r.plan.Regime == RegimeNone {
		r.proxies = nil
	}
	if err := r.rollback(ctx); err != nil {
		state, _ := r.compensate(ctx, err)
		return r.finish(outcomeOf(err), err, state)
	}
	state := ProxyNotUsed
	if len(r.proxies) > 0 {
		state = ProxyOnBlue
	}
	return r.finish(OutcomeRolledBack, nil, state)
}
