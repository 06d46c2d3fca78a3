package steps

import (
	"context"
	"fmt"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// detach-proxy-blue (step 5).
//   detach regime: deregister every proxy from blue just before the
//     switchover. The critical section (steps 5–7, one approval) and the
//     measured proxy-less window start here.
//   native regime: a check that the proxy is healthy, since AWS refuses a
//     switchover whose proxy cannot reach both environments.
//   none: not in the plan.
// Undone by attach-proxy-primary, or by compensation (compensate.go) if
// anything fails before it: blue is registered again.

func planDetachProxyBlue(b planBuilder) (contract.PlannedStep, bool) {
	if !b.hasProxy() {
		return contract.PlannedStep{}, false
	}
	src := b.d.Source
	if b.native() {
		return b.proxyCheck(contract.StepDetachProxyBlue, "Check the proxy before switchover",
			"AWS checks at switchover that the proxy can reach both environments; a target that is not AVAILABLE now would make it refuse.",
			"Nothing changes; the proxy stays registered and AWS moves it at switchover."), true
	}
	return contract.PlannedStep{
		ID: contract.StepDetachProxyBlue, Title: "Deregister the proxies from blue", Severity: contract.SeveritySevere,
		Why:    "Blue loses its name at switchover; the proxy must be moved to the new primary by hand, so it is taken off blue first.",
		Effect: fmt.Sprintf("Start of the proxy-less window: the %s %s no target until attach-proxy-primary.", b.proxies(), b.verb("has", "have")),
		CLI:    b.each(func(p string) string { return b.cli.deregister(p, src) }),
	}, true
}

func (r *run) detachProxyBlueStep(ps contract.PlannedStep) stepImpl {
	if ps.CheckOnly {
		return r.checkProxyHealthy(ps, "the proxy to be healthy before the switchover", r.pastSwitchover)
	}
	return r.detachProxyBlue(ps)
}

// detachProxyBlue is step 5: the critical section starts here.
func (r *run) detachProxyBlue(ps contract.PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			_, early := r.beforeSwitchover(ctx, "the switchover has started")
			if early != nil {
				return early.result()
			}
			v, err := r.viewProxies(ctx)
			if err != nil {
				return 0, "", err
			}
			if v.none() {
				// Resumed after the deregistration: the window goes on from
				// the journal's record of it (outage.go).
				return stepApplied, "the proxy has no target already", nil
			}
			return stepTodo, "", nil
		},
		apply:  func(ctx context.Context) error { return r.deregisterAll(ctx) },
		settle: func(ctx context.Context) error { return r.waitDeregistered(ctx, ps.ID) },
	}
}
