package steps

// The native regime turns the four proxy steps into checks: the proxy
// keeps its target and must be healthy (design.md §2).

import (
	"context"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// checkProxyHealthy is a native-regime check step: the proxy keeps its
// target and must be healthy.
func (r *run) checkProxyHealthy(ps contract.PlannedStep, what string, after func(dep *awsclient.Deployment) bool) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			if after != nil {
				dep, err := r.findDeployment(ctx)
				if err != nil {
					return 0, "", err
				}
				if after(dep) {
					return stepDone, "the procedure is past this check", nil
				}
			}
			return stepTodo, "", nil
		},
		settle: func(ctx context.Context) error { return r.waitHealthy(ctx, ps.ID, what) },
	}
}
