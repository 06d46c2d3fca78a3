package observe

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Metric sampling (issue 8): the proxy's connections and green's
// replication lag from CloudWatch, shown beside the step screens and
// summarised per step. Metrics are advice, never a reason to stop: a
// failed read becomes MetricsSample.Error and the run goes on.

const (
	// metricsWindow is how much history a sparkline shows.
	MetricsWindow = 30 * time.Minute
	// metricsPeriod is CloudWatch's resolution for these RDS metrics.
	MetricsPeriod = time.Minute
	// metricsCallTimeout bounds one sample so that a throttled or
	// unreachable CloudWatch never holds up a poll of the critical section.
	MetricsCallTimeout = 5 * time.Second
)

// MetricsWatcher samples CloudWatch for one run: the connections of every
// proxy in the plan and the lag that applies to the upgrade. It reads at
// most once per interval however often the engine polls, with one
// GetMetricData call per read.
type MetricsWatcher struct {
	api      awsclient.Metrics
	clock    clock.Clock
	interval time.Duration
	proxies  []string
	source   contract.Source
	slotLag  bool // RDS for PostgreSQL major upgrade: logical replication, lag on blue's slot

	mu      sync.Mutex
	green   string // green's primary instance, once the deployment names it
	last    *contract.MetricsSample
	lastAt  time.Time
	steps   []stepSpan
	current int // index into steps of the running step, -1 when none
	// history is every minute read so far, by line ("Metric(subject)")
	// and the minute's start: the per-step summary places values by it.
	history map[string]map[time.Time]float64
}

// NewMetricsWatcher prepares sampling for plan; interval is the engine's
// slow poll.
func NewMetricsWatcher(api awsclient.Metrics, clk clock.Clock, plan contract.Plan, interval time.Duration) *MetricsWatcher {
	w := &MetricsWatcher{api: api, clock: clk, interval: interval, source: plan.Source, current: -1,
		// Logical replication carries RDS for PostgreSQL major upgrades
		// (rds-facts §4): there green has no ReplicaLag, blue's slot lags.
		slotLag: plan.Source.Kind == "instance" && plan.Source.Engine == "postgres" && plan.MajorUpgrade}
	for _, p := range plan.Proxies {
		w.proxies = append(w.proxies, p.Proxy)
	}
	return w
}

// queries are the metrics read now: lag only once there is something
// that lags.
func (w *MetricsWatcher) queries() []awsclient.MetricQuery {
	var qs []awsclient.MetricQuery
	// Connections read as the minute's Average (a Minimum would keep a
	// whole minute at 0 after a few seconds' cut and make every step end
	// look like an outage); the probe measures cuts to the second.
	for _, p := range w.proxies {
		qs = append(qs, awsclient.ProxyConnectionQueries(p)...)
	}
	switch {
	case w.slotLag:
		qs = append(qs, awsclient.MetricQuery{Name: awsclient.MetricOldestReplicationSlotLag, DimensionName: awsclient.DimensionDBInstance, DimensionValue: w.source.ID, Stat: "Maximum"})
	case w.green != "":
		qs = append(qs, awsclient.MetricQuery{Name: awsclient.MetricReplicaLag, DimensionName: awsclient.DimensionDBInstance, DimensionValue: w.green, Stat: "Maximum"})
	}
	return qs
}

// learn picks green's primary instance out of a progress snapshot: the
// member whose source is blue's instance. Aurora has no per-instance
// ReplicaLag for green, so clusters are not followed.
func (w *MetricsWatcher) learn(p contract.Progress) {
	if w.source.Kind != "instance" {
		return
	}
	for _, m := range p.Members {
		if strings.HasSuffix(m.Source, ":db:"+w.source.ID) && strings.Contains(m.Target, ":db:") {
			w.green = contract.ARNName(m.Target)
		}
	}
}

// Sample returns the latest read, reading CloudWatch first when the last
// read is older than the interval. It never fails: errors are in the
// sample. p, when not nil, is the progress the sample will ride on.
func (w *MetricsWatcher) Sample(ctx context.Context, p *contract.Progress) *contract.MetricsSample {
	w.mu.Lock()
	if p != nil {
		w.learn(*p)
	}
	now := w.clock.Now()
	if w.last != nil && now.Sub(w.lastAt) < w.interval {
		defer w.mu.Unlock()
		return w.copyLast()
	}
	qs := w.queries()
	if len(qs) == 0 {
		w.mu.Unlock()
		return nil
	}
	w.lastAt = now
	// Unlocked during the call: the call log reports it as an event,
	// which comes back to Observe.
	w.mu.Unlock()

	cctx, cancel := context.WithTimeout(ctx, MetricsCallTimeout)
	defer cancel()
	end := now.Truncate(MetricsPeriod).Add(MetricsPeriod)
	series, err := w.api.GetMetricSeries(cctx, qs, end.Add(-MetricsWindow), end, MetricsPeriod)

	w.mu.Lock()
	defer w.mu.Unlock()
	sample := &contract.MetricsSample{Time: now, Period: MetricsPeriod}
	if err != nil {
		sample.Error = "CloudWatch: " + err.Error()
		if why, ok := awsclient.Unavailable(err); ok {
			// Informational only (degrade.go): say what is missing.
			sample.Error = "CloudWatch metrics unavailable (" + why + "; they need cloudwatch:GetMetricData): the run goes on without them"
		}
		if w.last != nil {
			sample.Lines = w.last.Lines
		}
	} else {
		for _, s := range series {
			line := contract.MetricLine{Metric: s.Query.Name, Subject: s.Query.DimensionValue, Stat: s.Query.Stat, Unit: unitOf(s.Query.Name)}
			for _, pt := range s.Points {
				line.Points = append(line.Points, contract.MetricValue{Time: pt.Time, Value: pt.Value})
			}
			if last, ok := s.Last(); ok {
				line.Last = last.Value
			}
			sample.Lines = append(sample.Lines, line)
		}
	}
	w.last = sample
	w.remember(sample)
	return w.copyLast()
}

// copyLast hands out a sample that later reads do not change.
func (w *MetricsWatcher) copyLast() *contract.MetricsSample {
	c := *w.last
	c.Lines = append([]contract.MetricLine(nil), w.last.Lines...)
	return &c
}

func unitOf(metric string) string {
	switch metric {
	case awsclient.MetricReplicaLag:
		return contract.UnitSeconds
	case awsclient.MetricOldestReplicationSlotLag:
		return contract.UnitBytes
	}
	return contract.UnitConnections
}

// Observe follows the event stream: a step's start and end are noted for
// the summary (no extra call).
func (w *MetricsWatcher) Observe(ev contract.Event) {
	switch ev.Type {
	case contract.EventStepStarted, contract.EventStepDone, contract.EventStepFailed:
	default:
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev.Type {
	case contract.EventStepStarted:
		w.steps = append(w.steps, stepSpan{step: ev.Step, started: ev.Time})
		w.current = len(w.steps) - 1
	case contract.EventStepDone, contract.EventStepFailed:
		if w.current >= 0 && w.steps[w.current].step == ev.Step {
			w.steps[w.current].ended = ev.Time
			w.current = -1
		}
	}
}

// remember adds a read's whole minutes to the history: the minute still
// running holds only its first seconds and would read as a fall.
func (w *MetricsWatcher) remember(s *contract.MetricsSample) {
	if s.Error != "" {
		return
	}
	if w.history == nil {
		w.history = map[string]map[time.Time]float64{}
	}
	for _, l := range s.Lines {
		h := w.history[l.Key()]
		if h == nil {
			h = map[time.Time]float64{}
			w.history[l.Key()] = h
		}
		for _, p := range l.Points {
			if p.Time.Add(s.Period).After(s.Time) {
				continue
			}
			h[p.Time] = p.Value
		}
	}
}

// Summary is the per-step record, in step order, each value placed by the
// minute CloudWatch measured it (StepMetrics).
func (w *MetricsWatcher) Summary() []contract.StepMetrics {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]contract.StepMetrics, 0, len(w.steps))
	for _, span := range w.steps {
		end := span.ended
		if end.IsZero() {
			end = w.clock.Now() // the step the run ended in
		}
		st := contract.StepMetrics{Step: span.step}
		for key, h := range w.history {
			var before, after time.Time
			for t, v := range h {
				switch {
				case !t.Add(MetricsPeriod).After(span.started) && t.After(before):
					before = t
				case !t.Before(end) && (after.IsZero() || t.Before(after)):
					after = t
				}
				if t.Before(end) && t.Add(MetricsPeriod).After(span.started) && strings.HasPrefix(key, awsclient.MetricClientConnections+"(") {
					if v := v; st.MinClientConnections == nil || v < *st.MinClientConnections {
						st.MinClientConnections = &v
					}
				}
			}
			if !before.IsZero() {
				st.Before = setValue(st.Before, key, h[before])
			}
			if !after.IsZero() {
				st.After = setValue(st.After, key, h[after])
			}
		}
		out = append(out, st)
	}
	return out
}

// stepSpan is when a step ran, as the event stream told the watcher.
type stepSpan struct {
	step           contract.StepID
	started, ended time.Time
}

func setValue(m map[string]float64, key string, v float64) map[string]float64 {
	if m == nil {
		m = map[string]float64{}
	}
	m[key] = v
	return m
}

// Lag limits of the readiness gate: green must be close enough behind blue
// that the switchover's own replication catch-up fits its timeout with
// room to spare.
const (
	// lagShareOfTimeout: ReplicaLag may be at most this share of the
	// switchover timeout (30 s for the default 300 s).
	lagShareOfTimeout = 10
	// slotBytesPerTimeoutSecond: OldestReplicationSlotLag may be at most
	// this many bytes per second of switchover timeout (300 MiB for 300 s),
	// a rate any green replays comfortably.
	slotBytesPerTimeoutSecond = 1 << 20
)

// LagGate reports whether the replication lag in the latest sample fits
// the switchover timeout. A lag with no data (metrics off, Aurora, a
// metric CloudWatch has not published yet) does not hold the gate: only a
// lag known to be too high does, and why says by how much.
func (w *MetricsWatcher) LagGate(ctx context.Context, p *contract.Progress, timeout time.Duration) (ok bool, why string) {
	if w == nil {
		return true, ""
	}
	s := w.Sample(ctx, p)
	if s == nil {
		return true, ""
	}
	for _, l := range s.Lines {
		if len(l.Points) == 0 {
			continue
		}
		switch l.Metric {
		case awsclient.MetricReplicaLag:
			limit := timeout.Seconds() / lagShareOfTimeout
			if l.Last > limit {
				return false, fmt.Sprintf("green's replica lag %.0f s is above %.0f s (a tenth of the %s switchover timeout)", l.Last, limit, timeout)
			}
		case awsclient.MetricOldestReplicationSlotLag:
			limit := timeout.Seconds() * slotBytesPerTimeoutSecond
			if l.Last > limit {
				return false, fmt.Sprintf("blue's replication slot lags %.0f MiB, above %.0f MiB (1 MiB per second of the %s switchover timeout)", l.Last/(1<<20), limit/(1<<20), timeout)
			}
		}
	}
	return true, ""
}

// Metrics hangs the metrics watcher on the observer seam: sampling
// starts with the plan's steps (again after the fallback to detach), every
// event places the samples by step, and the summary gets the per-step
// values. The engine's waits read its watcher (Watcher) for their
// progress events.
type Metrics struct {
	Nop
	api      awsclient.Metrics
	clock    clock.Clock
	interval time.Duration

	mu sync.Mutex // emit runs on call-log goroutines too
	w  *MetricsWatcher
}

// NewMetrics samples api at most once per interval (the engine's slow
// poll).
func NewMetrics(api awsclient.Metrics, clk clock.Clock, interval time.Duration) *Metrics {
	return &Metrics{api: api, clock: clk, interval: interval}
}

// Watcher is the run's metrics watcher, nil before the plan's steps start
// or without metrics (a nil *Metrics).
func (m *Metrics) Watcher() *MetricsWatcher {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.w
}

func (m *Metrics) PlanStarted(plan contract.Plan) {
	w := NewMetricsWatcher(m.api, m.clock, plan, m.interval)
	m.mu.Lock()
	m.w = w
	m.mu.Unlock()
}

func (m *Metrics) Event(ev contract.Event) {
	if w := m.Watcher(); w != nil {
		w.Observe(ev)
	}
}

func (m *Metrics) Finishing(f *contract.Finished) {
	if w := m.Watcher(); w != nil {
		f.Metrics = w.Summary()
	}
}

// Clients is the proxy's latest ClientConnections and the end of the
// minute it measures; nil when metrics are off or have no point yet.
func (w *MetricsWatcher) Clients(proxy string) (*float64, *time.Time) {
	if w == nil {
		return nil, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		return nil, nil
	}
	for _, l := range w.last.Lines {
		if l.Metric != awsclient.MetricClientConnections || l.Subject != proxy {
			continue
		}
		// The newest whole minute: the one still running holds only its
		// first seconds (and its end is in the future).
		for i := len(l.Points) - 1; i >= 0; i-- {
			if end := l.Points[i].Time.Add(w.last.Period); !end.After(w.last.Time) {
				v := l.Points[i].Value
				return &v, &end
			}
		}
	}
	return nil, nil
}

// LastLag is the newest replication lag in words, "" when unknown.
func (w *MetricsWatcher) LastLag() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		return ""
	}
	for _, l := range w.last.Lines {
		if len(l.Points) == 0 {
			continue
		}
		switch l.Metric {
		case awsclient.MetricReplicaLag:
			return fmt.Sprintf("%s %.1f s (%s)", l.Metric, l.Last, l.Subject)
		case awsclient.MetricOldestReplicationSlotLag:
			return fmt.Sprintf("%s %.1f MiB (%s)", l.Metric, l.Last/(1<<20), l.Subject)
		}
	}
	return ""
}
