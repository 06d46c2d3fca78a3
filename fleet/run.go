package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// Fleet event types: what the fleet itself says, beside each run's own
// events (docs/events.md, "Fleet events").
const (
	EventWaveStarted   contract.EventType = "fleet-wave-started"
	EventWaveFinished  contract.EventType = "fleet-wave-finished"
	EventDatabase      contract.EventType = "fleet-database" // a database's fleet state changed (Message: the state)
	EventHalted        contract.EventType = "fleet-halted"   // no further starts: a run failed
	EventBake          contract.EventType = "fleet-bake"
	EventFleetFinished contract.EventType = "fleet-finished"
)

// States of a database in a fleet run.
const (
	StatePending = "pending" // its wave has not started it yet
	StateRunning = "running"
	StateReady   = "ready" // green prepared, waiting for the switchover
	StateDone    = "done"
	StateFailed  = "failed"
	StateHeld    = "held"    // not started: the fleet stopped starting runs
	StateBlocked = "blocked" // left out by the plan
)

// Update is one event of the fleet's stream: a run's event (Index is its
// database) or the fleet's own (Index -1 unless it is about a database).
type Update struct {
	Index int
	Event contract.Event
}

// WaveConfirm asks the operator to confirm wave w before it starts (the
// typed confirmation of --confirm-wave); false declines it and stops the
// fleet. nil means confirmed (headless --yes --confirm <fleet id>).
type WaveConfirm func(ctx context.Context, w Wave, phase string) (bool, error)

// RunConfig is what Run needs besides the plan.
type RunConfig struct {
	Connect  Connect
	Clock    clock.Clock
	StateDir string
	Poll     poll.Policy
	// Metrics reads each run's proxy connections and green's lag.
	Metrics bool
	// Until = steps.UntilReady prepares every run and stops each ready.
	Until   string
	Confirm WaveConfirm
	// Sink receives every update, from many goroutines; it must be quick.
	Sink   func(Update)
	GiveUp <-chan struct{}
	// Budgets are the pacers, shared with the plan and status reads of
	// the same process (nil ⇒ the run's own).
	Budgets *Budgets
}

// RunRecord is one run of the fleet as it happened.
type RunRecord struct {
	Index    int           `json:"index"`
	Source   string        `json:"source"`
	Target   string        `json:"target"` // account/region
	Wave     int           `json:"wave"`
	Mode     string        `json:"mode"` // run, resume, or skipped
	State    string        `json:"state"`
	Started  time.Time     `json:"started"`
	Ended    time.Time     `json:"ended"`
	Outcome  string        `json:"outcome,omitempty"`
	Error    string        `json:"error,omitempty"`
	OutageMS int64         `json:"outage_ms"`
	Took     time.Duration `json:"took_ns"`
}

// WaveRecord is one wave of one phase.
type WaveRecord struct {
	Number  int           `json:"number"`
	Name    string        `json:"name"`
	Started time.Time     `json:"started"`
	Ended   time.Time     `json:"ended"`
	Runs    []RunRecord   `json:"runs"`
	Halted  bool          `json:"halted"`
	Bake    time.Duration `json:"bake_ns"`
}

// switched says whether any run of the wave ran (a wave whose databases
// AWS already shows done has nothing to bake).
func (w WaveRecord) switched() bool {
	for _, r := range w.Runs {
		if r.Mode != "skipped" {
			return true
		}
	}
	return false
}

// Result is the fleet run's summary.
type Result struct {
	Fleet    string         `json:"fleet"`
	Started  time.Time      `json:"started"`
	Ended    time.Time      `json:"ended"`
	Waves    []WaveRecord   `json:"waves"`
	Counts   map[string]int `json:"counts"`
	OutageMS int64          `json:"outage_total_ms"`
	Halted   string         `json:"halted,omitempty"` // why the fleet stopped starting runs
	// Interrupted: the fleet was stopped (Ctrl+C, SIGTERM): each run
	// under way stopped as `rdsbg run` does, resumable.
	Interrupted bool `json:"interrupted,omitempty"`
}

// ExitCode is the fleet's exit code: 0 when every run of the plan ended
// done or ready, 1 when any failed or was held, 4 when the operator
// declined a wave, 5 when the fleet was interrupted (each run resumable).
func (r Result) ExitCode() int {
	if r.Interrupted && r.Counts[StateFailed] == 0 {
		return contract.ExitInterrupted
	}
	if r.Counts[StateFailed] > 0 || r.Counts[StateHeld] > 0 {
		if r.Counts[StateFailed] == 0 && r.Halted == haltDeclined {
			return contract.ExitCancelled
		}
		return contract.ExitStepFailed
	}
	return contract.ExitOK
}

const haltDeclined = "the operator declined the wave"

// Runner drives one fleet run. Snapshot may be called at any time (the
// fleet screen's header reads the budgets through it).
type Runner struct {
	plan    *Plan
	cfg     RunConfig
	budgets *Budgets

	mu       sync.Mutex
	states   []string
	halted   map[int]bool // waves whose remaining starts are stopped
	failures int
	stopped  string
	outageMS int64
}

// NewRunner checks the plan and prepares the budgets.
func NewRunner(p *Plan, cfg RunConfig) (*Runner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Sink == nil {
		cfg.Sink = func(Update) {}
	}
	r := &Runner{plan: p, cfg: cfg, budgets: cfg.Budgets.orNew(cfg.Clock), halted: map[int]bool{}}
	r.states = make([]string, len(p.Databases))
	for i, d := range p.Databases {
		r.states[i] = StatePending
		if len(d.Blocked) > 0 {
			r.states[i] = StateBlocked
		}
	}
	return r, nil
}

// Plan is the plan being run.
func (r *Runner) Plan() *Plan { return r.plan }

// Budget is one account-Region's budget and the requests admitted so far.
type Budget struct {
	Key      string
	Budget   int
	Admitted int64
}

// Snapshot is the fleet's state now: each database's fleet state and the
// budgets' counters.
func (r *Runner) Snapshot() ([]string, []Budget) {
	r.mu.Lock()
	states := append([]string(nil), r.states...)
	r.mu.Unlock()
	var out []Budget
	for _, t := range r.plan.Targets {
		p, _ := r.budgets.of(t.Profile, t.Region, t.Budget)
		out = append(out, Budget{Key: t.Key(), Budget: p.Budget(), Admitted: p.Admitted()})
	}
	return states, out
}

func (r *Runner) setState(i int, state string) {
	r.mu.Lock()
	r.states[i] = state
	r.mu.Unlock()
	d := r.plan.Databases[i]
	r.emit(i, contract.Event{Type: EventDatabase, Source: d.Source, Message: state})
}

func (r *Runner) emit(i int, ev contract.Event) {
	if ev.Time.IsZero() {
		ev.Time = r.cfg.Clock.Now()
	}
	ev.Fleet = r.plan.ID
	r.cfg.Sink(Update{Index: i, Event: ev})
}

// Run runs the waves in order. A failed run stops its wave's remaining
// starts at once; the runs under way finish, or pause ready when they
// reach the switchover; after the wave, the fleet stops once
// StopAfterFailures runs have failed. Between switchover waves it bakes.
func (r *Runner) Run(ctx context.Context) Result {
	res := Result{Fleet: r.plan.ID, Started: r.cfg.Clock.Now(), Counts: map[string]int{}}
	phase := "switchover"
	if r.cfg.Until == contract.UntilReady {
		phase = "prepare"
	}
	for wi, w := range r.plan.Waves {
		if why := r.stopReason(); why != "" || ctx.Err() != nil {
			break
		}
		if r.cfg.Confirm != nil {
			ok, err := r.cfg.Confirm(ctx, w, phase)
			if err != nil || !ok {
				r.stop(haltDeclined)
				break
			}
		}
		rec := r.runWave(ctx, w, phase)
		res.Waves = append(res.Waves, rec)
		if r.failureCount() >= r.plan.Policy.StopAfterFailures {
			r.stop(fmt.Sprintf("%d run(s) failed (the plan stops after %d)", r.failureCount(), r.plan.Policy.StopAfterFailures))
		}
		if phase == "switchover" && wi < len(r.plan.Waves)-1 && r.plan.Policy.Bake > 0 && r.stopReason() == "" && rec.switched() {
			until := r.cfg.Clock.Now().Add(r.plan.Policy.Bake)
			r.emit(-1, contract.Event{Type: EventBake, Message: fmt.Sprintf("baking %s after wave %d, until %s", r.plan.Policy.Bake, w.Number, until.UTC().Format(time.RFC3339))})
			if err := r.cfg.Clock.Sleep(ctx, r.plan.Policy.Bake); err != nil {
				break
			}
			res.Waves[len(res.Waves)-1].Bake = r.plan.Policy.Bake
		}
	}
	r.mu.Lock()
	for i, s := range r.states {
		if s == StatePending && len(r.plan.Databases[i].Blocked) == 0 {
			r.states[i] = StateHeld
		}
	}
	for _, s := range r.states {
		res.Counts[s]++
	}
	res.Halted = r.stopped
	res.OutageMS = r.outageMS
	r.mu.Unlock()
	res.Interrupted = ctx.Err() != nil
	res.Ended = r.cfg.Clock.Now()
	r.emit(-1, contract.Event{Type: EventFleetFinished, Message: summaryLine(res)})
	return res
}

func summaryLine(res Result) string {
	s := fmt.Sprintf("%d done, %d ready, %d failed, %d held, %d blocked; proxies empty %s in total",
		res.Counts[StateDone], res.Counts[StateReady], res.Counts[StateFailed], res.Counts[StateHeld], res.Counts[StateBlocked],
		(time.Duration(res.OutageMS) * time.Millisecond).Round(time.Second))
	if res.Halted != "" {
		s += "; stopped: " + res.Halted
	}
	return s
}

func (r *Runner) stop(why string) {
	r.mu.Lock()
	first := r.stopped == ""
	if first {
		r.stopped = why
	}
	r.mu.Unlock()
	if first {
		r.emit(-1, contract.Event{Type: EventHalted, Message: "no further waves start: " + why})
	}
}

func (r *Runner) stopReason() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

func (r *Runner) failureCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures
}

// waveHalted says whether wave n may start no more runs.
func (r *Runner) waveHalted(n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.halted[n]
}

// runWave starts the wave's runs in order, at most MaxConcurrency at a
// time in each account-Region, until they end or the wave halts.
func (r *Runner) runWave(ctx context.Context, w Wave, phase string) WaveRecord {
	rec := WaveRecord{Number: w.Number, Name: w.Name, Started: r.cfg.Clock.Now()}
	r.emit(-1, contract.Event{Type: EventWaveStarted, Message: fmt.Sprintf("wave %d (%s), %s: %d databases", w.Number, w.Name, phase, len(w.Databases))})
	slots := map[string]chan struct{}{}
	for _, i := range w.Databases {
		k := r.plan.Databases[i].TargetKey()
		if slots[k] == nil {
			slots[k] = make(chan struct{}, r.plan.Policy.MaxConcurrency)
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	// One starter per account-Region: each takes its databases in the
	// wave's order as its slots free, so a slow account-Region never
	// holds back another's starts.
	byTarget := map[string][]int{}
	var order []string
	for _, i := range w.Databases {
		k := r.plan.Databases[i].TargetKey()
		if _, ok := byTarget[k]; !ok {
			order = append(order, k)
		}
		byTarget[k] = append(byTarget[k], i)
	}
	var starters sync.WaitGroup
	for _, k := range order {
		starters.Add(1)
		go func() {
			defer starters.Done()
			for _, i := range byTarget[k] {
				select {
				case slots[k] <- struct{}{}:
				case <-ctx.Done():
					return
				}
				if r.waveHalted(w.Number) || ctx.Err() != nil {
					<-slots[k]
					return
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots[k] }()
					run := r.runOne(ctx, i, w.Number)
					mu.Lock()
					rec.Runs = append(rec.Runs, run)
					mu.Unlock()
				}()
			}
		}()
	}
	starters.Wait()
	wg.Wait()
	rec.Ended = r.cfg.Clock.Now()
	rec.Halted = r.waveHalted(w.Number)
	r.emit(-1, contract.Event{Type: EventWaveFinished, Message: fmt.Sprintf("wave %d (%s) %s: %d runs ended", w.Number, w.Name, phase, len(rec.Runs))})
	return rec
}

// runOne is one database's ordinary rdsbg run.
func (r *Runner) runOne(ctx context.Context, i, wave int) RunRecord {
	d := r.plan.Databases[i]
	rec := RunRecord{Index: i, Source: d.Source, Target: d.TargetKey(), Wave: wave, Started: r.cfg.Clock.Now()}
	fail := func(err error) RunRecord {
		rec.State, rec.Error, rec.Ended = StateFailed, err.Error(), r.cfg.Clock.Now()
		r.failed(i, wave, err.Error())
		return rec
	}
	t := r.plan.TargetOf(i)
	rds, cw := r.budgets.of(t.Profile, t.Region, t.Budget)
	calls := awsclient.NewCallLog()
	api, err := r.cfg.Connect(ctx, d.Profile, d.Region, calls, rds, cw)
	if err != nil {
		return fail(fmt.Errorf("connect to %s: %w", d.TargetKey(), err))
	}
	// AWS holds the truth: what the database's deployment says now decides
	// whether this run starts, continues, or has nothing left to do.
	st, err := observe(ctx, api, d, r.plan.ID)
	if err != nil {
		return fail(fmt.Errorf("read %s before starting: %w", d.Name(), err))
	}
	if st.Phase == PhaseDone || (st.Phase == PhaseReady && r.cfg.Until == contract.UntilReady) {
		rec.Mode, rec.State, rec.Ended = "skipped", stateOfPhase(st.Phase), r.cfg.Clock.Now()
		r.setState(i, rec.State)
		return rec
	}
	cfg := steps.Config{API: api, Calls: calls, Clock: r.cfg.Clock, StateDir: r.cfg.StateDir, Poll: r.cfg.Poll, GiveUp: r.cfg.GiveUp, Until: r.cfg.Until}
	if r.cfg.Metrics {
		cfg.Metrics = api
	}
	be := steps.NewBackend(cfg)
	rec.Mode = "run"
	if unfinishedJournal(r.cfg.StateDir, d.Source) {
		rec.Mode = "resume"
	}
	opts := d.Options
	if rec.Mode == "resume" {
		opts = contract.Options{Source: d.Source}
	}
	r.setState(i, StateRunning)
	sink := func(ev contract.Event) {
		ev.Source = d.Source
		r.emit(i, ev)
	}
	approver := &waveApprover{r: r, wave: wave, source: d.Source, base: contract.HeadlessApprover{Yes: true, Confirm: d.Source, Sink: sink}}
	fin, err := be.Run(ctx, rec.Mode, opts, approver, sink)
	rec.Ended, rec.Outcome, rec.OutageMS = r.cfg.Clock.Now(), fin.Outcome, fin.ProxyOutageTotalMS
	rec.Took = rec.Ended.Sub(rec.Started)
	r.mu.Lock()
	r.outageMS += fin.ProxyOutageTotalMS
	r.mu.Unlock()
	switch {
	case fin.ProxyState == contract.ProxyEmpty:
		// The engine never gives up on a proxy it emptied; if a run still
		// ends so (the operator's explicit stop), the fleet stops too.
		return fail(fmt.Errorf("%s ended with its proxy empty: %v", d.Source, err))
	case err == nil && fin.Outcome == contract.OutcomeDone:
		rec.State = StateDone
	case err == nil && fin.Outcome == contract.OutcomeReady:
		rec.State = StateReady
	default:
		if err == nil {
			err = fmt.Errorf("run ended %s", fin.Outcome)
		}
		if errors.Is(err, context.Canceled) {
			rec.State = StateHeld
			r.setState(i, StateHeld)
			return rec
		}
		return fail(err)
	}
	r.setState(i, rec.State)
	return rec
}

// failed records a failed run and stops its wave's remaining starts.
func (r *Runner) failed(i, wave int, why string) {
	r.mu.Lock()
	r.failures++
	already := r.halted[wave]
	r.halted[wave] = true
	r.states[i] = StateFailed
	r.mu.Unlock()
	d := r.plan.Databases[i]
	r.emit(i, contract.Event{Type: EventDatabase, Source: d.Source, Message: StateFailed + ": " + why})
	if !already {
		r.emit(-1, contract.Event{Type: EventHalted, Message: fmt.Sprintf("wave %d starts no more runs: %s failed; the runs under way finish, or pause ready at the switchover", wave, d.Source)})
	}
}

// waveApprover answers a fleet run's approvals: the fleet's confirmation
// (--confirm-wave or --yes --confirm <fleet id>) stands for each source's
// own, and once the wave is halted the switchover is declined, so a run
// that has not switched over yet pauses ready instead.
type waveApprover struct {
	r      *Runner
	wave   int
	source string
	base   contract.HeadlessApprover
}

func (a *waveApprover) Approve(ctx context.Context, ap contract.Approval) (contract.Decision, error) {
	if (ap.Kind == "critical-section" || ap.Step == contract.StepSwitchover) && a.r.waveHalted(a.wave) {
		if a.base.Sink != nil {
			a.base.Sink(contract.Event{Time: a.r.cfg.Clock.Now(), Type: contract.EventNotice, Step: ap.Step,
				Message: fmt.Sprintf("wave %d is halted: %s pauses ready instead of switching over; `rdsbg resume --source %s` switches it over later", a.wave, a.source, a.source)})
		}
		return contract.DecisionDecline, nil
	}
	return a.base.Approve(ctx, ap)
}

func stateOfPhase(p string) string {
	if p == PhaseDone {
		return StateDone
	}
	return StateReady
}

// Line is the result in one line: the counts, the total outage and why
// the fleet stopped, if it did.
func (r Result) Line() string { return summaryLine(r) }

// unfinishedJournal says whether source's own journal holds a run that can
// be resumed. It reads that one file, not the whole state directory as
// Backend.Unfinished does: with hundreds of journals, reading every one
// before each start would cost the fleet quadratic time.
func unfinishedJournal(stateDir, source string) bool {
	recs, err := journal.Read(journal.Path(stateDir, source))
	if err != nil {
		return false
	}
	return journal.Fold(recs).Unfinished()
}
