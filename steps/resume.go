package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// Resume continues an interrupted or failed run from its journal and live
// AWS state. Live state wins: every step is observed again, a step that
// started and never finished is re-observed before anything is repeated,
// the deployment is found by id or name (never created twice), and a plan
// that differs from the journal's is approved again.
func (e *Engine) Resume(ctx context.Context) (Finished, error) {
	r, err := e.beginJournalled(ctx)
	if err != nil {
		return e.finishEarly(OutcomeFailed, err, "")
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
		return r.finish(OutcomeFailed, &InputError{Input: "--source", ExitCode: ExitUsage,
			Message: fmt.Sprintf("no rdsbg run to resume for %s (journal %s has no plan): nothing to resume; start one with `rdsbg run`", r.disc.Source.ID, r.journal.Path())}, "")
	}
	if !r.prior.Unfinished() {
		// Report the finished run's proxy state (not a default "blue" after
		// a completed switchover), and leave its journal as it is: a
		// refused resume is not a run.
		// Outcome blocked: this refused resume did nothing (not "done,
		// exit 2": walkthrough D11); the message names the last run's end.
		return e.finishEarly(OutcomeBlocked, &InputError{Input: "--source", ExitCode: ExitUsage,
			Message: fmt.Sprintf("the last run for %s finished (%s): nothing to resume", r.disc.Source.ID, r.prior.Finished.Outcome)}, r.proxyStateFromDiscovery())
	}
	if err := r.bindJournal(); err != nil {
		return e.finishEarly(OutcomeFailed, err, r.proxyStateFromDiscovery())
	}
	r.restoreFromJournal()
	e.emit(Event{Type: EventRunStarted, Message: fmt.Sprintf("resuming %s from %s", r.disc.Source.ID, r.journal.Path())})
	// Nothing is changed before AWS shows the journal's deployment is
	// there and this run's (reconcile.go).
	if err := r.gateResume(ctx); err != nil {
		var fe *fatalError
		if errors.As(err, &fe) {
			return r.fail(ctx, err) // the run's proxy is empty: put blue back, then stop
		}
		var nothing *NothingToResumeError
		if errors.As(err, &nothing) {
			return e.finishEarly(OutcomeFailed, err, nothing.State)
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
		return e.finishEarly(OutcomeFailed, err, state)
	}
	if err := r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &r.plan.Options, Plan: &r.plan, DeploymentID: r.dep.id, Message: "resume"}); err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	_ = r.journal.Append(Record{Kind: RecordProxies, Proxies: r.proxies})
	for _, rec := range r.resumeMarkers() {
		_ = r.journal.Append(rec)
	}
	p := r.plan
	e.emit(Event{Type: EventPlanReady, Plan: &p, Message: "resumed plan"})
	if changed {
		// The proxy first (resume_decline.go), under the journal's plan;
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
		e.emit(Event{Type: EventPlanReady, Plan: &p, Message: "the plan changed since the journal was written"})
		_ = r.journal.Append(Record{Kind: RecordPlan, Plan: &p, Message: "changed plan on resume"})
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
	if err := checkJournalSource(JournalPath(e.cfg.StateDir, source), source); err != nil {
		return nil, err
	}
	return e.begin(ctx, source)
}

// checkJournalSource refuses a journal whose run records name a source
// other than the one it is kept for (a copied or hand-edited journal): it
// would act on another database's deployment.
func checkJournalSource(path, source string) error {
	recs, err := ReadJournal(path)
	if err != nil {
		return nil // absent or unreadable: begin says so
	}
	want := strings.ToLower(lastField(source))
	for _, rec := range recs {
		if rec.Kind != RecordRunStarted {
			continue
		}
		names := []string{rec.Source}
		if rec.Plan != nil {
			names = append(names, rec.Plan.Source.ID)
		}
		for _, n := range names {
			if n != "" && strings.ToLower(n) != want {
				return &InputError{Input: "journal", ExitCode: ExitUsage, Message: fmt.Sprintf("the journal %s names source %s, not %s: a journal belongs to one source, so rdsbg will not act on it (it made no call). Move it aside if it was copied or edited by hand", path, n, lastField(source))}
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
	return &InputError{Input: "journal", ExitCode: ExitUsage, Message: fmt.Sprintf("the journal %s was written for %s, but --source resolves to %s: rdsbg will not act on it; it changed nothing", r.journal.Path(), p.Source.ARN, r.disc.Source.ARN)}
}

// resumeSource is --source, or the one unfinished journal.
func (e *Engine) resumeSource() (string, error) {
	if e.cfg.Options.Source != "" {
		return e.cfg.Options.Source, nil
	}
	open, err := UnfinishedJournals(e.cfg.StateDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", &StateDirError{Dir: e.cfg.StateDir, Err: err}
	}
	switch len(open) {
	case 0:
		return "", &InputError{Input: "--source", ExitCode: ExitUsage, Message: fmt.Sprintf("no unfinished rdsbg run in %s: nothing to resume", e.cfg.StateDir)}
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
	return "", &InputError{Input: "--source", ExitCode: ExitUsage, Message: "several unfinished runs: pass --source with one of " + strings.Join(names, ", ")}
}

// restoreFromJournal takes the run's memory from the journal: the plan as
// approved, the rollback record, the deployment, the renames.
func (r *run) restoreFromJournal() {
	j := r.prior
	r.plan = *j.Plan
	if upgradeOldPlan(&r.plan) {
		r.e.notice(StepProvisionGreen, "the journal was written by an rdsbg whose create-deployment included the wait for green; the plan now waits in provision-green, after blue is registered with the proxy again: every step is re-observed from AWS")
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
		r.e.notice(StepDetachProxyBlue, "the journal's clock is ahead of this machine's (its last record is at %s): the outage windows still open are measured on the journal's clock as if no time passed between its last record and this resume, so they are lower bounds",
			j.LastRecordAt.UTC().Format(time.RFC3339))
	}
	r.names.restore(j.Renames, j.OldBlue)
	r.restoreTasks()
}

// resumeMarkers re-records what the journal knew and the new run-started
// record would otherwise hide from the next fold.
func (r *run) resumeMarkers() []Record {
	var out []Record
	for id, st := range r.prior.Steps {
		out = append(out, Record{Kind: RecordStep, Step: id, State: st, Message: "from the resumed run"})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Step < out[k].Step })
	if r.dep.id != "" {
		out = append(out, Record{Kind: RecordDeployment, DeploymentID: r.dep.id})
	}
	out = append(out, r.outageMarkers()...)
	if r.names.known() {
		out = append(out, r.names.record())
	}
	if r.continueWithoutProxy {
		out = append(out, Record{Kind: RecordStep, Step: StepAttachProxyBlue, State: StepStateSkipped, Message: continueWithoutProxyNote})
	}
	return append(out, r.taskMarkers()...)
}

// replan builds the plan again from live state. Before the deployment
// exists the proxies discovered now may differ (a detached proxy no longer
// lists the source), so the journal's rollback record stands in for them.
// A fresh plan that cannot be built (the source moved on: a finished
// switchover, an upgraded version) leaves the journal's plan in force.
func (r *run) replan(ctx context.Context) (Plan, bool) {
	d := r.disc
	d.Proxies = r.proxies
	opts := r.plan.Options
	switch r.plan.Regime {
	case RegimeDetach:
		opts.ProxyMode = ProxyModeDetach
	case RegimeNative:
		opts.ProxyMode = ProxyModeNative
	}
	if dep, err := r.findDeployment(ctx); err != nil || r.pastSwitchover(dep) {
		return Plan{}, false
	}
	prep, err := PrepareFor(ctx, r.api, d, opts, r.e.cfg.Clock.Now, WithoutPreflight) // prepare.go
	if prep.Stage == StageUpgrade {
		return Plan{}, false
	}
	r.upgrade = prep.Upgrade
	if err != nil {
		return Plan{}, false
	}
	fresh := prep.Plan
	if sameSteps(fresh, r.plan) {
		return Plan{}, false
	}
	// The same run goes on under the new plan: it keeps the run id its
	// lease and proxy tags carry, or it would read its own lease as
	// another run's (a false take-over) once it approves.
	fresh.RunID = RunID(r.plan)
	return fresh, true
}

// sameSteps compares what matters to the operator: the regime and the
// step list with each step's severity and kind.
func sameSteps(a, b Plan) bool {
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
