package observe

import (
	"context"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// Observer is the engine's one seam for whatever watches a run without
// steering it (Terraform's Hook): the metrics watcher, the connectivity
// probe and the --hook commands all hang here, and so can a caller's own
// (Config.Observers). The engine calls it in one place per transition:
// PlanStarted when the steps begin, Event for every event (after the
// sink), PreStep / PostStep / StepFailed around each step, Finishing
// when the summary is made. Embed Nop and override what you need.
type Observer interface {
	// PlanStarted: the plan's steps are about to run (again, after the
	// fallback to detach builds a new plan).
	PlanStarted(plan contract.Plan)
	// Event: every event the engine emits, in order, after the sink has
	// it. It may be called from the AWS client's goroutines (api-call
	// events) and must not block.
	Event(ev contract.Event)
	// PreStep: the step is approved and nothing of it is done yet; ev is
	// its step-started event, not emitted yet. An error stops the run
	// there, before the step changes anything.
	PreStep(ctx context.Context, ev contract.Event) error
	// PostStep: the step is done; ev is its step-done event.
	PostStep(ctx context.Context, ev contract.Event)
	// StepFailed: the step failed with err; ev is its step-failed event.
	StepFailed(ctx context.Context, ev contract.Event, err error)
	// Finishing: the run's summary is being made; an observer adds its
	// share (the metrics per step, the probe's report) and finishes its
	// own work before the run-finished event.
	Finishing(f *contract.Finished)
}

// Nop does nothing; embed it to implement only some transitions.
type Nop struct{}

func (Nop) PlanStarted(contract.Plan)                         {}
func (Nop) Event(contract.Event)                              {}
func (Nop) PreStep(context.Context, contract.Event) error     { return nil }
func (Nop) PostStep(context.Context, contract.Event)          {}
func (Nop) StepFailed(context.Context, contract.Event, error) {}
func (Nop) Finishing(*contract.Finished)                      {}

// observers calls every observer in order: the engine's own (metrics,
// probe, hooks) first, then the caller's.
type List []Observer

func (os List) PlanStarted(plan contract.Plan) {
	for _, o := range os {
		o.PlanStarted(plan)
	}
}

func (os List) Event(ev contract.Event) {
	for _, o := range os {
		o.Event(ev)
	}
}

// PreStep asks every observer (a notification hook is not skipped because
// another failed) and returns the first error.
func (os List) PreStep(ctx context.Context, ev contract.Event) error {
	var errs []error
	for _, o := range os {
		if err := o.PreStep(ctx, ev); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}

func (os List) PostStep(ctx context.Context, ev contract.Event) {
	for _, o := range os {
		o.PostStep(ctx, ev)
	}
}

func (os List) StepFailed(ctx context.Context, ev contract.Event, err error) {
	for _, o := range os {
		o.StepFailed(ctx, ev, err)
	}
}

func (os List) Finishing(f *contract.Finished) {
	for _, o := range os {
		o.Finishing(f)
	}
}
