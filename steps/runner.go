package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// Run is a fresh execution: discover → preflight → plan → approval → steps.
func (e *Engine) Run(ctx context.Context) (contract.Finished, error) {
	opts := e.cfg.Options.WithDefaultsAt(e.cfg.Clock.Now())
	if err := contract.ValidateOptions(opts); err != nil {
		return e.finishEarly(contract.OutcomeFailed, err, "")
	}
	changes := &changeWatch{}
	defer e.watchChanges(changes)()
	r, err := e.begin(ctx, opts.Source)
	if err != nil {
		outcome, err := stoppedBeforeChange(changes, contract.OutcomeFailed, err)
		return e.finishEarly(outcome, err, "")
	}
	defer r.close()
	r.changes = changes
	if r.prior.Unfinished() && !r.priorAbandoned(ctx) {
		err := &contract.InputError{Input: "--source", ExitCode: contract.ExitUsage, Message: fmt.Sprintf(
			"an unfinished rdsbg run exists for %s (journal %s): continue it with `rdsbg resume --source %s`, or undo it with `rdsbg abort --source %s`",
			r.disc.Source.ID, r.journal.Path(), r.disc.Source.ID, r.disc.Source.ID)}
		return r.finish(contract.OutcomeFailed, err, "")
	}
	if err := r.archivePrior(); err != nil {
		return r.finish(contract.OutcomeFailed, err, "")
	}
	e.emit(contract.Event{Type: contract.EventRunStarted, Message: fmt.Sprintf("%s %s (%s %s) in %s", r.disc.Source.Kind, r.disc.Source.ID, r.disc.Source.Engine, r.disc.Source.EngineVersion, r.disc.Source.Region)})
	opts, err = r.gateFresh(ctx, opts) // ownership.go: what the world holds for this source
	if err != nil {
		// Refused before the journal records a run: nothing has changed.
		return e.finishEarly(outcomeOf(err), err, r.proxyStateOfWorld())
	}

	prep, err := e.rows.prepareFor(ctx, r.api, r.disc, opts, e.cfg.Clock.Now, WithPreflight) // prepare.go
	if prep.Stage == StageUpgrade {
		outcome := contract.OutcomeFailed
		if ExitCode(err) == contract.ExitPreflight {
			outcome = contract.OutcomeBlocked
		}
		return r.finish(outcome, err, "")
	}
	r.upgrade = prep.Upgrade
	r.db, r.dbResolved = prep.db, true                              // dbchecks.go
	checks := append(prep.Checks, r.probePermissions(ctx, opts)...) // permprobe.go
	e.emit(contract.Event{Type: contract.EventPreflight, Step: contract.StepPreflight, Checks: checks})
	if preflight.Blocked(checks) {
		_ = r.journal.Append(journal.Record{Kind: journal.RecordRunStarted, Source: r.disc.Source.ID, Options: &opts, Message: "preflight blocked"})
		if ChecksChanged(checks) {
			return r.finish(contract.OutcomeFailed, blockedBy(checks), "")
		}
		return r.finish(contract.OutcomeBlocked, blockedBy(checks), "")
	}
	if err != nil {
		return r.finish(contract.OutcomeFailed, err, "")
	}
	plan := prep.Plan
	plan.RunID = newRunID(e.cfg.Clock.Now())
	if err := e.checkPlan(plan, nil); err != nil {
		// Refused before the journal records a run: nothing has changed.
		return e.finishEarly(contract.OutcomeFailed, err, "")
	}
	r.plan = plan
	r.proxies = plan.Proxies
	r.dep.id = plan.Deployment
	if err := r.reconcileDeployment(); err != nil {
		return r.finish(contract.OutcomeFailed, err, "")
	}
	p := plan
	e.emit(contract.Event{Type: contract.EventPlanReady, Plan: &p})
	if err := r.journal.Append(journal.Record{Kind: journal.RecordRunStarted, Source: r.disc.Source.ID, Options: &plan.Options, Plan: &p, DeploymentID: r.dep.id}); err != nil {
		return r.finish(contract.OutcomeFailed, err, "")
	}
	if err := r.journal.Append(journal.Record{Kind: journal.RecordProxies, Proxies: r.proxies}); err != nil {
		return r.finish(contract.OutcomeFailed, err, "")
	}
	r.journalDBLedger() // dbchecks.go
	r.saveRunbook()
	if err := r.approvePlan(ctx, "Run this plan?"); err != nil {
		return r.finish(outcomeOf(err), err, "")
	}
	r.holdDeployment(r.dep.id, r.e.cfg.TakeOver) // an adopted deployment: its lease at the first change (ownership.go)
	return r.execute(ctx)
}

// begin discovers the source, takes its lock and opens its journal.
func (e *Engine) begin(ctx context.Context, source string) (r *run, err error) {
	if err := journal.EnsureDir(e.cfg.StateDir); err != nil {
		return nil, err
	}
	unsubscribe := e.subscribeCalls()
	defer func() {
		if err != nil {
			unsubscribe()
		}
	}()
	d, err := preflight.Discover(ctx, e.cfg.API, source)
	if err != nil {
		return nil, err
	}
	lock, err := journal.Acquire(e.cfg.StateDir, d.Source.ID)
	if err != nil {
		return nil, err
	}
	path := journal.Path(e.cfg.StateDir, d.Source.ID)
	prior, err := journal.ReadState(path)
	if err != nil {
		lock.Release()
		return nil, err
	}
	j, err := journal.Open(path, e.cfg.Clock.Now)
	if err != nil {
		lock.Release()
		return nil, err
	}
	j.AfterAppend = e.journalHook
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
		_ = journal.Archive(r.e.cfg.StateDir, r.journal.Path(), r.archivePath)
	}
	r.lock.Release()
}

// onlyReads: the journal holds nothing but the audit of read calls.
func onlyReads(path string) bool {
	recs, err := journal.Read(path)
	if err != nil {
		return false
	}
	for _, rec := range recs {
		if rec.Kind != journal.RecordCall || (rec.Call != nil && rec.Call.Mutating) {
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
	dest := journal.ArchiveDest(r.e.cfg.StateDir, r.disc.Source.ID, r.prior)
	err := journal.Archive(r.e.cfg.StateDir, path, dest)
	j, oerr := journal.Open(path, r.e.cfg.Clock.Now)
	if oerr != nil {
		return oerr
	}
	j.AfterAppend = r.e.journalHook
	r.journal = j
	r.e.setJournal(j)
	if err != nil {
		return err
	}
	r.e.notice(contract.StepPreflight, "the last run of %s ended (%s): its journal is archived as %s, and this run starts a new one", r.disc.Source.ID, priorOutcome(r.prior), dest)
	r.prior = journal.State{}
	return nil
}

func priorOutcome(st journal.State) string {
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
	return r.ask(ctx, contract.Approval{Kind: "plan", Title: title, Text: text, Severity: contract.SeverityReversible, CLI: cli, Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}})
}

// execute runs the plan's steps in order, then summarises.
func (r *run) execute(ctx context.Context) (contract.Finished, error) {
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
			return r.finish(contract.OutcomeFailed, err, r.proxyStateOfWorld())
		}
		if errors.Is(err, errPausedReady) {
			return r.finishReady(ctx)
		}
		if err != nil {
			return r.fail(ctx, err)
		}
		break
	}
	state := contract.ProxyNotUsed
	if r.plan.Regime != contract.RegimeNone {
		state = contract.ProxyOnNewPrimary
	}
	return r.finish(contract.OutcomeDone, nil, state)
}

// runSteps walks the plan; a step already satisfied is skipped.
func (r *run) runSteps(ctx context.Context) error {
	for _, ps := range r.plan.Steps {
		def, ok := r.e.rows.def(ps.ID)
		if !ok {
			return fmt.Errorf("the plan names step %q, which this version of rdsbg cannot run", ps.ID)
		}
		if def.bind == nil {
			// Runs before the plan (preflight). A resumed run says that
			// it passed when the run began, so every view shows it done.
			if r.resumedAt != nil && r.stepRan(ps.ID) == "" {
				r.e.emit(contract.Event{Type: contract.EventStepSkipped, Step: ps.ID, Message: "checked before the run's first change", StepOutcome: contract.SkippedAlreadyDone})
				r.timeline = append(r.timeline, contract.TimelineEntry{Step: ps.ID, Started: *r.resumedAt, Outcome: contract.SkippedAlreadyDone})
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
			if impl.declined != nil && errors.Is(err, contract.ErrDeclined) && impl.declined() {
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
	var ids []contract.StepID
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
	err := r.ask(ctx, contract.Approval{Kind: "critical-section", Step: ids[0], Title: "Start the critical section: detach the proxy, switch over, attach the new primary",
		Text: text, Severity: contract.SeveritySevere, CLI: r.withBGD(cli), Confirm: r.plan.Source.ID, Steps: ids})
	if err != nil {
		return err
	}
	r.criticalApproved = true
	return nil
}

// Exit 3 means "nothing changed" (design.md §4), and it must hold for
// every stop of a fresh run before its first change, not only for the
// preflight's verdict: a refused read, a failed catalogue read, a
// permission probe, or a first mutation that AWS refused. The call log
// tells: a mutating call counts as a change unless AWS answered it with a
// 4xx error code (refused before acting) or it was never sent. A run
// without a call log cannot tell, and keeps its exit code.

// changeWatch counts the mutating calls that may have changed something.
type changeWatch struct {
	mu      sync.Mutex
	known   bool // a call log is subscribed: the count can be trusted
	changes int
}

// watchChanges subscribes to the call log; the returned function stops.
func (e *Engine) watchChanges(w *changeWatch) func() {
	if e.cfg.Calls == nil {
		return func() {}
	}
	w.known = true
	return e.cfg.Calls.Subscribe(func(c awsclient.Call) {
		if !c.Mutating || refusedBeforeChange(c) {
			return
		}
		w.mu.Lock()
		w.changes++
		w.mu.Unlock()
	})
}

// refusedBeforeChange: AWS answered with a client error code (AccessDenied,
// a validation or state fault), or no request went out.
func refusedBeforeChange(c awsclient.Call) bool {
	if c.Attempts == 0 && c.HTTPStatus == 0 && c.ErrorCode != "" {
		return true
	}
	return c.ErrorCode != "" && c.HTTPStatus >= 400 && c.HTTPStatus < 500
}

// unchanged is true when the watch is trusted and saw no change.
func (w *changeWatch) unchanged() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.known && w.changes == 0
}

// errNothingChanged is a failure that stopped a run before any change:
// exit 3 (it is ErrBlocked), with the failure's own words.
type errNothingChanged struct{ Err error }

func (e *errNothingChanged) Error() string {
	return e.Err.Error() + "; nothing was changed"
}

// Unwrap keeps the cause (an AWS API error, a permission) and ErrBlocked
// reachable for errors.As and errors.Is.
func (e *errNothingChanged) Unwrap() []error { return []error{e.Err, contract.ErrBlocked} }

// stoppedBeforeChange turns a failure (exit 1) of a run that changed
// nothing into a errNothingChanged with the outcome "blocked". Usage
// errors (2) keep their code but not a resumable outcome (a headless
// refusal for want of --confirm leaves nothing to resume: it is "blocked",
// exit 2); cancellations (4) and interruptions (5) keep theirs.
func stoppedBeforeChange(w *changeWatch, outcome string, err error) (string, error) {
	if err != nil && outcome == contract.OutcomeFailed && ExitCode(err) == contract.ExitUsage && w.unchanged() {
		return contract.OutcomeBlocked, err
	}
	if err == nil || outcome != contract.OutcomeFailed || ExitCode(err) != contract.ExitStepFailed || !w.unchanged() {
		return outcome, err
	}
	var nc *errNothingChanged
	if errors.As(err, &nc) {
		return contract.OutcomeBlocked, err
	}
	return contract.OutcomeBlocked, &errNothingChanged{Err: err}
}

// This file holds "prepare now, switch over later" (issue 13): a run that
// stops after ready-check in the named state OutcomeReady, either because
// `rdsbg run --until ready` asked for it or because the operator declined
// the critical section (or the switchover) in the wizard. Nothing is
// compensated: the proxy is on blue, green is in sync, and `rdsbg resume`
// re-checks readiness and switches over.

// errPausedReady ends runSteps without a failure: the run is ready.
var errPausedReady = errors.New("paused ready for the switchover")

// pauseAfter reports whether the run stops after ps, a step that pauses a
// run ready (ready-check): --until ready, once it has really checked (not
// skipped because the switchover has started already).
func (r *run) pauseAfter(ps contract.PlannedStep) bool {
	if r.e.cfg.Until != contract.UntilReady {
		return false
	}
	n := len(r.timeline)
	return n > 0 && r.timeline[n-1].Step == ps.ID && r.timeline[n-1].Outcome != "already-done"
}

// pausedIfDeclined turns the operator's "no" to the critical section or
// to a step whose "no" pauses (the switchover itself), before anything of
// it happened, into the ready state: green stays prepared and `rdsbg
// resume` switches over later. Any other error passes through.
func (r *run) pausedIfDeclined(ps contract.PlannedStep, pauses bool, err error) error {
	if !errors.Is(err, contract.ErrDeclined) {
		return err
	}
	if !ps.Critical && !pauses {
		return err
	}
	if r.prior.Steps[contract.StepSwitchover] != "" || r.stepRan(contract.StepReadyCheck) == "" {
		return err
	}
	return errPausedReady
}

// stepRan is the timeline outcome of id in this execution, "" if it did
// not run; a resumed run also counts the journal's done steps.
func (r *run) stepRan(id contract.StepID) string {
	for i := len(r.timeline) - 1; i >= 0; i-- {
		if r.timeline[i].Step == id {
			return r.timeline[i].Outcome
		}
	}
	if r.prior.Done(id) {
		return "done"
	}
	return ""
}

// finishReady ends a run in the ready state, exit 0, with green's members,
// classes and lag for the summary, `status` and the epilogue.
func (r *run) finishReady(ctx context.Context) (contract.Finished, error) {
	r.readyGreen = r.describeGreen(ctx)
	state := contract.ProxyOnBlue
	if r.plan.Regime == contract.RegimeNone || len(r.proxies) == 0 {
		state = contract.ProxyNotUsed
	}
	return r.finish(contract.OutcomeReady, nil, state)
}

// describeGreen reads green's members and their classes (reads only; a
// failure leaves what is known) and the last lag the metrics watcher saw.
func (r *run) describeGreen(ctx context.Context) *contract.GreenInfo {
	g := &contract.GreenInfo{DeploymentID: r.dep.id}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if dep, err := r.findDeployment(rctx); err == nil && dep != nil {
		g.DeploymentID = dep.ID
		for _, m := range dep.Members {
			if !strings.Contains(m.Target, ":db:") {
				continue // clusters and custom endpoints cost nothing apart
			}
			id := contract.ARNName(m.Target)
			member := contract.GreenMember{ID: id}
			if inst, err := r.api.DescribeInstance(rctx, id); err == nil {
				member.Class = inst.Class
			}
			g.Members = append(g.Members, member)
		}
	}
	if w := r.e.metrics.Watcher(); w != nil {
		g.Lag = w.LastLag()
	}
	return g
}

// readinessWords is what the critical section's question says of green:
// the ready-check's result and the last lag read, or that the lag is not
// known (walkthrough D19: the question showed neither).
func (r *run) readinessWords() string {
	check := "\nReady-check: "
	switch st := r.stepRan(contract.StepReadyCheck); st {
	case "done", "checked", contract.SkippedAlreadyDone:
		check += "passed"
	case "":
		check += "not run in this process"
	default:
		check += st
	}
	lag := "unknown (no CloudWatch data)"
	if w := r.e.metrics.Watcher(); w != nil {
		if l := w.LastLag(); l != "" {
			lag = l
		}
	}
	return check + "; green's replication lag: " + lag + "."
}
