package steps

import (
	"context"
	"fmt"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/world"
)

// create-deployment (step 2): CreateBlueGreenDeployment, tagged for rdsbg
// (proxy_tags.go), with the target engine version when --upgrade-via
// create. Done as soon as AWS has accepted the creation: attach-proxy-blue
// follows at once, provision-green waits for green. An existing deployment
// of this run is adopted, never created twice. The same in every regime;
// under auto mode's native plan a refusal while the proxy is registered
// falls back to the detach regime (compensate.go).
// Undone by abort or the --max-proxy-outage rollback: the deployment is
// deleted with its green.

func planCreateDeployment(b planBuilder) (PlannedStep, bool) {
	src := b.d.Source
	createCLI := b.bgdLine()
	if b.adopted == "" {
		createCLI = append(createCLI, b.cli.createDeployment(src, b.o, b.upgradeAtCreate()))
	}
	if b.adopted != "" {
		createCLI = append(createCLI, b.cli.describeDeployment("[Status,StatusDetails]"))
	}
	createEffect := fmt.Sprintf("AWS starts building a green copy of %s%s, named %s-green-xxxxxx and kept in sync with blue; production is untouched. The step is done as soon as AWS has accepted the creation; provision-green waits for green.", src.ID, membersPhrase(src), src.ID)
	if b.upgradeAtCreate() {
		createEffect += fmt.Sprintf(" Green is created on %s %s.", src.Engine, b.o.TargetEngineVersion)
	}
	if b.adopted != "" {
		createEffect = fmt.Sprintf("Deployment %s (%s) already exists: rdsbg carries on with it.", b.adopted, b.o.DeploymentName)
	}
	return PlannedStep{
		ID: StepCreateDeployment, Title: fmt.Sprintf("Create blue/green deployment %s", b.o.DeploymentName), Severity: SeverityReversible,
		Why:    "The green environment is where the change happens while blue keeps serving production.",
		Effect: createEffect,
		CLI:    createCLI,
	}, true
}

func (c cliBuilder) createDeployment(src Source, o Options, upgradeAtCreate bool) string {
	args := []string{"--blue-green-deployment-name", shellQuote(o.DeploymentName), "--source", shellQuote(src.ARN)}
	if upgradeAtCreate && o.TargetEngineVersion != "" {
		args = append(args, "--target-engine-version", shellQuote(o.TargetEngineVersion))
	}
	if o.TargetDBParameterGroupName != "" {
		args = append(args, "--target-db-parameter-group-name", shellQuote(o.TargetDBParameterGroupName))
	}
	if o.TargetDBClusterParameterGroupName != "" {
		args = append(args, "--target-db-cluster-parameter-group-name", shellQuote(o.TargetDBClusterParameterGroupName))
	}
	if o.TargetDBInstanceClass != "" {
		args = append(args, "--target-db-instance-class", shellQuote(o.TargetDBInstanceClass))
	}
	if o.UpgradeTargetStorageConfig {
		args = append(args, "--upgrade-target-storage-config")
	}
	args = append(args, storageCLIArgs(o)...) // storage_options.go
	args = append(args, "--query BlueGreenDeployment.BlueGreenDeploymentIdentifier --output text")
	return "BGD=$(" + c.rds("create-blue-green-deployment", args...) + ")"
}

// createDeployment is step 2.
func (r *run) createDeployment(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, early := r.beforeSwitchover(ctx, "the switchover has happened")
			if early != nil {
				return early.result()
			}
			if dep == nil && r.dep.id != "" {
				// The journal's deployment vanished before its switchover:
				// someone deleted it. Recreating it silently could hide
				// that; the operator decides.
				return 0, "", fatal("deployment %s, created by this run, no longer exists (deleted outside rdsbg?). Run `rdsbg abort --source %s` to restore the proxy, then `rdsbg run` to start over", r.dep.id, r.plan.Source.ID)
			}
			if dep == nil {
				return stepTodo, "", nil
			}
			if dep.Status == "INVALID_CONFIGURATION" {
				return 0, "", r.invalidConfiguration(*dep)
			}
			// AWS accepted the creation: provision-green waits for green
			// (an old journal's create-deployment included that wait).
			return stepDone, fmt.Sprintf("deployment %s exists (%s)", dep.ID, dep.Status), nil
		},
		apply: func(ctx context.Context) error {
			o := r.plan.Options
			in := awsclient.CreateDeploymentInput{
				Name:                              o.DeploymentName,
				SourceARN:                         r.plan.Source.ARN,
				TargetDBParameterGroupName:        o.TargetDBParameterGroupName,
				TargetDBClusterParameterGroupName: o.TargetDBClusterParameterGroupName,
				TargetDBInstanceClass:             o.TargetDBInstanceClass,
				UpgradeTargetStorageConfig:        o.UpgradeTargetStorageConfig,
				Tags:                              r.deploymentTags(), // proxy_tags.go
			}
			in = withStorageOptions(in, o) // storage_options.go
			if o.UpgradeVia != UpgradeViaModify {
				in.TargetEngineVersion = r.targetVersion()
			}
			mctx, cancel := detached(ctx, mutationTimeout)
			dep, err := r.api.CreateDeployment(mctx, in)
			cancel()
			if err != nil {
				// This run's own creation whose answer was lost carries its
				// run tag: carry on with it, never a second. One that is not
				// this run's is another run's (or someone's by hand).
				if existing, ferr := r.findDeployment(ctx); ferr == nil && existing != nil {
					r.e.notice(ps.ID, "deployment %s, tagged with this run, appeared while creating it; carrying on with it", existing.ID)
					r.holdDeployment(existing.ID, false)
					return r.ensureLease(ctx, nil)
				}
				if w := r.readWorld(ctx, false); w.Deployment != nil && w.Deployment.Phase != world.PhaseDeleting {
					return &ForeignError{Message: fmt.Sprintf("AWS refused the creation (%s): deployment %s (%s, %s) now exists for %s and is not this run's (%s); rdsbg will not act on it. `rdsbg status --source %s` shows it",
						awsWords(err), w.Deployment.ID, w.Deployment.Name, w.Deployment.Status, r.plan.Source.ID, w.Deployment.Owner.Words(r.e.cfg.Clock.Now()), r.plan.Source.ID)}
				}
			}
			if err != nil {
				// Auto mode chose native; AWS says otherwise while proxies
				// are registered. Any refusal counts (design.md §2).
				if r.plan.Options.ProxyMode == ProxyModeAuto && r.plan.Regime == RegimeNative && len(r.proxies) > 0 && refusal(err) {
					return &errFallbackDetach{err: err}
				}
				return fmt.Errorf("create blue/green deployment %s: %w", o.DeploymentName, err)
			}
			r.adopt(dep.ID)
			// The creation carried the run's lease (deploymentTags): renew it
			// from here (lease.go).
			r.leases.arn, r.leases.next = awsclient.DeploymentARN(r.plan.Source.ARN, dep.ID), r.e.cfg.Clock.Now().Add(leaseRenew)
			return nil
		},
		// Done once AWS has accepted the creation: attach-proxy-blue
		// follows at once, provision-green waits for green.
	}
}

// errFallbackDetach: CreateBlueGreenDeployment was refused while proxies
// are registered, under a native plan chosen by auto mode. It is no
// failure of the step: the run falls back to the detach regime
// (fallbackToDetach) and runs the step again.
type errFallbackDetach struct{ err error }

func (e *errFallbackDetach) Error() string    { return e.err.Error() }
func (e *errFallbackDetach) Unwrap() error    { return e.err }
func (e *errFallbackDetach) notAStepFailure() {}
