package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// upgrade-green (step 4, --upgrade-via modify only): ModifyDBInstance /
// ModifyDBCluster on green with AllowMajorVersionUpgrade and
// ApplyImmediately, then wait for green to run the target version. The
// same in every regime: blue and the proxy are untouched.
// Undone by abort (green is deleted with the deployment).

func planUpgradeGreen(b planBuilder) (contract.PlannedStep, bool) {
	if b.o.TargetEngineVersion == "" || b.o.UpgradeVia != contract.UpgradeViaModify {
		return contract.PlannedStep{}, false
	}
	src := b.d.Source
	major := b.upgrade != nil && b.upgrade.Major
	kind := "minor"
	if major {
		kind = "major"
	}
	return contract.PlannedStep{
		ID: contract.StepUpgradeGreen, Title: fmt.Sprintf("Upgrade green to %s %s", src.Engine, b.o.TargetEngineVersion), Severity: contract.SeverityReversible,
		Why:    "The upgrade could not be requested at creation (--upgrade-via modify), so green is upgraded in place; blue is untouched.",
		Effect: fmt.Sprintf("Green's engine goes from %s to %s (a %s upgrade) with a restart of green only.%s", src.EngineVersion, b.o.TargetEngineVersion, kind, upgradeGroupsEffect(b.o, major)),
		CLI:    append(b.bgdLine(), b.cli.greenVar(), b.cli.modifyGreen(src, b.o, major)),
	}, true
}

// upgradeGreenGrants: the modify call on green, whose resources carry
// the source's tag; a parameter group named in it is authorized too, and
// carries no rdsbg tag, so it is named.
func upgradeGreenGrants(s policyScope) []PolicyStatement {
	o := s.plan.Options
	action := "rds:ModifyDBInstance"
	if s.cluster {
		action = "rds:ModifyDBCluster"
	}
	out := []PolicyStatement{allowIf("UpgradeGreen", []string{action}, []string{"*"}, map[string]map[string]any{"StringEquals": s.ours})}
	// The groups go here only when the create call did not carry them
	// (GroupsAtCreate).
	atCreate := o.GroupsAtCreate(s.plan.MajorUpgrade)
	var groups []string
	if o.TargetDBParameterGroupName != "" && !atCreate {
		groups = append(groups, s.prefix+"pg:"+o.TargetDBParameterGroupName)
	}
	if s.cluster && o.TargetDBClusterParameterGroupName != "" && !atCreate {
		groups = append(groups, s.prefix+"cluster-pg:"+o.TargetDBClusterParameterGroupName)
	}
	if len(groups) > 0 {
		out = append(out, allow("UpgradeGreenWithTheTargetParameterGroups", []string{action}, groups))
	}
	return out
}

// upgradeGroupsEffect names the groups this step gives green, when it is
// the one that carries them.
func upgradeGroupsEffect(o contract.Options, major bool) string {
	if o.GroupsAtCreate(major) {
		return ""
	}
	var groups []string
	if o.TargetDBClusterParameterGroupName != "" {
		groups = append(groups, "DB cluster parameter group "+o.TargetDBClusterParameterGroupName)
	}
	if o.TargetDBParameterGroupName != "" {
		groups = append(groups, "DB parameter group "+o.TargetDBParameterGroupName)
	}
	if len(groups) == 0 {
		return ""
	}
	return " The same call gives green the " + strings.Join(groups, " and ") + " of the new version's family (green was created on blue's version, whose family they do not fit)."
}

func (c cliBuilder) modifyGreen(src contract.Source, o contract.Options, major bool) string {
	var args []string
	if src.Kind == contract.KindCluster {
		args = []string{"--db-cluster-identifier \"${GREEN##*:}\"", "--engine-version", contract.ShellQuote(o.TargetEngineVersion)}
	} else {
		args = []string{"--db-instance-identifier \"${GREEN##*:}\"", "--engine-version", contract.ShellQuote(o.TargetEngineVersion)}
	}
	if major {
		args = append(args, "--allow-major-version-upgrade")
	}
	if o.GroupsAtCreate(major) {
		o = o.WithoutTargetGroups() // the create call carried them (Options.GroupsAtCreate)
	}
	if src.Kind == contract.KindCluster {
		if o.TargetDBClusterParameterGroupName != "" {
			args = append(args, "--db-cluster-parameter-group-name", contract.ShellQuote(o.TargetDBClusterParameterGroupName))
		}
		if o.TargetDBParameterGroupName != "" {
			args = append(args, "--db-instance-parameter-group-name", contract.ShellQuote(o.TargetDBParameterGroupName))
		}
		return c.rds("modify-db-cluster", append(args, "--apply-immediately")...)
	}
	if o.TargetDBParameterGroupName != "" {
		args = append(args, "--db-parameter-group-name", contract.ShellQuote(o.TargetDBParameterGroupName))
	}
	return c.rds("modify-db-instance", append(args, "--apply-immediately")...)
}

// upgradeGreen is step 4 (--upgrade-via modify).
func (r *run) upgradeGreen(ps contract.PlannedStep) stepImpl {
	want := r.targetVersion()
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) { return r.observeUpgrade(ctx, want) },
		apply:   func(ctx context.Context) error { return r.sendUpgrade(ctx, want) },
		settle:  func(ctx context.Context) error { return r.waitUpgraded(ctx, ps.ID, want) },
	}
}

// readGreen reads green's engine version and status (its cluster, or its
// instance).
func (r *run) readGreen(ctx context.Context, id string) (version, status string, err error) {
	if r.plan.Source.Kind == contract.KindCluster {
		c, err := r.api.DescribeCluster(ctx, id)
		return c.EngineVersion, c.Status, err
	}
	i, err := r.api.DescribeInstance(ctx, id)
	return i.EngineVersion, i.Status, err
}

func (r *run) observeUpgrade(ctx context.Context, want string) (stepOutcome, string, error) {
	dep, early := r.beforeSwitchover(ctx, "the switchover has started")
	if early != nil {
		return early.result()
	}
	id := greenID(dep)
	if id == "" {
		return 0, "", poll.Fatal("deployment %s has no green target to upgrade", depStatus(dep))
	}
	if want == "" {
		return stepNotNeeded, "no target engine version requested", nil
	}
	version, status, err := r.readGreen(ctx, id)
	if err != nil {
		return 0, "", err
	}
	if versionMatches(version, want) {
		if status == "available" {
			return stepDone, fmt.Sprintf("green %s already runs %s", id, version), nil
		}
		return stepApplied, fmt.Sprintf("green %s runs %s (%s)", id, version, status), nil
	}
	if status == "upgrading" {
		return stepApplied, "green " + id + " is upgrading", nil
	}
	return stepTodo, "", nil
}

// sendUpgrade modifies green to the target version, with the target
// parameter groups when the create call did not carry them.
func (r *run) sendUpgrade(ctx context.Context, want string) error {
	dep, err := r.findDeployment(ctx)
	if err != nil {
		return err
	}
	id := greenID(dep)
	mctx, cancel := detached(ctx, mutationTimeout)
	defer cancel()
	o := r.plan.Options
	if o.GroupsAtCreate(r.plan.MajorUpgrade) {
		o = o.WithoutTargetGroups() // the create call carried them (Options.GroupsAtCreate)
	}
	if r.plan.Source.Kind == contract.KindCluster {
		_, err = r.api.ModifyCluster(mctx, awsclient.ModifyClusterInput{ID: id, EngineVersion: want, AllowMajorVersionUpgrade: r.plan.MajorUpgrade, ApplyImmediately: true,
			DBClusterParameterGroupName: o.TargetDBClusterParameterGroupName, DBInstanceParameterGroupName: o.TargetDBParameterGroupName})
	} else {
		_, err = r.api.ModifyInstance(mctx, awsclient.ModifyInstanceInput{ID: id, EngineVersion: want, AllowMajorVersionUpgrade: r.plan.MajorUpgrade, ApplyImmediately: true,
			DBParameterGroupName: o.TargetDBParameterGroupName})
	}
	if err != nil {
		return fmt.Errorf("upgrade green %s to %s: %w", id, want, err)
	}
	return nil
}

// waitUpgraded waits for green to run the target version and be available.
func (r *run) waitUpgraded(ctx context.Context, step contract.StepID, want string) error {
	return r.e.wait(ctx, poll.Spec{Step: step, What: "green to run " + want + " and be available", Speed: poll.Slow, Limit: r.e.cfg.Poll.UpgradeLimit, Stable: r.e.cfg.Poll.StableReads,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			dep, err := r.liveDeployment(ctx, "the deployment disappeared while green was upgrading")
			if err != nil {
				return false, contract.Progress{}, err
			}
			id := greenID(dep)
			version, status, err := r.readGreen(ctx, id)
			if err != nil {
				return false, contract.Progress{}, err
			}
			p := r.depProgress(*dep)
			row := status + " " + version
			if !versionMatches(version, want) {
				row += " → " + want // "upgrading 8.0.36 → 8.4.3" names the target
			}
			p.Instances = []contract.InstanceRow{{ID: id, Status: row}}
			return versionMatches(version, want) && status == "available" && dep.Status == "AVAILABLE", p, nil
		}})
}
