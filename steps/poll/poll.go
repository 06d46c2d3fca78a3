// Package poll is how the engine waits on AWS (design.md §5): a wait
// reads until its condition holds for enough reads in a row, paced by the
// policy (slow during long waits, fast around the proxy, denser inside the
// critical section where every second is outage), jittered, backing off
// under throttling and retrying transient errors within an error budget
// that does not apply while a proxy rdsbg emptied has no target. The
// engine gives a Waiter its clock and what each read touches besides AWS.
package poll

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Policy is how the engine waits (design.md §5): slow during long
// waits, fast in the critical section and for proxy targets, AVAILABLE
// believed only after StableReads consecutive reads, throttling backed off.
// Every wait has a limit that fails clearly.
type Policy struct {
	Slow time.Duration // long waits (provisioning, upgrade, snapshots): ≤ 6 calls/min
	Fast time.Duration // critical section, proxy targets
	// Critical is the interval per API read while the proxy is empty (the
	// switchover, the new primary's targets): every second of polling lag
	// there is an outage, so it is shorter than Fast, stretched by the
	// reads a poll makes so the section stays near 2 reads/s, and never
	// longer than Fast.
	Critical    time.Duration
	Max         time.Duration // ceiling of the throttling backoff
	Jitter      float64       // ± fraction added to every interval
	StableReads int           // consecutive satisfied reads before believing AVAILABLE

	ProvisionLimit   time.Duration // create-deployment: green to AVAILABLE
	UpgradeLimit     time.Duration // upgrade-green
	ProxyTargetLimit time.Duration // a proxy target to AVAILABLE
	SwitchoverMargin time.Duration // added to the switchover timeout
	SnapshotLimit    time.Duration // cleanup snapshots
	DeleteLimit      time.Duration // cleanup deletions
	// ReadErrors and ErrorBudget: a wait (or a step's read or change)
	// fails on errors only once at least ReadErrors attempts in a row
	// failed AND they have failed for ErrorBudget; while a proxy rdsbg
	// emptied has no target there is no budget (Endless, below).
	ReadErrors  int
	ErrorBudget time.Duration
	// RetryMax caps the backoff between retries of transient errors and
	// between compensation attempts (about 30 s: a restored network is
	// noticed within it).
	RetryMax time.Duration
	// ReadyGateAsk is how long the readiness gate holds on replication lag
	// before it asks the operator to keep waiting or go on (severe).
	ReadyGateAsk time.Duration
}

// DefaultPollPolicy is the production policy.
func DefaultPolicy() Policy {
	return Policy{
		Slow:             15 * time.Second,
		Fast:             time.Second,
		Critical:         600 * time.Millisecond,
		Max:              2 * time.Minute,
		Jitter:           0.15,
		StableReads:      3,
		ProvisionLimit:   4 * time.Hour,
		UpgradeLimit:     3 * time.Hour,
		ProxyTargetLimit: 30 * time.Minute,
		SwitchoverMargin: 5 * time.Minute,
		SnapshotLimit:    6 * time.Hour,
		DeleteLimit:      2 * time.Hour,
		ReadErrors:       5,
		ErrorBudget:      15 * time.Minute,
		RetryMax:         30 * time.Second,
		ReadyGateAsk:     20 * time.Minute,
	}
}

// withDefaults fills the zero fields of a partly set policy.
func (p Policy) WithDefaults() Policy {
	d := DefaultPolicy()
	fill := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&p.Slow, d.Slow)
	fill(&p.Fast, d.Fast)
	fill(&p.Critical, d.Critical)
	fill(&p.Max, d.Max)
	fill(&p.ProvisionLimit, d.ProvisionLimit)
	fill(&p.UpgradeLimit, d.UpgradeLimit)
	fill(&p.ProxyTargetLimit, d.ProxyTargetLimit)
	fill(&p.SwitchoverMargin, d.SwitchoverMargin)
	fill(&p.SnapshotLimit, d.SnapshotLimit)
	fill(&p.DeleteLimit, d.DeleteLimit)
	fill(&p.ReadyGateAsk, d.ReadyGateAsk)
	fill(&p.ErrorBudget, d.ErrorBudget)
	fill(&p.RetryMax, d.RetryMax)
	if p.StableReads <= 0 {
		p.StableReads = d.StableReads
	}
	if p.ReadErrors <= 0 {
		p.ReadErrors = d.ReadErrors
	}
	if p.Jitter < 0 {
		p.Jitter = 0
	}
	return p
}

// pollSpeed selects the interval of a wait.
type Speed int

const (
	Slow Speed = iota
	Fast
	Critical // the proxy-less window: PollPolicy.Critical per read
)

// Spec describes one wait.
type Spec struct {
	Step   contract.StepID
	What   string // "deployment to be AVAILABLE": shown in progress and in the timeout error
	Speed  Speed
	Limit  time.Duration
	Stable int // consecutive satisfied reads required; 0 ⇒ 1
	Reads  int // API reads one poll makes (pollCritical); 0 ⇒ 1
	// endless: no error budget (compensation, whatever the proxy shows).
	Endless bool
	// poll reads AWS once: done, the progress rows, or an error. A
	// *fatalError stops the wait at once; other errors are retried.
	Poll func(ctx context.Context) (bool, contract.Progress, error)

	// The fields below shape when the reads come (see below); all
	// are optional.

	// afterMutation: the wait follows a mutation whose own answer showed
	// the state the wait starts from (a switchover IN_PROGRESS, a target
	// REGISTERING), so the first read comes after one interval instead of
	// at once: a read at once costs a call and cannot see the change.
	AfterMutation bool
	// first, when set, is when the first read comes (it replaces the
	// interval of afterMutation).
	First time.Duration
	// ramp: while no read has been satisfied, reads start rampStart apart
	// and the gap grows by rampGrowth up to the wait's interval, so a short
	// transition is timed closely (the confirmation reads keep the full
	// interval).
	Ramp bool
	// due is when the transition is expected (a prediction from this
	// run's own earlier observation): until it is seen, reads come at due's
	// start and then every due.step until its end, besides the interval.
	Due *DueWindow
	// seen, if set, learns when the transition came: the elapsed time of
	// the last unsatisfied read (lo) and of the first satisfied one (hi),
	// from the start of the wait. Not called when the first read was
	// already satisfied.
	Seen func(lo, hi time.Duration)
}

// FatalError is a poll result that no amount of waiting fixes.
type FatalError struct{ Err error }

func (f *FatalError) Error() string { return f.Err.Error() }
func (f *FatalError) Unwrap() error { return f.Err }

func Fatal(format string, args ...any) error {
	return &FatalError{Err: fmt.Errorf(format, args...)}
}

// TimeoutError is a wait that ran past its limit.
type TimeoutError struct {
	Step  contract.StepID
	What  string
	Limit time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: gave up waiting for %s after %s", e.Step, e.What, e.Limit)
}

// Waiter polls for one engine: its policy, clock and randomness, and what
// a wait touches besides AWS, each given by the engine.
type Waiter struct {
	Policy Policy
	Clock  clock.Clock
	// Random jitters every interval (the engine's own source, never
	// package state).
	Random *rand.Rand
	// Before, when set, runs before every read: the run's lease and its
	// proxies' watch (heartbeat).
	Before func(ctx context.Context) error
	// Endless reports that no error budget applies now: a proxy rdsbg
	// emptied has no target.
	Endless func() bool
	// Sample reads the metrics for a progress row; nil without metrics.
	Sample func(ctx context.Context, p *contract.Progress) *contract.MetricsSample
	// Emit sends the progress events and notices.
	Emit func(contract.Event)
	// Sleep waits between reads (with the connectivity probe's SELECT 1
	// in it while the probe is on).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Wait polls until spec.Poll reports done spec.Stable times in a row,
// emitting a progress event per read.
func (e Waiter) Wait(ctx context.Context, spec Spec) error {
	pol := e.Policy
	start := e.Clock.Now()
	interval := pol.Slow
	switch spec.Speed {
	case Fast:
		interval = pol.Fast
	case Critical:
		interval = min(pol.Fast, pol.Critical*time.Duration(max(spec.Reads, 1)))
	}
	need := spec.Stable
	if need <= 0 {
		need = 1
	}
	streak, polls, readErrors := 0, 0, 0
	var failingSince time.Time // first failed read of the current run of failures
	backoff := time.Duration(0)
	lastUnsatisfied := time.Duration(-1) // elapsed at the last unsatisfied read
	if first := spec.firstRead(interval); first > 0 {
		if err := e.Sleep(ctx, first); err != nil {
			return err
		}
	}
	for {
		polls++
		if e.Before != nil {
			// The run's lease and the proxies' watch (reconcile.go).
			if err := e.Before(ctx); err != nil {
				return err
			}
		}
		done, prog, err := spec.Poll(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		endless := e.Endless()
		if spec.Endless {
			endless = true
		}
		switch {
		case err != nil:
			var fe *FatalError
			if errors.As(err, &fe) {
				return err
			}
			// A failed read is no evidence either way: the streak of
			// satisfied reads stands (throttling must not make a healthy
			// target look unstable for ever).
			if failingSince.IsZero() {
				failingSince = e.Clock.Now()
			}
			readErrors++
			failing := e.Clock.Now().Sub(failingSince)
			if !endless && readErrors >= pol.ReadErrors && failing >= pol.ErrorBudget {
				return fmt.Errorf("%s: reads failed for %s (%d in a row) while waiting for %s: %w", spec.Step, failing.Round(time.Second), readErrors, spec.What, err)
			}
			if isThrottled(err) {
				// Throttling is shared with everything else in the
				// account: back off, doubling up to Max.
				if backoff == 0 {
					backoff = interval * 2
				} else {
					backoff *= 2
				}
				ceiling := pol.Max
				if endless {
					// Every second of backoff is outage: the ~30 s cap.
					ceiling = min(pol.Max, pol.RetryMax)
				}
				if backoff > ceiling {
					backoff = ceiling
				}
				e.Emit(contract.Event{Type: contract.EventNotice, Step: spec.Step, Message: fmt.Sprintf("AWS is throttling requests; next read in %s", backoff.Round(time.Second))})
			} else {
				if awsclient.Transient(err) {
					backoff = min(max(backoff*2, interval*2), pol.RetryMax)
				}
				e.emitWaitFailing(spec, start, polls, failing, backoff, err)
			}
		default:
			readErrors = 0
			failingSince = time.Time{}
			backoff = 0
			elapsed := e.Clock.Now().Sub(start)
			if done {
				streak++
				if streak == 1 && lastUnsatisfied >= 0 && spec.Seen != nil {
					spec.Seen(lastUnsatisfied, elapsed)
				}
			} else {
				streak = 0
				lastUnsatisfied = elapsed
			}
			prog.Elapsed = e.Clock.Now().Sub(start)
			prog.Polls = polls
			if prog.Waiting == "" {
				prog.Waiting = spec.What
			}
			if e.Sample != nil {
				prog.Metrics = e.Sample(ctx, &prog)
			}
			p := prog
			e.Emit(contract.Event{Type: contract.EventProgress, Step: spec.Step, Progress: &p})
			if streak >= need {
				return nil
			}
		}
		// The limit is about AWS not reaching a state: only an answer that
		// says "not yet" can exceed it. While AWS cannot be read, the
		// error budget decides (none while a proxy is empty).
		if e.Clock.Now().Sub(start) >= spec.Limit && err == nil && !done {
			return &TimeoutError{Step: spec.Step, What: spec.What, Limit: spec.Limit}
		}
		next := interval
		if backoff > 0 {
			next = backoff
		}
		next = e.Jitter(next)
		if backoff == 0 && streak == 0 && err == nil {
			next = spec.sooner(next, polls, e.Clock.Now().Sub(start))
		}
		if err := e.Sleep(ctx, next); err != nil {
			return err
		}
	}
}

// Jitter spreads polls so that several tools never align their calls.
func (e Waiter) Jitter(d time.Duration) time.Duration {
	j := e.Policy.Jitter
	if j <= 0 {
		return d
	}
	f := 1 + j*(2*e.Random.Float64()-1)
	return time.Duration(float64(d) * f)
}

// isThrottled: AWS asks the account to slow down (rds-facts §7).
func isThrottled(err error) bool { return awsclient.Classify(err) == awsclient.KindThrottled }

// When the reads of a wait come (issue 11 item 7). The proxy-less window
// is AWS's own time (the switchover, the new primary's registration) plus
// what rdsbg adds: the round trips between the steps, and the lag between
// a transition and the read that sees it. At an even interval I that lag
// is I/2 on average for each of the section's two waits, and the section
// may spend about 2 reads/s (design.md §5: far below RDS's 12/s). So the
// reads go where they tell something:
//
//   - none at once after a mutation whose answer already showed the state
//     (Spec.AfterMutation): the switchover was just accepted, the
//     target was just registered;
//   - the new primary's registration is expected to take about as long as
//     blue's took earlier in this run (same proxy, same AWS): the health
//     wait reads when that time has passed, and densely just after it,
//     instead of every Critical interval from the registration on;
//   - blue's registration is timed closely for that prediction: while it
//     is not AVAILABLE the reads start rampStart apart and the gap grows
//     by rampGrowth (a few extra reads, outside the critical section);
//   - inside the critical section the new primary's health wait ends at
//     the first AVAILABLE read: the step after it, verify, requires
//     StableReads AVAILABLE reads in a row before the run is done, so
//     AVAILABLE is still believed only after several polls (design.md §5),
//     but those polls no longer keep the critical section open.

const (
	rampStart  = 100 * time.Millisecond
	rampGrowth = 1.2
	// dueMinStep is the shortest gap between reads inside a due window.
	DueMinStep = 100 * time.Millisecond
)

// DueWindow is when a wait's transition is expected, as elapsed time from
// the start of the wait.
type DueWindow struct {
	From, To time.Duration
	Step     time.Duration // the gap between reads inside the window
	Before   time.Duration // the gap between reads before it (0: the wait's interval)
}

// firstRead is the wait before the first read: none, unless the wait
// follows its own mutation (one interval) or has a due window that starts
// sooner than that.
func (s Spec) firstRead(interval time.Duration) time.Duration {
	first := s.First
	if first <= 0 && s.AfterMutation {
		first = interval
	}
	if s.Due != nil && first > s.Due.From {
		first = s.Due.From
	}
	return max(first, 0)
}

// sooner shortens the gap before the next read (next, the jittered
// interval) while the transition is not seen yet: the ramp after reads
// unsatisfied reads, and the due window at elapsed.
func (s Spec) sooner(next time.Duration, reads int, elapsed time.Duration) time.Duration {
	if s.Ramp {
		// Compared as floats: after about 140 reads the gap no longer fits
		// a Duration, and the conversion of a too-large float turned it
		// negative, so a wait that outlived its ramp (blue's 5–7 min
		// registration on AWS) read back to back at the call latency's pace.
		if gap := float64(rampStart) * math.Pow(rampGrowth, float64(max(reads-1, 0))); gap < float64(next) {
			next = time.Duration(gap)
		}
	}
	if d := s.Due; d != nil && elapsed < d.To {
		if elapsed < d.From {
			next = max(next, d.Before)
		}
		next = min(next, max(d.From-elapsed, d.Step))
	}
	return next
}

// Retryable: a failure worth trying again, as long as the caller's context
// lives. A deadline that is not the caller's (one attempt's, one
// mutation's) is a timeout like any other.
func Retryable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var fe *FatalError
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

// RetryDelay is the jittered backoff before retry number attempt (1-based):
// 1 s, 2 s, 4 s… capped at RetryMax.
func (e Waiter) RetryDelay(attempt int) time.Duration {
	d := time.Second
	for i := 1; i < attempt && d < e.Policy.RetryMax; i++ {
		d *= 2
	}
	return e.Jitter(min(d, e.Policy.RetryMax))
}

// emitWaitFailing shows a wait whose reads fail: what it waits for, since
// when it fails and when it reads again.
func (e Waiter) emitWaitFailing(spec Spec, start time.Time, polls int, failing, next time.Duration, err error) {
	if next <= 0 {
		next = e.Policy.Fast
	}
	p := contract.Progress{Waiting: spec.What, Elapsed: e.Clock.Now().Sub(start), Polls: polls,
		Retry: &contract.RetryInfo{Error: err.Error(), Failing: failing, NextIn: next, Attempts: polls}}
	e.Emit(contract.Event{Type: contract.EventProgress, Step: spec.Step, Progress: &p})
}
