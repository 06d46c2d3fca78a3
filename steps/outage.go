package steps

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/probe"
	"github.com/rdsbg/rdsbg/steps/world"
)

// Outage windows (issue 11): every period in which a proxy that served
// production has no AVAILABLE target is measured, journalled, reported in
// run-finished and shown live, not only the critical section.
//
// A window starts at the response of the DeregisterDBProxyTargets call
// that empties a proxy (or when a resumed run finds a proxy of its
// rollback record with no target at all), and ends at the first read of a
// run of StableReads consecutive reads that see the proxy's target
// AVAILABLE: believed with the waits' rule, timed from the first healthy
// read. Every deregistration, registration and health read of the source
// on its proxies goes through proxy_targets.go's helpers, which call the
// hooks here, so each path (the steps, compensation, rollback, abort) is
// measured the same way.

// EventProxyTraffic: a proxy's serving state changed (the event's Traffic).
const EventProxyTraffic EventType = "proxy-traffic"

// Causes of an outage window.
const (
	// OutageDetachBeforeCreate: the deregistration the legacy regime
	// requires before the deployment can be created, until blue is
	// registered again.
	OutageDetachBeforeCreate = "detach-before-create"
	// OutageCriticalSection: the switchover, from blue's deregistration to
	// the new primary's first healthy read.
	OutageCriticalSection = "critical-section"
	// OutageFoundEmpty: a resumed (or aborting) run found a proxy of its
	// rollback record with no target, and no window open in the journal;
	// measured from that read, so a lower bound.
	OutageFoundEmpty = "found-empty"
	// OutageDeregistered: a deregistration by any other step.
	OutageDeregistered = "deregistered"
	// OutageUnavailable: a read saw the source registered on the proxy but
	// not AVAILABLE, with no deregistration of rdsbg's before it (AWS's own
	// doing, e.g. the native regime's proxy following the switchover):
	// measured from that read, so a lower bound.
	OutageUnavailable = "unavailable"
)

// OutageWindow is one outage window in the journal and in run-finished.
type OutageWindow struct {
	Step       StepID    `json:"step"`  // the step whose deregistration (or read) opened it
	Start      time.Time `json:"start"` // the deregistration's response
	DurationMS int64     `json:"duration_ms"`
	Cause      string    `json:"cause"`
	Proxies    []string  `json:"proxies"`
	// Open: no proxy read confirmed the end yet; the duration runs to the
	// moment it was reported.
	Open bool `json:"open,omitempty"`
	// AtLeast: the duration is a lower bound — measured from a read after
	// the window's real start (a proxy found empty), or across two clocks
	// (a resume on a clock behind the journal's).
	AtLeast bool `json:"at_least,omitempty"`
	// UnknownMS is the part of the window in which AWS could not be read:
	// the proxy's state was unknown then, not known to be empty.
	UnknownMS int64 `json:"unknown_ms,omitempty"`
	// AppDowntimeMS is what the connectivity probe (--probe-dsn) saw of the
	// window: the applications' longest run of failed SELECT 1, nil without
	// a probe or without an attempt in the window.
	AppDowntimeMS *int64 `json:"app_downtime_ms,omitempty"`
	ProbeAttempts int    `json:"probe_attempts,omitempty"`
	ProbeFailed   int    `json:"probe_failed,omitempty"`
}

// End is when the window closed (Start + duration).
func (w OutageWindow) End() time.Time {
	return w.Start.Add(time.Duration(w.DurationMS) * time.Millisecond)
}

// Duration is the window's length.
func (w OutageWindow) Duration() time.Duration { return time.Duration(w.DurationMS) * time.Millisecond }

// CauseWords says a cause in the operator's words.
func CauseWords(cause string) string {
	switch cause {
	case OutageDetachBeforeCreate:
		return "deregistered before the deployment's creation (AWS requires it), until blue served again"
	case OutageCriticalSection:
		return "critical section: switchover, until the new primary served"
	case OutageFoundEmpty:
		return "found empty when the run resumed (measured from then: a lower bound)"
	case OutageUnavailable:
		return "the target was not AVAILABLE without a deregistration of rdsbg's (measured from the read that saw it: a lower bound)"
	}
	return cause
}

// OutageTotalMS is the sum of the windows' durations.
func OutageTotalMS(ws []OutageWindow) int64 {
	var n int64
	for _, w := range ws {
		n += w.DurationMS
	}
	return n
}

// ProxyTraffic is carried by the proxy-traffic event: what every proxy of
// the run serves now, from live DescribeDBProxyTargets reads.
type ProxyTraffic struct {
	Proxies []ProxyServing `json:"proxies"`
}

// Empty reports whether any proxy has no AVAILABLE target.
func (t ProxyTraffic) Empty() bool {
	for _, p := range t.Proxies {
		if p.EmptySince != nil {
			return true
		}
	}
	return false
}

// ProxyServing is one proxy's serving state.
type ProxyServing struct {
	Proxy string `json:"proxy"`
	// Target is the RDS resource the proxy routes to ("" when it has none).
	Target string `json:"target,omitempty"`
	// Serves names what Target is: blue, green or new-primary.
	Serves string `json:"serves,omitempty"`
	// Health is the target's state (AVAILABLE, REGISTERING, UNAVAILABLE…);
	// "" when the proxy has no target.
	Health string `json:"health,omitempty"`
	// Clients is the proxy's ClientConnections from the latest CloudWatch
	// read, when metrics are on, and ClientsAt the end of the minute it
	// measures (CloudWatch lags a minute or more). Never set while the
	// proxy is empty: an old count would read as clients connected now.
	Clients   *float64   `json:"clients,omitempty"`
	ClientsAt *time.Time `json:"clients_at,omitempty"`
	// EmptySince is set while the proxy has no AVAILABLE target.
	EmptySince *time.Time `json:"empty_since,omitempty"`
}

// What a proxy target stands for, in ProxyServing.Serves.
const (
	ServesBlue       = "blue"
	ServesGreen      = "green"
	ServesNewPrimary = "new-primary"
	ServesOldBlue    = "old-blue" // the -oldN resource, read-only since the switchover
)

// outageBook is the one bookkeeper of the proxies' empty time (issue 24):
// the windows, each proxy's live state and the last proxy-traffic event
// sent. The critical section's proxy-less window (design.md §1) is its
// critical-section windows; every other figure about the proxy's empty
// time (the bound of --max-proxy-outage, compensation's "empty since", the
// retries' error budget) is read here. The zero value is ready; all of it
// runs on the engine's goroutine.
type outageBook struct {
	windows []OutageWindow // in start order; Open ones are still running
	proxies map[string]*proxyWatch
	last    string // the last proxy-traffic sent, as a comparable key
	reads   int    // proxy reads seen by this execution
	// carried is how many of windows came from the journal this execution
	// resumes; clockShift, when that journal's clock ran ahead of this
	// one, translates this clock into the journal's for those windows
	// (measured across the two clocks: a lower bound, AtLeast).
	carried    int
	clockShift time.Duration
}

// proxyWatch is one proxy's state between reads.
type proxyWatch struct {
	known        bool       // read (or emptied) at least once
	emptySince   *time.Time // no AVAILABLE target since
	firstHealthy *time.Time // the first read of the current healthy streak
	streak       int        // consecutive healthy reads
	unreadSince  *time.Time // reads of the proxy fail since (its state is unknown)
	state        ProxyServing
}

func (b *outageBook) watch(proxy string) *proxyWatch {
	if b.proxies == nil {
		b.proxies = map[string]*proxyWatch{}
	}
	p, ok := b.proxies[proxy]
	if !ok {
		p = &proxyWatch{state: ProxyServing{Proxy: proxy}}
		b.proxies[proxy] = p
	}
	return p
}

// openFor returns the index of the open window that holds proxy, or -1.
func (b *outageBook) openFor(proxy string) int {
	for i, w := range b.windows {
		if w.Open && slices.Contains(w.Proxies, proxy) {
			return i
		}
	}
	return -1
}

// lengthAt is window i's length if it ended at end: on the journal's
// clock for a window the journal opened while that clock ran ahead.
func (b *outageBook) lengthAt(i int, end time.Time) int64 {
	if i < b.carried {
		end = end.Add(b.clockShift)
	}
	return max(end.Sub(b.windows[i].Start).Milliseconds(), 0)
}

// criticalSince is when the open critical-section window began, while a
// proxy of it has not been seen serving again; nil otherwise. It is what
// progress events carry as ProxylessSince.
func (b *outageBook) criticalSince() *time.Time {
	for _, w := range b.windows {
		if !w.Open || w.Cause != OutageCriticalSection {
			continue
		}
		for _, p := range w.Proxies {
			if q := b.proxies[p]; q == nil || q.firstHealthy == nil {
				at := w.Start
				return &at
			}
		}
	}
	return nil
}

// emptySince is the earliest moment since which a proxy of the run has
// had no AVAILABLE target, as AWS showed (or an open window of the
// journal says); false when no proxy is known to be empty.
func (b *outageBook) emptySince() (time.Time, bool) {
	var since time.Time
	note := func(t time.Time) {
		if since.IsZero() || t.Before(since) {
			since = t
		}
	}
	for _, p := range b.proxies {
		if p.emptySince != nil {
			note(*p.emptySince)
		}
	}
	for _, w := range b.windows {
		if w.Open {
			note(w.Start)
		}
	}
	return since, !since.IsZero()
}

// empty: a proxy of the run is without its target now, as far as AWS
// showed (the retries' error budget does not apply then, retry.go).
func (b *outageBook) empty() bool {
	_, ok := b.emptySince()
	return ok
}

// unreadSince is the earliest moment since which a proxy of the run could
// not be read; false when every proxy read last time.
func (b *outageBook) unreadSince() (time.Time, bool) {
	var since time.Time
	for _, p := range b.proxies {
		if p.unreadSince != nil && (since.IsZero() || p.unreadSince.Before(since)) {
			since = *p.unreadSince
		}
	}
	return since, !since.IsZero()
}

// causeOf maps the step that deregistered to the window's cause.
func causeOf(step StepID) string {
	switch step {
	case StepDetachProxy:
		return OutageDetachBeforeCreate
	case StepDetachProxyBlue:
		return OutageCriticalSection
	}
	return OutageDeregistered
}

// outageEmptied is called right after the DeregisterDBProxyTargets
// response that removed the source from proxy: the window opens now.
func (r *run) outageEmptied(proxy string) {
	r.openOutage(r.currentStep(), causeOf(r.currentStep()), proxy, r.e.cfg.Clock.Now(), false)
	p := r.outages.watch(proxy)
	p.known = true
	p.state.Target, p.state.Serves, p.state.Health = "", "", ""
	r.emitTraffic()
}

// openOutage adds proxy to the open window of the same step and cause, or
// opens one, and journals it. atLeast: the window is measured from a read
// after its real start (a lower bound).
func (r *run) openOutage(step StepID, cause, proxy string, at time.Time, atLeast bool) {
	b := &r.outages
	p := b.watch(proxy)
	if p.emptySince == nil || at.Before(*p.emptySince) {
		t := at
		p.emptySince = &t
	}
	p.firstHealthy, p.streak = nil, 0
	if b.openFor(proxy) >= 0 {
		return
	}
	idx := -1
	for i, w := range b.windows {
		if w.Open && w.Step == step && w.Cause == cause {
			idx = i
		}
	}
	if idx < 0 {
		b.windows = append(b.windows, OutageWindow{Step: step, Start: at, Cause: cause, Open: true, AtLeast: atLeast})
		idx = len(b.windows) - 1
	}
	b.windows[idx].Proxies = append(b.windows[idx].Proxies, proxy)
	w := b.windows[idx]
	w.Proxies = []string{proxy}
	_ = r.journal.Append(Record{Kind: RecordOutage, State: "open", Step: step, Time: at, Outage: &w,
		Message: fmt.Sprintf("proxy %s has no AVAILABLE target (%s)", proxy, cause)})
}

// foundCause is the cause of a window a read finds open without a
// deregistration of this execution before it: inside the critical section
// it is the section's own (measured from the read: a lower bound).
func (r *run) foundCause(fallback string) string {
	if ps, ok := r.plan.Step(r.currentStep()); ok && ps.Critical {
		return OutageCriticalSection
	}
	return fallback
}

// outageUnread is called when a read of proxy's targets failed: from now
// until the next successful read its state is unknown, never "empty".
func (r *run) outageUnread(proxy string) {
	if !r.ownsProxy(proxy) {
		return
	}
	p := r.outages.watch(proxy)
	if p.unreadSince == nil {
		now := r.e.cfg.Clock.Now()
		p.unreadSince = &now
	}
}

// outageRead is called with every successful read of the source's entries
// on one of the run's proxies (sourceTargets, under every wait and every
// register/deregister): it ends windows, opens one for a proxy found with
// no target outside any window, and sends a proxy-traffic event when the
// proxy's serving state changed.
func (r *run) outageRead(proxy string, ts []awsclient.ProxyTarget) {
	if !r.ownsProxy(proxy) {
		return
	}
	b := &r.outages
	now := r.e.cfg.Clock.Now()
	p := b.watch(proxy)
	p.known = true
	if p.unreadSince != nil {
		// The time AWS could not be read is unknown, not empty: said so
		// on the window it falls in.
		if i := b.openFor(proxy); i >= 0 {
			b.windows[i].UnknownMS += now.Sub(*p.unreadSince).Milliseconds()
		}
		p.unreadSince = nil
	}
	switch {
	case b.openFor(proxy) >= 0 || allAvailable(ts):
	case len(ts) == 0:
		// A resumed or aborting run finds the proxy empty with no window
		// in its journal (a crash between the deregistration's response
		// and its record, or a journal from elsewhere).
		r.openOutage(r.currentStep(), r.foundCause(OutageFoundEmpty), proxy, now, true)
	default:
		// Registered but not AVAILABLE, and rdsbg did not empty it: an
		// outage all the same, from this read on.
		r.openOutage(r.currentStep(), r.foundCause(OutageUnavailable), proxy, now, true)
	}
	p.state.Target, p.state.Health, p.state.Serves = "", "", ""
	if len(ts) > 0 {
		main := servingTarget(ts)
		p.state.Target, p.state.Health, p.state.Serves = main.RdsResourceID, main.Health.State, r.servesOf(main.RdsResourceID)
	}
	if allAvailable(ts) {
		if p.firstHealthy == nil {
			t := now
			p.firstHealthy = &t
		}
		p.streak++
		if p.emptySince != nil && p.streak >= max(r.e.cfg.Poll.StableReads, 1) {
			r.closeOutage(proxy, *p.firstHealthy)
		}
	} else {
		p.firstHealthy, p.streak = nil, 0
	}
	r.emitTraffic()
}

func (r *run) ownsProxy(proxy string) bool {
	for _, reg := range r.proxies {
		if reg.Proxy == proxy {
			return true
		}
	}
	return false
}

// closeOutage ends proxy's part of its window at end (the first healthy
// read); the window closes when its last proxy serves again.
func (r *run) closeOutage(proxy string, end time.Time) {
	b := &r.outages
	p := b.watch(proxy)
	p.emptySince = nil
	i := b.openFor(proxy)
	if i < 0 {
		return
	}
	w := &b.windows[i]
	if d := b.lengthAt(i, end); d > w.DurationMS {
		w.DurationMS = d
	}
	for _, other := range w.Proxies {
		if q := b.proxies[other]; q != nil && q.emptySince != nil {
			return
		}
	}
	w.Open = false
	w.UnknownMS = min(w.UnknownMS, w.DurationMS)
	rec := *w
	_ = r.journal.Append(Record{Kind: RecordOutage, State: "closed", Step: w.Step, Time: end, Outage: &rec,
		Message: fmt.Sprintf("%s served again after %s (%s)", strings.Join(w.Proxies, ", "), rec.Row().Duration, w.Cause)})
}

// servingTarget is the entry that stands for the source: the instance
// entry of a cluster (its TRACKED_CLUSTER entry has no health of its own),
// or the only one.
func servingTarget(ts []awsclient.ProxyTarget) awsclient.ProxyTarget {
	for _, t := range ts {
		if t.Type != "TRACKED_CLUSTER" {
			if t.TrackedClusterID != "" {
				t.RdsResourceID = t.TrackedClusterID
			}
			return t
		}
	}
	return ts[0]
}

// servesOf names what a registered target is, by the world view's rules
// (steps/world) over what AWS last showed: a -green- name is green, a
// -oldN name the old blue, and the source's name the new primary once AWS
// says the switchover completed, else blue — never what this process
// remembers sending (walkthrough U3, U10: "orders-db (blue)" beside
// SWITCHOVER_COMPLETED).
func (r *run) servesOf(id string) string {
	for _, g := range r.names.green {
		if strings.EqualFold(g, id) {
			return ServesGreen
		}
	}
	src := r.plan.Source.ID
	switch {
	case world.IsOldBlueName(src, id):
		return ServesOldBlue
	case world.IsGreenName(id):
		return ServesGreen
	case r.switchedNow():
		return ServesNewPrimary
	}
	return ServesBlue
}

// emitTraffic sends a proxy-traffic event when any proxy's serving state
// changed since the last one.
func (r *run) emitTraffic() {
	b := &r.outages
	var t ProxyTraffic
	var key strings.Builder
	for _, reg := range r.proxies {
		p := b.watch(reg.Proxy)
		if !p.known {
			continue
		}
		s := p.state
		s.Proxy = reg.Proxy
		// Shown empty until the first healthy read: the window's end is
		// confirmed by the reads after it, but the proxy serves from then.
		if p.emptySince != nil && p.firstHealthy == nil {
			at := *p.emptySince
			s.EmptySince = &at
			fmt.Fprintf(&key, "%s|%s|%s|%s|%d;", s.Proxy, s.Target, s.Serves, s.Health, at.UnixNano())
		} else {
			fmt.Fprintf(&key, "%s|%s|%s|%s|-;", s.Proxy, s.Target, s.Serves, s.Health)
		}
		if s.EmptySince == nil {
			// A count of clients only while the proxy serves, and only
			// with the minute CloudWatch measured it (issue 21).
			s.Clients, s.ClientsAt = r.e.watcher().clientsOf(reg.Proxy)
		}
		t.Proxies = append(t.Proxies, s)
	}
	if len(t.Proxies) == 0 || key.String() == b.last {
		return
	}
	b.last = key.String()
	r.e.emit(Event{Type: EventProxyTraffic, Step: r.currentStep(), Message: t.String(), Traffic: &t})
}

// String is the traffic in one line: what plain and text output print.
func (t ProxyTraffic) String() string {
	var parts []string
	for _, p := range t.Proxies {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, " · ")
}

// String is one proxy's state in words.
func (p ProxyServing) String() string {
	var s string
	switch {
	case p.Target == "":
		s = fmt.Sprintf("PROXY %s EMPTY: no target", p.Proxy)
	case p.EmptySince != nil:
		s = fmt.Sprintf("PROXY %s EMPTY: %s (%s) %s", p.Proxy, p.Target, p.Serves, healthWord(p.Health))
	default:
		s = fmt.Sprintf("PROXY %s → %s (%s) %s", p.Proxy, p.Target, p.Serves, healthWord(p.Health))
	}
	if p.EmptySince != nil {
		s += " since " + p.EmptySince.UTC().Format("15:04:05")
	}
	if p.Clients != nil && p.EmptySince == nil {
		s += ", " + ClientsWords(*p.Clients, p.ClientsAt)
	}
	return s
}

// ClientsWords is a client count with the moment CloudWatch measured it:
// a count without its age would read as "connected now" (issue 21).
func ClientsWords(n float64, at *time.Time) string {
	if at == nil {
		return fmt.Sprintf("%.0f clients", n)
	}
	return fmt.Sprintf("%.0f clients in the minute to %s", n, at.UTC().Format("15:04"))
}

func healthWord(s string) string {
	if s == "" {
		return "UNKNOWN"
	}
	return s
}

// clientsOf is the proxy's latest ClientConnections and the end of the
// minute it measures; nil when metrics are off or have no point yet.
func (w *MetricsWatcher) clientsOf(proxy string) (*float64, *time.Time) {
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

// outageSummary is the windows for run-finished: open ones measured to
// now (a proxy seen healthy but not yet confirmed ends at that read), each
// with the probe's view of it.
func (r *run) outageSummary() []OutageWindow {
	b := &r.outages
	now := r.e.cfg.Clock.Now()
	var out []OutageWindow
	for i := range b.windows {
		if w := b.windows[i]; w.Open {
			var end time.Time
			healthy := true
			for _, p := range w.Proxies {
				q := b.proxies[p]
				switch {
				case q == nil || (q.emptySince != nil && q.firstHealthy == nil):
					healthy = false // not read, or not serving at the last read
				case q.emptySince == nil: // its part of the window ended
				case q.firstHealthy.After(end):
					end = *q.firstHealthy
				}
			}
			if healthy && !end.IsZero() {
				// Seen serving, not yet confirmed by the reads after it:
				// the run ends here, so that read ends the window.
				for _, p := range w.Proxies {
					if q := b.proxies[p]; q.emptySince != nil {
						r.closeOutage(p, *q.firstHealthy)
					}
				}
			}
		}
		w := b.windows[i] // as closed above, if it was
		if w.Open {
			w.DurationMS = max(b.lengthAt(i, now), w.DurationMS)
			if since, ok := b.unreadSince(); ok {
				w.UnknownMS += now.Sub(since).Milliseconds()
			}
			w.UnknownMS = min(w.UnknownMS, w.DurationMS)
		}
		w.Proxies = slices.Clone(w.Proxies)
		r.e.probeWindow(&w)
		out = append(out, w)
	}
	return out
}

// probeWindow adds the connectivity probe's view of one window: its
// attempts from the last one before the window to the first success after
// it.
func (e *Engine) probeWindow(w *OutageWindow) {
	if e.probe == nil {
		return
	}
	all := e.probe.prober.Attempts()
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
	rep := probe.Summarize(span, e.probe.prober.Interval())
	down := rep.Outage
	if rep.StillFailingAtStop && rep.LongestGap > down {
		down = rep.LongestGap
	}
	ms := down.Milliseconds()
	w.AppDowntimeMS, w.ProbeAttempts, w.ProbeFailed = &ms, rep.Attempts, rep.Failed
}

// foldOutage folds one outage record of the journal into ws.
func foldOutage(ws []OutageWindow, r Record) []OutageWindow {
	if r.Outage == nil {
		return ws
	}
	o := *r.Outage
	switch r.State {
	case "open":
		for i := range ws {
			if ws[i].Open && ws[i].Step == o.Step && ws[i].Cause == o.Cause {
				for _, p := range o.Proxies {
					if !slices.Contains(ws[i].Proxies, p) {
						ws[i].Proxies = append(ws[i].Proxies, p)
					}
				}
				return ws
			}
		}
		o.Open = true
		o.Proxies = slices.Clone(o.Proxies)
		return append(ws, o)
	case "closed":
		o.Open = false
		for i := range ws {
			if ws[i].Start.Equal(o.Start) && ws[i].Cause == o.Cause {
				ws[i] = o
				return ws
			}
		}
		return append(ws, o)
	}
	return ws
}

// restoreOutages takes the windows of the run this execution resumes:
// closed ones are reported again at the end, open ones go on. A journal of
// an older rdsbg kept the critical section's open window as a proxyless
// record only: it becomes the section's window here. A journal written by
// a clock ahead of this one (another host, NTP stepping back) has its open
// windows measured on its own clock from here on, assuming no time passed
// between its last record and now: a lower bound, never 0 s (case T1).
func (r *run) restoreOutages(j JournalState) (ahead bool) {
	b := &r.outages
	now := r.e.cfg.Clock.Now()
	ws := j.Outages
	if at := j.ProxylessAt; at != nil && !slices.ContainsFunc(ws, func(w OutageWindow) bool { return w.Open && w.Cause == OutageCriticalSection }) {
		var proxies []string
		for _, reg := range r.proxies {
			proxies = append(proxies, reg.Proxy)
		}
		ws = append(slices.Clone(ws), OutageWindow{Step: StepDetachProxyBlue, Start: *at, Cause: OutageCriticalSection, Open: true, Proxies: proxies})
	}
	if last := j.LastRecordAt; last.After(now) {
		b.clockShift = last.Sub(now)
	}
	for _, w := range ws {
		w.Proxies = slices.Clone(w.Proxies)
		if w.Open && b.clockShift > 0 {
			w.AtLeast = true
			ahead = true
		}
		b.windows = append(b.windows, w)
		if !w.Open {
			continue
		}
		for _, p := range w.Proxies {
			start := w.Start
			b.watch(p).emptySince = &start
		}
	}
	b.carried = len(b.windows)
	return ahead
}

// outageMarkers re-records the windows after a resume's run-started
// record, which starts the journal's fold over.
func (r *run) outageMarkers() []Record {
	var out []Record
	for _, w := range r.outages.windows {
		c := w
		c.Proxies = slices.Clone(w.Proxies)
		state := "closed"
		if w.Open {
			state = "open"
		}
		out = append(out, Record{Kind: RecordOutage, State: state, Step: w.Step, Outage: &c, Message: "carried over"})
	}
	return out
}

// The outage windows in words: one line model (OutageRow) that every
// layout reads — the log and plain lines here, the wizard's styled table
// (ui/traffic.go) — and one headline (OutageHeadline) with the total of
// every window and the critical section's share beside it, the figure
// run-finished, status, the summary and the epilogue all show.

// OutageRow is one window in words.
type OutageRow struct {
	Duration string // "5m39s", "at least 57s", "STILL OPEN after 1m02s"
	Step     StepID
	Start    string // "15:04:05" (UTC)
	Proxies  string
	Cause    string // CauseWords
	Unknown  string // "2m00s of it unread: AWS could not be read", or ""
	Apps     string // the probe's view, or ""
	Open     bool
}

// Row is the window's line model.
func (w OutageWindow) Row() OutageRow {
	row := OutageRow{Step: w.Step, Start: w.Start.UTC().Format("15:04:05"), Proxies: strings.Join(w.Proxies, ", "), Cause: CauseWords(w.Cause), Open: w.Open}
	dur := FormatDuration(w.Duration())
	switch {
	case w.Open && w.DurationMS == 0:
		row.Duration = "STILL OPEN" // a journal's open record: no end read yet
	case w.Open:
		row.Duration = "STILL OPEN after " + dur
	case w.AtLeast:
		row.Duration = "at least " + dur
	default:
		row.Duration = dur
	}
	if w.UnknownMS > 0 {
		row.Unknown = FormatDuration(time.Duration(w.UnknownMS)*time.Millisecond) + " of it unread: AWS could not be read"
	}
	if w.AppDowntimeMS != nil {
		row.Apps = fmt.Sprintf("applications cut off for about %s (%d of %d SELECT 1 failed)", FormatDuration(time.Duration(*w.AppDowntimeMS)*time.Millisecond), w.ProbeFailed, w.ProbeAttempts)
	}
	return row
}

// Plain is the row as one line of text.
func (row OutageRow) Plain() string {
	during := ""
	if row.Step != "" {
		during = " during " + string(row.Step)
	}
	s := fmt.Sprintf("proxy outage %s%s from %s: %s (%s)", row.Duration, during, row.Start, row.Proxies, row.Cause)
	if row.Unknown != "" {
		s += "; " + row.Unknown
	}
	if row.Apps != "" {
		s += "; " + row.Apps
	}
	return s
}

// OutageLine is one window in words.
func OutageLine(w OutageWindow) string { return w.Row().Plain() }

// OutageLines is every window, each line after sep, then the headline:
// the closing note of text and plain output and `rdsbg status`.
func OutageLines(ws []OutageWindow, sep string) string {
	if len(ws) == 0 {
		return ""
	}
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(sep + OutageLine(w))
	}
	b.WriteString(sep + OutageHeadline(ws))
	return b.String()
}

// CriticalMS is the critical section's share of the windows: what
// run-finished reports as proxyless_window_ms.
func CriticalMS(ws []OutageWindow) int64 {
	var n int64
	for _, w := range ws {
		if w.Cause == OutageCriticalSection {
			n += w.DurationMS
		}
	}
	return n
}

// OutageHeadline is the run's one outage figure: the total of every
// window, with the critical section's share beside it; "at least" when a
// window is a lower bound, "still open" while one is.
func OutageHeadline(ws []OutageWindow) string {
	if len(ws) == 0 {
		return "proxy outage: none"
	}
	total := FormatDuration(time.Duration(OutageTotalMS(ws)) * time.Millisecond)
	atLeast, open := false, false
	var unknown int64
	for _, w := range ws {
		atLeast = atLeast || w.AtLeast
		open = open || w.Open
		unknown += w.UnknownMS
	}
	if atLeast {
		total = "at least " + total
	}
	s := fmt.Sprintf("proxy outage %s in %d window%s", total, len(ws), plural(len(ws)))
	var notes []string
	if slices.ContainsFunc(ws, func(w OutageWindow) bool { return w.Cause == OutageCriticalSection }) {
		notes = append(notes, "critical section "+FormatDuration(time.Duration(CriticalMS(ws))*time.Millisecond))
	}
	if unknown > 0 {
		notes = append(notes, FormatDuration(time.Duration(unknown)*time.Millisecond)+" of it unread")
	}
	if open {
		notes = append(notes, "STILL OPEN")
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
