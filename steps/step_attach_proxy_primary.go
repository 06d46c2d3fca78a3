package steps

import (
	"context"
	"fmt"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// attach-proxy-primary (step 7).
//   detach regime: register the new primary (it carries the original name)
//     with every proxy and wait for AVAILABLE: the end of the critical
//     section and of the proxy-less window. Where AWS refuses while the
//     deployment object exists, that object (never a database) is deleted
//     first.
//   native regime: wait until the proxy AWS moved shows the new primary
//     AVAILABLE.
//   none: not in the plan.
// Nothing to undo: it restores the proxy; compensation after the
// switchover repeats it (compensate.go).

func planAttachProxyPrimary(b planBuilder) (contract.PlannedStep, bool) {
	if !b.hasProxy() {
		return contract.PlannedStep{}, false
	}
	src := b.d.Source
	if b.native() {
		return b.proxyCheck(contract.StepAttachProxyPrimary, "Wait for the proxy on the new primary",
			"AWS moves the proxy itself; the run is not done until the proxy shows the new primary AVAILABLE.",
			"Nothing changes."), true
	}
	return contract.PlannedStep{
		ID: contract.StepAttachProxyPrimary, Title: "Register the proxies with the new primary", Severity: contract.SeveritySevere,
		Why:    fmt.Sprintf("After switchover %s is the upgraded green; the proxy must point at it again.", src.ID),
		Effect: fmt.Sprintf("End of the proxy-less window once the %s %s %s AVAILABLE.", b.proxies(), b.verb("shows", "show"), src.ID),
		CLI: append(b.each(func(p string) string { return b.cli.register(p, src) }),
			b.each(b.cli.describeTargets)...),
	}, true
}

func (r *run) attachProxyPrimaryStep(ps contract.PlannedStep) stepImpl {
	if ps.CheckOnly {
		return r.checkProxyHealthy(ps, "the proxy to show the new primary AVAILABLE", nil)
	}
	return r.attachProxyPrimary(ps)
}

// attachProxyPrimary is step 7: register the new primary (it carries the
// original name) and wait until the proxy reports it healthy.
func (r *run) attachProxyPrimary(ps contract.PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if !r.switchoverDone(dep) {
				return 0, "", poll.Fatal("the switchover has not completed (deployment %s), so there is no new primary to register", depStatus(dep))
			}
			v, err := r.viewProxies(ctx)
			if err != nil {
				return 0, "", err
			}
			if v.all(len(r.proxies)) {
				return stepApplied, "the new primary is registered", nil
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error {
			err := r.registerNewPrimary(ctx, ps.ID)
			r.pace.registered = err == nil // the health wait starts at the registration (proxy_targets.go)
			return err
		},
		settle: func(ctx context.Context) error {
			return r.waitHealthy(ctx, ps.ID, "the new primary's proxy targets to be AVAILABLE")
		},
	}
}
