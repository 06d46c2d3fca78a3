package steps

import (
	"context"
	"fmt"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// cleanup: --cleanup none | deployment | old-blue, the same in every
// regime, only after a completed switchover.
//   deployment: DeleteBlueGreenDeployment without its target; both the new
//     primary and the -old1 resources are kept.
//   old-blue (severe): a final snapshot of the -oldN resources, the
//     deployment deleted, deletion protection lifted, the -oldN resources
//     deleted. Every part checks live state first, so a resumed cleanup
//     carries on where a crashed one stopped.
//   none: not in the plan. A declined cleanup ends the run done, with
//     leftovers (finish.go).
// Not undone: the final snapshot is what remains of old blue.

func planCleanup(b planBuilder) (contract.PlannedStep, bool) {
	src := b.d.Source
	switch b.o.Cleanup {
	case contract.CleanupDeployment:
		ps := contract.PlannedStep{
			ID: contract.StepCleanup, Title: "Delete the deployment object", Severity: contract.SeverityReversible,
			Why:    "The finished deployment is only bookkeeping; deleting it keeps both the new primary and the -old1 resources.",
			Effect: "The deployment disappears; the old blue (-old1) resources keep running (and costing) until you delete them. " + blueTagAfterSwitchover(src, true),
			CLI:    append(b.bgdLine(), b.cli.deleteDeployment()),
		}
		if src.Kind == contract.KindCluster {
			// On Aurora this lifts old blue's read-only guard: anyone can
			// write to the old environment afterwards, and nothing undoes
			// that (walkthrough D14: it was "reversible", asked with y).
			ps.Title = "Delete the deployment object (old blue becomes writable)"
			ps.Severity = contract.SeveritySevere
			ps.Effect = "The deployment disappears, and with it Aurora's read-only guard on old blue: the -old1 cluster becomes WRITABLE unless its read_only parameter is on; delete it or fence it before anyone writes to it. The old blue resources keep running (and costing) until you delete them. " + blueTagAfterSwitchover(src, true)
		}
		return ps, true
	case contract.CleanupOldBlue:
		return contract.PlannedStep{
			ID: contract.StepCleanup, Title: "Delete the deployment and the old blue resources", Severity: contract.SeveritySevere,
			Why:    "The -old1 environment is no longer production and keeps costing money; deleting it (with a final snapshot) finishes the change.",
			Effect: b.oldBlueEffect() + " " + blueTagAfterSwitchover(src, true),
			CLI:    append(b.bgdLine(), b.cli.deleteOldBlue(src, b.deletionProtection())...),
		}, true
	}
	return contract.PlannedStep{}, false
}

// cleanupGrants: the deployment object's deletion and, with --cleanup
// old-blue, a final snapshot, deletion protection off, then the -oldN
// resources' deletion.
func cleanupGrants(s policyScope) []PolicyStatement {
	src := s.plan.Source
	out := []PolicyStatement{deleteDeploymentGrant(s)}
	if s.plan.Options.Cleanup != contract.CleanupOldBlue {
		return out
	}
	old := []string{s.prefix + s.kind + src.ID + "-old*"}
	for _, m := range src.Members {
		old = append(old, s.prefix+"db:"+m+"-old*")
	}
	acts := []string{"rds:ModifyDBInstance", "rds:DeleteDBInstance", "rds:CreateDBSnapshot"}
	snap := s.prefix + "snapshot:" + contract.FinalSnapshotID("*")
	if s.cluster {
		acts = []string{"rds:ModifyDBCluster", "rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:CreateDBClusterSnapshot"}
		snap = s.prefix + "cluster-snapshot:" + contract.FinalSnapshotID("*")
	}
	return append(out, allow("DeleteOldBlue", acts, append(old, snap)))
}

func (c cliBuilder) deleteDeployment() string {
	return c.rds("delete-blue-green-deployment", "--blue-green-deployment-identifier \"$BGD\"")
}

// deleteOldBlue deletes the old environment after switchover: the
// deployment's Source then names the -oldN primary; replicas and members
// carry the same -oldN suffix. A final snapshot of the primary keeps the
// data recoverable; replicas and cluster members have nothing of their own.
func (c cliBuilder) deleteOldBlue(src contract.Source, deletionProtection bool) []string {
	// OLD is read before the deployment is deleted: afterwards nothing
	// records which resource was blue.
	lines := []string{"OLD=$(" + c.describeDeployment("Source") + ")", c.deleteDeployment()}
	suffix := "-old1"
	if src.Kind == contract.KindCluster {
		if deletionProtection {
			lines = append(lines, c.rds("modify-db-cluster", "--db-cluster-identifier \"${OLD##*:}\"", "--no-deletion-protection", "--apply-immediately"))
		}
		for _, m := range src.Members {
			lines = append(lines, c.rds("delete-db-instance", "--db-instance-identifier", contract.ShellQuote(m+suffix)))
		}
		lines = append(lines, c.rds("delete-db-cluster", "--db-cluster-identifier \"${OLD##*:}\"", "--final-db-snapshot-identifier \"rdsbg-final-${OLD##*:}\""))
		return lines
	}
	for _, m := range src.Members {
		lines = append(lines, c.rds("delete-db-instance", "--db-instance-identifier", contract.ShellQuote(m+suffix), "--skip-final-snapshot"))
	}
	if deletionProtection {
		lines = append(lines, c.rds("modify-db-instance", "--db-instance-identifier \"${OLD##*:}\"", "--no-deletion-protection", "--apply-immediately"))
	}
	lines = append(lines, c.rds("delete-db-instance", "--db-instance-identifier \"${OLD##*:}\"", "--final-db-snapshot-identifier \"rdsbg-final-${OLD##*:}\""))
	return lines
}

func (b planBuilder) deletionProtection() bool {
	if b.d.Cluster != nil {
		return b.d.Cluster.DeletionProtection
	}
	return b.d.Instance != nil && b.d.Instance.DeletionProtection
}

func (b planBuilder) oldBlueEffect() string {
	src := b.d.Source
	what := fmt.Sprintf("DB instance %s-old1", src.ID)
	if src.Kind == contract.KindCluster {
		what = fmt.Sprintf("DB cluster %s-old1 and its member instances", src.ID)
	} else if len(src.Members) > 0 {
		what += " and its read replicas"
	}
	s := fmt.Sprintf("The deployment and the %s are deleted; a final snapshot %s is kept.", what, contract.FinalSnapshotID(src.ID+"-old1"))
	if b.deletionProtection() {
		s += " Deletion protection on the old blue is turned off first."
	}
	return s
}

// snapshotID is deterministic so that a resumed cleanup finds the snapshot
// the crashed one started instead of taking a second.
func (r *run) snapshotID(resource string) string {
	return contract.FinalSnapshotID(resource)
}

// cleanup is the last step: --cleanup none | deployment | old-blue.
func (r *run) cleanup(ps contract.PlannedStep) stepImpl {
	mode := r.plan.Options.Cleanup
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			if mode == contract.CleanupNone || mode == "" {
				return stepNotNeeded, "--cleanup none: the deployment and the old resources are kept", nil
			}
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if dep != nil && dep.Status != "SWITCHOVER_COMPLETED" && dep.Status != "DELETING" {
				return 0, "", poll.Fatal("deployment %s is %s: cleanup only runs after a completed switchover", dep.ID, dep.Status)
			}
			if dep != nil {
				r.noteRenames(*dep)
			}
			if mode == contract.CleanupDeployment {
				if dep == nil {
					return stepDone, "the deployment object is already deleted", nil
				}
				if dep.Status == "DELETING" {
					return stepApplied, "the deployment object is being deleted", nil
				}
				return stepTodo, "", nil
			}
			instances, cluster := r.names.oldResources()
			if len(instances) == 0 && cluster == "" {
				return 0, "", poll.Fatal("the names of the old blue resources are unknown (no completed switchover in the journal or in AWS); delete them by hand")
			}
			gone, err := r.oldGone(ctx, instances, cluster)
			if err != nil {
				return 0, "", err
			}
			if gone && dep == nil {
				return stepDone, "the deployment and the old blue resources are already deleted", nil
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error {
			if mode == contract.CleanupDeployment {
				return r.deleteDeploymentObject(ctx)
			}
			return r.deleteOldBlue(ctx, ps.ID)
		},
		declined: func() bool { return r.declinedCleanup(ps) },
		settle: func(ctx context.Context) error {
			if r.dep.id != "" {
				if err := r.waitDeploymentGone(ctx, ps.ID, r.dep.id); err != nil {
					return err
				}
			}
			if mode != contract.CleanupOldBlue {
				return nil
			}
			instances, cluster := r.names.oldResources()
			return r.e.wait(ctx, poll.Spec{Step: ps.ID, What: "the old blue resources to be deleted", Speed: poll.Slow, Limit: r.e.cfg.Poll.DeleteLimit,
				Poll: func(ctx context.Context) (bool, contract.Progress, error) {
					gone, err := r.oldGone(ctx, instances, cluster)
					return gone, contract.Progress{}, err
				}})
		},
	}
}

// deleteDeploymentObject deletes the deployment without its target: after
// a switchover AWS refuses DeleteTarget, and the production name lives there.
func (r *run) deleteDeploymentObject(ctx context.Context) error {
	dep, err := r.findDeployment(ctx)
	if err != nil || dep == nil || dep.Status == "DELETING" {
		return err
	}
	mctx, cancel := detached(ctx, mutationTimeout)
	defer cancel()
	if _, err := r.api.DeleteDeployment(mctx, dep.ID, false); err != nil && awsclient.Classify(err) != awsclient.KindNotFound {
		return fmt.Errorf("delete deployment %s: %w", dep.ID, err)
	}
	r.leaseGone() // the lease goes with the deployment (ownership.go)
	return nil
}

// oldGone reports whether every -oldN resource is deleted.
func (r *run) oldGone(ctx context.Context, instances []string, cluster string) (bool, error) {
	for _, id := range instances {
		_, err := r.api.DescribeInstance(ctx, id)
		if awsclient.Classify(err) == awsclient.KindNotFound {
			continue
		}
		return false, err
	}
	if cluster != "" {
		_, err := r.api.DescribeCluster(ctx, cluster)
		if awsclient.Classify(err) != awsclient.KindNotFound {
			return false, err
		}
	}
	return true, nil
}

// deleteOldBlue: snapshot the -oldN resources and wait for the snapshot,
// delete the deployment object, lift deletion protection, delete them with
// SkipFinalSnapshot (the snapshot exists). Every part checks live state
// first, so a resumed cleanup carries on where the crashed one stopped.
func (r *run) deleteOldBlue(ctx context.Context, step contract.StepID) error {
	instances, cluster, primary := r.oldBlueTargets()
	if err := r.snapshotOldBlue(ctx, step, cluster, primary); err != nil {
		return err
	}
	if err := r.deleteDeploymentObject(ctx); err != nil {
		return err
	}
	if r.dep.id != "" {
		if err := r.waitDeploymentGone(ctx, step, r.dep.id); err != nil {
			return err
		}
	}
	mctx, cancel := detached(ctx, mutationTimeout)
	defer cancel()
	// Replicas and members first: a cluster with live members cannot be
	// deleted, and a primary's replicas would be promoted.
	order := append([]string{}, instances...)
	if primary != "" {
		order = append(removeString(order, primary), primary)
	}
	for _, id := range order {
		if err := r.deleteOldInstance(ctx, mctx, id); err != nil {
			return err
		}
	}
	if cluster != "" {
		return r.deleteOldCluster(ctx, mctx, cluster)
	}
	return nil
}

// oldBlueTargets are the -oldN resources cleanup deletes: the instances
// (an RDS primary and its replicas, or an Aurora cluster's members), the
// cluster ("" for RDS) and, for RDS, the old primary, whose snapshot is
// the final one.
func (r *run) oldBlueTargets() (instances []string, cluster, primary string) {
	instances, cluster = r.names.oldResources()
	if cluster == "" {
		primary = r.names.renames[r.plan.Source.ID]
		if primary == "" && len(instances) > 0 {
			primary = instances[0]
		}
	}
	return instances, cluster, primary
}

// snapshotOldBlue takes the final snapshot of old blue (the cluster, or
// the old primary) unless it exists, and waits until it is available: a
// failed snapshot keeps the old blue resources.
func (r *run) snapshotOldBlue(ctx context.Context, step contract.StepID, cluster, primary string) error {
	snapOf := primary
	if cluster != "" {
		snapOf = cluster
	}
	snap := r.snapshotID(snapOf)
	readSnap := func(ctx context.Context) (awsclient.Snapshot, error) {
		if cluster != "" {
			return r.api.DescribeClusterSnapshot(ctx, snap)
		}
		return r.api.DescribeInstanceSnapshot(ctx, snap)
	}
	if _, err := readSnap(ctx); awsclient.Classify(err) == awsclient.KindNotFound {
		mctx, cancel := detached(ctx, mutationTimeout)
		if cluster != "" {
			_, err = r.api.CreateClusterSnapshot(mctx, cluster, snap)
		} else {
			_, err = r.api.CreateInstanceSnapshot(mctx, primary, snap)
		}
		cancel()
		if err != nil && awsclient.Classify(err) != awsclient.KindAlreadyExists {
			return fmt.Errorf("snapshot %s before deleting it: %w", snapOf, err)
		}
	} else if err != nil {
		return err
	}
	return r.e.wait(ctx, poll.Spec{Step: step, What: "snapshot " + snap + " to be available", Speed: poll.Slow, Limit: r.e.cfg.Poll.SnapshotLimit,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			s, err := readSnap(ctx)
			if err != nil {
				return false, contract.Progress{}, err
			}
			if s.Status == "failed" || s.Status == "error" {
				return false, contract.Progress{}, poll.Fatal("snapshot %s failed: the old blue resources are kept", snap)
			}
			return s.Status == "available", contract.Progress{Instances: []contract.InstanceRow{{ID: snap, Status: s.Status}}}, nil
		}})
}

// deleteOldInstance deletes one -oldN instance, lifting its deletion
// protection first; one already gone or deleting is passed over. Reads
// use ctx, the changes mctx (detached from an interrupt).
func (r *run) deleteOldInstance(ctx, mctx context.Context, id string) error {
	inst, err := r.api.DescribeInstance(ctx, id)
	if awsclient.Classify(err) == awsclient.KindNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if inst.Status == "deleting" {
		return nil
	}
	off := false
	if inst.DeletionProtection {
		if _, err := r.api.ModifyInstance(mctx, awsclient.ModifyInstanceInput{ID: id, DeletionProtection: &off, ApplyImmediately: true}); err != nil {
			return fmt.Errorf("turn off deletion protection of %s: %w", id, err)
		}
	}
	if err := r.api.DeleteInstance(mctx, awsclient.DeleteInput{ID: id, SkipFinalSnapshot: true}); err != nil && awsclient.Classify(err) != awsclient.KindNotFound {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	return nil
}

// deleteOldCluster is deleteOldInstance for the -oldN Aurora cluster,
// once its members are deleting.
func (r *run) deleteOldCluster(ctx, mctx context.Context, cluster string) error {
	c, err := r.api.DescribeCluster(ctx, cluster)
	if awsclient.Classify(err) == awsclient.KindNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if c.Status == "deleting" {
		return nil
	}
	off := false
	if c.DeletionProtection {
		if _, err := r.api.ModifyCluster(mctx, awsclient.ModifyClusterInput{ID: cluster, DeletionProtection: &off, ApplyImmediately: true}); err != nil {
			return fmt.Errorf("turn off deletion protection of %s: %w", cluster, err)
		}
	}
	if err := r.api.DeleteCluster(mctx, awsclient.DeleteInput{ID: cluster, SkipFinalSnapshot: true}); err != nil && awsclient.Classify(err) != awsclient.KindNotFound {
		return fmt.Errorf("delete cluster %s: %w", cluster, err)
	}
	return nil
}

// declinedCleanup: the optional cleanup after a successful switchover was
// declined. The change is done; what cleanup would have deleted is left
// and named (finish.go).
func (r *run) declinedCleanup(ps contract.PlannedStep) bool {
	r.cleanupDeclined = true
	msg := "declined by the operator: the deployment object and the old blue resources are kept"
	if r.plan.Options.Cleanup == contract.CleanupDeployment {
		msg = "declined by the operator: the deployment object is kept"
	}
	_ = r.journal.Append(journal.Record{Kind: journal.RecordStep, Step: ps.ID, State: journal.StepStateSkipped, Message: msg, DeploymentID: r.dep.id})
	r.e.emit(contract.Event{Type: contract.EventStepSkipped, Step: ps.ID, Message: msg})
	r.timeline = append(r.timeline, contract.TimelineEntry{Step: ps.ID, Started: r.e.cfg.Clock.Now(), Outcome: "declined"})
	return true
}
