package steps

import (
	"context"
	"fmt"
)

// provisionGreen waits, at the slow cadence, for the deployment and every
// green member to be AVAILABLE. In the detach regime attach-proxy-blue has
// already put blue back on the proxy, so this long wait costs production
// nothing.
func (r *run) provisionGreen(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if r.pastSwitchover(dep) {
				return stepDone, "the switchover has happened", nil
			}
			if dep == nil {
				return 0, "", fatal("no blue/green deployment exists for %s; `rdsbg abort --source %s` restores the proxy, then `rdsbg run` starts over", r.plan.Source.ID, r.plan.Source.ID)
			}
			switch {
			case dep.Status == "INVALID_CONFIGURATION":
				return 0, "", r.invalidConfiguration(*dep)
			case dep.Status == "AVAILABLE" && membersAvailable(*dep):
				return stepDone, fmt.Sprintf("deployment %s is AVAILABLE", dep.ID), nil
			case dep.Status != "PROVISIONING" && dep.Status != "AVAILABLE":
				// Past provisioning (an upgrade under way, a switchover
				// rolled back): later steps look after it.
				return stepDone, fmt.Sprintf("deployment %s is %s", dep.ID, dep.Status), nil
			}
			return stepTodo, "", nil
		},
		settle: func(ctx context.Context) error {
			return r.e.wait(ctx, waitSpec{step: ps.ID, what: "the deployment and every green member to be AVAILABLE", speed: pollSlow, limit: r.e.cfg.Poll.ProvisionLimit, stable: r.e.cfg.Poll.StableReads,
				poll: func(ctx context.Context) (bool, Progress, error) {
					// A read error (even not-found, right after the creation
					// AWS is eventually consistent) is retried by the wait.
					dep, err := r.api.DescribeDeployment(ctx, r.depID)
					if err != nil {
						return false, Progress{}, err
					}
					r.readEvents(ctx, dep.Status == "INVALID_CONFIGURATION") // rdsevents.go
					switch dep.Status {
					case "INVALID_CONFIGURATION":
						return false, Progress{}, r.invalidConfiguration(dep)
					case "DELETING":
						return false, Progress{}, fatal("deployment %s is being deleted by someone else", dep.ID)
					}
					return dep.Status == "AVAILABLE" && membersAvailable(dep), r.depProgress(dep), nil
				}})
		},
	}
}
