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

// Notify sends a notice on the engine's event stream.
type Notify func(step contract.StepID, format string, args ...any)

// ProbeRoles say which steps' starts switch the probe on (the baseline
// before their first change) and off, and after which the proxy endpoints
// are checked: the step rows' probe and proxy traits.
type ProbeRoles struct {
	Opens, Closes, ChecksEndpoints map[contract.StepID]bool
}

// Probe hangs the connectivity probe on the observer seam.
type Probe struct {
	Nop
	prober  *probe.Prober
	inline  bool // virtual clock: probe from the engine's goroutine
	api     awsclient.Proxies
	clock   clock.Clock
	notice  Notify
	roles   ProbeRoles
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

// NewProbe checks the DSN (it holds a password: the error never quotes
// it); api lists the proxies whose endpoints the TCP check dials.
func NewProbe(dsn string, clk clock.Clock, api awsclient.Proxies, notice Notify, roles ProbeRoles) (*Probe, error) {
	p, err := probe.New(probe.Options{DSN: dsn, Clock: clk})
	if err != nil {
		return nil, &contract.InputError{Input: "--probe-dsn", Message: err.Error(), ExitCode: contract.ExitUsage}
	}
	_, virtual := clk.(*clock.Virtual)
	return &Probe{prober: p, inline: virtual, api: api, clock: clk, notice: notice, roles: roles}, nil
}

// PlanStarted names the proxies whose endpoints the TCP check dials.
func (ps *Probe) PlanStarted(plan contract.Plan) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.proxies = ps.proxies[:0]
	for _, p := range plan.Proxies {
		ps.proxies = append(ps.proxies, p.Proxy)
	}
}

// Event follows the event stream: it switches the SQL probe on and off
// and checks the proxy endpoints after each registration.
func (ps *Probe) Event(ev contract.Event) {
	switch ev.Type {
	case contract.EventStepStarted:
		switch {
		case ps.roles.Opens[ev.Step]:
			// Before the step's first change: the baseline.
			ps.start()
		case ps.roles.Closes[ev.Step]:
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
		if ps.roles.ChecksEndpoints[ev.Step] {
			ps.checkProxyEndpoints(ev.Step)
		}
	}
}

// start switches the probe on, with a first probe at once: the baseline
// before the critical section's first change.
func (ps *Probe) start() {
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
func (ps *Probe) once(ctx context.Context) {
	ps.tailDone(ps.prober.Once(ctx))
}

// tailDone reports (and records) that a is the first success after the
// outage: the probe has seen the window end and goes off.
func (ps *Probe) tailDone(a probe.Attempt) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if !ps.tail || !a.OK {
		return false
	}
	ps.active, ps.tail = false, false
	return true
}

// setTail asks an active probe to stop at its next success.
func (ps *Probe) setTail() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.active && ps.sawEmpty {
		ps.tail, ps.sawEmpty = true, false
	}
}

// halt switches the probe off and waits for the background prober.
func (ps *Probe) halt() {
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

func (ps *Probe) isActive() bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.active
}

// Sleep is the wait between polls: while the probe is on (on the virtual
// clock) it is cut into probe intervals with a SELECT 1 at each.
func (ps *Probe) Sleep(ctx context.Context, d time.Duration) error {
	if !ps.inline || !ps.isActive() {
		return ps.clock.Sleep(ctx, d)
	}
	interval := ps.prober.Interval()
	for d > 0 && ps.isActive() {
		ps.once(ctx)
		step := min(interval, d)
		if err := ps.clock.Sleep(ctx, step); err != nil {
			return err
		}
		d -= step
	}
	if d > 0 {
		return ps.clock.Sleep(ctx, d)
	}
	return nil
}

// checkProxyEndpoints dials every proxy of the plan once and reports the
// result as a notice.
func (ps *Probe) checkProxyEndpoints(step contract.StepID) {
	ps.mu.Lock()
	names := append([]string(nil), ps.proxies...)
	ps.mu.Unlock()
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*tcpCheckTimeout)
	defer cancel()
	all, err := ps.api.ListProxies(ctx)
	if err != nil {
		ps.notice(step, "TCP check of the proxy endpoints skipped: %v", err)
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
		ps.notice(step, "TCP check: %s", strings.Join(parts, "; "))
	}
}

// Finishing adds the SQL probe's summary to the run's end; none when no
// probe was made.
func (ps *Probe) Finishing(f *contract.Finished) {
	ps.halt()
	if r := ps.prober.Report(); r.Attempts > 0 {
		f.Probe = &r
	}
}

// Window adds the connectivity probe's view of one outage window: its
// attempts from the last one before the window to the first success after
// it.
func (ps *Probe) Window(w *contract.OutageWindow) {
	all := ps.prober.Attempts()
	from, to := -1, len(all)-1
	for i, a := range all {
		if !a.Time.After(w.Start) {
			from = i
		}
	}
	if from < 0 {
		from = 0
	}
	end := w.End()
	for i := from; i < len(all); i++ {
		if all[i].Time.After(end) && all[i].OK {
			to = i
			break
		}
	}
	if from >= len(all) || from > to {
		return
	}
	span := all[from : to+1]
	if len(span) == 0 || span[len(span)-1].Time.Before(w.Start) {
		return
	}
	rep := probe.Summarize(span, ps.prober.Interval())
	down := rep.Outage
	if rep.StillFailingAtStop && rep.LongestGap > down {
		down = rep.LongestGap
	}
	ms := down.Milliseconds()
	w.AppDowntimeMS, w.ProbeAttempts, w.ProbeFailed = &ms, rep.Attempts, rep.Failed
}
