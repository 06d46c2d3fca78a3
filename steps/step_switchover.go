package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// switchover (step 6): SwitchoverBlueGreenDeployment, watching every
// member until SWITCHOVER_COMPLETED; green takes blue's names, blue becomes
// -oldN (the renames are journalled for cleanup). Part of the critical
// section in the detach regime; in the native regime AWS moves the proxy;
// none: the same call. Declining it pauses the run ready (runner.go).
// Not undone by rdsbg: AWS rolls a switchover back itself when it fails or
// times out; after it, abort no longer applies.

func planSwitchover(b planBuilder) (contract.PlannedStep, bool) {
	src := b.d.Source
	swEffect := fmt.Sprintf("Writes stop on both environments, green catches up, green takes the names of %s and its members, blue becomes %s-old1. AWS rolls everything back if it takes longer than %d s.", src.ID, src.ID, int64(b.o.SwitchoverTimeout.Seconds()))
	if b.native() {
		swEffect += " The proxy drops its client connections and follows the new primary."
	}
	return contract.PlannedStep{
		ID: contract.StepSwitchover, Title: "Switch over to green", Severity: contract.SeveritySevere,
		Why:    "This is the change itself: production moves to the green environment.",
		Effect: swEffect,
		CLI:    append(b.bgdLine(), b.cli.switchover(b.o), b.cli.describeDeployment("[Status,SwitchoverDetails]")+"   # repeat until SWITCHOVER_COMPLETED"),
	}, true
}

// switchoverGrants: AWS renames blue and green and promotes green as the
// caller (RDS: ModifyDBInstance, PromoteReadReplica; Aurora:
// ModifyDBCluster, PromoteReadReplicaDBCluster). Blue's rename by name
// too: a tag removed from blue during the run (an IaC tool correcting
// drift) must not refuse the switchover while the proxy is empty. Green
// has no name to give.
func switchoverGrants(s policyScope) []PolicyStatement {
	switchover := []string{"rds:ModifyDBInstance", "rds:PromoteReadReplica"}
	rename, renamed := "rds:ModifyDBInstance", s.production
	if s.cluster {
		switchover = []string{"rds:ModifyDBCluster", "rds:PromoteReadReplicaDBCluster"}
		rename, renamed = "rds:ModifyDBCluster", []string{s.source}
	}
	return []PolicyStatement{
		allowIf("SwitchOverTheDeployment", []string{"rds:SwitchoverBlueGreenDeployment"}, []string{s.deployments}, map[string]map[string]any{"StringEquals": s.ours}),
		allow("SwitchOverRenamesBlue", []string{rename}, renamed),
		allowIf("SwitchOverBlueAndGreen", switchover, []string{"*"}, map[string]map[string]any{"StringEquals": s.ours}),
	}
}

func (c cliBuilder) switchover(o contract.Options) string {
	return c.rds("switchover-blue-green-deployment", "--blue-green-deployment-identifier \"$BGD\"",
		fmt.Sprintf("--switchover-timeout %d", int64(o.SwitchoverTimeout.Seconds())))
}

// switchover is step 6.
func (r *run) switchover(ps contract.PlannedStep) stepImpl {
	var sentAt time.Time // when SwitchoverBlueGreenDeployment was sent by this process
	return stepImpl{
		declinePauses: true, // "not now": green stays ready for a later resume
		observe:       r.observeSwitchover,
		apply: func(ctx context.Context) error {
			mctx, cancel := detached(ctx, mutationTimeout)
			defer cancel()
			sentAt = r.e.cfg.Clock.Now()
			return r.sendSwitchover(mctx)
		},
		settle: func(ctx context.Context) error { return r.waitSwitchedOver(ctx, ps.ID, sentAt) },
	}
}

func (r *run) observeSwitchover(ctx context.Context) (stepOutcome, string, error) {
	dep, err := r.findDeployment(ctx)
	if err != nil {
		return 0, "", err
	}
	if (dep == nil || dep.Status == "DELETING") && r.switchoverDone(dep) {
		return stepDone, "the switchover has completed (the deployment object is deleted)", nil
	}
	if dep == nil {
		return 0, "", poll.Fatal("no blue/green deployment exists for %s", r.plan.Source.ID)
	}
	switch dep.Status {
	case "SWITCHOVER_COMPLETED":
		r.noteRenames(*dep)
		return stepDone, "the switchover has completed", nil
	case "SWITCHOVER_IN_PROGRESS":
		return stepApplied, "the switchover is in progress", nil
	case "INVALID_CONFIGURATION":
		return 0, "", r.invalidConfiguration(*dep)
	}
	r.names.seeGreen(*dep)
	return stepTodo, "", nil
}

// sendSwitchover sends SwitchoverBlueGreenDeployment with mctx, detached
// from an interrupt.
func (r *run) sendSwitchover(mctx context.Context) error {
	if _, err := r.api.SwitchoverDeployment(mctx, r.dep.id, r.plan.Options.SwitchoverTimeout); err != nil {
		if awsclient.IsNotFound(err) {
			return poll.Fatal("deployment %s no longer exists: it was switched over and deleted outside this run (another rdsbg run that took it over, or someone by hand), or deleted before its switchover; rdsbg reads where production and the proxy are before it stops", r.dep.id)
		}
		// Green may have turned INVALID_CONFIGURATION since observe:
		// AWS's refusal then only says "must be AVAILABLE"; the
		// operator needs the explanation and the way out.
		if dep, derr := r.api.DescribeDeployment(mctx, r.dep.id); derr == nil && dep.Status == "INVALID_CONFIGURATION" {
			return r.invalidConfiguration(dep)
		}
		return fmt.Errorf("switch over deployment %s: %w", r.dep.id, err)
	}
	return nil
}

// waitSwitchedOver waits for SWITCHOVER_COMPLETED and measures the
// switchover from the request this process sent (sentAt), or from the
// wait's start when another process sent it.
func (r *run) waitSwitchedOver(ctx context.Context, step contract.StepID, sentAt time.Time) error {
	start := r.e.cfg.Clock.Now()
	seenInProgress := false
	err := r.e.wait(ctx, poll.Spec{Step: step, What: "SWITCHOVER_COMPLETED", Speed: poll.Critical, Limit: r.plan.Options.SwitchoverTimeout + r.e.cfg.Poll.SwitchoverMargin,
		AfterMutation: !sentAt.IsZero(), // the request's answer said SWITCHOVER_IN_PROGRESS
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			return r.pollSwitchover(ctx, start, &seenInProgress)
		}})
	from := start
	if !sentAt.IsZero() {
		from = sentAt
	}
	r.switchoverDuration = r.e.cfg.Clock.Now().Sub(from)
	return err
}

// pollSwitchover is one read of the switchover under way.
func (r *run) pollSwitchover(ctx context.Context, start time.Time, seenInProgress *bool) (bool, contract.Progress, error) {
	dep, err := r.api.DescribeDeployment(ctx, r.dep.id)
	if awsclient.IsNotFound(err) {
		// Only a switchover finished and cleaned up by someone
		// else makes a deployment vanish here: no wait brings
		// it back (issue 20, O4).
		return false, contract.Progress{}, poll.Fatal("deployment %s no longer exists: it was switched over and deleted outside this run (another rdsbg run that took it over, or someone by hand); rdsbg reads where production and the proxy are before it stops", r.dep.id)
	}
	if err != nil {
		return false, contract.Progress{}, err
	}
	p := r.depProgress(dep)
	if r.plan.Regime == contract.RegimeNative && len(r.proxies) > 0 {
		// AWS moves the proxy now: read it at each poll, so
		// the traffic line says what it serves, not what it
		// served before the switchover (walkthrough U10; a
		// read that fails leaves it unknown, outage.go).
		if v, err := r.viewProxies(ctx); err == nil {
			p.ProxyTargets = v.targets
		}
	}
	switch dep.Status {
	case "SWITCHOVER_COMPLETED":
		r.noteRenames(dep)
		return true, p, nil
	case "SWITCHOVER_IN_PROGRESS":
		*seenInProgress = true
	case "SWITCHOVER_FAILED":
		return false, p, poll.Fatal("AWS could not complete the switchover and rolled it back (%s). Blue is still production under its own name; nothing was renamed", r.explainFailure(ctx, contract.OrNoDetails(dep.StatusDetails)))
	case "AVAILABLE":
		if *seenInProgress || r.e.cfg.Clock.Now().Sub(start) > r.plan.Options.SwitchoverTimeout {
			return false, p, poll.Fatal("the switchover did not finish within its %s timeout and AWS rolled it back (%s). Blue is still production; check replica lag and long-running transactions, then `rdsbg resume` to try again", r.plan.Options.SwitchoverTimeout, r.explainFailure(ctx, contract.OrNoDetails(dep.StatusDetails)))
		}
	case "INVALID_CONFIGURATION":
		return false, p, r.invalidConfiguration(dep)
	}
	return false, p, nil
}
