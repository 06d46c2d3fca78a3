package steps

import "time"

// proxyless is the run's account of its proxies having no target: the
// critical section's measured proxy-less window (design.md §1), when an
// original proxy last lost the source, and when detach-proxy emptied it in
// this process. It is the one writer of these times; the run journals what
// its methods report as news.
type proxyless struct {
	since      *time.Time    // the critical section's window is open since
	window     time.Duration // the windows measured so far
	emptySince *time.Time    // a proxy lost its target; nil while every proxy serves
	detachedAt *time.Time    // detach-proxy deregistered blue in this process (step_attach_proxy_blue.go)
}

// openSince is when the open window started, nil when none is open.
func (p *proxyless) openSince() *time.Time { return p.since }

// emptied notes a deregistration; measure opens the window if none is
// open, and reports that (to be journalled).
func (p *proxyless) emptied(now time.Time, measure bool) (opened bool) {
	if p.emptySince == nil {
		t := now
		p.emptySince = &t
	}
	if measure && p.since == nil {
		t := now
		p.since = &t
		return true
	}
	return false
}

// closeAt ends an open window at the first healthy read and reports
// whether one was open.
func (p *proxyless) closeAt(now time.Time) bool {
	if p.since == nil {
		return false
	}
	p.window += now.Sub(*p.since)
	p.since = nil
	return true
}

// carry takes an earlier process's open window (the journal's record of
// the deregistration) when none is open.
func (p *proxyless) carry(at *time.Time) {
	if p.since == nil {
		p.since = at
	}
}

// restore takes the journal's open window on resume. A journal written by
// a clock ahead of this one (another host, or a test's scaled clock) would
// make a negative window: it is measured from now instead, a lower bound,
// and the journal's time is returned so the run can say so.
func (p *proxyless) restore(at *time.Time, now time.Time) (ahead *time.Time) {
	p.since = at
	if at != nil && at.After(now) {
		p.since = &now
		return at
	}
	return nil
}

// detached notes detach-proxy's deregistration in this process.
func (p *proxyless) detached(now time.Time) { p.detachedAt = &now }

// seen keeps "a proxy is empty" in step with what AWS showed: missing, an
// original proxy without the source (empty since the open window, else
// the journal's, else now); served, every proxy healthy.
func (p *proxyless) seen(missing, served bool, prior *time.Time, now time.Time) {
	if missing {
		if p.emptySince == nil {
			switch {
			case p.since != nil:
				now = *p.since
			case prior != nil:
				now = *prior
			}
			p.emptySince = &now
		}
		return
	}
	if served {
		p.emptySince = nil
	}
}

// empty: a proxy is without its target now, as far as the run knows.
func (p *proxyless) empty() bool { return p.emptySince != nil || p.since != nil }

// emptyFrom is when the proxy lost its target, as well as the run knows.
func (p *proxyless) emptyFrom(prior *time.Time, now time.Time) time.Time {
	switch {
	case p.emptySince != nil:
		return *p.emptySince
	case p.since != nil:
		return *p.since
	case prior != nil:
		return *prior
	}
	return now
}

// proxyEmptyNow is Engine.proxyEmpty for this run.
func (r *run) proxyEmptyNow() bool {
	return r.proxyless.empty()
}
