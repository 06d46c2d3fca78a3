package steps

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
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

// outageBook is the one bookkeeper of the proxies' empty time (issue 24):
// the windows, each proxy's live state and the last proxy-traffic event
// sent. The critical section's proxy-less window (design.md §1) is its
// critical-section windows; every other figure about the proxy's empty
// time (the bound of --max-proxy-outage, compensation's "empty since", the
// retries' error budget) is read here. The zero value is ready; all of it
// runs on the engine's goroutine.
type outageBook struct {
	windows []contract.OutageWindow // in start order; Open ones are still running
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
	state        contract.ProxyServing
}

func (b *outageBook) watch(proxy string) *proxyWatch {
	if b.proxies == nil {
		b.proxies = map[string]*proxyWatch{}
	}
	p, ok := b.proxies[proxy]
	if !ok {
		p = &proxyWatch{state: contract.ProxyServing{Proxy: proxy}}
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
		if !w.Open || w.Cause != contract.OutageCriticalSection {
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
// showed (the retries' error budget does not apply then, steps/poll).
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

// causeOf is the cause of the window a deregistration by step opens: the
// emptying step's own (its row), else a deregistration outside the plan's
// emptying steps.
func (t stepRows) causeOf(step contract.StepID) string {
	if def, ok := t.def(step); ok && def.empties() {
		return def.proxy.cause
	}
	return contract.OutageDeregistered
}

// outageEmptied is called right after the DeregisterDBProxyTargets
// response that removed the source from proxy: the window opens now.
func (r *run) outageEmptied(proxy string) {
	r.openOutage(r.currentStep(), r.e.rows.causeOf(r.currentStep()), proxy, r.e.cfg.Clock.Now(), false)
	p := r.outages.watch(proxy)
	p.known = true
	p.state.Target, p.state.Serves, p.state.Health = "", "", ""
	r.emitTraffic()
}

// openOutage adds proxy to the open window of the same step and cause, or
// opens one, and journals it. atLeast: the window is measured from a read
// after its real start (a lower bound).
func (r *run) openOutage(step contract.StepID, cause, proxy string, at time.Time, atLeast bool) {
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
		b.windows = append(b.windows, contract.OutageWindow{Step: step, Start: at, Cause: cause, Open: true, AtLeast: atLeast})
		idx = len(b.windows) - 1
	}
	b.windows[idx].Proxies = append(b.windows[idx].Proxies, proxy)
	w := b.windows[idx]
	w.Proxies = []string{proxy}
	_ = r.journal.Append(journal.Record{Kind: journal.RecordOutage, State: "open", Step: step, Time: at, Outage: &w,
		Message: fmt.Sprintf("proxy %s has no AVAILABLE target (%s)", proxy, cause)})
}

// foundCause is the cause of a window a read finds open without a
// deregistration of this execution before it: inside the critical section
// it is the section's own (measured from the read: a lower bound).
func (r *run) foundCause(fallback string) string {
	if ps, ok := r.plan.Step(r.currentStep()); ok && ps.Critical {
		return contract.OutageCriticalSection
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
		r.openOutage(r.currentStep(), r.foundCause(contract.OutageFoundEmpty), proxy, now, true)
	default:
		// Registered but not AVAILABLE, and rdsbg did not empty it: an
		// outage all the same, from this read on.
		r.openOutage(r.currentStep(), r.foundCause(contract.OutageUnavailable), proxy, now, true)
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
	_ = r.journal.Append(journal.Record{Kind: journal.RecordOutage, State: "closed", Step: w.Step, Time: end, Outage: &rec,
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
			return contract.ServesGreen
		}
	}
	src := r.plan.Source.ID
	switch {
	case world.IsOldBlueName(src, id):
		return contract.ServesOldBlue
	case world.IsGreenName(id):
		return contract.ServesGreen
	case r.switchedNow():
		return contract.ServesNewPrimary
	}
	return contract.ServesBlue
}

// emitTraffic sends a proxy-traffic event when any proxy's serving state
// changed since the last one.
func (r *run) emitTraffic() {
	b := &r.outages
	var t contract.ProxyTraffic
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
			s.Clients, s.ClientsAt = r.e.metrics.Watcher().Clients(reg.Proxy)
		}
		t.Proxies = append(t.Proxies, s)
	}
	if len(t.Proxies) == 0 || key.String() == b.last {
		return
	}
	b.last = key.String()
	r.e.emit(contract.Event{Type: contract.EventProxyTraffic, Step: r.currentStep(), Message: t.String(), Traffic: &t})
}

// outageSummary is the windows for run-finished: open ones measured to
// now (a proxy seen healthy but not yet confirmed ends at that read), each
// with the probe's view of it.
func (r *run) outageSummary() []contract.OutageWindow {
	b := &r.outages
	now := r.e.cfg.Clock.Now()
	var out []contract.OutageWindow
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
		if r.e.probe != nil {
			r.e.probe.Window(&w)
		}
		out = append(out, w)
	}
	return out
}

// restoreOutages takes the windows of the run this execution resumes:
// closed ones are reported again at the end, open ones go on. A journal of
// an older rdsbg kept the critical section's open window as a proxyless
// record only: it becomes the section's window here. A journal written by
// a clock ahead of this one (another host, NTP stepping back) has its open
// windows measured on its own clock from here on, assuming no time passed
// between its last record and now: a lower bound, never 0 s (case T1).
func (r *run) restoreOutages(j journal.State) (ahead bool) {
	b := &r.outages
	now := r.e.cfg.Clock.Now()
	ws := j.Outages
	if at := j.ProxylessAt; at != nil && !slices.ContainsFunc(ws, func(w contract.OutageWindow) bool { return w.Open && w.Cause == contract.OutageCriticalSection }) {
		var proxies []string
		for _, reg := range r.proxies {
			proxies = append(proxies, reg.Proxy)
		}
		ws = append(slices.Clone(ws), contract.OutageWindow{Step: contract.StepDetachProxyBlue, Start: *at, Cause: contract.OutageCriticalSection, Open: true, Proxies: proxies})
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
func (r *run) outageMarkers() []journal.Record {
	var out []journal.Record
	for _, w := range r.outages.windows {
		c := w
		c.Proxies = slices.Clone(w.Proxies)
		state := "closed"
		if w.Open {
			state = "open"
		}
		out = append(out, journal.Record{Kind: journal.RecordOutage, State: state, Step: w.Step, Outage: &c, Message: "carried over"})
	}
	return out
}
