package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/world"
)

// A step (design.md §5) is one row of the step table (steps_table.go) and
// one file, step_<id>.go, that holds everything about it: its plan facet
// in every regime (title, why, effect, severity, the AWS CLI runbook lines)
// and its observe / apply / settle. This file is the shape they share; the
// runner walks the plan and runs each step through it without knowing
// which step it runs.

// stepDef is one row of the step table.
type stepDef struct {
	id StepID
	// plan is the step's facet in the plan being built, or false when the
	// step has no place in it (a proxy step without a proxy, upgrade-green
	// without --upgrade-via modify). It is pure.
	plan func(b planBuilder) (PlannedStep, bool)
	// bind gives the step its implementation for one run. nil: the step
	// runs before the plan exists (preflight) and the runner passes over it.
	bind func(r *run, ps PlannedStep) stepImpl
	// empties: the step (when it is not a check) deregisters the source
	// from its proxies; refills: it registers it again. No question may
	// wait between the two (design.md, the first rule): the operator's one
	// confirmation of the emptying step covers every step up to the refill
	// (coveredBy), and the critical section has its own (runner.go).
	empties, refills bool
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

// Step outcomes of a step-skipped event (Event.StepOutcome).
const (
	SkippedAlreadyDone = "already-done" // AWS already shows its effect
	SkippedNotNeeded   = "not-needed"   // it does not apply to this run
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
	// the run ready (ready.go), as a "no" to the critical section does.
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

func (r *run) runStep(ctx context.Context, ps PlannedStep, impl stepImpl) error {
	if ps.Critical {
		impl = impl.urgent()
	}
	started := r.e.cfg.Clock.Now()
	r.setCurrent(ps.ID)
	defer r.setCurrent("")
	// A step that may change AWS reads the world first (reconcile.go); its
	// observe reads the same view, so the reconciliation costs no call of
	// its own.
	mutating := impl.apply != nil && !ps.CheckOnly
	rctx := ctx
	if ps.Critical {
		rctx = awsclient.Urgent(ctx)
	}
	var w world.World
	if mutating {
		var err error
		if w, err = r.readWorldKnown(rctx, ps.ID, false); err != nil {
			return r.stepFailed(ps, started, err)
		}
		r.snap = &w
		observe := impl.observe
		impl.observe = func(ctx context.Context) (stepOutcome, string, error) {
			defer func() { r.snap = nil }() // once: a retried observe reads AWS
			return observe(ctx)
		}
	}
	outcome, why, err := r.observeRetrying(ctx, ps, impl)
	r.snap = nil
	if err != nil {
		return r.stepFailed(ps, started, err)
	}
	if outcome != stepTodo {
		// The emptying happened already (a resumed run): the steps up to
		// the refill were decided with it, and asking now would hold the
		// proxy empty while the question waits.
		if def, _ := stepDefOf(ps.ID); def.empties && !ps.CheckOnly {
			if r.approved == nil {
				r.approved = map[StepID]bool{}
			}
			for _, c := range r.coveredBy(ps) {
				r.approved[c.ID] = true
			}
		}
	}
	if outcome == stepDone || outcome == stepNotNeeded {
		skipped := SkippedAlreadyDone
		if outcome == stepNotNeeded {
			skipped = SkippedNotNeeded
		}
		r.e.emit(Event{Type: EventStepSkipped, Step: ps.ID, Message: why, StepOutcome: skipped})
		// The journal keeps the same distinction: a step whose effect AWS
		// shows is done, whoever did it (status listed such steps
		// "skipped": walkthrough U9).
		state := StepStateSkipped
		if outcome == stepDone {
			state, why = StepStateDone, "already done: "+why
		}
		_ = r.journal.Append(Record{Kind: RecordStep, Step: ps.ID, State: state, Message: why})
		r.timeline = append(r.timeline, TimelineEntry{Step: ps.ID, Started: started, Outcome: skipped})
		return nil
	}
	var approvalWait time.Duration
	if outcome == stepTodo && r.asksFor(ps, impl) {
		a, covered := r.stepApproval(ps)
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
		for _, c := range covered {
			r.approved[c.ID] = true
		}
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
	if err := r.journal.Append(Record{Kind: RecordStep, Step: ps.ID, State: StepStateStarted, Message: why, DeploymentID: r.dep.id}); err != nil {
		return err
	}
	needSettle := true
	if outcome == stepTodo && impl.apply != nil && !ps.CheckOnly {
		// AWS must be what the plan expects before the change (reconcile.go):
		// the view read above, or a fresh one after an operator's answer.
		var fresh *world.World
		if approvalWait < viewFreshness {
			fresh = &w
		}
		if err := r.reconcile(rctx, ps, fresh); err != nil {
			return r.stepFailed(ps, started.Add(approvalWait), err)
		}
	}
	if watchedStep(ps.ID) {
		r.watch.step, r.watch.next = ps.ID, r.e.cfg.Clock.Now().Add(watchEvery)
		defer func() { r.watch.step = "" }()
	}
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
	// STARTED is when the work began, after the answer, for every step
	// alike (walkthrough D22: it meant the prompt for some, the answer for
	// others); the wait is reported beside it.
	workStarted := started.Add(approvalWait)
	_ = r.journal.Append(Record{Kind: RecordStep, Step: ps.ID, State: StepStateDone, DeploymentID: r.dep.id})
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
	r.timeline = append(r.timeline, TimelineEntry{Step: ps.ID, Started: workStarted, Duration: dur, Outcome: result, ApprovalWait: approvalWait})
	return nil
}

// asksFor reports whether the runner puts ps to the operator before its
// change, once observe found the change still to do.
func (r *run) asksFor(ps PlannedStep, impl stepImpl) bool {
	return impl.apply != nil && !ps.CheckOnly && ps.Severity != SeverityReadOnly && !ps.Critical && !impl.unasked && !r.approved[ps.ID]
}

// coveredBy is what the operator's answer to ps decides: ps itself and,
// when ps empties a proxy, every step after it up to the one that fills it
// again, which then follow at once (issue 21: the detach procedure's
// deregistration and the create call are one severe decision; a prompt
// between them kept production's proxy empty while it waited).
func (r *run) coveredBy(ps PlannedStep) []PlannedStep {
	out := []PlannedStep{ps}
	def, _ := stepDefOf(ps.ID)
	if !def.empties || ps.CheckOnly {
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
		if d, _ := stepDefOf(next.ID); d.refills {
			break
		}
		out = append(out, next)
	}
	return out
}

// stepApproval is the question for ps and the steps the answer covers:
// one title, every effect, every command, the most severe severity.
func (r *run) stepApproval(ps PlannedStep) (Approval, []PlannedStep) {
	covered := r.coveredBy(ps)
	a := Approval{Kind: "step", Step: ps.ID, Title: ps.Title, Text: ps.Effect + "\n" + ps.Why, Severity: ps.Severity, CLI: ps.CLI}
	for _, c := range covered[1:] {
		a.Title += ", then " + lowerFirst(c.Title)
		a.Text += fmt.Sprintf("\nThen, at once and without another question, %s: %s.", c.ID, lowerFirst(c.Title))
		a.CLI = append(a.CLI, c.CLI...)
		if c.Severity == SeveritySevere {
			a.Severity = SeveritySevere
		}
	}
	if a.Severity == SeveritySevere {
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
	return append([]string{"BGD=" + shellQuote(r.dep.id)}, cli...)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (r *run) setCurrent(id StepID) {
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
func (r *run) stepFailed(ps PlannedStep, started time.Time, err error) error {
	var pass notAStepFailure
	if errors.As(err, &pass) {
		return err
	}
	outcome, state := "failed", StepStateFailed
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		outcome, state = "interrupted", StepStateInterrupted
	}
	_ = r.journal.Append(Record{Kind: RecordStep, Step: ps.ID, State: state, Message: err.Error(), DeploymentID: r.dep.id})
	failedEv := Event{Type: EventStepFailed, Step: ps.ID, Message: err.Error(), Error: r.errorInfo(err), StepOutcome: outcome}
	r.e.emit(failedEv)
	r.e.observers.StepFailed(context.Background(), failedEv, err)
	r.timeline = append(r.timeline, TimelineEntry{Step: ps.ID, Started: started, Duration: r.e.cfg.Clock.Now().Sub(started), Outcome: outcome})
	return err
}
