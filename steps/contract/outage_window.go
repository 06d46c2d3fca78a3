package contract

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Outage windows (issue 11): every period in which a proxy that served
// production has no AVAILABLE target, as the journal, run-finished and the
// proxy-traffic event carry it, and in words: one line model (OutageRow)
// that every layout reads — the log and plain lines here, the wizard's
// styled table (ui/traffic.go) — and one headline (OutageHeadline) with the
// total of every window and the critical section's share beside it, the
// figure run-finished, status, the summary and the epilogue all show. The
// engine's outage book (steps/outage.go) measures them.

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

// What a proxy target stands for, in ProxyServing.Serves.
const (
	ServesBlue       = "blue"
	ServesGreen      = "green"
	ServesNewPrimary = "new-primary"
	ServesOldBlue    = "old-blue" // the -oldN resource, read-only since the switchover
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
