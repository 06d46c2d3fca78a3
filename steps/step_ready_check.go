package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// ready-check: the gate before the critical section. The deployment and
// every member AVAILABLE for several reads, green's instances available,
// the proxy healthy on blue (detach and native regimes), and, with metrics
// on, replication lag that fits the switchover timeout (the operator may go
// on past a lag that holds too long). With --until ready the run pauses
// here (runner.go). Nothing to undo: it changes nothing.

func planReadyCheck(b planBuilder) (contract.PlannedStep, bool) {
	return contract.PlannedStep{
		ID: contract.StepReadyCheck, Title: "Check green is ready for switchover", Severity: contract.SeverityReadOnly,
		Why:    "The last gate before production is touched: the deployment must be AVAILABLE with every task COMPLETED, and the proxy healthy.",
		Effect: "Nothing changes.",
		CLI:    b.withTargets(append(b.bgdLine(), b.cli.describeDeployment("[Status,Tasks]"))),
	}, true
}

// readyCheck is the gate before the critical section: the deployment and
// every member AVAILABLE for several reads, green instances available, the
// proxy healthy where it should be.
func (r *run) readyCheck(ps contract.PlannedStep) stepImpl {
	return stepImpl{
		pausesReady: true, // --until ready stops here
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, early := r.beforeSwitchover(ctx, "the switchover has started")
			if early != nil {
				return early.result()
			}
			if dep == nil {
				return 0, "", poll.Fatal("no blue/green deployment exists for %s", r.plan.Source.ID)
			}
			return stepTodo, "", nil
		},
		settle: func(ctx context.Context) error {
			gate := lagGate{}
			return r.e.wait(ctx, poll.Spec{Step: ps.ID, What: "deployment, green and proxy to be ready", Speed: poll.Slow, Limit: r.e.cfg.Poll.UpgradeLimit, Stable: r.e.cfg.Poll.StableReads,
				Poll: func(ctx context.Context) (bool, contract.Progress, error) {
					dep, err := r.liveDeployment(ctx, "the deployment disappeared")
					if err != nil {
						return false, contract.Progress{}, err
					}
					p := r.depProgress(*dep)
					ready := dep.Status == "AVAILABLE" && membersAvailable(*dep)
					for _, m := range dep.Members {
						if !strings.Contains(m.Target, ":db:") {
							continue // clusters and custom endpoints
						}
						inst, err := r.api.DescribeInstance(ctx, contract.ARNName(m.Target))
						if err != nil {
							return false, contract.Progress{}, err
						}
						p.Instances = append(p.Instances, contract.InstanceRow{ID: inst.ID, Status: inst.Status})
						if inst.Status != "available" {
							ready = false
						}
					}
					// The proxy must be healthy on blue, unless the operator
					// chose to go on without it or a resumed critical
					// section has already detached it.
					if r.plan.Regime != contract.RegimeNone && !r.continueWithoutProxy && r.prior.Steps[contract.StepDetachProxyBlue] == "" {
						v, err := r.viewProxies(ctx)
						if err != nil {
							return false, contract.Progress{}, err
						}
						p.ProxyTargets = v.targets
						if !v.healthyAll(len(r.proxies)) {
							ready = false
						}
					}
					// Replication lag (CloudWatch, when metrics are on) must
					// fit the switchover timeout, unless the operator chose
					// to go on after the gate held too long.
					if ok, why := r.e.metrics.Watcher().LagGate(ctx, &p, r.plan.Options.SwitchoverTimeout); !ok && !gate.overridden {
						if err := r.holdOnLag(ctx, ps, &gate, why); err != nil {
							return false, contract.Progress{}, err
						}
						if !gate.overridden {
							ready = false
							p.Waiting = "replication to catch up: " + why
						}
					} else if ok {
						gate.since = time.Time{}
					}
					// The database: DDL still watched, and nothing on blue
					// that the switchover's guardrails refuse (dbchecks.go).
					if err := r.watchSchema(ctx, ps.ID, dep.Status); err != nil {
						return false, contract.Progress{}, err
					}
					if ok, err := r.dbGate(ctx, ps, &p); err != nil {
						return false, contract.Progress{}, err
					} else if !ok {
						ready = false
					}
					return ready, p, nil
				}})
		},
	}
}

// lagGate is the readiness gate's memory of a lag hold within one wait.
type lagGate struct {
	since      time.Time // when the lag first held the gate (zero: not holding)
	overridden bool      // the operator chose to go on with the lag as it is
}

// holdOnLag asks the operator, once the lag has held the gate for
// Poll.ReadyGateAsk, to keep waiting or to go on (severe: a switchover with
// too much lag may run past its timeout and be rolled back by AWS).
func (r *run) holdOnLag(ctx context.Context, ps contract.PlannedStep, gate *lagGate, why string) error {
	now := r.e.cfg.Clock.Now()
	if gate.since.IsZero() {
		gate.since = now
		return nil
	}
	held := now.Sub(gate.since)
	if held < r.e.cfg.Poll.ReadyGateAsk {
		return nil
	}
	text := fmt.Sprintf("Green's replication has not caught up for %s: %s. A switchover that cannot catch up within its %s timeout is rolled back by AWS (blue stays primary), after the proxy-less part of the critical section has started. wait: keep checking (asked again after %s). approve: go on to the switchover with the lag as it is (type %s). decline: stop here; nothing more changes and `rdsbg resume` continues later.",
		held.Round(time.Minute), why, r.plan.Options.SwitchoverTimeout, r.e.cfg.Poll.ReadyGateAsk, r.plan.Source.ID)
	d, err := r.decide(ctx, contract.Approval{Kind: "ready-gate", Step: ps.ID, Title: "The readiness gate is holding on replication lag: wait, or go on?",
		Text: text, Severity: contract.SeveritySevere, Confirm: r.plan.Source.ID, Choices: []contract.Decision{contract.DecisionWait, contract.DecisionApprove, contract.DecisionDecline}})
	if err != nil {
		return err
	}
	switch d {
	case contract.DecisionApprove:
		gate.overridden = true
		r.e.emit(contract.Event{Type: contract.EventNotice, Step: ps.ID, Message: "going on past the readiness gate with the replication lag as it is, at the operator's severe confirmation: " + why})
		return nil
	case contract.DecisionWait:
		gate.since = now
		return nil
	}
	return fmt.Errorf("%w: %s (%s)", contract.ErrDeclined, "the readiness gate", d)
}
