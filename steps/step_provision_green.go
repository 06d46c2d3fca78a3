package steps

import (
	"context"
	"fmt"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// provision-green: wait, at the slow cadence, for the deployment and every
// green member to be AVAILABLE (12–35 minutes or more). In the detach
// regime attach-proxy-blue has already put blue back on the proxy, so the
// wait costs production nothing; in the native regime the proxy stays
// registered; none: a plain wait. Nothing to undo: it changes nothing.

func planProvisionGreen(b planBuilder) (contract.PlannedStep, bool) {
	src := b.d.Source
	effect := fmt.Sprintf("Nothing changes; AWS builds green%s. Blue keeps serving production", membersPhrase(src))
	switch b.regime {
	case contract.RegimeDetach:
		effect += ", through the proxy again since attach-proxy-blue."
	case contract.RegimeNative:
		effect += ", through the proxy, which stays registered."
	default:
		effect += "."
	}
	return contract.PlannedStep{
		ID: contract.StepProvisionGreen, Title: "Wait for green to be provisioned", Severity: contract.SeverityReadOnly,
		Why:    "Provisioning takes 12–35 minutes or more on AWS; the deployment and every green member must be AVAILABLE before green can be upgraded or switched over.",
		Effect: effect,
		CLI:    append(b.bgdLine(), b.cli.describeDeployment("[Status,StatusDetails]")+"   # repeat until AVAILABLE"),
	}, true
}

func (r *run) provisionGreen(ps contract.PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, early := r.beforeSwitchover(ctx, "the switchover has happened")
			if early != nil {
				return early.result()
			}
			if dep == nil {
				return 0, "", poll.Fatal("no blue/green deployment exists for %s; `rdsbg abort --source %s` restores the proxy, then `rdsbg run` starts over", r.plan.Source.ID, r.plan.Source.ID)
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
			return r.e.wait(ctx, poll.Spec{Step: ps.ID, What: "the deployment and every green member to be AVAILABLE", Speed: poll.Slow, Limit: r.e.cfg.Poll.ProvisionLimit, Stable: r.e.cfg.Poll.StableReads,
				Poll: func(ctx context.Context) (bool, contract.Progress, error) {
					// A read error (even not-found, right after the creation
					// AWS is eventually consistent) is retried by the wait.
					dep, err := r.api.DescribeDeployment(ctx, r.dep.id)
					if err != nil {
						return false, contract.Progress{}, err
					}
					r.readEvents(ctx, dep.Status == "INVALID_CONFIGURATION")      // rdsevents.go
					if err := r.watchSchema(ctx, ps.ID, dep.Status); err != nil { // dbchecks.go
						return false, contract.Progress{}, err
					}
					switch dep.Status {
					case "INVALID_CONFIGURATION":
						return false, contract.Progress{}, r.invalidConfiguration(dep)
					case "DELETING":
						return false, contract.Progress{}, poll.Fatal("deployment %s is being deleted by someone else", dep.ID)
					}
					return dep.Status == "AVAILABLE" && membersAvailable(dep), r.depProgress(dep), nil
				}})
		},
	}
}

// upgradeOldPlan brings a plan journalled by an rdsbg whose
// create-deployment included the wait for AVAILABLE up to the current
// order: provision-green is inserted after attach-proxy-blue (or after
// create-deployment), and detach-proxy is severe. Resume re-observes
// every step from live AWS, so the old step states need no translation: a
// deployment that exists satisfies create-deployment, blue is registered
// again if it is not, and provision-green waits if green is not ready. It
// reports whether the plan changed.
func upgradeOldPlan(p *contract.Plan) bool {
	if _, ok := p.Step(contract.StepProvisionGreen); ok {
		return false
	}
	if _, ok := p.Step(contract.StepCreateDeployment); !ok {
		return false
	}
	after := contract.StepCreateDeployment
	if _, ok := p.Step(contract.StepAttachProxyBlue); ok {
		after = contract.StepAttachProxyBlue
	}
	pg, _ := planProvisionGreen(planBuilder{d: preflight.Discovery{Source: p.Source}, regime: p.Regime, adopted: p.Deployment, cli: cliBuilder{region: p.Source.Region}})
	var steps []contract.PlannedStep
	for _, s := range p.Steps {
		if s.ID == contract.StepDetachProxy && !s.CheckOnly {
			s.Severity = contract.SeveritySevere
		}
		steps = append(steps, s)
		if s.ID == after {
			steps = append(steps, pg)
		}
	}
	p.Steps = steps
	if p.Regime == contract.RegimeDetach {
		p.ProxylessNote = proxylessNote(p.Options.SwitchoverTimeout, p.Options.ProxyOutageLimit())
	}
	return true
}
