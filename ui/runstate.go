package ui

import (
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// Where a step stands: exactly one of these (issue 21: the rail matches
// the journal and AWS). A step the operator is asked about is "awaiting";
// "interrupted" is a step stopped by a quit or signal, re-observed on
// resume.
const (
	statusPending     = "pending"
	statusAwaiting    = "awaiting"
	statusRunning     = "running"
	statusDone        = "done"
	statusSkipped     = "skipped" // with why (message)
	statusFailed      = "failed"
	statusInterrupted = "interrupted"
)

// stepState is where one planned step stands, from the event stream.
type stepState struct {
	status   string // one of the status constants above
	started  time.Time
	finished time.Time
	message  string
}

// statusOfOutcome maps a timeline outcome to where the step stands.
func statusOfOutcome(outcome string) string {
	switch outcome {
	case "done", "checked", contract.SkippedAlreadyDone:
		return statusDone
	case contract.SkippedNotNeeded, "declined", "skipped":
		return statusSkipped
	case "failed":
		return statusFailed
	case "interrupted":
		return statusInterrupted
	}
	return statusPending
}

// runState is what the event stream has told the wizard so far. The root
// owns it; the run screens (preflight, plan, step, critical, error,
// summary) read it, so one event updates every screen consistently.
type runState struct {
	started   bool
	checks    []contract.CheckResult
	plan      *contract.Plan
	current   contract.StepID
	steps     map[contract.StepID]*stepState
	progress  *contract.Progress
	metrics   *contract.MetricsSample // the latest CloudWatch read; kept across steps
	changed   map[string]bool         // switchover members whose status just changed
	lastState map[string]string       // member status at the previous progress
	// greenOf maps a production name to its green member's name while the
	// deployment exists; renamed maps that green name to the production
	// name it took at switchover, so rows follow renames.
	greenOf   map[string]string
	renamed   map[string]string
	calls     []contract.Call
	notices   []string
	lastError *contract.ErrorInfo
	finished  *contract.Finished
	now       time.Time
	frame     int // spinner frame
	tables    progressTables
	traffic   *contract.ProxyTraffic // the latest proxy-traffic event (traffic.go)
	// awaiting are the steps an open question is about (the first is the
	// one it asks before): shown "awaiting you" until it is answered.
	awaiting []contract.StepID
}

// progressTables are the tables drawn from one progress snapshot at one
// width. A snapshot arrives once per poll while the screen redraws on every
// tick, spinner frame and key, so the tables are drawn once per snapshot
// (docs/performance.md).
type progressTables struct {
	progress *contract.Progress // the snapshot drawn; setProgress replaces the pointer
	width    int
	noColor  bool

	tasks, members, targets, instances string
}

// tablesFor returns the current snapshot's tables, drawing them only when
// the snapshot or the width changed.
func (r *runState) tablesFor(st Styles, width int) progressTables {
	p := r.progress
	if p == nil {
		return progressTables{}
	}
	if t := r.tables; t.progress == p && t.width == width && t.noColor == st.NoColor {
		return t
	}
	t := progressTables{progress: p, width: width, noColor: st.NoColor}
	if len(p.Tasks) > 0 {
		t.tasks = renderTasks(st, width, p.Tasks)
	}
	if len(p.Members) > 0 {
		t.members = renderMembers(st, width, p.Members, r.changed)
	}
	t.targets = renderProxyTargets(st, width, p.ProxyTargets)
	if len(p.Instances) > 0 {
		t.instances = renderInstances(st, width, p.Instances)
	}
	r.tables = t
	return t
}

// maxCalls bounds the API-call history kept for the panel.
const maxCalls = 200

func newRunState() *runState {
	return &runState{steps: map[contract.StepID]*stepState{}, changed: map[string]bool{}, lastState: map[string]string{},
		greenOf: map[string]string{}, renamed: map[string]string{}}
}

func (r *runState) step(id contract.StepID) *stepState {
	s, ok := r.steps[id]
	if !ok {
		s = &stepState{status: statusPending}
		r.steps[id] = s
	}
	return s
}

// statusOf is where id stands now: awaiting while a question about it is
// open and it has not started.
func (r *runState) statusOf(id contract.StepID) string {
	s := r.steps[id]
	status := statusPending
	if s != nil {
		status = s.status
	}
	if status == statusPending {
		for _, a := range r.awaiting {
			if a == id {
				return statusAwaiting
			}
		}
	}
	return status
}

// apply folds one event into the state.
func (r *runState) apply(e contract.Event) {
	if e.Time.After(r.now) {
		r.now = e.Time
	}
	switch e.Type {
	case contract.EventRunStarted:
		r.started = true
	case contract.EventPreflight:
		r.checks = e.Checks
		// The checks are the preflight step's result, whether or not the
		// engine reports the step's start and end.
		if s := r.step(contract.StepPreflight); s.status == statusPending {
			s.status, s.finished = statusDone, e.Time
			if preflight.Blocked(e.Checks) {
				s.status = statusFailed
			}
		}
	case contract.EventPlanReady:
		if r.plan != nil && e.Plan != nil && r.plan.Regime != e.Plan.Regime {
			// A new procedure (the fallback to detach): its steps start
			// over; the native plan's checks and its refused creation are
			// not these steps' outcomes (walkthrough D8).
			for id, s := range r.steps {
				if id != contract.StepPreflight {
					*s = stepState{status: statusPending}
				}
			}
			r.current = ""
		}
		r.plan = e.Plan
	case contract.EventApproval:
		r.awaiting = nil
		if a := e.Approval; a != nil {
			r.awaiting = append(r.awaiting, a.Steps...)
			if a.Step != "" && len(a.Steps) == 0 {
				r.awaiting = append(r.awaiting, a.Step)
			}
		}
	case contract.EventApproved:
		r.awaiting = nil
	case contract.EventStepStarted:
		r.current = e.Step
		r.awaiting = nil
		s := r.step(e.Step)
		s.status, s.started, s.message = statusRunning, e.Time, e.Message
		r.progress = nil
		r.changed = map[string]bool{}
	case contract.EventStepSkipped:
		s := r.step(e.Step)
		s.status, s.finished, s.message = statusSkipped, e.Time, e.Message
		if e.StepOutcome == contract.SkippedAlreadyDone {
			s.status = statusDone // AWS shows its effect: done, earlier or by someone
		}
	case contract.EventStepDone:
		s := r.step(e.Step)
		s.status, s.finished = statusDone, e.Time
		if e.Message != "" {
			s.message = e.Message
		}
	case contract.EventStepFailed:
		s := r.step(e.Step)
		s.status, s.finished = statusFailed, e.Time
		if e.StepOutcome == "interrupted" {
			s.status = statusInterrupted
		}
		if e.Message != "" {
			s.message = e.Message
		}
		r.lastError = e.Error
	case contract.EventProgress:
		if e.Progress != nil {
			r.setProgress(*e.Progress)
		}
	case contract.EventAPICall:
		if e.Call != nil {
			r.calls = append(r.calls, *e.Call)
			if len(r.calls) > maxCalls {
				r.calls = r.calls[len(r.calls)-maxCalls:]
			}
		}
	case contract.EventNotice, contract.EventCompensation, contract.EventDBSchemaChanged:
		// The schema watch's finding is a notice too: shown at once, with
		// the question that follows it (steps/dbchecks.go).
		if e.Message != "" {
			r.notices = append(r.notices, e.Message)
		}
	case contract.EventRunFinished:
		r.finished = e.Finished
		// The timeline is the final word on every step (a resumed run saw
		// only its own events).
		if e.Finished != nil {
			r.awaiting = nil
			for _, t := range e.Finished.Timeline {
				s := r.step(t.Step)
				s.status, s.started, s.finished = statusOfOutcome(t.Outcome), t.Started, t.Started.Add(t.Duration)
			}
		}
	case contract.EventProxyTraffic:
		r.traffic = e.Traffic
	}
}

// setProgress stores a snapshot and works out which switchover members
// changed status since the previous one (k9s's row deltas).
func (r *runState) setProgress(p contract.Progress) {
	changed := map[string]bool{}
	for _, m := range p.Members {
		k := memberKey(m)
		if prev, ok := r.lastState[k]; ok && prev != m.Status {
			changed[k] = true
		}
		r.lastState[k] = m.Status
		src, tgt := shortARN(m.Source), shortARN(m.Target)
		if green, ok := r.greenOf[tgt]; ok && green != tgt {
			// After switchover the member's target is the production name.
			r.renamed[green] = tgt
		} else if tgt != "" && tgt != src {
			r.greenOf[src] = tgt
		}
	}
	r.changed = changed
	r.progress = &p
	if p.Metrics != nil {
		r.metrics = p.Metrics
	}
}

// stepNumber is the 1-based position of id in the plan and the plan's size.
func (r *runState) stepNumber(id contract.StepID) (int, int) {
	if r.plan == nil {
		return 0, 0
	}
	for i, s := range r.plan.Steps {
		if s.ID == id {
			return i + 1, len(r.plan.Steps)
		}
	}
	return 0, len(r.plan.Steps)
}

// planned returns the plan's entry for id (a bare entry when unknown).
func (r *runState) planned(id contract.StepID) contract.PlannedStep {
	if r.plan != nil {
		if s, ok := r.plan.Step(id); ok {
			return s
		}
	}
	return contract.PlannedStep{ID: id, Title: string(id)}
}

// inCritical is true while a critical-section step runs or the proxy is
// reported empty.
func (r *runState) inCritical() bool {
	if r.finished != nil {
		return false
	}
	if r.progress != nil && r.progress.ProxylessSince != nil {
		return true
	}
	if r.current == "" {
		return false
	}
	st := r.steps[r.current]
	return r.planned(r.current).Critical && st != nil && st.status == statusRunning
}

// proxyless is how long the proxy has had no target, if it has none now.
func (r *runState) proxyless() (time.Duration, bool) {
	if r.progress == nil || r.progress.ProxylessSince == nil {
		return 0, false
	}
	return r.now.Sub(*r.progress.ProxylessSince), true
}

// elapsed is how long the current step has run.
func (r *runState) elapsed() time.Duration {
	s := r.steps[r.current]
	if s == nil || s.started.IsZero() {
		return 0
	}
	end := r.now
	if !s.finished.IsZero() {
		end = s.finished
	}
	if d := end.Sub(s.started); d > 0 {
		return d
	}
	if r.progress != nil {
		return r.progress.Elapsed
	}
	return 0
}

// currentName is id's name now: a green member's production name after
// the switchover renamed it.
func (r *runState) currentName(id string) string {
	if now, ok := r.renamed[id]; ok {
		return now
	}
	return id
}
