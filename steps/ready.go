package steps

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// This file holds "prepare now, switch over later" (issue 13): a run that
// stops after ready-check in the named state OutcomeReady, either because
// `rdsbg run --until ready` asked for it or because the operator declined
// the critical section (or the switchover) in the wizard. Nothing is
// compensated: the proxy is on blue, green is in sync, and `rdsbg resume`
// re-checks readiness and switches over.

// errPausedReady ends runSteps without a failure: the run is ready.
var errPausedReady = errors.New("paused ready for the switchover")

// pauseAfter reports whether the run stops after ps, a step that pauses a
// run ready (ready-check): --until ready, once it has really checked (not
// skipped because the switchover has started already).
func (r *run) pauseAfter(ps contract.PlannedStep) bool {
	if r.e.cfg.Until != contract.UntilReady {
		return false
	}
	n := len(r.timeline)
	return n > 0 && r.timeline[n-1].Step == ps.ID && r.timeline[n-1].Outcome != "already-done"
}

// pausedIfDeclined turns the operator's "no" to the critical section or
// to a step whose "no" pauses (the switchover itself), before anything of
// it happened, into the ready state: green stays prepared and `rdsbg
// resume` switches over later. Any other error passes through.
func (r *run) pausedIfDeclined(ps contract.PlannedStep, pauses bool, err error) error {
	if !errors.Is(err, contract.ErrDeclined) {
		return err
	}
	if !ps.Critical && !pauses {
		return err
	}
	if r.prior.Steps[contract.StepSwitchover] != "" || r.stepRan(contract.StepReadyCheck) == "" {
		return err
	}
	return errPausedReady
}

// stepRan is the timeline outcome of id in this execution, "" if it did
// not run; a resumed run also counts the journal's done steps.
func (r *run) stepRan(id contract.StepID) string {
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
func (r *run) finishReady(ctx context.Context) (contract.Finished, error) {
	r.readyGreen = r.describeGreen(ctx)
	state := contract.ProxyOnBlue
	if r.plan.Regime == contract.RegimeNone || len(r.proxies) == 0 {
		state = contract.ProxyNotUsed
	}
	return r.finish(contract.OutcomeReady, nil, state)
}

// describeGreen reads green's members and their classes (reads only; a
// failure leaves what is known) and the last lag the metrics watcher saw.
func (r *run) describeGreen(ctx context.Context) *contract.GreenInfo {
	g := &contract.GreenInfo{DeploymentID: r.dep.id}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if dep, err := r.findDeployment(rctx); err == nil && dep != nil {
		g.DeploymentID = dep.ID
		for _, m := range dep.Members {
			if !strings.Contains(m.Target, ":db:") {
				continue // clusters and custom endpoints cost nothing apart
			}
			id := contract.ARNName(m.Target)
			member := contract.GreenMember{ID: id}
			if inst, err := r.api.DescribeInstance(rctx, id); err == nil {
				member.Class = inst.Class
			}
			g.Members = append(g.Members, member)
		}
	}
	if w := r.e.metrics.Watcher(); w != nil {
		g.Lag = w.LastLag()
	}
	return g
}

// readinessWords is what the critical section's question says of green:
// the ready-check's result and the last lag read, or that the lag is not
// known (walkthrough D19: the question showed neither).
func (r *run) readinessWords() string {
	check := "\nReady-check: "
	switch st := r.stepRan(contract.StepReadyCheck); st {
	case "done", "checked", contract.SkippedAlreadyDone:
		check += "passed"
	case "":
		check += "not run in this process"
	default:
		check += st
	}
	lag := "unknown (no CloudWatch data)"
	if w := r.e.metrics.Watcher(); w != nil {
		if l := w.LastLag(); l != "" {
			lag = l
		}
	}
	return check + "; green's replication lag: " + lag + "."
}
