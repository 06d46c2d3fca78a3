package steps

import (
	"time"

	"context"
	"fmt"
	"strings"

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
func (e *Engine) Abort(ctx context.Context) (Finished, error) {
	r, err := e.beginJournalled(ctx)
	if err != nil {
		return e.finishEarly(OutcomeFailed, err, "")
	}
	defer r.close()
	journalled := r.prior.Plan != nil && r.prior.Unfinished()
	if journalled {
		if err := r.bindJournal(); err != nil {
			return e.finishEarly(OutcomeFailed, err, r.proxyStateFromDiscovery())
		}
		r.restoreFromJournal()
	} else {
		// No unfinished run in this journal (none at all, finished, lost,
		// or kept elsewhere): act on what AWS shows, including the proxies
		// found by their rdsbg:detached tag. The last run's journal, when
		// there is one, only says what blue was (its resource id), so a
		// finished switchover is recognised after its deployment is gone.
		opts := e.cfg.Options.WithDefaultsAt(e.cfg.Clock.Now())
		r.plan = Plan{Source: r.disc.Source, Options: opts, Proxies: r.disc.Proxies, Regime: RegimeDetach, GeneratedAt: e.cfg.Clock.Now().UTC()}
		if last := r.lastRun(); last.Plan != nil {
			r.plan.Source.ResourceID, r.plan.Source.Created = last.Plan.Source.ResourceID, last.Plan.Source.Created
		} else {
			r.plan.Source.ResourceID, r.plan.Source.Created = "", time.Time{}
		}
		r.proxies = r.disc.Proxies
	}
	if len(r.proxies) == 0 {
		r.plan.Regime = RegimeNone
	}
	w, err := r.readWorldKnown(ctx, StepPreflight, true)
	if err != nil {
		return e.finishEarly(OutcomeFailed, err, ProxyUnknown)
	}
	if !journalled && w.Deployment != nil && w.Deployment.Phase != world.PhaseDeleting {
		r.dep.id = w.Deployment.ID // the source's deployment, found in AWS
	}
	state := proxyStateOf(w, r.worldQuery(false).Proxies)
	if refusal := r.abortRefusal(w, journalled); refusal != nil {
		return e.finishEarly(OutcomeFailed, refusal, state)
	}
	if d := w.Deployment; d != nil && d.Owner.Lease != nil {
		run := ""
		if journalled {
			run = RunID(r.plan)
		}
		if st := e.judgeLease(d.Owner.Lease, run, e.cfg.Clock.Now()); st == leaseLive || st == leaseExpired {
			if err := r.takeOver(ctx, fmt.Sprintf("deployment %s (%s)", d.ID, d.Name), *d.Owner.Lease, st); err != nil {
				return e.finishEarly(outcomeOf(err), err, state)
			}
		}
	}

	e.emit(Event{Type: EventRunStarted, Message: "abort for " + r.disc.Source.ID})
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
	if err := r.ask(ctx, a); err != nil {
		return e.finishEarly(outcomeOf(err), err, state)
	}
	// The journal records the abort only once it is approved: a declined
	// or refused abort is not a run, and must not hide the run it would
	// have undone (a run paused ready stays listed and resumable).
	_ = r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &r.plan.Options, Plan: &r.plan, DeploymentID: r.dep.id, Message: "abort"})
	_ = r.journal.Append(Record{Kind: RecordProxies, Proxies: r.proxies})
	for _, rec := range r.outageMarkers() { // the windows of the run it undoes
		_ = r.journal.Append(rec)
	}
	if w.Deployment != nil && w.Deployment.Phase != world.PhaseDeleting {
		r.holdDeployment(w.Deployment.ID, true) // checked above
		if err := r.ensureLease(ctx, nil); err != nil {
			return r.finish(OutcomeFailed, err, "")
		}
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
	state = ProxyNotUsed
	if len(r.proxies) > 0 {
		state = r.liveProxyState(ctx, nil)
	}
	return r.finish(OutcomeRolledBack, nil, state)
}

// lastRun is what the newest journal of the source says about its last
// run: the current journal's, else the newest archive's (journal.go).
func (r *run) lastRun() JournalState {
	if r.prior.Plan != nil {
		return r.prior
	}
	if p := latestArchive(r.e.cfg.StateDir, r.disc.Source.ID); p != "" {
		if recs, err := ReadJournal(p); err == nil {
			return FoldJournal(recs)
		}
	}
	return JournalState{}
}

// abortRefusal says why there is nothing to abort, in terms of what AWS
// shows (w) and the journal, or returns nil. It changes nothing.
func (r *run) abortRefusal(w world.World, journalled bool) error {
	src := r.disc.Source.ID
	state := proxyStateOf(w, r.worldQuery(false).Proxies)
	refuse := func(format string, args ...any) error {
		return &InputError{Input: "abort", ExitCode: ExitUsage, Message: fmt.Sprintf(format, args...)}
	}
	switched, _ := w.SwitchedOver()
	if d := w.Deployment; switched || (d != nil && d.Phase == world.PhaseSwitching) {
		where := "the deployment object is gone"
		if d != nil {
			where = fmt.Sprintf("deployment %s is %s", d.ID, d.Status)
		}
		roles := rolesWords(w)
		next := fmt.Sprintf("`rdsbg status --source %s` shows it", src)
		if last := r.lastRun(); last.Finished != nil && !journalled {
			next = fmt.Sprintf("the last run finished (%s); %s", last.Finished.Outcome, next)
		}
		switch {
		case journalled:
			next = fmt.Sprintf("`rdsbg resume --source %s` finishes the run (the proxy on the new primary, verify, cleanup)", src)
		case state == ProxyOnOldBlue:
			next = fmt.Sprintf("the proxy still points at the old blue: register %s and deregister the -oldN target (`rdsbg resume --source %s` from the run's state directory does it)", src, src)
		}
		return refuse("%s: the switchover has happened, so there is nothing to abort: %s; abort would delete green, which is production now. Proxy: %s. %s",
			where, roles, state, next)
	}
	if d := w.Deployment; d != nil && d.Phase != world.PhaseDeleting {
		if journalled && r.dep.id != "" && !strings.EqualFold(d.ID, r.dep.id) {
			return &ForeignError{Message: fmt.Sprintf("the journal's run made deployment %s, but %s's deployment is %s (%s; %s): abort will not delete a deployment its journal does not name; rdsbg changed nothing",
				r.dep.id, src, d.ID, d.Name, d.Owner.Words(r.e.cfg.Clock.Now()))}
		}
		if d.Owner.Source != "" && !strings.EqualFold(d.Owner.Source, src) {
			return &ForeignError{Message: fmt.Sprintf("deployment %s is tagged %s=%s, not %s: rdsbg changed nothing", d.ID, TagSource, d.Owner.Source, src)}
		}
		return nil
	}
	for _, dp := range r.disc.Detached {
		if !dp.Registered {
			return nil // a proxy to restore
		}
	}
	if state != ProxyOnBlue && state != ProxyNotUsed {
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

// rolesWords says who plays which role in w: production and, when AWS
// still has it, the old blue.
func rolesWords(w world.World) string {
	var parts []string
	if p := w.Production(); p != nil {
		s := fmt.Sprintf("%s is the new primary", p.ID)
		if p.Role == world.RoleBlue {
			s = fmt.Sprintf("%s is production", p.ID)
		}
		if p.Version != "" {
			s += " (" + p.Version + ")"
		}
		parts = append(parts, s)
	}
	for _, old := range w.ByRole(world.RoleOldBlue) {
		s := fmt.Sprintf("%s is the old blue", old.ID)
		if old.Version != "" {
			s += " (" + old.Version + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return w.Source + " is production"
	}
	return strings.Join(parts, ", ")
}
