package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// PollPolicy is how the engine waits (design.md §5): slow during long
// waits, fast in the critical section and for proxy targets, AVAILABLE
// believed only after StableReads consecutive reads, throttling backed off.
// Every wait has a limit that fails clearly.
type PollPolicy struct {
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
	// emptied has no target there is no budget (retry.go).
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
func DefaultPollPolicy() PollPolicy {
	return PollPolicy{
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
func (p PollPolicy) withDefaults() PollPolicy {
	d := DefaultPollPolicy()
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
type pollSpeed int

const (
	pollSlow pollSpeed = iota
	pollFast
	pollCritical // the proxy-less window: PollPolicy.Critical per read
)

// waitSpec describes one wait.
type waitSpec struct {
	step   contract.StepID
	what   string // "deployment to be AVAILABLE": shown in progress and in the timeout error
	speed  pollSpeed
	limit  time.Duration
	stable int // consecutive satisfied reads required; 0 ⇒ 1
	reads  int // API reads one poll makes (pollCritical); 0 ⇒ 1
	// endless: no error budget (compensation, whatever the proxy shows).
	endless bool
	// poll reads AWS once: done, the progress rows, or an error. A
	// *fatalError stops the wait at once; other errors are retried.
	poll func(ctx context.Context) (bool, contract.Progress, error)

	// The fields below shape when the reads come (critical_pace.go); all
	// are optional.

	// afterMutation: the wait follows a mutation whose own answer showed
	// the state the wait starts from (a switchover IN_PROGRESS, a target
	// REGISTERING), so the first read comes after one interval instead of
	// at once: a read at once costs a call and cannot see the change.
	afterMutation bool
	// first, when set, is when the first read comes (it replaces the
	// interval of afterMutation).
	first time.Duration
	// ramp: while no read has been satisfied, reads start rampStart apart
	// and the gap grows by rampGrowth up to the wait's interval, so a short
	// transition is timed closely (the confirmation reads keep the full
	// interval).
	ramp bool
	// due is when the transition is expected (a prediction from this
	// run's own earlier observation): until it is seen, reads come at due's
	// start and then every due.step until its end, besides the interval.
	due *dueWindow
	// seen, if set, learns when the transition came: the elapsed time of
	// the last unsatisfied read (lo) and of the first satisfied one (hi),
	// from the start of the wait. Not called when the first read was
	// already satisfied.
	seen func(lo, hi time.Duration)
}

// fatalError is a poll result that no amount of waiting fixes.
type fatalError struct{ err error }

func (f *fatalError) Error() string { return f.err.Error() }
func (f *fatalError) Unwrap() error { return f.err }

func fatal(format string, args ...any) error {
	return &fatalError{err: fmt.Errorf(format, args...)}
}

// WaitTimeoutError is a wait that ran past its limit.
type WaitTimeoutError struct {
	Step  contract.StepID
	What  string
	Limit time.Duration
}

func (e *WaitTimeoutError) Error() string {
	return fmt.Sprintf("%s: gave up waiting for %s after %s", e.Step, e.What, e.Limit)
}

// wait polls until spec.poll reports done spec.stable times in a row,
// emitting a progress event per read.
func (e *Engine) wait(ctx context.Context, spec waitSpec) error {
	pol := e.cfg.Poll
	start := e.cfg.Clock.Now()
	interval := pol.Slow
	switch spec.speed {
	case pollFast:
		interval = pol.Fast
	case pollCritical:
		interval = min(pol.Fast, pol.Critical*time.Duration(max(spec.reads, 1)))
	}
	need := spec.stable
	if need <= 0 {
		need = 1
	}
	streak, polls, readErrors := 0, 0, 0
	var failingSince time.Time // first failed read of the current run of failures
	backoff := time.Duration(0)
	lastUnsatisfied := time.Duration(-1) // elapsed at the last unsatisfied read
	if first := spec.firstRead(interval); first > 0 {
		if err := e.sleepProbing(ctx, first); err != nil {
			return err
		}
	}
	for {
		polls++
		if e.heartbeat != nil {
			// The run's lease and the proxies' watch (reconcile.go).
			if err := e.heartbeat(ctx); err != nil {
				return err
			}
		}
		done, prog, err := spec.poll(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		endless := e.proxyIsEmpty()
		if spec.endless {
			endless = true
		}
		switch {
		case err != nil:
			var fe *fatalError
			if errors.As(err, &fe) {
				return err
			}
			// A failed read is no evidence either way: the streak of
			// satisfied reads stands (throttling must not make a healthy
			// target look unstable for ever).
			if failingSince.IsZero() {
				failingSince = e.cfg.Clock.Now()
			}
			readErrors++
			failing := e.cfg.Clock.Now().Sub(failingSince)
			if !endless && readErrors >= pol.ReadErrors && failing >= pol.ErrorBudget {
				return fmt.Errorf("%s: reads failed for %s (%d in a row) while waiting for %s: %w", spec.step, failing.Round(time.Second), readErrors, spec.what, err)
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
				e.notice(spec.step, "AWS is throttling requests; next read in %s", backoff.Round(time.Second))
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
			elapsed := e.cfg.Clock.Now().Sub(start)
			if done {
				streak++
				if streak == 1 && lastUnsatisfied >= 0 && spec.seen != nil {
					spec.seen(lastUnsatisfied, elapsed)
				}
			} else {
				streak = 0
				lastUnsatisfied = elapsed
			}
			prog.Elapsed = e.cfg.Clock.Now().Sub(start)
			prog.Polls = polls
			if prog.Waiting == "" {
				prog.Waiting = spec.what
			}
			if w := e.metrics.Watcher(); w != nil {
				prog.Metrics = w.Sample(ctx, &prog)
			}
			p := prog
			e.emit(contract.Event{Type: contract.EventProgress, Step: spec.step, Progress: &p})
			if streak >= need {
				return nil
			}
		}
		// The limit is about AWS not reaching a state: only an answer that
		// says "not yet" can exceed it. While AWS cannot be read, the
		// error budget decides (none while a proxy is empty).
		if e.cfg.Clock.Now().Sub(start) >= spec.limit && err == nil && !done {
			return &WaitTimeoutError{Step: spec.step, What: spec.what, Limit: spec.limit}
		}
		next := interval
		if backoff > 0 {
			next = backoff
		}
		next = e.jitter(next)
		if backoff == 0 && streak == 0 && err == nil {
			next = spec.sooner(next, polls, e.cfg.Clock.Now().Sub(start))
		}
		if err := e.sleepProbing(ctx, next); err != nil {
			return err
		}
	}
}

// jitter spreads polls so that several tools never align their calls.
func (e *Engine) jitter(d time.Duration) time.Duration {
	j := e.cfg.Poll.Jitter
	if j <= 0 {
		return d
	}
	f := 1 + j*(2*e.random.Float64()-1)
	return time.Duration(float64(d) * f)
}

// isThrottled: AWS asks the account to slow down (rds-facts §7).
func isThrottled(err error) bool { return awsclient.Classify(err) == awsclient.KindThrottled }
