package steps

import (
	"context"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// verify: the end state. The deployment completed, the production name is
// the new primary on the requested version, every member and its old twin
// under the right names (verify_renames.go), and the proxy healthy on it
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
			defer func() { r.clientsBack(ctx, err) }() // verify_clients.go: warns, never fails
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
