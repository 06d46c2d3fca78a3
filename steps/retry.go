package steps

import (
	"context"
	"errors"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Throttling, refused connections, timeouts and AWS-side (5xx) errors go
// away by themselves. They are retried everywhere — a step's read
// (observe), its change (apply, re-observed before it is sent again) and
// its wait (settle, poll.go) — with a jittered backoff capped at
// PollPolicy.RetryMax, within an error budget measured in time
// (PollPolicy.ErrorBudget). While a proxy rdsbg emptied has no target
// there is no budget: giving up would leave production without its proxy.

// proxyIsEmpty reports whether the run under way has a proxy without its
// target now.
func (e *Engine) proxyIsEmpty() bool {
	return e.proxyEmpty != nil && e.proxyEmpty()
}

// retryable: a failure worth trying again, as long as the caller's context
// lives. A deadline that is not the caller's (one attempt's, one
// mutation's) is a timeout like any other.
func retryable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var fe *fatalError
	if errors.As(err, &fe) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	// Refused or missing credentials are retried like a lost connection:
	// the operator refreshes them and the next call picks them up
	// (awsclient/credentials.go).
	return awsclient.Transient(err) || awsclient.Classify(err) == awsclient.KindCredentials
}

// retryDelay is the jittered backoff before retry number attempt (1-based):
// 1 s, 2 s, 4 s… capped at RetryMax.
func (e *Engine) retryDelay(attempt int) time.Duration {
	d := time.Second
	for i := 1; i < attempt && d < e.cfg.Poll.RetryMax; i++ {
		d *= 2
	}
	return e.jitter(min(d, e.cfg.Poll.RetryMax))
}

// emitWaitFailing shows a wait whose reads fail: what it waits for, since
// when it fails and when it reads again.
func (e *Engine) emitWaitFailing(spec waitSpec, start time.Time, polls int, failing, next time.Duration, err error) {
	if next <= 0 {
		next = e.cfg.Poll.Fast
	}
	p := contract.Progress{Waiting: spec.what, Elapsed: e.cfg.Clock.Now().Sub(start), Polls: polls,
		Retry: &contract.RetryInfo{Error: errorInfo(err).Message, Failing: failing, NextIn: next, Attempts: polls}}
	e.emit(contract.Event{Type: contract.EventProgress, Step: spec.step, Progress: &p})
}

// retry runs fn until it succeeds, fails for a reason that waiting does
// not fix, or — outside an empty-proxy period — transient failures have
// lasted the error budget. what names the work in the progress it shows.
func (r *run) retry(ctx context.Context, step contract.StepID, what string, fn func(ctx context.Context) error) error {
	var first time.Time
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || !retryable(ctx, err) {
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
		if !retryable(ctx, err) {
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

// subscribeRetries shows every retry while the client waits for it: "AWS
// answered 500; retry 3 of 8 in 4s", so a run never sits silent through
// minutes of backoff.
func (e *Engine) subscribeRetries() func() {
	return e.cfg.Calls.SubscribeRetries(func(r awsclient.Retry) {
		e.mu.Lock()
		step := e.current
		e.mu.Unlock()
		if step == "" {
			step = contract.StepPreflight
		}
		e.emit(contract.Event{Time: r.Time, Type: contract.EventNotice, Step: step, Message: r.String()})
	})
}
