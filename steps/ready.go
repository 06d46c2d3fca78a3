package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// This file holds "prepare now, switch over later" (issue 13): a run that
// stops after ready-check in the named state OutcomeReady, either because
// `rdsbg run --until ready` asked for it or because the operator declined
// the critical section (or the switchover) in the wizard. Nothing is
// compensated: the proxy is on blue, green is in sync, and `rdsbg resume`
// re-checks readiness and switches over.

// errPausedReady ends runSteps without a failure: the run is ready.
var errPausedReady = errors.New("paused ready for the switchover")

// GreenInfo is green as a ready run leaves it: what keeps running (and
// costing) until the switchover, and how far behind blue it is.
type GreenInfo struct {
	DeploymentID string        `json:"deployment_id,omitempty"`
	Members      []GreenMember `json:"members,omitempty"`
	// Lag is the last replication lag read from CloudWatch, in words
	// ("ReplicaLag 2 s"); empty when unknown (metrics off, no data yet).
	Lag string `json:"lag,omitempty"`
}

// GreenMember is one green DB instance and its class: naming the classes
// is how the operator sees what green costs per hour.
type GreenMember struct {
	ID    string `json:"id"`
	Class string `json:"class,omitempty"`
}

// Classes is "db.r6g.large ×2, db.r6g.xlarge" for the members.
func (g GreenInfo) Classes() string {
	count := map[string]int{}
	var order []string
	for _, m := range g.Members {
		c := m.Class
		if c == "" {
			c = "unknown class"
		}
		if count[c] == 0 {
			order = append(order, c)
		}
		count[c]++
	}
	parts := make([]string, len(order))
	for i, c := range order {
		parts[i] = c
		if count[c] > 1 {
			parts[i] += fmt.Sprintf(" ×%d", count[c])
		}
	}
	return strings.Join(parts, ", ")
}

// pauseAfter reports whether the run stops after ps, a step that pauses a
// run ready (ready-check): --until ready, once it has really checked (not
// skipped because the switchover has started already).
func (r *run) pauseAfter(ps PlannedStep) bool {
	if r.e.cfg.Until != UntilReady {
		return false
	}
	n := len(r.timeline)
	return n > 0 && r.timeline[n-1].Step == ps.ID && r.timeline[n-1].Outcome != "already-done"
}

// pausedIfDeclined turns the operator's "no" to the critical section or
// to a step whose "no" pauses (the switchover itself), before anything of
// it happened, into the ready state: green stays prepared and `rdsbg
// resume` switches over later. Any other error passes through.
func (r *run) pausedIfDeclined(ps PlannedStep, pauses bool, err error) error {
	if !errors.Is(err, ErrDeclined) {
		return err
	}
	if !ps.Critical && !pauses {
		return err
	}
	if r.prior.Steps[StepSwitchover] != "" || r.stepRan(StepReadyCheck) == "" {
		return err
	}
	return errPausedReady
}

// stepRan is the timeline outcome of id in this execution, "" if it did
// not run; a resumed run also counts the journal's done steps.
func (r *run) stepRan(id StepID) string {
	for i := len(r.timeline) - 1; i >= 0; i-- {
		if r.timeline[i].Step == id {
			return r.timeline[i].Outcome
		}
	}
	if r.prior.Done(id) {
		return "done"
	}
	return ""
}

// finishReady ends a run in the ready state, exit 0, with green's members,
// classes and lag for the summary, `status` and the epilogue.
func (r *run) finishReady(ctx context.Context) (Finished, error) {
	r.readyGreen = r.describeGreen(ctx)
	state := ProxyOnBlue
	if r.plan.Regime == RegimeNone || len(r.proxies) == 0 {
		state = ProxyNotUsed
	}
	return r.finish(OutcomeReady, nil, state)
}

// describeGreen reads green's members and their classes (reads only; a
// failure leaves what is known) and the last lag the metrics watcher saw.
func (r *run) describeGreen(ctx context.Context) *GreenInfo {
	g := &GreenInfo{DeploymentID: r.dep.id}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if dep, err := r.findDeployment(rctx); err == nil && dep != nil {
		g.DeploymentID = dep.ID
		for _, m := range dep.Members {
			if !strings.Contains(m.Target, ":db:") {
				continue // clusters and custom endpoints cost nothing apart
			}
			id := lastField(m.Target)
			member := GreenMember{ID: id}
			if inst, err := r.api.DescribeInstance(rctx, id); err == nil {
				member.Class = inst.Class
			}
			g.Members = append(g.Members, member)
		}
	}
	if w := r.e.watcher(); w != nil {
		g.Lag = w.lastLag()
	}
	return g
}

// readinessWords is what the critical section's question says of green:
// the ready-check's result and the last lag read, or that the lag is not
// known (walkthrough D19: the question showed neither).
func (r *run) readinessWords() string {
	check := "\nReady-check: "
	switch st := r.stepRan(StepReadyCheck); st {
	case "done", "checked", SkippedAlreadyDone:
		check += "passed"
	case "":
		check += "not run in this process"
	default:
		check += st
	}
	lag := "unknown (no CloudWatch data)"
	if w := r.e.watcher(); w != nil {
		if l := w.lastLag(); l != "" {
			lag = l
		}
	}
	return check + "; green's replication lag: " + lag + "."
}

// lastLag is the newest replication lag in words, "" when unknown.
func (w *MetricsWatcher) lastLag() string {
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
