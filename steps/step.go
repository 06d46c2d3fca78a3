package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/observe"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/world"
)

// A step (design.md §5) is one row of the step table (stepTable, below) and
// one file, step_<id>.go, that holds everything about it: its plan facet
// in every regime (title, why, effect, severity, the AWS CLI runbook lines)
// and its observe / apply / settle. This file is the shape they share; the
// runner walks the plan and runs each step through it without knowing
// which step it runs.

// stepDef is one row of the step table: the step's id, its plan facet,
// its implementation and its traits. A trait is what the rest of the
// engine (and the wizard) needs to know about a step; each row declares
// every trait, even as "none" (TestEveryRowDeclaresItsTraits), so that
// what a step is can be read in one place and no switch elsewhere names
// step ids.
type stepDef struct {
	id contract.StepID
	// plan is the step's facet in the plan being built, or false when the
	// step has no place in it (a proxy step without a proxy, upgrade-green
	// without --upgrade-via modify). It is pure.
	plan func(b planBuilder) (contract.PlannedStep, bool)
	// bind gives the step its implementation for one run. nil: the step
	// runs before the plan exists (preflight) and the runner passes over it.
	bind func(r *run, ps contract.PlannedStep) stepImpl

	// proxy: what the step (when it is not a check) does to production's
	// proxy. An emptying step opens an outage window of its cause; no
	// question may wait between it and the refill (design.md, the first
	// rule): the operator's one confirmation of the emptying step covers
	// every step up to the refill (coveredBy), and the critical section
	// has its own (runner.go).
	proxy proxyEffect
	// section: the step belongs to the critical section around the
	// switchover; in the detach regime such steps are Critical (one
	// approval, no prompt inside, the proxy-less window measured across
	// them).
	section section
	// events: the step's reads of the deployment also read its RDS events
	// (rdsevents.go): the long waits, never in or next to the critical
	// section.
	events rdsEvents
	// probe: the step opens (its start is the baseline) or closes the SQL
	// probe's window (steps/observe).
	probe probeWindow
	// onAWS: how long the step takes on AWS, with where the figure comes
	// from; the plan's notes and the wizard's rail read it (ExpectedOnAWS).
	onAWS onAWS
	// grants: the IAM statements the step's own calls need, and those AWS
	// makes as the caller for it (iampolicy.go).
	grants func(s policyScope) []PolicyStatement
	// undo: what undoes the step (compensation, abort, by hand); the
	// runbook's rollback notes and the IAM policy's undo grants read it.
	undo undo
}

// proxyEffect is what a step does to production's proxy.
type proxyEffect struct {
	kind proxyKind
	// cause: an emptying step's outage window (OutageWindow.Cause).
	cause string
}

type proxyKind int

const (
	_              proxyKind = iota // undeclared
	proxyUntouched                  // the step never deregisters the source
	proxyEmptying                   // it deregisters the source: the proxy is EMPTY
	proxyRefilling                  // it registers the source again
)

var (
	untouched = proxyEffect{kind: proxyUntouched}
	refills   = proxyEffect{kind: proxyRefilling}
)

// empties is an emptying step whose outage window has cause.
func empties(cause string) proxyEffect { return proxyEffect{kind: proxyEmptying, cause: cause} }

func (d stepDef) empties() bool { return d.proxy.kind == proxyEmptying }
func (d stepDef) refills() bool { return d.proxy.kind == proxyRefilling }

// section tells the critical section's steps from the others.
type section int

const (
	_              section = iota // undeclared
	outsideSection                // before or after the critical section
	inSection                     // the critical section: detach-proxy-blue to attach-proxy-primary
)

// rdsEvents says whether a step's deployment reads read RDS events.
type rdsEvents int

const (
	_            rdsEvents = iota // undeclared
	readsEvents                   // a long wait: events are read at eventCadence
	noEventReads                  // never read (in or next to the critical section, or nothing to wait on)
)

// probeWindow is what a step's start does to the SQL probe.
type probeWindow int

const (
	_              probeWindow = iota // undeclared
	probeUntouched                    // nothing
	probeOpens                        // switched on before the step's first change: the baseline
	probeCloses                       // switched off: the windows are over
)

// onAWS is how long a step takes on AWS: short for the wizard's rail,
// source for the fact behind it (rds-facts.md), lo–hi for the plan's
// notes. A step without a public figure declares noFigure().
type onAWS struct {
	short, source string
	lo, hi        time.Duration
	cite          string // where the figure comes from, in a sentence's parenthesis
	none          bool
}

func (a onAWS) declared() bool { return a.none || a.short != "" }

// noFigure: no public measurement; the wizard shows nothing rather than a
// guess (reads, deregistrations, cleanup).
func noFigure() onAWS { return onAWS{none: true} }

// undo is what undoes a step.
type undo int

const (
	_                   undo = iota // undeclared
	nothingToUndo                   // it changes nothing, or it is itself the undo (a registration)
	undoneByRegistering             // the original proxy targets are registered again (compensation, abort)
	undoneByDeleting                // the deployment is deleted with its green (abort, the rollback)
	undoneByAWS                     // AWS rolls a failed switchover back; a completed one stays
	neverUndone                     // a deletion: nothing brings it back
)

// stepRows is a step table: the default one (stepTable) or, in a test, one
// with a step of its own.
type stepRows []stepDef

// def is the row for id.
func (t stepRows) def(id contract.StepID) (stepDef, bool) {
	for _, d := range t {
		if d.id == id {
			return d, true
		}
	}
	return stepDef{}, false
}

// stepOutcome is what observe found.
type stepOutcome int

const (
	stepTodo    stepOutcome = iota // apply, then settle
	stepApplied                    // the mutation happened already: settle only
	stepDone                       // nothing to do: AWS shows the step's effect already
	// stepNotNeeded: nothing to do, and the step's effect is not there
	// either (--cleanup none, no upgrade asked): shown skipped, with why,
	// never done (issue 21: the rail must match the journal and AWS).
	stepNotNeeded
)

// stepImpl is one step: observe (read AWS), apply (one mutation, nil for
// checks), settle (poll until AWS shows the effect).
type stepImpl struct {
	observe func(ctx context.Context) (stepOutcome, string, error)
	apply   func(ctx context.Context) error
	settle  func(ctx context.Context) error
	// unasked: the step's change is never put to the operator, whatever its
	// severity (the step file says why).
	unasked bool
	// declined answers the operator's "no" to the step's change: true
	// when the run goes on without it (the step file says how).
	declined func() bool
	// declinePauses: a "no" to the step, before any of it happened, leaves
	// the run ready (runner.go), as a "no" to the critical section does.
	declinePauses bool
	// pausesReady: with --until ready the run pauses after the step, once
	// it has really checked.
	pausesReady bool
}

// urgent marks a critical section step's calls urgent: the client's pacer
// lets them through rather than lengthen the proxy-less window
// (awsclient.MaxUrgentRequestsPerSecond).
func (impl stepImpl) urgent() stepImpl {
	wrap := func(f func(context.Context) error) func(context.Context) error {
		if f == nil {
			return nil
		}
		return func(ctx context.Context) error { return f(awsclient.Urgent(ctx)) }
	}
	observe := impl.observe
	if observe != nil {
		impl.observe = func(ctx context.Context) (stepOutcome, string, error) { return observe(awsclient.Urgent(ctx)) }
	}
	impl.apply, impl.settle = wrap(impl.apply), wrap(impl.settle)
	return impl
}

func (r *run) runStep(ctx context.Context, ps contract.PlannedStep, impl stepImpl) error {
	if ps.Critical {
		impl = impl.urgent()
	}
	started := r.e.cfg.Clock.Now()
	r.setCurrent(ps.ID)
	defer r.setCurrent("")
	rctx := ctx
	if ps.Critical {
		rctx = awsclient.Urgent(ctx)
	}
	w, impl, err := r.viewBeforeChange(rctx, ps, impl)
	if err != nil {
		return r.stepFailed(ps, started, err)
	}
	outcome, why, err := r.observeRetrying(ctx, ps, impl)
	r.snap = nil
	if err != nil {
		return r.stepFailed(ps, started, err)
	}
	if outcome != stepTodo {
		r.emptiedBefore(ps)
	}
	if outcome == stepDone || outcome == stepNotNeeded {
		r.skipStep(ps, started, outcome, why)
		return nil
	}
	var approvalWait time.Duration
	if outcome == stepTodo && r.asksFor(ps, impl) {
		if approvalWait, err = r.askForStep(ctx, ps); err != nil {
			return err
		}
	}
	if err := r.workStep(ctx, rctx, ps, impl, outcome, why, w, started.Add(approvalWait), approvalWait); err != nil {
		return err
	}
	r.stepDone(ctx, ps, started, approvalWait)
	return nil
}

// viewBeforeChange: a step that may change AWS reads the world first
// (reconcile.go); its observe reads the same view, so the reconciliation
// costs no call of its own. It returns the view (zero for a step that
// changes nothing) and impl with its observe reading it once.
func (r *run) viewBeforeChange(rctx context.Context, ps contract.PlannedStep, impl stepImpl) (world.World, stepImpl, error) {
	if impl.apply == nil || ps.CheckOnly {
		return world.World{}, impl, nil
	}
	w, err := r.readWorldKnown(rctx, ps.ID, false)
	if err != nil {
		return w, impl, err
	}
	r.snap = &w
	observe := impl.observe
	impl.observe = func(ctx context.Context) (stepOutcome, string, error) {
		defer func() { r.snap = nil }() // once: a retried observe reads AWS
		return observe(ctx)
	}
	return w, impl, nil
}

// emptiedBefore: the emptying happened already (a resumed run): the steps
// up to the refill were decided with it, and asking now would hold the
// proxy empty while the question waits.
func (r *run) emptiedBefore(ps contract.PlannedStep) {
	if def, _ := r.e.rows.def(ps.ID); !def.empties() || ps.CheckOnly {
		return
	}
	if r.approved == nil {
		r.approved = map[contract.StepID]bool{}
	}
	for _, c := range r.coveredBy(ps) {
		r.approved[c.ID] = true
	}
}

// skipStep records a step whose effect AWS shows already (done) or that
// has nothing to do (not needed).
func (r *run) skipStep(ps contract.PlannedStep, started time.Time, outcome stepOutcome, why string) {
	skipped := contract.SkippedAlreadyDone
	if outcome == stepNotNeeded {
		skipped = contract.SkippedNotNeeded
	}
	r.e.emit(contract.Event{Type: contract.EventStepSkipped, Step: ps.ID, Message: why, StepOutcome: skipped})
	// The journal keeps the same distinction: a step whose effect AWS
	// shows is done, whoever did it (status listed such steps
	// "skipped": walkthrough U9).
	state := journal.StepStateSkipped
	if outcome == stepDone {
		state, why = journal.StepStateDone, "already done: "+why
	}
	_ = r.journal.Append(journal.Record{Kind: journal.RecordStep, Step: ps.ID, State: state, Message: why})
	r.timeline = append(r.timeline, contract.TimelineEntry{Step: ps.ID, Started: started, Outcome: skipped})
}

// askForStep puts ps to the operator and returns how long the answer
// took: the operator's thinking time is not the step's work, so it is
// measured apart and left out of the step's duration.
func (r *run) askForStep(ctx context.Context, ps contract.PlannedStep) (time.Duration, error) {
	a, covered := r.stepApproval(ps)
	asked := r.e.cfg.Clock.Now()
	err := r.ask(ctx, a)
	approvalWait := r.e.cfg.Clock.Now().Sub(asked)
	if err != nil {
		return approvalWait, err
	}
	if r.approved == nil {
		r.approved = map[contract.StepID]bool{}
	}
	for _, c := range covered {
		r.approved[c.ID] = true
	}
	return approvalWait, nil
}

// workStep is the step's work once decided: the observers' pre-step
// hook, the started record, the reconciliation before a change, the
// change and its settling. A failure is the step's (stepFailed), from
// workStarted.
func (r *run) workStep(ctx, rctx context.Context, ps contract.PlannedStep, impl stepImpl, outcome stepOutcome, why string, w world.World, workStarted time.Time, approvalWait time.Duration) error {
	msg := ps.Title
	if outcome == stepApplied {
		msg += " (" + why + ")"
	}
	startedEv := contract.Event{Type: contract.EventStepStarted, Step: ps.ID, Message: msg}
	if err := r.e.observers.PreStep(ctx, startedEv); err != nil {
		// Before the step's record and change: nothing of it is done.
		return r.stepFailed(ps, workStarted, err)
	}
	r.e.emit(startedEv)
	// Journalled before the mutation: a crash from here on is resumed by
	// re-observing this step, never by blindly repeating it.
	if err := r.journal.Append(journal.Record{Kind: journal.RecordStep, Step: ps.ID, State: journal.StepStateStarted, Message: why, DeploymentID: r.dep.id}); err != nil {
		return err
	}
	if outcome == stepTodo && impl.apply != nil && !ps.CheckOnly {
		// AWS must be what the plan expects before the change (reconcile.go):
		// the view read before, or a fresh one after an operator's answer.
		var fresh *world.World
		if approvalWait < viewFreshness {
			fresh = &w
		}
		if err := r.reconcile(rctx, ps, fresh); err != nil {
			return r.stepFailed(ps, workStarted, err)
		}
	}
	if watchedStep(ps.ID) {
		r.watch.step, r.watch.next = ps.ID, r.e.cfg.Clock.Now().Add(watchEvery)
		defer func() { r.watch.step = "" }()
	}
	needSettle := true
	if outcome == stepTodo && impl.apply != nil {
		var err error
		if needSettle, err = r.applyRetrying(ctx, ps, impl); err != nil {
			return r.stepFailed(ps, workStarted, err)
		}
	}
	if impl.settle != nil && needSettle {
		if err := impl.settle(ctx); err != nil {
			return r.stepFailed(ps, workStarted, err)
		}
	}
	return nil
}

// stepDone records a step's end: the journal, the event, the observers'
// post-step hook and the timeline.
func (r *run) stepDone(ctx context.Context, ps contract.PlannedStep, started time.Time, approvalWait time.Duration) {
	dur := r.e.cfg.Clock.Now().Sub(started) - approvalWait
	// STARTED is when the work began, after the answer, for every step
	// alike (walkthrough D22: it meant the prompt for some, the answer for
	// others); the wait is reported beside it.
	workStarted := started.Add(approvalWait)
	_ = r.journal.Append(journal.Record{Kind: journal.RecordStep, Step: ps.ID, State: journal.StepStateDone, DeploymentID: r.dep.id})
	doneEv := contract.Event{Type: contract.EventStepDone, Step: ps.ID, Message: fmt.Sprintf("in %s", dur.Round(time.Second))}
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
	r.timeline = append(r.timeline, contract.TimelineEntry{Step: ps.ID, Started: workStarted, Duration: dur, Outcome: result, ApprovalWait: approvalWait})
}

// asksFor reports whether the runner puts ps to the operator before its
// change, once observe found the change still to do.
func (r *run) asksFor(ps contract.PlannedStep, impl stepImpl) bool {
	return impl.apply != nil && !ps.CheckOnly && ps.Severity != contract.SeverityReadOnly && !ps.Critical && !impl.unasked && !r.approved[ps.ID]
}

// coveredBy is what the operator's answer to ps decides: ps itself and,
// when ps empties a proxy, every step after it up to the one that fills it
// again, which then follow at once (issue 21: the detach procedure's
// deregistration and the create call are one severe decision; a prompt
// between them kept production's proxy empty while it waited).
func (r *run) coveredBy(ps contract.PlannedStep) []contract.PlannedStep {
	out := []contract.PlannedStep{ps}
	def, _ := r.e.rows.def(ps.ID)
	if !def.empties() || ps.CheckOnly {
		return out
	}
	after := false
	for _, next := range r.plan.Steps {
		if next.ID == ps.ID {
			after = true
			continue
		}
		if !after {
			continue
		}
		if d, _ := r.e.rows.def(next.ID); d.refills() {
			break
		}
		out = append(out, next)
	}
	return out
}

// stepApproval is the question for ps and the steps the answer covers:
// one title, every effect, every command, the most severe severity.
func (r *run) stepApproval(ps contract.PlannedStep) (contract.Approval, []contract.PlannedStep) {
	covered := r.coveredBy(ps)
	a := contract.Approval{Kind: "step", Step: ps.ID, Title: ps.Title, Text: ps.Effect + "\n" + ps.Why, Severity: ps.Severity, CLI: ps.CLI}
	for _, c := range covered[1:] {
		a.Title += ", then " + lowerFirst(c.Title)
		a.Text += fmt.Sprintf("\nThen, at once and without another question, %s: %s.", c.ID, lowerFirst(c.Title))
		a.CLI = append(a.CLI, c.CLI...)
		if c.Severity == contract.SeveritySevere {
			a.Severity = contract.SeveritySevere
		}
	}
	if a.Severity == contract.SeveritySevere {
		a.Confirm = r.plan.Source.ID
	}
	a.CLI = r.withBGD(a.CLI)
	return a, covered
}

// withBGD sets $BGD first when cli uses it and the deployment exists: a
// resumed run's commands must not lean on a variable set in another shell
// (walkthrough D10).
func (r *run) withBGD(cli []string) []string {
	if r.dep.id == "" {
		return cli
	}
	uses := false
	for _, c := range cli {
		if strings.HasPrefix(c, "BGD=") {
			return cli
		}
		uses = uses || strings.Contains(c, "$BGD")
	}
	if !uses {
		return cli
	}
	return append([]string{"BGD=" + contract.ShellQuote(r.dep.id)}, cli...)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (r *run) setCurrent(id contract.StepID) {
	r.e.mu.Lock()
	r.e.current = id
	r.e.mu.Unlock()
}

// notAStepFailure is an error a step returns that is no failure of the
// step (the regime fallback): the runner passes it up unjournalled for the
// run to handle.
type notAStepFailure interface{ notAStepFailure() }

// stepFailed journals and reports a failed step. Regime refusals and
// interrupts are passed through for execute to handle.
func (r *run) stepFailed(ps contract.PlannedStep, started time.Time, err error) error {
	var pass notAStepFailure
	if errors.As(err, &pass) {
		return err
	}
	outcome, state := "failed", journal.StepStateFailed
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		outcome, state = "interrupted", journal.StepStateInterrupted
	}
	_ = r.journal.Append(journal.Record{Kind: journal.RecordStep, Step: ps.ID, State: state, Message: err.Error(), DeploymentID: r.dep.id})
	failedEv := contract.Event{Type: contract.EventStepFailed, Step: ps.ID, Message: err.Error(), Error: r.errorInfo(err), StepOutcome: outcome}
	r.e.emit(failedEv)
	r.e.observers.StepFailed(context.Background(), failedEv, err)
	r.timeline = append(r.timeline, contract.TimelineEntry{Step: ps.ID, Started: started, Duration: r.e.cfg.Clock.Now().Sub(started), Outcome: outcome})
	return err
}

// Throttling, refused connections, timeouts and AWS-side (5xx) errors go
// away by themselves. They are retried everywhere — a step's read
// (observe), its change (apply, re-observed before it is sent again) and
// its wait (settle, steps/poll) — with a jittered backoff capped at
// PollPolicy.RetryMax, within an error budget measured in time
// (PollPolicy.ErrorBudget). While a proxy rdsbg emptied has no target
// there is no budget: giving up would leave production without its proxy.

// retry runs fn until it succeeds, fails for a reason that waiting does
// not fix, or — outside an empty-proxy period — transient failures have
// lasted the error budget. what names the work in the progress it shows.
func (r *run) retry(ctx context.Context, step contract.StepID, what string, fn func(ctx context.Context) error) error {
	var first time.Time
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || !poll.Retryable(ctx, err) {
			return err
		}
		now := r.e.cfg.Clock.Now()
		if first.IsZero() {
			first = now
		}
		failing := now.Sub(first)
		if !r.e.proxyIsEmpty() && attempt >= r.e.cfg.Poll.ReadErrors && failing >= r.e.cfg.Poll.ErrorBudget {
			return err
		}
		next := r.retryDelay(attempt)
		p := contract.Progress{Waiting: what, Elapsed: failing, Polls: attempt, ProxylessSince: r.outages.criticalSince(),
			Retry: &contract.RetryInfo{Error: errorInfo(err).Message, Failing: failing, NextIn: next, Attempts: attempt}}
		r.e.emit(contract.Event{Type: contract.EventProgress, Step: step, Progress: &p})
		if err := r.e.cfg.Clock.Sleep(ctx, next); err != nil {
			return err
		}
	}
}

func (r *run) retryDelay(attempt int) time.Duration { return r.e.retryDelay(attempt) }

// observeRetrying is a step's observe, retried through transient errors.
func (r *run) observeRetrying(ctx context.Context, ps contract.PlannedStep, impl stepImpl) (stepOutcome, string, error) {
	var outcome stepOutcome
	var why string
	err := r.retry(ctx, ps.ID, "AWS to answer the read of "+string(ps.ID), func(ctx context.Context) error {
		var err error
		outcome, why, err = impl.observe(ctx)
		return err
	})
	return outcome, why, err
}

// applyRetrying sends a step's change; after a transient failure it reads
// AWS again before sending it again, since the change may have been made
// by the attempt whose answer was lost. It reports whether settle is
// still needed.
func (r *run) applyRetrying(ctx context.Context, ps contract.PlannedStep, impl stepImpl) (bool, error) {
	settle := true
	err := r.retry(ctx, ps.ID, "AWS to accept "+string(ps.ID), func(ctx context.Context) error {
		err := impl.apply(ctx)
		if !poll.Retryable(ctx, err) {
			return err
		}
		outcome, _, oerr := impl.observe(ctx)
		switch {
		case oerr != nil:
			return err // still unreachable: retried as the change's failure
		case outcome == stepDone:
			settle = false
			return nil
		case outcome == stepApplied:
			return nil
		}
		return err
	})
	return settle, err
}

// The step table: every step rdsbg knows, in the order of the procedure
// (design.md §1). One row, one file (step_<id>.go) with the step's plan
// facet, its implementation and its grants; the row declares every trait
// of the step (step.go), which the rest of the engine reads instead of
// naming step ids. BuildPlan walks the rows for the plan, the runner looks
// a planned step up here for its implementation. A step is added by
// writing its const, its row and its file, nothing else
// (TestAStepIsItsConstItsRowAndItsFile).
func stepTable() stepRows {
	return stepRows{
		{id: contract.StepPreflight, plan: planPreflight,
			proxy: untouched, section: outsideSection, events: noEventReads, probe: probeUntouched, onAWS: noFigure(),
			grants: preflightGrants, undo: nothingToUndo},
		{id: contract.StepDetachProxy, plan: planDetachProxy, bind: (*run).detachProxyStep,
			proxy: empties(contract.OutageDetachBeforeCreate), section: outsideSection, events: noEventReads, probe: probeOpens, onAWS: noFigure(),
			grants: proxyGrants, undo: undoneByRegistering},
		{id: contract.StepCreateDeployment, plan: planCreateDeployment, bind: (*run).createDeployment,
			proxy: untouched, section: outsideSection, events: readsEvents, probe: probeUntouched, onAWS: noFigure(),
			grants: createDeploymentGrants, undo: undoneByDeleting},
		{id: contract.StepAttachProxyBlue, plan: planAttachProxyBlue, bind: (*run).attachProxyBlueStep,
			proxy: refills, section: outsideSection, events: readsEvents, probe: probeUntouched, onAWS: registrationOnAWS(),
			grants: proxyGrants, undo: nothingToUndo},
		{id: contract.StepProvisionGreen, plan: planProvisionGreen, bind: (*run).provisionGreen,
			proxy: untouched, section: outsideSection, events: readsEvents, probe: probeUntouched, onAWS: provisioningOnAWS(),
			grants: noGrants, undo: nothingToUndo},
		{id: contract.StepUpgradeGreen, plan: planUpgradeGreen, bind: (*run).upgradeGreen,
			proxy: untouched, section: outsideSection, events: readsEvents, probe: probeUntouched, onAWS: noFigure(),
			grants: upgradeGreenGrants, undo: undoneByDeleting},
		{id: contract.StepReadyCheck, plan: planReadyCheck, bind: (*run).readyCheck,
			proxy: untouched, section: outsideSection, events: noEventReads, probe: probeUntouched, onAWS: noFigure(),
			grants: noGrants, undo: nothingToUndo},
		{id: contract.StepDetachProxyBlue, plan: planDetachProxyBlue, bind: (*run).detachProxyBlueStep,
			proxy: empties(contract.OutageCriticalSection), section: inSection, events: noEventReads, probe: probeOpens, onAWS: noFigure(),
			grants: proxyGrants, undo: undoneByRegistering},
		{id: contract.StepSwitchover, plan: planSwitchover, bind: (*run).switchover,
			proxy: untouched, section: inSection, events: noEventReads, probe: probeOpens, onAWS: switchoverOnAWS(),
			grants: switchoverGrants, undo: undoneByAWS},
		{id: contract.StepAttachProxyPrimary, plan: planAttachProxyPrimary, bind: (*run).attachProxyPrimaryStep,
			proxy: refills, section: inSection, events: noEventReads, probe: probeUntouched, onAWS: registrationOnAWS(),
			grants: proxyGrants, undo: nothingToUndo},
		{id: contract.StepVerify, plan: planVerify, bind: (*run).verify,
			proxy: untouched, section: outsideSection, events: noEventReads, probe: probeCloses, onAWS: noFigure(),
			grants: noGrants, undo: nothingToUndo},
		{id: contract.StepCleanup, plan: planCleanup, bind: (*run).cleanup,
			proxy: untouched, section: outsideSection, events: readsEvents, probe: probeCloses, onAWS: noFigure(),
			grants: cleanupGrants, undo: neverUndone},
	}
}

// steps is the plan's step list: every row's facet that has a place in
// it; a step of the critical section is Critical where the regime has one.
func (t stepRows) steps(b planBuilder) []contract.PlannedStep {
	var steps []contract.PlannedStep
	for _, def := range t {
		if ps, ok := def.plan(b); ok {
			ps.Critical = def.section == inSection && b.critical() && !ps.CheckOnly
			steps = append(steps, ps)
		}
	}
	return steps
}

// ExpectedOnAWS is how long step id of plan p takes on AWS, in a few
// characters for the wizard's rail (short) and with the fact behind it
// (source); false when no public figure exists, or the step is a check (a
// read or two, not a registration's minutes: walkthrough D22). Without a
// separate provision-green step (a journal of an older rdsbg),
// create-deployment includes the provisioning.
func ExpectedOnAWS(p *contract.Plan, id contract.StepID) (short, source string, ok bool) {
	rows := stepTable()
	if p != nil {
		if ps, ok := p.Step(id); ok && ps.CheckOnly {
			return "", "", false
		}
		if _, separate := p.Step(contract.StepProvisionGreen); id == contract.StepCreateDeployment && !separate {
			id = contract.StepProvisionGreen
		}
	}
	def, found := rows.def(id)
	if !found || def.onAWS.none || !def.onAWS.declared() {
		return "", "", false
	}
	return def.onAWS.short, def.onAWS.source, true
}

// probeRoles are the rows' probe trait and their refills, as the
// connectivity probe reads them.
func (t stepRows) probeRoles() observe.ProbeRoles {
	r := observe.ProbeRoles{Opens: map[contract.StepID]bool{}, Closes: map[contract.StepID]bool{}, ChecksEndpoints: map[contract.StepID]bool{}}
	for _, def := range t {
		r.Opens[def.id] = def.probe == probeOpens
		r.Closes[def.id] = def.probe == probeCloses
		r.ChecksEndpoints[def.id] = def.refills()
	}
	return r
}
