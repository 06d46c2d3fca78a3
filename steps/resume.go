package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// Resume continues an interrupted or failed run from its journal and live
// AWS state. Live state wins: every step is observed again, a step that
// started and never finished is re-observed before anything is repeated,
// the deployment is found by id or name (never created twice), and a plan
// that differs from the journal's is approved again.
func (e *Engine) Resume(ctx context.Context) (contract.Finished, error) {
	r, err := e.beginJournalled(ctx)
	if err != nil {
		return e.finishEarly(contract.OutcomeFailed, err, "")
	}
	defer r.close()
	if r.prior.Plan == nil {
		// No journal here: the last run may have ended for good and been
		// archived (journal.go); it says how it ended.
		r.prior = r.lastRun()
	}
	if !r.prior.Unfinished() && r.emptiedByTag() {
		return r.restoreWithoutJournal(ctx) // the journal is lost or elsewhere (proxy_tags.go)
	}
	if r.prior.Plan == nil {
		return r.finish(contract.OutcomeFailed, &contract.InputError{Input: "--source", ExitCode: contract.ExitUsage,
			Message: fmt.Sprintf("no rdsbg run to resume for %s (journal %s has no plan): nothing to resume; start one with `rdsbg run`", r.disc.Source.ID, r.journal.Path())}, "")
	}
	if !r.prior.Unfinished() {
		// Report the finished run's proxy state (not a default "blue" after
		// a completed switchover), and leave its journal as it is: a
		// refused resume is not a run.
		// Outcome blocked: this refused resume did nothing (not "done,
		// exit 2": walkthrough D11); the message names the last run's end.
		return e.finishEarly(contract.OutcomeBlocked, &contract.InputError{Input: "--source", ExitCode: contract.ExitUsage,
			Message: fmt.Sprintf("the last run for %s finished (%s): nothing to resume", r.disc.Source.ID, r.prior.Finished.Outcome)}, r.proxyStateFromDiscovery())
	}
	if err := r.bindJournal(); err != nil {
		return e.finishEarly(contract.OutcomeFailed, err, r.proxyStateFromDiscovery())
	}
	r.restoreFromJournal()
	e.emit(contract.Event{Type: contract.EventRunStarted, Message: fmt.Sprintf("resuming %s from %s", r.disc.Source.ID, r.journal.Path())})
	// Nothing is changed before AWS shows the journal's deployment is
	// there and this run's (reconcile.go).
	if err := r.gateResume(ctx); err != nil {
		var fe *poll.FatalError
		if errors.As(err, &fe) {
			return r.fail(ctx, err) // the run's proxy is empty: put blue back, then stop
		}
		var nothing *errNothingToResume
		if errors.As(err, &nothing) {
			return e.finishEarly(contract.OutcomeFailed, err, nothing.State)
		}
		return e.finishEarly(outcomeOf(err), err, r.proxyStateOfWorld())
	}

	fresh, changed := r.replan(ctx)
	check := r.plan
	if changed {
		check = fresh
	}
	if err := e.checkPlan(check, r.prior.Done); err != nil {
		// Refused before the journal records the resume: nothing changed.
		state := ""
		if r.prior.Finished != nil {
			state = r.prior.Finished.ProxyState
		}
		return e.finishEarly(contract.OutcomeFailed, err, state)
	}
	if err := r.journal.Append(journal.Record{Kind: journal.RecordRunStarted, Source: r.disc.Source.ID, Options: &r.plan.Options, Plan: &r.plan, DeploymentID: r.dep.id, Message: "resume"}); err != nil {
		return r.finish(contract.OutcomeFailed, err, "")
	}
	_ = r.journal.Append(journal.Record{Kind: journal.RecordProxies, Proxies: r.proxies})
	for _, rec := range r.resumeMarkers() {
		_ = r.journal.Append(rec)
	}
	p := r.plan
	e.emit(contract.Event{Type: contract.EventPlanReady, Plan: &p, Message: "resumed plan"})
	if changed {
		// The proxy first (restoreBeforeQuestion, below), under the journal's plan;
		// then the new plan is built again, so that what it says about
		// the proxies is what AWS shows now, not before the restore.
		stop, f, err, restored := r.restoreBeforeQuestion(ctx)
		if stop {
			return f, err
		}
		if restored {
			if fresh, changed = r.replan(ctx); !changed {
				return r.execute(ctx) // with the proxy back, the journal's plan stands
			}
		}
		r.plan = fresh
		p := fresh
		e.emit(contract.Event{Type: contract.EventPlanReady, Plan: &p, Message: "the plan changed since the journal was written"})
		_ = r.journal.Append(journal.Record{Kind: journal.RecordPlan, Plan: &p, Message: "changed plan on resume"})
		if err := r.approvePlan(ctx, r.changedPlanTitle()); err != nil {
			return r.declinedResume(ctx, err)
		}
	}
	return r.execute(ctx)
}

// beginJournalled begins the execution that continues (resume) or undoes
// (abort) a journalled run: the source is --source or the one unfinished
// journal's, then discovered, locked and its journal opened (begin). A
// journal whose records name another source is refused before any call.
func (e *Engine) beginJournalled(ctx context.Context) (*run, error) {
	source, err := e.resumeSource()
	if err != nil {
		return nil, err
	}
	if err := checkJournalSource(journal.Path(e.cfg.StateDir, source), source); err != nil {
		return nil, err
	}
	return e.begin(ctx, source)
}

// checkJournalSource refuses a journal whose run records name a source
// other than the one it is kept for (a copied or hand-edited journal): it
// would act on another database's deployment.
func checkJournalSource(path, source string) error {
	recs, err := journal.Read(path)
	if err != nil {
		return nil // absent or unreadable: begin says so
	}
	want := strings.ToLower(contract.ARNName(source))
	for _, rec := range recs {
		if rec.Kind != journal.RecordRunStarted {
			continue
		}
		names := []string{rec.Source}
		if rec.Plan != nil {
			names = append(names, rec.Plan.Source.ID)
		}
		for _, n := range names {
			if n != "" && strings.ToLower(n) != want {
				return &contract.InputError{Input: "journal", ExitCode: contract.ExitUsage, Message: fmt.Sprintf("the journal %s names source %s, not %s: a journal belongs to one source, so rdsbg will not act on it (it made no call). Move it aside if it was copied or edited by hand", path, n, contract.ARNName(source))}
			}
		}
	}
	return nil
}

// bindJournal: the journal's source is the database AWS has under that
// name now (its ARN), so a resume or abort acts on what the journal
// describes and nothing else.
func (r *run) bindJournal() error {
	p := r.prior.Plan
	if p == nil || p.Source.ARN == "" || strings.EqualFold(p.Source.ARN, r.disc.Source.ARN) {
		return nil
	}
	return &contract.InputError{Input: "journal", ExitCode: contract.ExitUsage, Message: fmt.Sprintf("the journal %s was written for %s, but --source resolves to %s: rdsbg will not act on it; it changed nothing", r.journal.Path(), p.Source.ARN, r.disc.Source.ARN)}
}

// resumeSource is --source, or the one unfinished journal.
func (e *Engine) resumeSource() (string, error) {
	if e.cfg.Options.Source != "" {
		return e.cfg.Options.Source, nil
	}
	open, err := journal.Unfinished(e.cfg.StateDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", &journal.StateDirError{Dir: e.cfg.StateDir, Err: err}
	}
	switch len(open) {
	case 0:
		return "", &contract.InputError{Input: "--source", ExitCode: contract.ExitUsage, Message: fmt.Sprintf("no unfinished rdsbg run in %s: nothing to resume", e.cfg.StateDir)}
	case 1:
		for _, src := range open {
			return src, nil
		}
	}
	var names []string
	for _, src := range open {
		names = append(names, src)
	}
	sort.Strings(names)
	return "", &contract.InputError{Input: "--source", ExitCode: contract.ExitUsage, Message: "several unfinished runs: pass --source with one of " + strings.Join(names, ", ")}
}

// restoreFromJournal takes the run's memory from the journal: the plan as
// approved, the rollback record, the deployment, the renames.
func (r *run) restoreFromJournal() {
	j := r.prior
	r.plan = *j.Plan
	if upgradeOldPlan(&r.plan) {
		r.e.notice(contract.StepProvisionGreen, "the journal was written by an rdsbg whose create-deployment included the wait for green; the plan now waits in provision-green, after blue is registered with the proxy again: every step is re-observed from AWS")
	}
	r.proxies = j.Proxies
	if len(r.proxies) == 0 {
		r.proxies = r.plan.Proxies
	}
	r.dep.id = j.DeploymentID
	if r.dep.id == "" {
		r.dep.id = r.plan.Deployment
	}
	r.continueWithoutProxy = j.ContinueWithoutProxy
	began := j.RunStarted
	r.resumedAt = &began
	if r.restoreOutages(j) { // outage.go
		r.e.notice(contract.StepDetachProxyBlue, "the journal's clock is ahead of this machine's (its last record is at %s): the outage windows still open are measured on the journal's clock as if no time passed between its last record and this resume, so they are lower bounds",
			j.LastRecordAt.UTC().Format(time.RFC3339))
	}
	r.names.restore(j.Renames, j.OldBlue)
	r.restoreTasks()
}

// resumeMarkers re-records what the journal knew and the new run-started
// record would otherwise hide from the next fold.
func (r *run) resumeMarkers() []journal.Record {
	var out []journal.Record
	for id, st := range r.prior.Steps {
		out = append(out, journal.Record{Kind: journal.RecordStep, Step: id, State: st, Message: "from the resumed run"})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Step < out[k].Step })
	if r.dep.id != "" {
		out = append(out, journal.Record{Kind: journal.RecordDeployment, DeploymentID: r.dep.id})
	}
	out = append(out, r.outageMarkers()...)
	if r.names.known() {
		out = append(out, r.names.record())
	}
	if r.continueWithoutProxy {
		out = append(out, journal.Record{Kind: journal.RecordStep, Step: contract.StepAttachProxyBlue, State: journal.StepStateSkipped, Message: journal.ContinueWithoutProxyNote})
	}
	return append(out, r.taskMarkers()...)
}

// replan builds the plan again from live state. Before the deployment
// exists the proxies discovered now may differ (a detached proxy no longer
// lists the source), so the journal's rollback record stands in for them.
// A fresh plan that cannot be built (the source moved on: a finished
// switchover, an upgraded version) leaves the journal's plan in force.
func (r *run) replan(ctx context.Context) (contract.Plan, bool) {
	d := r.disc
	d.Proxies = r.proxies
	opts := r.plan.Options
	switch r.plan.Regime {
	case contract.RegimeDetach:
		opts.ProxyMode = contract.ProxyModeDetach
	case contract.RegimeNative:
		opts.ProxyMode = contract.ProxyModeNative
	}
	if dep, err := r.findDeployment(ctx); err != nil || r.pastSwitchover(dep) {
		return contract.Plan{}, false
	}
	prep, err := r.e.rows.prepareFor(ctx, r.api, d, opts, r.e.cfg.Clock.Now, WithoutPreflight) // prepare.go
	if prep.Stage == StageUpgrade {
		return contract.Plan{}, false
	}
	r.upgrade = prep.Upgrade
	if err != nil {
		return contract.Plan{}, false
	}
	fresh := prep.Plan
	if sameSteps(fresh, r.plan) {
		return contract.Plan{}, false
	}
	// The same run goes on under the new plan: it keeps the run id its
	// lease and proxy tags carry, or it would read its own lease as
	// another run's (a false take-over) once it approves.
	fresh.RunID = contract.RunID(r.plan)
	return fresh, true
}

// sameSteps compares what matters to the operator: the regime and the
// step list with each step's severity and kind.
func sameSteps(a, b contract.Plan) bool {
	if a.Regime != b.Regime || len(a.Steps) != len(b.Steps) {
		return false
	}
	for i := range a.Steps {
		x, y := a.Steps[i], b.Steps[i]
		if x.ID != y.ID || x.Severity != y.Severity || x.CheckOnly != y.CheckOnly || x.Critical != y.Critical {
			return false
		}
	}
	return true
}

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
	if len(r.proxies) > 0 && r.plan.Regime != contract.RegimeNone {
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
func (r *run) restoreBeforeQuestion(ctx context.Context) (stop bool, f contract.Finished, err error, restored bool) {
	if len(r.proxies) == 0 || r.plan.Regime == contract.RegimeNone || r.continueWithoutProxy {
		return false, contract.Finished{}, nil, false
	}
	if v, verr := r.viewProxies(ctx); verr == nil && v.all(len(r.proxies)) {
		return false, contract.Finished{}, nil, false // AWS shows every proxy with its target: ask now
	}
	state, cerr := r.compensate(ctx, errors.New("the plan changed since the journal was written, and no question waits while the proxy is empty: it is restored before the new plan is put to the operator"))
	var orb *errOutageRollback
	switch {
	case errors.As(cerr, &orb):
		f, err = r.finish(contract.OutcomeRolledBack, orb, state)
		return true, f, err, false
	case isProxyEmptyError(cerr):
		f, err = r.finish(contract.OutcomeInterrupted, cerr, state)
		return true, f, err, false
	case cerr != nil:
		f, err = r.finish(contract.OutcomeFailed, cerr, state)
		return true, f, err, false
	}
	if state != contract.ProxyOnBlue && state != contract.ProxyOnNewPrimary {
		return false, contract.Finished{}, nil, false // left empty as approved (continue-without-proxy)
	}
	for i := range r.disc.Detached {
		r.disc.Detached[i].Registered = true
	}
	return false, contract.Finished{}, nil, true
}

// declinedResume ends a resume whose changed plan was declined (or whose
// approval was interrupted): compensate, then finish cancelled with the
// proxy state compensation reached.
func (r *run) declinedResume(ctx context.Context, err error) (contract.Finished, error) {
	return r.fail(ctx, err)
}
