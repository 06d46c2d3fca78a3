package steps

import (
	"context"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// Throttling, refused connections, timeouts and AWS-side (5xx) errors go
// away by themselves. They are retried everywhere — a step's read
// (observe), its change (apply, re-observed before it is sent again) and
// its wait (settle, poll.go) — with a jittered backoff capped at
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
