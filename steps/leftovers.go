package steps

import (
	"context"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// This file says what a run leaves behind in AWS, in the summary and the
// epilogue (issue 13): green while it waits for the switchover, the
// deployment object, the -oldN resources, and the final snapshot, named
// once (FinalSnapshotID) for the plan, the runbook, the call and the
// summary. It makes no AWS call: it reads what the run knows.

// switchedOver reports whether this run, or the one it resumes, completed
// the switchover: green is production and abort is no longer a way out.
func (r *run) switchedOver() bool {
	return len(r.names.renames) > 0 || len(r.names.oldBlue) > 0 || r.stepRan(contract.StepSwitchover) == "done" || r.stepRan(contract.StepSwitchover) == "already-done"
}

// oldBlueNames are the -oldN resources by identifier, primary (or cluster)
// first; before the names are known, the plan's expectation.
func (r *run) oldBlueNames() []string {
	instances, cluster := r.names.oldResources()
	var out []string
	if cluster != "" {
		out = append(out, cluster)
	}
	if primary := r.names.renames[r.plan.Source.ID]; primary != "" && cluster == "" {
		out = append(out, primary)
		instances = removeString(append([]string{}, instances...), primary)
	}
	out = append(out, instances...)
	if len(out) == 0 {
		out = append(out, r.plan.Source.ID+"-old1")
	}
	return out
}

// finalSnapshotName is the final snapshot cleanup old-blue takes: of the
// old cluster, else of the old primary instance.
func (r *run) finalSnapshotName() string {
	instances, cluster := r.names.oldResources()
	if cluster != "" {
		return contract.FinalSnapshotID(cluster)
	}
	primary := r.names.renames[r.plan.Source.ID]
	if primary == "" && len(instances) > 0 {
		primary = instances[0]
	}
	if primary == "" {
		primary = r.plan.Source.ID + "-old1"
	}
	return contract.FinalSnapshotID(primary)
}

// leftovers lists what the run leaves in AWS when it ends with outcome,
// and the final snapshot's name when cleanup old-blue took it. A rolled
// back run lists the green resources AWS is still deleting (read now:
// walkthrough D26 said "nothing of this run in AWS" beside one).
func (r *run) leftovers(ctx context.Context, outcome string, end endView) ([]contract.Leftover, string) {
	if outcome == contract.OutcomeBlocked || len(r.plan.Steps) == 0 {
		return nil, ""
	}
	if w := end.w; w != nil && w.Known() {
		// What AWS shows at the end (endworld.go), and the final snapshot
		// this run took.
		out := r.worldLeftovers(outcome, *w)
		cleanup := r.stepRan(contract.StepCleanup)
		if (cleanup == "done" || cleanup == "already-done") && !r.cleanupDeclined && r.plan.Options.Cleanup == contract.CleanupOldBlue && end.switched(r) {
			snap := r.finalSnapshotName()
			return append(out, contract.Leftover{Kind: "snapshot", ID: snap, Note: "final snapshot of the old blue"}), snap
		}
		return out, ""
	}
	if outcome == contract.OutcomeRolledBack {
		return r.stillDeleting(ctx), ""
	}
	if !r.switchedOver() {
		if r.dep.id == "" {
			return nil, ""
		}
		out := []contract.Leftover{{Kind: "deployment", ID: r.dep.id, Note: "blue/green deployment; blue is still production"}}
		green := r.greenSeen
		if len(green) == 0 {
			green = []string{r.plan.Source.ID + "-green-…"}
		}
		for _, g := range green {
			out = append(out, contract.Leftover{Kind: "green", ID: g, Note: "keeps running and costing until the switchover or `rdsbg abort`"})
		}
		return out, ""
	}
	cleanup := r.stepRan(contract.StepCleanup)
	cleaned := (cleanup == "done" || cleanup == "already-done") && !r.cleanupDeclined
	var out []contract.Leftover
	if r.dep.id != "" && !cleaned {
		out = append(out, contract.Leftover{Kind: "deployment", ID: r.dep.id, Note: "bookkeeping only: `aws rds delete-blue-green-deployment --blue-green-deployment-identifier " + r.dep.id + "` deletes it"})
	}
	if cleaned && r.plan.Options.Cleanup == contract.CleanupOldBlue {
		snap := r.finalSnapshotName()
		return append(out, contract.Leftover{Kind: "snapshot", ID: snap, Note: "final snapshot of the old blue"}), snap
	}
	for _, id := range r.oldBlueNames() {
		out = append(out, contract.Leftover{Kind: "old-blue", ID: id, Note: "the previous production, no longer replicating; keeps running and costing until deleted"})
	}
	return out, ""
}

// noteGreen remembers green's DB instances (and Aurora cluster) from a
// deployment's members, before the switchover (afterwards the targets are
// the production names).
func (r *run) noteGreen(dep awsclient.Deployment) {
	if switchedOver(&dep) || switchStarted(&dep) {
		return
	}
	var ids []string
	for _, m := range dep.Members {
		if strings.Contains(m.Target, ":db:") || strings.Contains(m.Target, ":cluster:") {
			ids = append(ids, contract.ARNName(m.Target))
		}
	}
	if len(ids) > 0 {
		r.greenSeen = ids
	}
}

// stillDeleting reads the green resources the run saw and lists those AWS
// still shows (deleting, usually) after a rollback.
func (r *run) stillDeleting(ctx context.Context) []contract.Leftover {
	var out []contract.Leftover
	for _, id := range r.greenSeen {
		status := ""
		if i, err := r.api.DescribeInstance(ctx, id); err == nil {
			status = i.Status
		} else if c, err := r.api.DescribeCluster(ctx, id); err == nil {
			status = c.Status
		} else if awsclient.Classify(err) != awsclient.KindNotFound {
			status = contract.StateUnknown + " (AWS could not be read)"
		}
		if status != "" {
			out = append(out, contract.Leftover{Kind: "green", ID: id, Note: "AWS is still deleting it (" + status + "); it goes by itself"})
		}
	}
	return out
}

// errorInfo is errorInfo(err) in this run's moment: after the switchover
// it never advises `rdsbg abort`, which would only refuse.
func (r *run) errorInfo(err error) *contract.ErrorInfo {
	info := errorInfo(err)
	if info == nil || !r.switchedOver() || !strings.Contains(info.Meaning, "rdsbg abort") {
		return info
	}
	info.Meaning = "the switchover is done (green is production): there is nothing to abort. Check the console, then `rdsbg resume --source " + r.plan.Source.ID + "` to finish the remaining steps."
	return info
}

// checkPlan lets a PlanChecker approver (the headless rules) refuse a plan
// before anything is recorded or changed.
func (e *Engine) checkPlan(p contract.Plan, done func(contract.StepID) bool) error {
	pc, ok := e.cfg.Approver.(contract.PlanChecker)
	if !ok {
		return nil
	}
	return pc.CheckPlan(p, e.cfg.Until, done)
}
