package steps

import (
	"context"

	"github.com/rdsbg/rdsbg/awsclient"
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
	// unasked: the step's change is never put to the operator, whatever its
	// severity (the step file says why).
	unasked bool
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
