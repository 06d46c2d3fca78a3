package steps

import (
	"context"
	"sort"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/observe"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// verify: the end state. The deployment completed, the production name is
// the new primary on the requested version, every member and its old twin
// under the right names (renames.go), and the proxy healthy on it
// (detach and native regimes). Nothing to undo: it changes nothing.

func planVerify(b planBuilder) (contract.PlannedStep, bool) {
	return contract.PlannedStep{
		ID: contract.StepVerify, Title: "Verify the new primary", Severity: contract.SeverityReadOnly,
		Why:    "Confirms the switchover completed, the production name runs the new engine version and the proxy is healthy on it.",
		Effect: "Nothing changes.",
		CLI:    b.withTargets(append(b.bgdLine(), b.cli.describeDeployment("Status"), b.describeSource())),
	}, true
}

// verify confirms the end state: the deployment completed, the source name
// is the new primary on the requested version, the proxy is healthy on it.
func (r *run) verify(ps contract.PlannedStep) stepImpl {
	want := r.targetVersion()
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) { return stepTodo, "", nil },
		settle: func(ctx context.Context) (err error) {
			defer func() { r.clientsBack(ctx, err) }() // warns, never fails
			return r.e.wait(ctx, poll.Spec{Step: ps.ID, What: "the new primary and the proxy to be healthy", Speed: poll.Fast, Limit: r.e.cfg.Poll.ProxyTargetLimit, Stable: r.e.cfg.Poll.StableReads,
				Poll: func(ctx context.Context) (bool, contract.Progress, error) {
					dep, err := r.findDeployment(ctx)
					if err != nil {
						return false, contract.Progress{}, err
					}
					if dep != nil && dep.Status != "SWITCHOVER_COMPLETED" && dep.Status != "DELETING" {
						return false, contract.Progress{}, poll.Fatal("deployment %s is %s, not SWITCHOVER_COMPLETED", dep.ID, dep.Status)
					}
					var p contract.Progress
					if dep != nil {
						p = r.depProgress(*dep)
						r.noteRenames(*dep)
					}
					version, status, err := r.sourceStatus(ctx)
					if err != nil {
						return false, contract.Progress{}, err
					}
					p.Instances = []contract.InstanceRow{{ID: r.plan.Source.ID, Status: status + " " + version}}
					if want != "" && !versionMatches(version, want) {
						return false, p, poll.Fatal("%s runs %s after the switchover, not %s", r.plan.Source.ID, version, want)
					}
					ok := status == "available"
					if r.plan.Regime != contract.RegimeNone {
						v, err := r.viewProxies(ctx)
						if err != nil {
							return false, contract.Progress{}, err
						}
						p.ProxyTargets = v.targets
						ok = ok && v.healthyAll(len(r.proxies))
					}
					if ok {
						if err := r.renamesOnce(ctx, want); err != nil {
							return false, p, err
						}
					}
					return ok, p, nil
				}})
		},
	}
}

// sourceStatus reads the production name (after the switchover, the new
// primary).
func (r *run) sourceStatus(ctx context.Context) (version, status string, err error) {
	if r.plan.Source.Kind == contract.KindCluster {
		c, err := r.api.DescribeCluster(ctx, r.plan.Source.ID)
		return c.EngineVersion, c.Status, err
	}
	i, err := r.api.DescribeInstance(ctx, r.plan.Source.ID)
	return i.EngineVersion, i.Status, err
}

// verify's client check (issue 14 item 4): a proxy whose target is healthy
// again may still serve nobody — the applications could not reconnect (a
// security group, credentials the new primary refuses). When a proxy
// served clients before the critical section, verify reads its
// ClientConnections (Maximum per period) after the proxy turned healthy
// again, for at most clientsGrace, and warns if they stay at 0. The proxy
// drops every client at promotion (rds-facts §5.4), so 0 right after is
// normal; it is the staying at 0 that matters. Without metrics (or without
// data yet) it says nothing: no evidence, no warning.

const (
	// clientsGrace bounds how long verify waits for a client to come back:
	// CloudWatch publishes a one-minute period about a minute after it ends.
	clientsGrace = 2*observe.MetricsPeriod + 30*time.Second
	// clientsEvery is how often it reads meanwhile.
	clientsEvery = 20 * time.Second
)

// clientsBack (after verify succeeded) waits (bounded) for every proxy that served clients before
// the critical section to serve some after it, and warns for those that
// do not. It never fails the step: the proxy is healthy, the applications
// are the operator's to check.
func (r *run) clientsBack(ctx context.Context, verifyErr error) {
	m := r.e.cfg.Metrics
	if verifyErr != nil || m == nil || len(r.proxies) == 0 {
		return
	}
	criticalStart, healthyAt, ok := r.criticalSpan()
	if !ok {
		return
	}
	var qs []awsclient.MetricQuery
	for _, p := range dedupe(plannedProxyNames(r.proxies)) {
		qs = append(qs, awsclient.MetricQuery{Name: awsclient.MetricClientConnections, DimensionName: awsclient.DimensionProxyName, DimensionValue: p, Stat: "Maximum"})
	}
	clk := r.e.cfg.Clock
	deadline := healthyAt.Add(clientsGrace)
	var waiting map[string]bool // served before, none seen since
	zeroSeen := map[string]bool{}
	for {
		now := clk.Now()
		cctx, cancel := context.WithTimeout(ctx, observe.MetricsCallTimeout)
		series, err := m.GetMetricSeries(cctx, qs, criticalStart.Add(-observe.MetricsWindow), now.Truncate(observe.MetricsPeriod).Add(observe.MetricsPeriod), observe.MetricsPeriod)
		cancel()
		if err != nil || len(series) != len(qs) {
			return // the watcher reports CloudWatch's failures
		}
		first := waiting == nil
		if first {
			waiting = map[string]bool{}
		}
		for i, s := range series {
			name := qs[i].DimensionValue
			before, after, seenAfter := clientsAround(s.Points, criticalStart, healthyAt)
			if first && before > 0 {
				waiting[name] = true
			}
			if after > 0 {
				delete(waiting, name)
			} else if seenAfter {
				zeroSeen[name] = true
			}
		}
		if len(waiting) == 0 || !clk.Now().Before(deadline) || ctx.Err() != nil {
			break
		}
		if err := clk.Sleep(ctx, clientsEvery); err != nil {
			return
		}
	}
	var names []string
	for name := range waiting {
		if zeroSeen[name] { // no evidence, no warning
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		r.e.notice(contract.StepVerify, "warning: proxy %s served clients before the switchover and none in the %s since its target turned healthy (%s): check that the applications can reconnect (security groups, credentials, the proxy's logs)",
			name, clk.Now().Sub(healthyAt).Round(time.Second), healthyAt.UTC().Format("15:04:05"))
	}
}

// clientsAround is the most clients of the periods that ended before the
// critical section began, and of those that began after the proxy turned
// healthy again (seenAfter: there was such a period). A period that
// straddles the drop would show the clients from before it.
func clientsAround(points []awsclient.MetricPoint, criticalStart, healthyAt time.Time) (before, after float64, seenAfter bool) {
	for _, p := range points {
		end := p.Time.Add(observe.MetricsPeriod)
		if !end.After(criticalStart) && p.Value > before {
			before = p.Value
		}
		if !p.Time.Before(healthyAt) {
			seenAfter = true
			if p.Value > after {
				after = p.Value
			}
		}
	}
	return before, after, seenAfter
}

// criticalSpan is when the proxies stopped serving blue for the switchover
// (detach-proxy-blue, else the switchover) and when they served again
// (attach-proxy-primary, else the switchover's end), from this process's
// timeline: a resumed run that did not see them checks nothing.
func (r *run) criticalSpan() (start, healthy time.Time, ok bool) {
	// Each step of the section as the timeline last shows it, in the
	// table's order.
	var span []*contract.TimelineEntry
	switched := false
	for _, def := range r.e.rows {
		if def.section != inSection {
			continue
		}
		var last *contract.TimelineEntry
		for i := range r.timeline {
			if r.timeline[i].Step == def.id {
				last = &r.timeline[i]
			}
		}
		if last != nil {
			span = append(span, last)
			switched = switched || def.id == contract.StepSwitchover
		}
	}
	if !switched {
		return time.Time{}, time.Time{}, false
	}
	first, end := span[0], span[len(span)-1]
	return first.Started, end.Started.Add(end.Duration), true
}

func plannedProxyNames(regs []contract.ProxyRegistration) []string {
	out := make([]string, 0, len(regs))
	for _, p := range regs {
		out = append(out, p.Proxy)
	}
	return out
}
