package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Run is a fresh execution: discover → preflight → plan → approval → steps.
func (e *Engine) Run(ctx context.Context) (Finished, error) {
	opts := e.cfg.Options.WithDefaultsAt(e.cfg.Clock.Now())
	if err := ValidateOptions(opts); err != nil {
		return e.finishEarly(OutcomeFailed, err, "")
	}
	changes := &changeWatch{}
	defer e.watchChanges(changes)()
	r, err := e.begin(ctx, opts.Source)
	if err != nil {
		outcome, err := stoppedBeforeChange(changes, OutcomeFailed, err)
		return e.finishEarly(outcome, err, "")
	}
	defer r.close()
	r.changes = changes
	if r.prior.Unfinished() && !r.priorAbandoned(ctx) {
		err := &InputError{Input: "--source", ExitCode: ExitUsage, Message: fmt.Sprintf(
			"an unfinished rdsbg run exists for %s (journal %s): continue it with `rdsbg resume --source %s`, or undo it with `rdsbg abort --source %s`",
			r.disc.Source.ID, r.journal.Path(), r.disc.Source.ID, r.disc.Source.ID)}
		return r.finish(OutcomeFailed, err, "")
	}
	if err := r.archivePrior(); err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	e.emit(Event{Type: EventRunStarted, Message: fmt.Sprintf("%s %s (%s %s) in %s", r.disc.Source.Kind, r.disc.Source.ID, r.disc.Source.Engine, r.disc.Source.EngineVersion, r.disc.Source.Region)})
	opts, err = r.gateFresh(ctx, opts) // ownership.go: what the world holds for this source
	if err != nil {
		// Refused before the journal records a run: nothing has changed.
		return e.finishEarly(outcomeOf(err), err, r.proxyStateOfWorld())
	}

	prep, err := PrepareFor(ctx, r.api, r.disc, opts, e.cfg.Clock.Now, WithPreflight) // prepare.go
	if prep.Stage == StageUpgrade {
		outcome := OutcomeFailed
		if ExitCode(err) == ExitPreflight {
			outcome = OutcomeBlocked
		}
		return r.finish(outcome, err, "")
	}
	r.upgrade = prep.Upgrade
	r.db, r.dbResolved = prep.db, true                              // dbchecks.go
	checks := append(prep.Checks, r.probePermissions(ctx, opts)...) // permprobe.go
	e.emit(Event{Type: EventPreflight, Step: StepPreflight, Checks: checks})
	if Blocked(checks) {
		_ = r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &opts, Message: "preflight blocked"})
		if ChecksChanged(checks) {
			return r.finish(OutcomeFailed, blockedBy(checks), "")
		}
		return r.finish(OutcomeBlocked, blockedBy(checks), "")
	}
	if err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	plan := prep.Plan
	plan.RunID = newRunID(e.cfg.Clock.Now())
	if err := e.checkPlan(plan, nil); err != nil {
		// Refused before the journal records a run: nothing has changed.
		return e.finishEarly(OutcomeFailed, err, "")
	}
	r.plan = plan
	r.proxies = plan.Proxies
	r.dep.id = plan.Deployment
	if err := r.reconcileDeployment(); err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	p := plan
	e.emit(Event{Type: EventPlanReady, Plan: &p})
	if err := r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &plan.Options, Plan: &p, DeploymentID: r.dep.id}); err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	if err := r.journal.Append(Record{Kind: RecordProxies, Proxies: r.proxies}); err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	r.journalDBLedger() // dbchecks.go
	r.saveRunbook()
	if err := r.approvePlan(ctx, "Run this plan?"); err != nil {
		return r.finish(outcomeOf(err), err, "")
	}
	r.holdDeployment(r.dep.id, r.e.cfg.TakeOver) // an adopted deployment: its lease at the first change (lease.go)
	return r.execute(ctx)
}

// begin discovers the source, takes its lock and opens its journal.
func (e *Engine) begin(ctx context.Context, source string) (r *run, err error) {
	if err := ensureStateDir(e.cfg.StateDir); err != nil {
		return nil, err
	}
	unsubscribe := e.subscribeCalls()
	defer func() {
		if err != nil {
			unsubscribe()
		}
	}()
	d, err := Discover(ctx, e.cfg.API, source)
	if err != nil {
		return nil, err
	}
	lock, err := acquireLock(e.cfg.StateDir, d.Source.ID)
	if err != nil {
		return nil, err
	}
	path := JournalPath(e.cfg.StateDir, d.Source.ID)
	prior, err := readPrior(path)
	if err != nil {
		lock.release()
		return nil, err
	}
	j, err := OpenJournal(path, e.cfg.Clock.Now)
	if err != nil {
		lock.release()
		return nil, err
	}
	j.afterAppend = e.journalHook
	e.setJournal(j)
	r = &run{e: e, api: e.cfg.API, disc: d, journal: j, lock: lock, prior: prior, unsubscribe: unsubscribe,
		taskSeen: map[string]taskSince{}}
	e.proxyEmpty = r.outages.empty
	e.heartbeat = r.heartbeat // reconcile.go: the lease and the proxies' watch
	return r, nil
}

func (r *run) close() {
	r.e.proxyEmpty = nil
	r.e.heartbeat = nil
	r.unsubscribe()
	r.e.setJournal(nil)
	r.journal.Close()
	if onlyReads(r.journal.Path()) {
		// A command refused before it changed or recorded anything (its
		// reads only) leaves no journal behind.
		_ = os.Remove(r.journal.Path())
	}
	if r.archivePath != "" {
		// A run that ended for good: its journal becomes history, and
		// the next run of the source starts from none (journal.go).
		_ = archiveJournal(r.e.cfg.StateDir, r.journal.Path(), r.archivePath)
	}
	r.lock.release()
}

// onlyReads: the journal holds nothing but the audit of read calls.
func onlyReads(path string) bool {
	recs, err := ReadJournal(path)
	if err != nil {
		return false
	}
	for _, rec := range recs {
		if rec.Kind != RecordCall || (rec.Call != nil && rec.Call.Mutating) {
			return false
		}
	}
	return true
}

// archivePrior archives the journal of a finished (or abandoned) run
// before a fresh run writes its own: a fresh run starts from an empty
// history (issue 20, B8).
func (r *run) archivePrior() error {
	if r.prior.Plan == nil && r.prior.Finished == nil && r.prior.RunStarted.IsZero() {
		return nil
	}
	path := r.journal.Path()
	r.e.setJournal(nil)
	r.journal.Close()
	dest := archiveDest(r.e.cfg.StateDir, r.disc.Source.ID, r.prior)
	err := archiveJournal(r.e.cfg.StateDir, path, dest)
	j, oerr := OpenJournal(path, r.e.cfg.Clock.Now)
	if oerr != nil {
		return oerr
	}
	j.afterAppend = r.e.journalHook
	r.journal = j
	r.e.setJournal(j)
	if err != nil {
		return err
	}
	r.e.notice(StepPreflight, "the last run of %s ended (%s): its journal is archived as %s, and this run starts a new one", r.disc.Source.ID, priorOutcome(r.prior), dest)
	r.prior = JournalState{}
	return nil
}

func priorOutcome(st JournalState) string {
	if st.Finished != nil {
		return st.Finished.Outcome
	}
	return "abandoned"
}

// approvePlan asks for the plan as a whole.
func (r *run) approvePlan(ctx context.Context, title string) error {
	var cli []string
	for _, s := range r.plan.Steps {
		cli = append(cli, s.CLI...)
	}
	text := fmt.Sprintf("Source %s (%s), regime %s: %s\nSteps:", r.plan.Source.ID, r.plan.Source.Engine, r.plan.Regime, r.plan.RegimeReason)
	for i, s := range r.plan.Steps {
		text += fmt.Sprintf("\n  %d. %s — %s", i+1, s.ID, s.Title)
	}
	if r.plan.ProxylessNote != "" {
		text += "\n" + r.plan.ProxylessNote
	}
	if r.plan.Fallback != nil {
		text += "\n" + r.plan.Fallback.Note
	}
	return r.ask(ctx, Approval{Kind: "plan", Title: title, Text: text, Severity: SeverityReversible, CLI: cli, Choices: []Decision{DecisionApprove, DecisionDecline}})
}

// execute runs the plan's steps in order, then summarises.
func (r *run) execute(ctx context.Context) (Finished, error) {
	r.e.observers.PlanStarted(r.plan)
	for {
		err := r.runSteps(ctx)
		var fb *errFallbackDetach
		if errors.As(err, &fb) {
			if ferr := r.fallbackToDetach(ctx, fb); ferr != nil {
				return r.fail(ctx, ferr)
			}
			continue
		}
		var orb *errOutageRollback
		if errors.As(err, &orb) {
			return r.rollbackOutage(ctx, orb)
		}
		if isOwnershipStop(err) {
			// Another owner holds the run's resources now: compensation
			// would act on what is theirs. Report what AWS shows.
			w := r.readWorld(ctx, false)
			r.world = &w
			return r.finish(OutcomeFailed, err, r.proxyStateOfWorld())
		}
		if errors.Is(err, errPausedReady) {
			return r.finishReady(ctx)
		}
		if err != nil {
			return r.fail(ctx, err)
		}
		break
	}
	state := ProxyNotUsed
	if r.plan.Regime != RegimeNone {
		state = ProxyOnNewPrimary
	}
	return r.finish(OutcomeDone, nil, state)
}

// runSteps walks the plan; a step already satisfied is skipped.
func (r *run) runSteps(ctx context.Context) error {
	for _, ps := range r.plan.Steps {
		def, ok := stepDefOf(ps.ID)
		if !ok {
			return fmt.Errorf("the plan names step %q, which this version of rdsbg cannot run", ps.ID)
		}
		if def.bind == nil {
			// Runs before the plan (preflight). A resumed run says that
			// it passed when the run began, so every view shows it done.
			if r.resumedAt != nil && r.stepRan(ps.ID) == "" {
				r.e.emit(Event{Type: EventStepSkipped, Step: ps.ID, Message: "checked before the run's first change", StepOutcome: SkippedAlreadyDone})
				r.timeline = append(r.timeline, TimelineEntry{Step: ps.ID, Started: *r.resumedAt, Outcome: SkippedAlreadyDone})
			}
			continue
		}
		if ps.Critical && !r.criticalApproved {
			asked := r.e.cfg.Clock.Now()
			if err := r.approveCritical(ctx); err != nil {
				return r.pausedIfDeclined(ps, false, err)
			}
			r.criticalWait = r.e.cfg.Clock.Now().Sub(asked)
		}
		impl := def.bind(r, ps)
		if err := r.runStep(ctx, ps, impl); err != nil {
			if impl.declined != nil && errors.Is(err, ErrDeclined) && impl.declined() {
				continue
			}
			return r.pausedIfDeclined(ps, impl.declinePauses, err)
		}
		if impl.pausesReady && r.pauseAfter(ps) {
			return errPausedReady
		}
	}
	return nil
}

// approveCritical is the one approval of the critical section, the
// plan's Critical steps (5–7 in the detach regime).
func (r *run) approveCritical(ctx context.Context) error {
	var ids []StepID
	var cli []string
	entered := false
	for _, s := range r.plan.Steps {
		if s.Critical {
			ids = append(ids, s.ID)
			cli = append(cli, s.CLI...)
			entered = entered || r.prior.Steps[s.ID] != ""
		}
	}
	if entered {
		// The run this one resumes entered the section. If it is still
		// inside it (the proxy empty, or the switchover under way) there is
		// no prompt inside the section; if compensation put blue back, the
		// operator approves the section again.
		dep, err := r.findDeployment(ctx)
		if err != nil {
			return err
		}
		v, err := r.viewProxies(ctx)
		if err != nil {
			return err
		}
		if r.pastSwitchover(dep) || v.none() {
			r.criticalApproved = true
			return nil
		}
	}
	text := fmt.Sprintf("From here to the end of %s the proxy has no target: applications connected through %s cannot reach %s until the new primary is registered and healthy. The switchover itself takes up to %s. The section runs without further prompts; if anything fails the proxy is re-registered before rdsbg stops. Declining stops here with green ready: nothing more changes, and `rdsbg resume` switches over later. If AWS refuses to register the new primary while the deployment object exists, rdsbg deletes the deployment object (never a database) and registers again. %s",
		ids[len(ids)-1], proxyNames(r.proxies), r.plan.Source.ID, r.plan.Options.SwitchoverTimeout, criticalOutageNote(r.plan.Options.SwitchoverTimeout))
	text += r.readinessWords()
	err := r.ask(ctx, Approval{Kind: "critical-section", Step: ids[0], Title: "Start the critical section: detach the proxy, switch over, attach the new primary",
		Text: text, Severity: SeveritySevere, CLI: r.withBGD(cli), Confirm: r.plan.Source.ID, Steps: ids})
	if err != nil {
		return err
	}
	r.criticalApproved = true
	return nil
}
