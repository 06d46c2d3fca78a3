package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// run is the state of one execution (a fresh run, a resume or an abort).
type run struct {
	e       *Engine
	api     awsclient.API
	disc    Discovery
	plan    Plan
	upgrade *awsclient.UpgradeTarget
	journal *Journal
	lock    *sourceLock
	prior   JournalState // what the journal said when this execution began

	unsubscribe func() // stops the call log feeding this run

	depID   string
	proxies []ProxyRegistration // original registrations: the rollback record

	criticalApproved     bool
	continueWithoutProxy bool // the operator chose to leave the proxy empty until switchover
	proxylessSince       *time.Time
	emptySince           *time.Time // a proxy lost its target (retry.go); nil while every proxy serves
	sawSwitchover        bool       // compensation saw the switchover done
	detachedAt           *time.Time // detach-proxy deregistered blue in this process (reattach.go)
	proxylessWindow      time.Duration
	switchoverDuration   time.Duration
	greenNames           map[string]string // blue id → green id, seen before the switchover
	renames              map[string]string
	oldBlue              []string   // ARNs of the -oldN resources, after the switchover
	renamesVerified      bool       // verify_renames.go
	events               eventWatch // rdsevents.go
	timeline             []TimelineEntry
	outages              outageBook           // outage windows and the live traffic line (outage.go)
	taskSeen             map[string]taskSince // deployment task → when its status was first seen
	pace                 criticalPace         // critical_pace.go: what paces the critical waits
	// approved holds the steps the operator approved in this process, so a
	// step re-run after the fallback to detach (create-deployment) is not
	// asked twice for the same change.
	approved map[StepID]bool
	// cleanupDeclined: the operator said no to the optional cleanup after a
	// successful switchover; the run is done, with leftovers (leftovers.go).
	cleanupDeclined bool
	greenSeen       []string      // green members' identifiers, as last seen
	readyGreen      *GreenInfo    // green as a run paused ready leaves it
	criticalWait    time.Duration // the critical section's approval wait, reported on its first step
	tags            proxyTagState // proxies' ARNs and rdsbg:detached tags (proxy_tags.go)
	changes         *changeWatch  // a fresh run's changes so far: exit 3 while none (nochange.go)
}

type taskSince struct {
	status string
	since  time.Time
	took   time.Duration // COMPLETED: the time spent in the status before (tasks.go)
}

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
	if r.prior.Unfinished() {
		err := &InputError{Input: "--source", ExitCode: ExitUsage, Message: fmt.Sprintf(
			"an unfinished rdsbg run exists for %s (journal %s): continue it with `rdsbg resume --source %s`, or undo it with `rdsbg abort --source %s`",
			r.disc.Source.ID, r.journal.Path(), r.disc.Source.ID, r.disc.Source.ID)}
		return r.finish(OutcomeFailed, err, "")
	}
	e.emit(Event{Type: EventRunStarted, Message: fmt.Sprintf("%s %s (%s %s) in %s", r.disc.Source.Kind, r.disc.Source.ID, r.disc.Source.Engine, r.disc.Source.EngineVersion, r.disc.Source.Region)})
	opts = r.adoptTaggedName(opts) // a deployment an earlier run tagged (proxy_tags.go)

	prep, err := PrepareFor(ctx, r.api, r.disc, opts, e.cfg.Clock.Now, WithPreflight) // prepare.go
	if prep.Stage == StageUpgrade {
		outcome := OutcomeFailed
		if ExitCode(err) == ExitPreflight {
			outcome = OutcomeBlocked
		}
		return r.finish(outcome, err, "")
	}
	r.upgrade = prep.Upgrade
	checks := append(prep.Checks, r.probePermissions(ctx, opts)...) // permprobe.go
	e.emit(Event{Type: EventPreflight, Step: StepPreflight, Checks: checks})
	if Blocked(checks) {
		_ = r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &opts, Message: "preflight blocked"})
		return r.finish(OutcomeBlocked, blockedBy(checks), "")
	}
	if err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	plan := prep.Plan
	if err := e.checkPlan(plan, nil); err != nil {
		// Refused before the journal records a run: nothing has changed.
		return e.finishEarly(OutcomeFailed, err, "")
	}
	r.plan = plan
	r.proxies = plan.Proxies
	r.depID = plan.Deployment
	if err := r.reconcileDeployment(); err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	p := plan
	e.emit(Event{Type: EventPlanReady, Plan: &p})
	if err := r.journal.Append(Record{Kind: RecordRunStarted, Source: r.disc.Source.ID, Options: &plan.Options, Plan: &p, DeploymentID: r.depID}); err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	if err := r.journal.Append(Record{Kind: RecordProxies, Proxies: r.proxies}); err != nil {
		return r.finish(OutcomeFailed, err, "")
	}
	r.saveRunbook()
	if err := r.approvePlan(ctx, "Run this plan?"); err != nil {
		return r.finish(outcomeOf(err), err, "")
	}
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
		renames: map[string]string{}, greenNames: map[string]string{}, taskSeen: map[string]taskSince{}}
	e.proxyEmpty = r.proxyEmptyNow
	return r, nil
}

func (r *run) close() {
	r.e.proxyEmpty = nil
	r.unsubscribe()
	r.e.setJournal(nil)
	r.journal.Close()
	r.lock.release()
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
	return r.ask(ctx, Approval{Kind: "plan", Title: title, Text: text, Severity: SeverityReversible, CLI: cli, Choices: []Decision{DecisionApprove, DecisionDecline}})
}

// ask sends an approval and turns anything but approve into ErrDeclined.
func (r *run) ask(ctx context.Context, a Approval) error {
	d, err := r.decide(ctx, a)
	if err != nil {
		return err
	}
	if d != DecisionApprove {
		return fmt.Errorf("%w: %s (%s)", ErrDeclined, a.Title, d)
	}
	return nil
}

// decide sends an approval and returns the raw decision.
func (r *run) decide(ctx context.Context, a Approval) (Decision, error) {
	if len(a.Choices) == 0 {
		a.Choices = []Decision{DecisionApprove, DecisionDecline}
	}
	ap := a
	r.e.emit(Event{Type: EventApproval, Step: a.Step, Approval: &ap})
	d, err := r.e.cfg.Approver.Approve(ctx, a)
	if err != nil {
		return "", err
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	r.e.emit(Event{Type: EventApproved, Step: a.Step, Decision: d, Message: a.Kind})
	return d, nil
}

// errFallbackDetach: CreateBlueGreenDeployment was refused while proxies
// are registered, under a native plan chosen by auto mode.
type errFallbackDetach struct{ err error }

func (e *errFallbackDetach) Error() string { return e.err.Error() }
func (e *errFallbackDetach) Unwrap() error { return e.err }

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
		if ps.ID == StepPreflight {
			continue
		}
		if ps.Critical && !r.criticalApproved {
			asked := r.e.cfg.Clock.Now()
			if err := r.approveCritical(ctx); err != nil {
				return r.pausedIfDeclined(ps, err)
			}
			r.criticalWait = r.e.cfg.Clock.Now().Sub(asked)
		}
		if err := r.runStep(ctx, ps); err != nil {
			if r.declinedCleanup(ps, err) {
				continue
			}
			return r.pausedIfDeclined(ps, err)
		}
		if r.pauseAfter(ps) {
			return errPausedReady
		}
	}
	return nil
}

// approveCritical is the one approval of steps 5–7.
func (r *run) approveCritical(ctx context.Context) error {
	if r.prior.Steps[StepDetachProxyBlue] != "" || r.prior.Steps[StepSwitchover] != "" {
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
	var ids []StepID
	var cli []string
	for _, s := range r.plan.Steps {
		if s.Critical {
			ids = append(ids, s.ID)
			cli = append(cli, s.CLI...)
		}
	}
	text := fmt.Sprintf("From here to the end of %s the proxy has no target: applications connected through %s cannot reach %s until the new primary is registered and healthy. The switchover itself takes up to %s. The section runs without further prompts; if anything fails the proxy is re-registered before rdsbg stops. Declining stops here with green ready: nothing more changes, and `rdsbg resume` switches over later. If AWS refuses to register the new primary while the deployment object exists, rdsbg deletes the deployment object (never a database) and registers again. %s",
		StepAttachProxyPrimary, proxyNames(r.proxies), r.plan.Source.ID, r.plan.Options.SwitchoverTimeout, criticalOutageNote(r.plan.Options.SwitchoverTimeout))
	err := r.ask(ctx, Approval{Kind: "critical-section", Step: StepDetachProxyBlue, Title: "Start the critical section: detach the proxy, switch over, attach the new primary",
		Text: text, Severity: SeveritySevere, CLI: cli, Confirm: r.plan.Source.ID, Steps: ids})
	if err != nil {
		return err
	}
	r.criticalApproved = true
	return nil
}

// stepOutcome is what observe found.
type stepOutcome int

const (
	stepTodo    stepOutcome = iota // apply, then settle
	stepApplied                    // the mutation happened already: settle only
	stepDone                       // nothing to do
)

// stepImpl is one step: observe (read AWS), apply (one mutation, nil for
// checks), settle (poll until AWS shows the effect).
type stepImpl struct {
	observe func(ctx context.Context) (stepOutcome, string, error)
	apply   func(ctx context.Context) error
	settle  func(ctx context.Context) error
}

func (r *run) runStep(ctx context.Context, ps PlannedStep) error {
	impl, err := r.impl(ps)
	if err != nil {
		return err
	}
	started := r.e.cfg.Clock.Now()
	r.setCurrent(ps.ID)
	defer r.setCurrent("")
	outcome, why, err := r.observeRetrying(ctx, ps, impl)
	if err != nil {
		return r.stepFailed(ps, started, err)
	}
	if outcome == stepDone {
		r.e.emit(Event{Type: EventStepSkipped, Step: ps.ID, Message: why})
		_ = r.journal.Append(Record{Kind: RecordStep, Step: ps.ID, State: StepStateSkipped, Message: why})
		r.timeline = append(r.timeline, TimelineEntry{Step: ps.ID, Started: started, Outcome: "already-done"})
		return nil
	}
	// attach-proxy-blue is never asked: it restores production's own proxy
	// registration, a decline would be compensated by the same call, and a
	// prompt would only keep the proxy empty while the operator reads it.
	var approvalWait time.Duration
	if outcome == stepTodo && impl.apply != nil && !ps.CheckOnly && ps.Severity != SeverityReadOnly && !ps.Critical && ps.ID != StepAttachProxyBlue && !r.approved[ps.ID] {
		a := Approval{Kind: "step", Step: ps.ID, Title: ps.Title, Text: ps.Effect + "\n" + ps.Why, Severity: ps.Severity, CLI: ps.CLI}
		if ps.Severity == SeveritySevere {
			a.Confirm = r.plan.Source.ID
		}
		asked := r.e.cfg.Clock.Now()
		err := r.ask(ctx, a)
		// The operator's thinking time is not the step's work: measured
		// apart, and left out of the step's duration.
		approvalWait = r.e.cfg.Clock.Now().Sub(asked)
		if err != nil {
			return err
		}
		if r.approved == nil {
			r.approved = map[StepID]bool{}
		}
		r.approved[ps.ID] = true
	}
	msg := ps.Title
	if outcome == stepApplied {
		msg += " (" + why + ")"
	}
	startedEv := Event{Type: EventStepStarted, Step: ps.ID, Message: msg}
	if err := r.e.observers.PreStep(ctx, startedEv); err != nil {
		// Before the step's record and change: nothing of it is done.
		return r.stepFailed(ps, started.Add(approvalWait), err)
	}
	r.e.emit(startedEv)
	// Journalled before the mutation: a crash from here on is resumed by
	// re-observing this step, never by blindly repeating it.
	if err := r.journal.Append(Record{Kind: RecordStep, Step: ps.ID, State: StepStateStarted, Message: why, DeploymentID: r.depID}); err != nil {
		return err
	}
	needSettle := true
	if outcome == stepTodo && impl.apply != nil {
		if needSettle, err = r.applyRetrying(ctx, ps, impl); err != nil {
			return r.stepFailed(ps, started.Add(approvalWait), err)
		}
	}
	if impl.settle != nil && needSettle {
		if err := impl.settle(ctx); err != nil {
			return r.stepFailed(ps, started.Add(approvalWait), err)
		}
	}
	dur := r.e.cfg.Clock.Now().Sub(started) - approvalWait
	_ = r.journal.Append(Record{Kind: RecordStep, Step: ps.ID, State: StepStateDone, DeploymentID: r.depID})
	doneEv := Event{Type: EventStepDone, Step: ps.ID, Message: fmt.Sprintf("in %s", dur.Round(time.Second))}
	r.e.emit(doneEv)
	r.e.observers.PostStep(ctx, doneEv)
	result := "done"
	if ps.CheckOnly {
		// Named apart so that a check followed by the real step (after the
		// fallback to detach) reads as two different things in the summary.
		result = "checked"
	}
	if ps.Critical && r.criticalWait > 0 {
		// The section's one approval, asked before its first step.
		approvalWait, r.criticalWait = r.criticalWait, 0
	}
	r.timeline = append(r.timeline, TimelineEntry{Step: ps.ID, Started: started, Duration: dur, Outcome: result, ApprovalWait: approvalWait})
	return nil
}

func (r *run) setCurrent(id StepID) {
	r.e.mu.Lock()
	r.e.current = id
	r.e.mu.Unlock()
}

// stepFailed journals and reports a failed step. Regime refusals and
// interrupts are passed through for execute to handle.
func (r *run) stepFailed(ps PlannedStep, started time.Time, err error) error {
	var fb *errFallbackDetach
	if errors.As(err, &fb) {
		return err
	}
	outcome, state := "failed", StepStateFailed
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		outcome, state = "interrupted", StepStateInterrupted
	}
	_ = r.journal.Append(Record{Kind: RecordStep, Step: ps.ID, State: state, Message: err.Error(), DeploymentID: r.depID})
	failedEv := Event{Type: EventStepFailed, Step: ps.ID, Message: err.Error(), Error: r.errorInfo(err)}
	r.e.emit(failedEv)
	r.e.observers.StepFailed(context.Background(), failedEv, err)
	r.timeline = append(r.timeline, TimelineEntry{Step: ps.ID, Started: started, Duration: r.e.cfg.Clock.Now().Sub(started), Outcome: outcome})
	return err
}

// fail compensates, then finishes with the outcome the error implies.
func (r *run) fail(ctx context.Context, err error) (Finished, error) {
	state, cerr := r.compensate(ctx, err)
	if cerr != nil {
		// The operator stopped compensation with a proxy empty: exit 5.
		return r.finish(OutcomeInterrupted, cerr, state)
	}
	return r.finish(outcomeOf(err), err, state)
}

func outcomeOf(err error) string {
	switch {
	case err == nil:
		return OutcomeDone
	case errors.Is(err, ErrDeclined):
		return OutcomeCancelled
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return OutcomeInterrupted
	case errors.Is(err, ErrBlocked):
		return OutcomeBlocked
	}
	return OutcomeFailed
}

// finish journals and emits the summary. Every path out of a run that got
// as far as a journal ends here.
func (r *run) finish(outcome string, err error, proxyState string) (Finished, error) {
	if r.changes != nil {
		outcome, err = stoppedBeforeChange(r.changes, outcome, err)
	}
	if proxyState == "" {
		// Read, never assumed: a proxy found by its tag may be empty.
		ctx, cancel := context.WithTimeout(context.Background(), mutationTimeout)
		proxyState = r.proxyStateFromAWS(ctx)
		cancel()
	}
	r.untagIfServing(proxyState)
	f := Finished{
		Outcome:           outcome,
		ExitCode:          ExitCode(err),
		ProxyState:        proxyState,
		ProxylessWindowMS: r.proxylessWindow.Milliseconds(),
		SwitchoverMS:      r.switchoverDuration.Milliseconds(),
		Timeline:          r.timeline,
		JournalPath:       r.journal.Path(),
		RunbookPath:       r.saveRunbook(),
		DeploymentID:      r.depID,
		Source:            r.disc.Source.ID,
	}
	f.Leftovers, f.FinalSnapshot = r.leftovers(outcome)
	f.Green = r.readyGreen
	if len(r.renames) > 0 {
		f.Renames = r.renames
	}
	r.describeEmpty(&f)
	f.OldBlue = r.oldBlueState(f.Timeline)
	f.ProxyOutages = r.outageSummary()
	f.ProxyOutageTotalMS = OutageTotalMS(f.ProxyOutages)
	r.e.observers.Finishing(&f) // metrics per step, the probe's report; hooks done
	msg := finishMessage(outcome, proxyState, err, r.disc.Source.ID, len(r.renames) > 0 || r.switchedOver())
	if isProxyEmptyError(err) {
		msg = err.Error()
	}
	fc := f
	_ = r.journal.Append(Record{Kind: RecordFinish, Finished: &fc, Message: msg, DeploymentID: r.depID})
	r.e.emit(Event{Type: EventRunFinished, Message: msg, Error: r.errorInfo(err), Finished: &fc})
	return f, err
}

// finishEarly reports a run that failed before it had a journal.
func (e *Engine) finishEarly(outcome string, err error, proxyState string) (Finished, error) {
	f := Finished{Outcome: outcome, ExitCode: ExitCode(err), ProxyState: proxyState}
	if f.ProxyState == "" {
		// Read from AWS (proxy_tags.go): a refusal must not call "blue" a
		// proxy that an earlier run emptied.
		var empty []DetachedProxy
		f.ProxyState, empty = e.earlyProxyState(err)
		if len(empty) > 0 {
			err = withDetachedAdvice(err, e.cfg.Options.Source, empty)
		}
	}
	fc := f
	e.emit(Event{Type: EventRunFinished, Message: err.Error(), Error: errorInfo(err), Finished: &fc})
	return f, err
}

// finishMessage is the run's last line. switchedOver: green is production
// now, so abort (which deletes green) is no longer a way out.
func finishMessage(outcome, proxyState string, err error, source string, switchedOver bool) string {
	where := map[string]string{
		ProxyOnBlue:       "the proxy targets the original (blue) database",
		ProxyOnNewPrimary: "the proxy targets the new primary",
		ProxyEmpty:        "the proxy has NO target: applications using it cannot connect",
		ProxyNotUsed:      "no proxy is involved",
	}[proxyState]
	if where == "" {
		where = "proxy " + proxyState
	}
	switch outcome {
	case OutcomeDone:
		return "done; " + where
	case OutcomeReady:
		return fmt.Sprintf("ready: green is prepared and in sync, %s; switch over when you choose with `rdsbg resume --source %s`", where, source)
	case OutcomeInterrupted:
		return fmt.Sprintf("interrupted; %s; continue with `rdsbg resume --source %s`", where, source)
	case OutcomeCancelled:
		return fmt.Sprintf("stopped at the operator's answer; %s", where)
	case OutcomeRolledBack:
		return fmt.Sprintf("rolled back: the deployment and its green were deleted; %s; start again with `rdsbg run --source %s`", where, source)
	case OutcomeBlocked:
		if nc := (*NothingChangedError)(nil); errors.As(err, &nc) {
			return "stopped before any change: " + nc.Error()
		}
		return "preflight blocked the run; nothing was changed"
	}
	if err != nil && switchedOver {
		return fmt.Sprintf("failed: %v; %s; the switchover is done, so there is nothing to abort; the journal says where; continue with `rdsbg resume --source %s`", err, where, source)
	}
	if err != nil {
		return fmt.Sprintf("failed: %v; %s; the journal says where; continue with `rdsbg resume --source %s` or undo with `rdsbg abort --source %s`", err, where, source, source)
	}
	return where
}

// errorInfo is an error in the operator's words.
func errorInfo(err error) *ErrorInfo {
	if err == nil {
		return nil
	}
	info := &ErrorInfo{Message: err.Error()}
	if api, ok := awsclient.Inspect(err); ok {
		info.Operation = api.Operation
		info.Code = api.Code
		info.RequestID = api.RequestID
		info.Meaning = meaningOf(api)
	}
	var wt *WaitTimeoutError
	switch {
	case errors.As(err, &wt):
		info.Meaning = "AWS did not reach the expected state in time; nothing was undone by AWS on our behalf. Check the console, then `rdsbg resume` to keep waiting or `rdsbg abort` to undo."
	case errors.Is(err, context.Canceled):
		info.Meaning = "interrupted; the journal is complete: `rdsbg resume` continues from live AWS state"
	}
	return info
}

func meaningOf(api awsclient.APIErrorInfo) string {
	switch api.Kind {
	case awsclient.KindThrottled:
		return "AWS is rate-limiting this account's RDS API calls; retry later"
	case awsclient.KindAccessDenied:
		return "the credentials lack an IAM permission for this call"
	case awsclient.KindNotFound:
		return "the resource no longer exists; someone may have changed it outside rdsbg"
	case awsclient.KindInvalidState:
		return "the resource is busy or in a state that does not allow this call yet"
	case awsclient.KindInvalidParameter:
		return "AWS refused a parameter; the message says which"
	}
	if api.HTTPStatus >= 500 {
		return "an AWS-side error; the call can be retried with `rdsbg resume`"
	}
	return ""
}

func proxyNames(regs []ProxyRegistration) string {
	var names []string
	for _, r := range regs {
		names = append(names, r.Proxy)
	}
	if len(names) == 0 {
		return "the proxy"
	}
	return strings.Join(names, ", ")
}
