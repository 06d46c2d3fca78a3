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
	_ = r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &r.plan.Options, Plan: &r.plan, DeploymentID: r.depID, Message: "abort"})
	_ = r.journal.Append(Record{Kind: RecordProxies, Proxies: r.proxies})
	for _, rec := range r.outageMarkers() { // the windows of the run it undoes
		_ = r.journal.Append(rec)
	}

	dep, err := r.findDeployment(ctx)
	if err != nil {
		return r.finish(OutcomeFailed, err, r.liveProxyState(ctx, dep))
	}
	if r.pastSwitchover(dep) {
		err := &InputError{Input: "abort", ExitCode: ExitUsage, Message: fmt.Sprintf(
			"deployment %s is %s: the switchover has happened, so there is nothing to abort. %s is the new primary; use `rdsbg resume` to finish (proxy, verify, cleanup)", dep.ID, dep.Status, r.disc.Source.ID)}
		return r.finish(OutcomeFailed, err, r.liveProxyState(ctx, dep))
	}
	var what string
	if dep == nil {
		what = fmt.Sprintf("No deployment exists; register %s with %s again.", r.disc.Source.ID, proxyNames(r.proxies))
	} else {
		what = fmt.Sprintf("Delete deployment %s (%s) and its green resources, then register %s with %s again. Blue is not touched.", dep.ID, dep.Status, r.disc.Source.ID, proxyNames(r.proxies))
	}
	var cli []string
	if dep != nil {
		cli = append(cli, fmt.Sprintf("aws rds delete-blue-green-deployment --blue-green-deployment-identifier %s --delete-target", dep.ID))
	}
	if err := r.ask(ctx, Approval{Kind: "step", Step: "abort", Title: "Abort: delete the deployment and restore the proxy", Text: what,
		Severity: SeveritySevere, Confirm: r.disc.Source.ID, CLI: cli}); err != nil {
		return r.finish(outcomeOf(err), err, r.liveProxyState(ctx, dep))
	}
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
