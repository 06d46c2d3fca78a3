package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/rdsbg/rdsbg/steps"
)

// The traffic line (issue 11): on every run screen, what production's
// proxies serve right now, from the engine's proxy-traffic events (live
// DescribeDBProxyTargets reads), turning into a red PROXY EMPTY with a
// running clock whenever a proxy has no AVAILABLE target. The clock runs
// on the wizard's tick: rendering does no I/O.

// trafficOf is what the line draws: the latest proxy-traffic event, or,
// before the first one, the proxies as discovery saw them in the plan.
func trafficOf(r *runState) *steps.ProxyTraffic {
	if r.traffic != nil {
		return r.traffic
	}
	if r.plan == nil || len(r.plan.Proxies) == 0 {
		return nil
	}
	var t steps.ProxyTraffic
	for _, reg := range r.plan.Proxies {
		s := steps.ProxyServing{Proxy: reg.Proxy}
		for _, tg := range reg.Targets {
			if tg.Type == "TRACKED_CLUSTER" && len(reg.Targets) > 1 {
				continue
			}
			s.Target, s.Health, s.Serves = tg.RdsResourceID, tg.Health.State, steps.ServesBlue
			if tg.TrackedClusterID != "" {
				s.Target = tg.TrackedClusterID
			}
			break
		}
		if s.Target == "" {
			continue // not known as serving yet: say nothing rather than guess
		}
		t.Proxies = append(t.Proxies, s)
	}
	if len(t.Proxies) == 0 {
		return nil
	}
	return &t
}

// renderTraffic draws the traffic line at width: a pure function of the
// traffic, the latest metrics (for the clients count) and the clock. Empty
// proxies come first; each proxy reads
//
//	PROXY orders-proxy → orders-db (blue) AVAILABLE · 43 clients
//	PROXY EMPTY 04:12 · orders-proxy has no target
//	PROXY EMPTY 00:09 · orders-proxy → orders-db (blue) REGISTERING
func renderTraffic(st Styles, width int, t *steps.ProxyTraffic, metrics *steps.MetricsSample, now time.Time) string {
	if t == nil || len(t.Proxies) == 0 || width <= 0 {
		return ""
	}
	var empty, serving []string
	for _, p := range t.Proxies {
		clients := clientsOf(p, metrics, now)
		if p.EmptySince != nil {
			what := p.Proxy + " has no target"
			if p.Target != "" {
				what = fmt.Sprintf("%s → %s (%s) %s", p.Proxy, p.Target, servesWord(p.Serves), healthOr(p.Health))
			}
			empty = append(empty, st.Timer.Render("PROXY EMPTY "+formatClock(now.Sub(*p.EmptySince)))+" "+st.Bad.Render(what+clients))
			continue
		}
		serving = append(serving, st.OK.Render(fmt.Sprintf("PROXY %s → %s (%s) %s", p.Proxy, p.Target, servesWord(p.Serves), healthOr(p.Health)))+st.Muted.Render(clients))
	}
	line := strings.Join(append(empty, serving...), "  ")
	if lipgloss.Width(line) > width {
		// Truncating styled text would cut an escape sequence: fall back
		// to the same words unstyled but for the alarm, and shorter: an
		// empty proxy keeps its target and health (walkthrough D23: the
		// line dropped them mid-outage at 80 columns).
		var plain []string
		for _, p := range t.Proxies {
			if p.EmptySince != nil {
				what := p.Proxy + ": no target"
				if p.Target != "" {
					what = fmt.Sprintf("%s → %s %s", p.Proxy, p.Target, healthOr(p.Health))
				}
				plain = append([]string{"PROXY EMPTY " + formatClock(now.Sub(*p.EmptySince)) + " " + what}, plain...)
				continue
			}
			plain = append(plain, fmt.Sprintf("PROXY %s → %s (%s) %s%s", p.Proxy, p.Target, servesWord(p.Serves), healthOr(p.Health), clientsOf(p, metrics, now)))
		}
		text := truncate(strings.Join(plain, "  "), width)
		if t.Empty() {
			return st.Bad.Render(text)
		}
		return st.OK.Render(text)
	}
	return line
}

// clientsOf is " · N clients 2m ago" from the freshest source (the latest
// CloudWatch sample, else the event's own count), always with the age of
// the minute CloudWatch measured; "" with metrics off, and "" while the
// proxy has no serving target: an old count would read as clients
// connected now (walkthrough D5, U6).
func clientsOf(p steps.ProxyServing, m *steps.MetricsSample, now time.Time) string {
	if p.EmptySince != nil || p.Health != "AVAILABLE" {
		return ""
	}
	if m != nil {
		for _, l := range m.Lines {
			if l.Metric != steps.MetricClientConnections || l.Subject != p.Proxy {
				continue
			}
			// The newest whole minute (the running one is partial).
			for i := len(l.Points) - 1; i >= 0; i-- {
				if end := l.Points[i].Time.Add(m.Period); !end.After(m.Time) {
					return clientsAged(l.Points[i].Value, end, now)
				}
			}
		}
	}
	if p.Clients != nil && p.ClientsAt != nil {
		return clientsAged(*p.Clients, *p.ClientsAt, now)
	}
	return ""
}

// clientsAged is a count with the age of the minute it measures.
func clientsAged(n float64, measured, now time.Time) string {
	age := now.Sub(measured).Truncate(time.Minute)
	switch {
	case age < time.Minute:
		return fmt.Sprintf(" · %.0f clients <1m ago", n)
	case age < time.Hour:
		return fmt.Sprintf(" · %.0f clients %dm ago", n, int(age.Minutes()))
	}
	return fmt.Sprintf(" · %.0f clients %s ago", n, formatDuration(age))
}

func servesWord(s string) string {
	switch s {
	case steps.ServesNewPrimary:
		return "new primary"
	case steps.ServesOldBlue:
		return "old blue, read-only"
	}
	if s == "" {
		return "?"
	}
	return s
}

func healthOr(h string) string {
	if h == "" {
		return "UNKNOWN"
	}
	return h
}

// trafficEmpty reports whether the line shows a proxy without an
// AVAILABLE target.
func trafficEmpty(r *runState) bool {
	t := trafficOf(r)
	return t != nil && t.Empty()
}

// honestWhy keeps a step's reason from claiming that blue serves
// production while the proxy in front of it is empty.
func honestWhy(why string, empty bool) string {
	if !empty {
		return why
	}
	return strings.ReplaceAll(why, "while blue keeps serving production", "while the proxy is EMPTY: applications using it cannot reach blue until it is registered again")
}

// renderOutages is the summary's outage windows: every window with its
// step, cause and duration (and the probe's view of it), then the total.
func renderOutages(st Styles, width int, f *steps.Finished) string {
	if f == nil || len(f.ProxyOutages) == 0 {
		return ""
	}
	// The styled layout of the line model every output reads
	// (steps.OutageRow); the headline is the summary's first line.
	var b strings.Builder
	b.WriteString(st.Heading.Render("Proxy outages") + "\n")
	for _, w := range f.ProxyOutages {
		row := w.Row()
		line := fmt.Sprintf("%-9s %-18s %s", row.Duration, row.Step, row.Proxies)
		style := st.Warn
		if row.Open {
			line = fmt.Sprintf("%-9s %-18s %s · STILL EMPTY", formatDuration(w.Duration()), row.Step, row.Proxies)
			style = st.Bad
		}
		if row.Unknown != "" {
			line += " · " + row.Unknown
		}
		if row.Apps != "" {
			// The probe's figure before the cause: it must survive a
			// narrow terminal.
			line += " · " + row.Apps
		}
		line += " · " + row.Cause
		b.WriteString(style.Render(truncate(line, width)) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// trafficLine is the wizard's header line during a run (w.header, drawn
// under the title bar by layout.go): what production's proxies serve now.
func (w *wizard) trafficLine() string {
	if w.phase != phaseRun {
		return ""
	}
	return renderTraffic(w.common.Styles, w.common.Width, trafficOf(w.run), w.run.metrics, w.run.now)
}
