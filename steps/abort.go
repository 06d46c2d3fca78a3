package steps

import (
	"time"

	"context"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/status"
	"github.com/rdsbg/rdsbg/steps/world"
)

// Abort undoes a run before its switchover: it deletes the deployment
// together with its green resources and registers the original proxy
// targets again. It speaks from the world view read from AWS (design.md
// §8): after a switchover there is nothing to abort (the new primary is
// production), whatever the journal remembers, and it refuses with exit 2;
// a deployment another live owner holds is refused the same way. A
// refused abort writes nothing to the journal: it is not a run, and the
// journal must never say something happened that did not.
func (e *Engine) Abort(ctx context.Context) (contract.Finished, error) {
	r, err := e.beginJournalled(ctx)
	if err != nil {
		return e.finishEarly(contract.OutcomeFailed, err, "")
	}
	defer r.close()
	journalled := r.prior.Plan != nil && r.prior.Unfinished()
	if journalled {
		if err := r.bindJournal(); err != nil {
			return e.finishEarly(contract.OutcomeFailed, err, r.proxyStateFromDiscovery())
		}
		r.restoreFromJournal()
	} else {
		r.abortPlanFromAWS()
	}
	if len(r.proxies) == 0 {
		r.plan.Regime = contract.RegimeNone
	}
	w, err := r.readWorldKnown(ctx, contract.StepPreflight, true)
	if err != nil {
		return e.finishEarly(contract.OutcomeFailed, err, contract.ProxyUnknown)
	}
	if !journalled && w.Deployment != nil && w.Deployment.Phase != world.PhaseDeleting {
		r.dep.id = w.Deployment.ID // the source's deployment, found in AWS
	}
	state := status.ProxyState(w, r.worldQuery(false).Proxies)
	if refusal := r.abortRefusal(w, journalled); refusal != nil {
		return e.finishEarly(contract.OutcomeFailed, refusal, state)
	}
	if err := r.takeOverForAbort(ctx, w, journalled); err != nil {
		return e.finishEarly(outcomeOf(err), err, state)
	}
	e.emit(contract.Event{Type: contract.EventRunStarted, Message: "abort for " + r.disc.Source.ID})
	if err := r.askAbort(ctx, w); err != nil {
		return e.finishEarly(outcomeOf(err), err, state)
	}
	if err := r.journalAbort(ctx, w); err != nil {
		return r.finish(contract.OutcomeFailed, err, "")
	}
	return r.undoForAbort(ctx)
}

// abortPlanFromAWS: no unfinished run in this journal (none at all,
// finished, lost, or kept elsewhere), so abort acts on what AWS shows,
// including the proxies found by their rdsbg:detached tag. The last run's
// journal, when there is one, only says what blue was (its resource id),
// so a finished switchover is recognised after its deployment is gone.
func (r *run) abortPlanFromAWS() {
	e := r.e
	opts := e.cfg.Options.WithDefaultsAt(e.cfg.Clock.Now())
	r.plan = contract.Plan{Source: r.disc.Source, Options: opts, Proxies: r.disc.Proxies, Regime: contract.RegimeDetach, GeneratedAt: e.cfg.Clock.Now().UTC()}
	if last := r.lastRun(); last.Plan != nil {
		r.plan.Source.ResourceID, r.plan.Source.Created = last.Plan.Source.ResourceID, last.Plan.Source.Created
	} else {
		r.plan.Source.ResourceID, r.plan.Source.Created = "", time.Time{}
	}
	r.proxies = r.disc.Proxies
}

// takeOverForAbort: a deployment whose lease another process holds (live
// or expired) is taken over only as takeOver allows (--take-over).
func (r *run) takeOverForAbort(ctx context.Context, w world.World, journalled bool) error {
	d := w.Deployment
	if d == nil || d.Owner.Lease == nil {
		return nil
	}
	run := ""
	if journalled {
		run = contract.RunID(r.plan)
	}
	if st := r.e.judgeLease(d.Owner.Lease, run, r.e.cfg.Clock.Now()); st == leaseLive || st == leaseExpired {
		return r.takeOver(ctx, fmt.Sprintf("deployment %s (%s)", d.ID, d.Name), *d.Owner.Lease, st)
	}
	return nil
}

// askAbort asks for the abort, naming the proxies AWS shows emptied.
func (r *run) askAbort(ctx context.Context, w world.World) error {
	var ref *depRef
	if d := w.Deployment; d != nil {
		ref = &depRef{id: d.ID, status: d.Status}
	}
	a := r.abortApproval(ctx, ref)
	for _, dp := range r.disc.Detached {
		if !dp.Registered {
			a.Text += "\nFound in AWS: " + dp.Words() + "."
		}
	}
	return r.ask(ctx, a)
}

// journalAbort records the abort once it is approved: a declined or
// refused abort is not a run, and must not hide the run it would have
// undone (a run paused ready stays listed and resumable). The abort then
// holds the deployment's lease.
func (r *run) journalAbort(ctx context.Context, w world.World) error {
	_ = r.journal.Append(journal.Record{Kind: journal.RecordRunStarted, Source: r.disc.Source.ID, Options: &r.plan.Options, Plan: &r.plan, DeploymentID: r.dep.id, Message: "abort"})
	_ = r.journal.Append(journal.Record{Kind: journal.RecordProxies, Proxies: r.proxies})
	for _, rec := range r.outageMarkers() { // the windows of the run it undoes
		_ = r.journal.Append(rec)
	}
	if w.Deployment != nil && w.Deployment.Phase != world.PhaseDeleting {
		r.holdDeployment(w.Deployment.ID, true) // checked by takeOverForAbort
		return r.ensureLease(ctx, nil)
	}
	return nil
}

// undoForAbort rolls back (compensating a rollback that fails) and ends
// the abort.
func (r *run) undoForAbort(ctx context.Context) (contract.Finished, error) {
	r.setCurrent("abort")
	if r.plan.Regime == contract.RegimeNone {
		r.proxies = nil
	}
	if err := r.rollback(ctx); err != nil {
		state, cerr := r.compensate(ctx, err)
		if cerr != nil {
			return r.finish(contract.OutcomeInterrupted, cerr, state)
		}
		return r.finish(outcomeOf(err), err, state)
	}
	state := contract.ProxyNotUsed
	if len(r.proxies) > 0 {
		state = r.liveProxyState(ctx, nil)
	}
	return r.finish(contract.OutcomeRolledBack, nil, state)
}

// lastRun is what the newest journal of the source says about its last
// run: the current journal's, else the newest archive's (journal.go).
func (r *run) lastRun() journal.State {
	if r.prior.Plan != nil {
		return r.prior
	}
	if p := journal.LatestArchive(r.e.cfg.StateDir, r.disc.Source.ID); p != "" {
		if recs, err := journal.Read(p); err == nil {
			return journal.Fold(recs)
		}
	}
	return journal.State{}
}

// abortRefusal says why there is nothing to abort, in terms of what AWS
// shows (w) and the journal, or returns nil. It changes nothing.
func (r *run) abortRefusal(w world.World, journalled bool) error {
	src := r.disc.Source.ID
	state := status.ProxyState(w, r.worldQuery(false).Proxies)
	refuse := func(format string, args ...any) error {
		return &contract.InputError{Input: "abort", ExitCode: contract.ExitUsage, Message: fmt.Sprintf(format, args...)}
	}
	switched, _ := w.SwitchedOver()
	if d := w.Deployment; switched || (d != nil && d.Phase == world.PhaseSwitching) {
		where := "the deployment object is gone"
		if d != nil {
			where = fmt.Sprintf("deployment %s is %s", d.ID, d.Status)
		}
		roles := status.RolesWords(w)
		next := fmt.Sprintf("`rdsbg status --source %s` shows it", src)
		if last := r.lastRun(); last.Finished != nil && !journalled {
			next = fmt.Sprintf("the last run finished (%s); %s", last.Finished.Outcome, next)
		}
		switch {
		case journalled:
			next = fmt.Sprintf("`rdsbg resume --source %s` finishes the run (the proxy on the new primary, verify, cleanup)", src)
		case state == contract.ProxyOnOldBlue:
			next = fmt.Sprintf("the proxy still points at the old blue: register %s and deregister the -oldN target (`rdsbg resume --source %s` from the run's state directory does it)", src, src)
		}
		return refuse("%s: the switchover has happened, so there is nothing to abort: %s; abort would delete green, which is production now. Proxy: %s. %s",
			where, roles, state, next)
	}
	if d := w.Deployment; d != nil && d.Phase != world.PhaseDeleting {
		if journalled && r.dep.id != "" && !strings.EqualFold(d.ID, r.dep.id) {
			return &errForeign{Message: fmt.Sprintf("the journal's run made deployment %s, but %s's deployment is %s (%s; %s): abort will not delete a deployment its journal does not name; rdsbg changed nothing",
				r.dep.id, src, d.ID, d.Name, d.Owner.Words(r.e.cfg.Clock.Now()))}
		}
		if d.Owner.Source != "" && !strings.EqualFold(d.Owner.Source, src) {
			return &errForeign{Message: fmt.Sprintf("deployment %s is tagged %s=%s, not %s: rdsbg changed nothing", d.ID, contract.TagSource, d.Owner.Source, src)}
		}
		return nil
	}
	for _, dp := range r.disc.Detached {
		if !dp.Registered {
			return nil // a proxy to restore
		}
	}
	if state != contract.ProxyOnBlue && state != contract.ProxyNotUsed {
		return nil // a proxy to restore (or not known): abort registers it
	}
	if journalled {
		return nil // close the unfinished run: nothing left in AWS to undo
	}
	last := "no rdsbg run is recorded in this state directory"
	if l := r.lastRun(); l.Finished != nil {
		last = fmt.Sprintf("the last run finished (%s)", l.Finished.Outcome)
	}
	return refuse("nothing to abort for %s: %s, AWS shows no blue/green deployment for it, and no proxy that rdsbg emptied (proxy: %s)", src, last, state)
}

// This file words abort's one approval (issue 13): the screen and the
// runbook lines name exactly the calls abort will make, in the regime and
// the moment it is in. A proxy that still targets blue (native regime, or
// already restored) is not promised a registration it will not get.

// abortApproval is the question abort asks before deleting anything.
func (r *run) abortApproval(ctx context.Context, dep *depRef) contract.Approval {
	c := cliBuilder{region: r.disc.Source.Region}
	src := r.disc.Source
	var text []string
	var cli []string
	if dep != nil {
		text = append(text, fmt.Sprintf("Delete deployment %s (%s) together with its green resources (DeleteBlueGreenDeployment with DeleteTarget), and wait until it is gone. Blue (%s) is not touched and stays production.", dep.id, dep.status, src.ID))
		cli = append(cli, c.rds("delete-blue-green-deployment", "--blue-green-deployment-identifier", contract.ShellQuote(dep.id), "--delete-target"))
	} else {
		text = append(text, "No blue/green deployment exists for "+src.ID+": there is nothing to delete.")
	}
	var missing, present []string
	if r.plan.Regime != contract.RegimeNone {
		for _, reg := range r.proxies {
			ts, err := r.sourceTargets(ctx, reg.Proxy)
			if err == nil && len(ts) > 0 {
				present = append(present, reg.Proxy)
				continue
			}
			missing = append(missing, reg.Proxy)
		}
	}
	switch {
	case len(missing) > 0:
		text = append(text, fmt.Sprintf("Then register %s with %s again (RegisterDBProxyTargets) and wait for the target to be AVAILABLE.", src.ID, strings.Join(missing, ", ")))
		for _, p := range missing {
			cli = append(cli, c.register(p, src))
		}
		for _, p := range missing {
			cli = append(cli, c.describeTargets(p))
		}
	case len(present) > 0 && r.plan.Regime == contract.RegimeNative:
		text = append(text, fmt.Sprintf("The proxy stays as it is: in the native regime %s was never deregistered, and %s still targets it.", src.ID, strings.Join(present, ", ")))
	case len(present) > 0:
		text = append(text, fmt.Sprintf("%s already targets %s: no registration is needed.", strings.Join(present, ", "), src.ID))
	}
	if tags, err := r.api.ListTagsForResource(ctx, src.ARN); err == nil && tags[contract.TagSource] != "" {
		text = append(text, blueTagStays(src)) // step_create_deployment.go
	}
	title := "Abort: delete the deployment and its green"
	switch {
	case dep == nil && len(missing) > 0:
		title = "Abort: restore the proxy targets"
	case dep == nil:
		title = "Abort: nothing to undo"
	case len(missing) > 0:
		title = "Abort: delete the deployment and its green, restore the proxy"
	}
	return contract.Approval{Kind: "step", Step: "abort", Title: title, Text: strings.Join(text, " "),
		Severity: contract.SeveritySevere, Confirm: src.ID, CLI: cli}
}

// depRef is the deployment abort acts on.
type depRef struct{ id, status string }
