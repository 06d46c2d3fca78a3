package sim

import (
	"strings"
	"time"
)

// Client connections are dropped, not only refused, when a proxy loses its
// target: at a native switchover "when green is promoted the proxy drops
// existing client connections; apps must reconnect" (rds-facts §5.4), and
// at every deregistration the proxy has nothing to route to. The metric
// model (metrics.go) shows it: ClientConnections falls to zero at the drop
// and climbs back over reconnectRamp from the first instant the proxy has
// an AVAILABLE target again, so a period's Minimum never stays at the
// level before the drop. The ramp's length is the model's assumption (no
// source measures how fast applications reconnect); it is the same for
// every run, so goldens stay stable.

// reconnectRamp is how long the applications take to come back after a
// drop, once the proxy can serve them.
const reconnectRamp = 30 * time.Second

// dropClients records that p dropped its client connections at at.
func (s *Simulator) dropClients(p *Proxy, at time.Time) {
	key := strings.ToLower(p.Name)
	s.history.drops[key] = append(s.history.drops[key], at)
	if _, ok := s.takeModelFault(func(f Fault) bool { return f.ClientsStayAway }); ok {
		s.history.away[key] = at
	}
}

// reconnected is the fraction (0–1) of the applications' load connected
// through the proxy at t, after the latest drop at or before t.
func (h *metricHistory) reconnected(proxy string, t time.Time) float64 {
	drops := h.drops[strings.ToLower(proxy)]
	var last time.Time
	for _, d := range drops {
		if !d.After(t) {
			last = d
		}
	}
	if last.IsZero() {
		return 1
	}
	if away, ok := h.away[strings.ToLower(proxy)]; ok && !t.Before(away) {
		return 0 // a ClientsStayAway fault: they never come back
	}
	since, ok := h.healthyFrom(proxy, last)
	if !ok || t.Before(since) {
		return 0
	}
	elapsed := t.Sub(since)
	if elapsed >= reconnectRamp {
		return 1
	}
	return float64(elapsed) / float64(reconnectRamp)
}

// healthyFrom is the first instant at or after from when the proxy had an
// AVAILABLE target, as far as the history knows.
func (h *metricHistory) healthyFrom(proxy string, from time.Time) (time.Time, bool) {
	snaps := h.proxies[strings.ToLower(proxy)]
	for i, sn := range snaps {
		end := time.Time{}
		if i+1 < len(snaps) {
			end = snaps[i+1].at
			if !end.After(from) {
				continue // over before from
			}
		}
		start := sn.at
		if start.Before(from) {
			start = from
		}
		var best time.Time
		for _, r := range sn.regs {
			at := start
			if r.AvailableAt.After(at) {
				at = r.AvailableAt
			}
			if (end.IsZero() || at.Before(end)) && (best.IsZero() || at.Before(best)) {
				best = at
			}
		}
		if !best.IsZero() {
			return best, true
		}
	}
	return time.Time{}, false
}
