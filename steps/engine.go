package steps

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// Config is everything the engine needs; package main and the wizard build it.
type Config struct {
	API      awsclient.API
	Calls    *awsclient.CallLog // every call becomes an api-call event and a journal audit record
	Clock    clock.Clock
	StateDir string // journal + lock directory
	Approver Approver
	Sink     Sink
	Options  Options
	Poll     PollPolicy // zero ⇒ DefaultPollPolicy()
	// Metrics, when set, samples the proxy's connections and green's lag
	// into progress events and the summary (usually the same *Client as
	// API); nil ⇒ no CloudWatch calls.
	Metrics awsclient.Metrics
	// ProbeDSN, when set, probes the applications' path through the proxy
	// (probe_run.go). It holds a password: never print or journal it.
	ProbeDSN string
	// Hooks are shell commands run at every step transition (hooks.go);
	// HookTimeout bounds each run (0 ⇒ DefaultHookTimeout).
	Hooks       []string
	HookTimeout time.Duration
	// GiveUp, when closed, stops compensation that is still trying to give
	// a proxy its target back: the operator's explicit choice (a second
	// SIGINT/SIGTERM headless, a severe confirmation in the wizard). The
	// run then ends with the proxy EMPTY and says how to restore it.
	GiveUp <-chan struct{}
	// Until = UntilReady stops a run after ready-check, in the named state
	// OutcomeReady (exit 0); `rdsbg resume` switches over later.
	Until string
	// Observers watch the run besides the engine's own (metrics, probe,
	// hooks), through the one observer seam (observer.go).
	Observers []Observer
	// NextFlags are the global flags a next command needs (" --region X
	// --endpoint-url Y --state-dir Z"), put on every rdsbg command the
	// run's last words name, so a pasted one acts on the same account,
	// Region and journal (walkthrough D10).
	NextFlags string
	// Holder is this process in owner leases (lease.go); zero ⇒ this
	// host, pid and user.
	Holder Holder
	// TakeOver (--take-over, severe) lets this run take a deployment or a
	// proxy whose owner lease another run holds, live or expired.
	TakeOver bool
	// Adopt (--adopt bgd-…) names a deployment this run did not create
	// that it may carry on with, once its settings match the request.
	Adopt string
}

// Engine runs, resumes, aborts one blue/green procedure for one source.
// It is not safe for concurrent use: one Engine drives one run at a time.
type Engine struct {
	cfg    Config
	random *rand.Rand // jitter; per engine, never package state

	mu      sync.Mutex // guards journal and current: call-log callbacks arrive from the client
	journal *Journal
	current StepID // the step whose mutations the call log is seeing
	watch   *MetricsWatcher
	probe   *probeState // nil without Config.ProbeDSN; set once in New
	hooks   *hookState  // nil without Config.Hooks; set once in New
	// observers are told every transition (observer.go); set once in New.
	observers observers

	// proxyEmpty, set by the run under way, says whether a proxy rdsbg
	// emptied has no target now: no error budget applies then (retry.go).
	proxyEmpty func() bool

	// journalHook, set only by tests, runs after every journal record.
	journalHook func()

	// holder is this process in owner leases (Config.Holder completed).
	holder Holder
	// heartbeat, set by the run under way, renews its lease and watches
	// its proxies; every wait calls it before a read (poll.go).
	heartbeat func(ctx context.Context) error
}

// New validates the configuration. The per-source lock is taken lazily by
// Run, Resume and Abort, once the source's identity is known.
func New(cfg Config) (*Engine, error) {
	if cfg.API == nil {
		return nil, &InputError{Input: "api", Message: "no AWS client configured", ExitCode: ExitUsage}
	}
	if cfg.Approver == nil {
		return nil, &InputError{Input: "approver", Message: "no approver configured: without a terminal use --yes (and --confirm for severe steps)", ExitCode: ExitUsage}
	}
	if cfg.StateDir == "" {
		return nil, &InputError{Input: "--state-dir", Message: "no state directory: the journal has nowhere to live", ExitCode: ExitUsage}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Sink == nil {
		cfg.Sink = func(Event) {}
	}
	if cfg.Poll == (PollPolicy{}) {
		cfg.Poll = DefaultPollPolicy()
	} else {
		cfg.Poll = cfg.Poll.withDefaults()
	}
	ps, err := newProbeState(cfg)
	if err != nil {
		return nil, err
	}
	seed := uint64(cfg.Clock.Now().UnixNano())
	e := &Engine{cfg: cfg, random: rand.New(rand.NewPCG(seed, seed>>7|1)), probe: ps, hooks: newHookState(cfg), holder: cfg.Holder.withDefaults()}
	e.observers = newObservers(e, cfg.Observers)
	return e, nil
}

// emit stamps and sends one event.
func (e *Engine) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = e.cfg.Clock.Now()
	}
	if ev.Finished != nil && ev.Source == "" {
		// Event.Source shadows Finished.Source in JSON: keep the field.
		ev.Source = ev.Finished.Source
	}
	e.cfg.Sink(ev)
	// After the sink, so that the step's event comes before the notices
	// an observer (the probe) adds.
	e.observers.Event(ev)
}

// startMetrics begins sampling for plan when metrics are configured.
func (e *Engine) startMetrics(plan Plan) {
	if e.cfg.Metrics == nil {
		return
	}
	w := NewMetricsWatcher(e.cfg.Metrics, e.cfg.Clock, plan, e.cfg.Poll.Slow)
	e.mu.Lock()
	e.watch = w
	e.mu.Unlock()
}

// watcher is the run's metrics watcher, nil when metrics are off. emit
// runs on call-log goroutines too, hence the lock.
func (e *Engine) watcher() *MetricsWatcher {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.watch
}

// notice sends a plain message event.
func (e *Engine) notice(step StepID, format string, args ...any) {
	e.emit(Event{Type: EventNotice, Step: step, Message: fmt.Sprintf(format, args...)})
}

// subscribeCalls turns every AWS call into an api-call event and, once a
// journal is open, an audit record. It returns the unsubscribe function.
func (e *Engine) subscribeCalls() func() {
	if e.cfg.Calls == nil {
		return func() {}
	}
	stopRetries := e.subscribeRetries() // degrade.go
	stopCalls := e.cfg.Calls.Subscribe(func(c awsclient.Call) {
		call := c
		e.emit(Event{Time: c.Start, Type: EventAPICall, Call: &call})
		e.mu.Lock()
		j, step := e.journal, e.current
		e.mu.Unlock()
		if j == nil {
			return
		}
		if c.Mutating {
			// The mutation's request id, right after its response: with
			// the step's "started" record before it, the journal brackets
			// every change.
			_ = j.Append(Record{Kind: RecordMutation, Step: step, Operation: c.Operation, RequestID: c.RequestID, Message: c.ErrorCode})
		}
		_ = j.Append(Record{Kind: RecordCall, Step: step, Call: &call})
	})
	return func() { stopCalls(); stopRetries() }
}

func (e *Engine) setJournal(j *Journal) {
	e.mu.Lock()
	e.journal = j
	e.mu.Unlock()
}

// Sentinel errors that ExitCode maps.
var (
	// ErrBlocked: preflight found a blocker; nothing was changed.
	ErrBlocked = errors.New("preflight blocked the run; nothing was changed")
	// ErrDeclined: the operator (or the headless rules) said no.
	ErrDeclined = errors.New("cancelled by the operator")
)

// LockError reports a source already being worked on by another run.
type LockError struct {
	Source string
	Path   string
	Holder string // "pid 1234" when known
}

func (e *LockError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "another process"
	}
	return fmt.Sprintf("another rdsbg run holds the lock for %s (%s, lock file %s); wait for it to finish or check `rdsbg status --source %s`", e.Source, holder, e.Path, e.Source)
}

// StateDirError reports a state directory the journal cannot be written to.
type StateDirError struct {
	Dir string
	Err error
}

func (e *StateDirError) Error() string {
	return fmt.Sprintf("state directory %s is not writable (%v): the journal must be written before any change; pass --state-dir with a writable directory", e.Dir, e.Err)
}

func (e *StateDirError) Unwrap() error { return e.Err }

// ExitCode maps an error returned by the engine (or by main's own checks)
// to the process exit code of design.md §4.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var inErr *InputError
	if errors.As(err, &inErr) {
		if inErr.ExitCode != 0 {
			return inErr.ExitCode
		}
		return ExitUsage
	}
	var lockErr *LockError
	var dirErr *StateDirError
	var unsafeErr *UnsafeStateDirError
	var journalErr *JournalError
	var foreignErr *ForeignError
	var heldErr *HeldError
	var nothingErr *NothingToResumeError
	switch {
	case errors.As(err, &lockErr), errors.As(err, &dirErr), errors.As(err, &unsafeErr), errors.As(err, &journalErr):
		return ExitUsage
	case errors.As(err, &foreignErr), errors.As(err, &heldErr), errors.As(err, &nothingErr):
		return ExitUsage
	case errors.Is(err, ErrBlocked):
		return ExitPreflight
	case errors.Is(err, ErrDeclined):
		return ExitCancelled
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ExitInterrupted
	}
	return ExitStepFailed
}
