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
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/observe"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/preflight"
	"github.com/rdsbg/rdsbg/steps/status"
)

// Config is everything the engine needs; package main and the wizard build it.
type Config struct {
	API      awsclient.API
	Calls    *awsclient.CallLog // every call becomes an api-call event and a journal audit record
	Clock    clock.Clock
	StateDir string // journal + lock directory
	Approver contract.Approver
	Sink     contract.Sink
	Options  contract.Options
	Poll     poll.Policy // zero ⇒ DefaultPollPolicy()
	// Metrics, when set, samples the proxy's connections and green's lag
	// into progress events and the summary (usually the same *Client as
	// API); nil ⇒ no CloudWatch calls.
	Metrics awsclient.Metrics
	// ProbeDSN, when set, probes the applications' path through the proxy
	// (steps/observe). It holds a password: never print or journal it.
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
	Observers []observe.Observer
	// NextFlags are the global flags a next command needs (" --region X
	// --endpoint-url Y --state-dir Z"), put on every rdsbg command the
	// run's last words name, so a pasted one acts on the same account,
	// Region and journal (walkthrough D10).
	NextFlags string
	// Holder is this process in owner leases (ownership.go); zero ⇒ this
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
	// rows is the step table the engine plans and runs: stepTable(), or
	// in a test one with a step of its own.
	rows stepRows

	mu      sync.Mutex // guards journal and current: call-log callbacks arrive from the client
	journal *journal.Journal
	current contract.StepID // the step whose mutations the call log is seeing
	// The engine's own observers, set once in New: the metrics watcher
	// (nil without Config.Metrics) and the connectivity probe (nil without
	// Config.ProbeDSN), which the waits and the outage book read too; and
	// every observer, told every transition (observer.go).
	metrics   *observe.Metrics
	probe     *observe.Probe
	observers observe.List

	// proxyEmpty, set by the run under way, says whether a proxy rdsbg
	// emptied has no target now: no error budget applies then (steps/poll).
	proxyEmpty func() bool

	// journalHook, set only by tests, runs after every journal record.
	journalHook func()

	// holder is this process in owner leases (Config.Holder completed).
	holder Holder
	// heartbeat, set by the run under way, renews its lease and watches
	// its proxies; every wait calls it before a read (steps/poll).
	heartbeat func(ctx context.Context) error
}

// New validates the configuration. The per-source lock is taken lazily by
// Run, Resume and Abort, once the source's identity is known.
func New(cfg Config) (*Engine, error) {
	if cfg.API == nil {
		return nil, &contract.InputError{Input: "api", Message: "no AWS client configured", ExitCode: contract.ExitUsage}
	}
	if cfg.Approver == nil {
		return nil, &contract.InputError{Input: "approver", Message: "no approver configured: without a terminal use --yes (and --confirm for severe steps)", ExitCode: contract.ExitUsage}
	}
	if cfg.StateDir == "" {
		return nil, &contract.InputError{Input: "--state-dir", Message: "no state directory: the journal has nowhere to live", ExitCode: contract.ExitUsage}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Sink == nil {
		cfg.Sink = func(contract.Event) {}
	}
	if cfg.Poll == (poll.Policy{}) {
		cfg.Poll = poll.DefaultPolicy()
	} else {
		cfg.Poll = cfg.Poll.WithDefaults()
	}
	seed := uint64(cfg.Clock.Now().UnixNano())
	e := &Engine{cfg: cfg, rows: stepTable(), random: rand.New(rand.NewPCG(seed, seed>>7|1)), holder: cfg.Holder.withDefaults()}
	// The engine's own observers, in the order they have always run:
	// metrics, probe, hooks; then the caller's.
	if cfg.Metrics != nil {
		e.metrics = observe.NewMetrics(cfg.Metrics, cfg.Clock, cfg.Poll.Slow)
		e.observers = append(e.observers, e.metrics)
	}
	if cfg.ProbeDSN != "" {
		p, err := observe.NewProbe(cfg.ProbeDSN, cfg.Clock, cfg.API, e.notice, e.rows.probeRoles())
		if err != nil {
			return nil, err
		}
		e.probe = p
		e.observers = append(e.observers, p)
	}
	if len(cfg.Hooks) > 0 {
		e.observers = append(e.observers, observe.NewHooks(cfg.Hooks, cfg.HookTimeout, cfg.Clock, e.notice))
	}
	e.observers = append(e.observers, cfg.Observers...)
	return e, nil
}

// emit stamps and sends one event.
func (e *Engine) emit(ev contract.Event) {
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

// waiter is the engine's poller for the run under way (steps/poll).
func (e *Engine) waiter() poll.Waiter {
	return poll.Waiter{Policy: e.cfg.Poll, Clock: e.cfg.Clock, Random: e.random, Before: e.heartbeat, Endless: e.proxyIsEmpty,
		Sample: func(ctx context.Context, p *contract.Progress) *contract.MetricsSample {
			if w := e.metrics.Watcher(); w != nil {
				return w.Sample(ctx, p)
			}
			return nil
		},
		Emit: e.emit, Sleep: e.sleepProbing}
}

// wait polls until spec is satisfied (steps/poll).
func (e *Engine) wait(ctx context.Context, spec poll.Spec) error { return e.waiter().Wait(ctx, spec) }

// jitter spreads an interval (steps/poll).
func (e *Engine) jitter(d time.Duration) time.Duration { return e.waiter().Jitter(d) }

// retryDelay is the jittered backoff before retry number attempt (steps/poll).
func (e *Engine) retryDelay(attempt int) time.Duration { return e.waiter().RetryDelay(attempt) }

// sleepProbing is the wait between polls, with the probe's SELECT 1 in it
// while the probe is on.
func (e *Engine) sleepProbing(ctx context.Context, d time.Duration) error {
	if e.probe != nil {
		return e.probe.Sleep(ctx, d)
	}
	return e.cfg.Clock.Sleep(ctx, d)
}

// notice sends a plain message event.
func (e *Engine) notice(step contract.StepID, format string, args ...any) {
	e.emit(contract.Event{Type: contract.EventNotice, Step: step, Message: fmt.Sprintf(format, args...)})
}

// subscribeCalls turns every AWS call into an api-call event and, once a
// journal is open, an audit record. It returns the unsubscribe function.
func (e *Engine) subscribeCalls() func() {
	if e.cfg.Calls == nil {
		return func() {}
	}
	stopRetries := e.subscribeRetries() // steps/poll
	stopCalls := e.cfg.Calls.Subscribe(func(c awsclient.Call) {
		call := c
		e.emit(contract.Event{Time: c.Start, Type: contract.EventAPICall, Call: &call})
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
			_ = j.Append(journal.Record{Kind: journal.RecordMutation, Step: step, Operation: c.Operation, RequestID: c.RequestID, Message: c.ErrorCode})
		}
		_ = j.Append(journal.Record{Kind: journal.RecordCall, Step: step, Call: &call})
	})
	return func() { stopCalls(); stopRetries() }
}

func (e *Engine) setJournal(j *journal.Journal) {
	e.mu.Lock()
	e.journal = j
	e.mu.Unlock()
}

// ExitCode maps an error returned by the engine (or by main's own checks)
// to the process exit code of design.md §4.
func ExitCode(err error) int {
	if err == nil {
		return contract.ExitOK
	}
	var inErr *contract.InputError
	if errors.As(err, &inErr) {
		if inErr.ExitCode != 0 {
			return inErr.ExitCode
		}
		return contract.ExitUsage
	}
	var lockErr *journal.LockError
	var dirErr *journal.StateDirError
	var unsafeErr *journal.UnsafeStateDirError
	var journalErr *journal.UnreadableError
	var foreignErr *errForeign
	var heldErr *errHeld
	var nothingErr *errNothingToResume
	switch {
	case errors.As(err, &lockErr), errors.As(err, &dirErr), errors.As(err, &unsafeErr), errors.As(err, &journalErr):
		return contract.ExitUsage
	case errors.As(err, &foreignErr), errors.As(err, &heldErr), errors.As(err, &nothingErr):
		return contract.ExitUsage
	case errors.Is(err, contract.ErrBlocked):
		return contract.ExitPreflight
	case errors.Is(err, contract.ErrDeclined):
		return contract.ExitCancelled
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return contract.ExitInterrupted
	}
	return contract.ExitStepFailed
}

// proxyIsEmpty reports whether the run under way has a proxy without its
// target now.
func (e *Engine) proxyIsEmpty() bool {
	return e.proxyEmpty != nil && e.proxyEmpty()
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

// Backend is the engine as a front end (the wizard, plain mode, headless
// commands) sees it. Package main builds it once from the AWS client, the call
// log, the metrics reader and the run's settings; a front end only asks
// it questions and starts runs, and never holds those pieces itself.
type Backend struct {
	cfg Config
}

// NewBackend keeps cfg as the configuration every run starts from; each
// run adds its own approver, sink and options.
func NewBackend(cfg Config) *Backend { return &Backend{cfg: cfg} }

// Config is the configuration runs of this backend start from.
func (b *Backend) Config() Config { return b.cfg }

// ListSources lists the region's databases for the source screen.
func (b *Backend) ListSources(ctx context.Context) ([]preflight.SourceSummary, error) {
	return preflight.ListSources(ctx, b.cfg.API)
}

// Describe discovers one source (the first stage of Prepare) and sums it
// up as a row of the source screen.
func (b *Backend) Describe(ctx context.Context, source string) (preflight.SourceSummary, error) {
	d, err := preflight.Discover(ctx, b.cfg.API, source)
	if err != nil {
		return preflight.SourceSummary{}, err
	}
	return d.Summary(), nil
}

// UpgradeTargets lists the versions engine/version can be upgraded to.
func (b *Backend) UpgradeTargets(ctx context.Context, engine, version string) ([]contract.UpgradeTarget, error) {
	return preflight.UpgradeTargets(ctx, b.cfg.API, engine, version)
}

// ParameterGroups lists the parameter groups of engine's families, for
// the options form's picker.
func (b *Backend) ParameterGroups(ctx context.Context, engine string, cluster bool) (preflight.ParameterGroupCatalog, error) {
	return preflight.LoadParameterGroupCatalog(ctx, b.cfg.API, engine, cluster)
}

// Unfinished returns the journal of an unfinished run for source, or "".
func (b *Backend) Unfinished(ctx context.Context, source string) (string, error) {
	journals, err := journal.Unfinished(b.cfg.StateDir)
	if err != nil {
		return "", err
	}
	for path, src := range journals {
		if src == source {
			return path, nil
		}
	}
	return "", nil
}

// Status is `rdsbg status` as text.
func (b *Backend) Status(ctx context.Context, source string) (string, error) {
	rep, err := status.Read(ctx, b.cfg.API, b.cfg.StateDir, source)
	if err != nil {
		return "", err
	}
	return rep.Text(), nil
}

// Run executes the engine in mode ("run" or "", "resume", "abort") with
// the operator's options, approver and event sink, and returns its
// summary.
func (b *Backend) Run(ctx context.Context, mode string, opts contract.Options, approver contract.Approver, sink contract.Sink) (contract.Finished, error) {
	cfg := b.cfg
	cfg.Approver, cfg.Sink, cfg.Options = approver, sink, opts
	if g, ok := approver.(GiveUpper); ok {
		cfg.GiveUp = eitherClosed(cfg.GiveUp, g.GiveUp())
	}
	eng, err := New(cfg)
	if err != nil {
		return contract.Finished{}, err
	}
	switch mode {
	case "", "run":
		return eng.Run(ctx)
	case "resume":
		return eng.Resume(ctx)
	case "abort":
		return eng.Abort(ctx)
	}
	return contract.Finished{}, fmt.Errorf("unknown mode %q: want run, resume or abort", mode)
}

// GiveUpper is an approver through which the operator can also stop
// compensation (the wizard's severe confirmation to stop restoring a
// proxy): for a run of the backend its channel counts as Config.GiveUp
// too.
type GiveUpper interface {
	GiveUp() <-chan struct{}
}

// eitherClosed is closed once a or b is; a nil channel never closes.
func eitherClosed(a, b <-chan struct{}) <-chan struct{} {
	switch {
	case b == nil:
		return a
	case a == nil:
		return b
	}
	out := make(chan struct{})
	go func() {
		select {
		case <-a:
		case <-b:
		}
		close(out)
	}()
	return out
}
