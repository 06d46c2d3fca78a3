package steps

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/probe"
)

// The connectivity probe in a run (issue 8): with Config.ProbeDSN set, a
// SELECT 1 through the proxy every probe interval from the start of the
// critical section (or the switchover, without one) until the new primary
// serves through the proxy, and a TCP check of every proxy endpoint after
// each registration. On a real (or scaled) clock the probe runs in its own
// goroutine, so a hanging connection never delays the engine's polls. On
// the virtual clock of tests, where sleeping moves time, it runs inline
// instead: after every AWS call and every probe interval of the engine's
// waits, so the measure is exact and deterministic.

// tcpCheckTimeout bounds one endpoint's TCP check.
const tcpCheckTimeout = 3 * time.Second

type probeState struct {
	prober  *probe.Prober
	inline  bool // virtual clock: probe from the engine's goroutine
	proxies []string

	mu     sync.Mutex
	active bool
	// tail: every proxy serves again; the probe stops at its next
	// successful SELECT 1, the window's first answer after it.
	tail bool
	// sawEmpty: a proxy-traffic event showed a proxy empty since the probe
	// last went on; only its end sets tail.
	sawEmpty bool
	stop     context.CancelFunc // the background prober, when running
	done     chan struct{}
}

// newProbeState checks the DSN; the error never quotes it.
func newProbeState(cfg Config) (*probeState, error) {
	if cfg.ProbeDSN == "" {
		return nil, nil
	}
	p, err := probe.New(probe.Options{DSN: cfg.ProbeDSN, Clock: cfg.Clock})
	if err != nil {
		return nil, &contract.InputError{Input: "--probe-dsn", Message: err.Error(), ExitCode: contract.ExitUsage}
	}
	_, virtual := cfg.Clock.(*clock.Virtual)
	return &probeState{prober: p, inline: virtual}, nil
}

// probePlan names the proxies whose endpoints the TCP check dials.
func (e *Engine) probePlan(plan contract.Plan) {
	ps := e.probe
	if ps == nil {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.proxies = ps.proxies[:0]
	for _, p := range plan.Proxies {
		ps.proxies = append(ps.proxies, p.Proxy)
	}
}

// observeProbe follows the event stream: it switches the SQL probe on and
// off and checks the proxy endpoints after each registration.
func (e *Engine) observeProbe(ev contract.Event) {
	ps := e.probe
	if ps == nil {
		return
	}
	switch ev.Type {
	case contract.EventStepStarted:
		def, _ := e.rows.def(ev.Step)
		switch def.probe {
		case probeOpens:
			// Before the step's first change: the baseline.
			ps.start()
		case probeCloses:
			ps.halt()
		}
	case contract.EventProxyTraffic:
		// Every outage window is probed, not only the critical section.
		if ev.Traffic != nil && ev.Traffic.Empty() {
			ps.start()
			ps.mu.Lock()
			ps.sawEmpty = true
			ps.mu.Unlock()
		} else if ev.Traffic != nil {
			ps.setTail()
		}
	case contract.EventAPICall:
		if ps.inline && ps.isActive() {
			ps.once(context.Background())
		}
	case contract.EventRunFinished:
		ps.halt()
	case contract.EventStepDone:
		if def, _ := e.rows.def(ev.Step); def.refills() {
			e.checkProxyEndpoints(ev.Step)
		}
	}
}

// start switches the probe on, with a first probe at once: the baseline
// before the critical section's first change.
func (ps *probeState) start() {
	ps.mu.Lock()
	if ps.active {
		ps.tail = false
		ps.mu.Unlock()
		return
	}
	ps.active, ps.tail = true, false
	if ps.inline {
		ps.mu.Unlock()
		ps.prober.Once(context.Background())
		return
	}
	if ps.stop != nil {
		ps.stop() // a prober that stopped at the end of an earlier window
	}
	ctx, cancel := context.WithCancel(context.Background())
	ps.stop, ps.done = cancel, make(chan struct{})
	done := ps.done
	ps.mu.Unlock()
	go func() {
		defer close(done)
		ps.prober.RunUntil(ctx, ps.tailDone)
	}()
}

// once is one inline probe; it ends a tail at its first success.
func (ps *probeState) once(ctx context.Context) {
	ps.tailDone(ps.prober.Once(ctx))
}

// tailDone reports (and records) that a is the first success after the
// outage: the probe has seen the window end and goes off.
func (ps *probeState) tailDone(a probe.Attempt) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if !ps.tail || !a.OK {
		return false
	}
	ps.active, ps.tail = false, false
	return true
}

// setTail asks an active probe to stop at its next success.
func (ps *probeState) setTail() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.active && ps.sawEmpty {
		ps.tail, ps.sawEmpty = true, false
	}
}

// halt switches the probe off and waits for the background prober.
func (ps *probeState) halt() {
	ps.mu.Lock()
	ps.active, ps.tail, ps.sawEmpty = false, false, false
	stop, done := ps.stop, ps.done
	ps.stop, ps.done = nil, nil
	ps.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

func (ps *probeState) isActive() bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.active
}

// sleepProbing is the wait between polls: while the probe is on it is cut
// into probe intervals with a SELECT 1 at each.
func (e *Engine) sleepProbing(ctx context.Context, d time.Duration) error {
	ps := e.probe
	if ps == nil || !ps.inline || !ps.isActive() {
		return e.cfg.Clock.Sleep(ctx, d)
	}
	interval := ps.prober.Interval()
	for d > 0 && ps.isActive() {
		ps.once(ctx)
		step := min(interval, d)
		if err := e.cfg.Clock.Sleep(ctx, step); err != nil {
			return err
		}
		d -= step
	}
	if d > 0 {
		return e.cfg.Clock.Sleep(ctx, d)
	}
	return nil
}

// checkProxyEndpoints dials every proxy of the plan once and reports the
// result as a notice.
func (e *Engine) checkProxyEndpoints(step contract.StepID) {
	ps := e.probe
	ps.mu.Lock()
	names := append([]string(nil), ps.proxies...)
	ps.mu.Unlock()
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*tcpCheckTimeout)
	defer cancel()
	all, err := e.cfg.API.ListProxies(ctx)
	if err != nil {
		e.notice(step, "TCP check of the proxy endpoints skipped: %v", err)
		return
	}
	var addrs, labels []string
	for _, p := range all {
		for _, n := range names {
			if strings.EqualFold(p.Name, n) && p.Endpoint != "" {
				addrs = append(addrs, probe.Address(p.Endpoint, p.EngineFamily))
				labels = append(labels, p.Name)
			}
		}
	}
	var parts []string
	for i, r := range probe.CheckTCP(ctx, addrs, tcpCheckTimeout) {
		if r.OK {
			parts = append(parts, fmt.Sprintf("%s (%s) reachable in %s", labels[i], r.Address, r.Latency.Round(time.Millisecond)))
		} else {
			parts = append(parts, fmt.Sprintf("%s (%s) NOT reachable: %s", labels[i], r.Address, r.Error))
		}
	}
	if len(parts) > 0 {
		e.notice(step, "TCP check: %s", strings.Join(parts, "; "))
	}
}

// probeReport is the SQL probe's summary for the run's end; nil when no
// probe was made.
func (e *Engine) probeReport() *probe.Report {
	if e.probe == nil {
		return nil
	}
	e.probe.halt()
	r := e.probe.prober.Report()
	if r.Attempts == 0 {
		return nil
	}
	return &r
}

// probeObserver hangs the probe on the engine's observer seam
// (observer.go).
type probeObserver struct {
	NopObserver
	e *Engine
}

func (o probeObserver) PlanStarted(plan contract.Plan) { o.e.probePlan(plan) }
func (o probeObserver) Event(ev contract.Event)        { o.e.observeProbe(ev) }
func (o probeObserver) Finishing(f *contract.Finished) { f.Probe = o.e.probeReport() }
