package steps

import (
	"context"
	"fmt"
)

// attach-proxy-blue (step 3).
//   detach regime: register blue with every proxy again at once, while
//     green is still provisioning, and wait for AVAILABLE. A refusal is
//     retried, bounded by --max-proxy-outage, then rolled back
//     (reattach.go). Never asked: it restores production's own
//     registration, a decline would be compensated by the same call, and a
//     prompt would only keep the proxy empty while the operator reads it.
//   native regime: a check that the proxy still serves blue.
//   none: not in the plan.
// Nothing to undo: it is itself the undoing of detach-proxy.

func planAttachProxyBlue(b planBuilder) (PlannedStep, bool) {
	if !b.hasProxy() {
		return PlannedStep{}, false
	}
	src := b.d.Source
	proxies := b.proxies()
	if b.native() {
		return b.proxyCheck(StepAttachProxyBlue, "Check the proxy still serves blue",
			"The proxy must keep its healthy target on blue while green is built.",
			fmt.Sprintf("Nothing changes; the %s must show %s AVAILABLE.", proxies, src.ID)), true
	}
	return PlannedStep{
		ID: StepAttachProxyBlue, Title: "Register the proxies with blue again", Severity: SeverityReversible,
		Why:    "Production traffic through the proxy resumes on blue at once, while green is still provisioning: the proxy is empty only for the create call plus this registration.",
		Effect: fmt.Sprintf("The %s %s to %s again once the target is AVAILABLE. If AWS refuses the registration, rdsbg retries every %s; after --max-proxy-outage %s it deletes the deployment with its green and restores the original targets.", proxies, b.verb("routes", "route"), src.ID, DefaultPollPolicy().Slow, b.o.maxProxyOutage()),
		CLI: append(b.each(func(p string) string { return b.cli.register(p, src) }),
			b.each(func(p string) string { return b.cli.describeTargets(p) + "   # repeat until AVAILABLE" })...),
	}, true
}

func (r *run) attachProxyBlueStep(ps PlannedStep) stepImpl {
	if ps.CheckOnly {
		return r.checkProxyHealthy(ps, "the proxy to keep blue AVAILABLE", r.pastSwitchover)
	}
	impl := r.attachProxyBlue(ps)
	impl.unasked = true
	return impl
}

// attachProxyBlue is step 3 (detach regime): register blue again as soon
// as AWS accepted the creation, so the proxy is not empty while green is
// provisioning (reattach.go retries a refusal, bounded by
// --max-proxy-outage).
func (r *run) attachProxyBlue(ps PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			_, early := r.beforeSwitchover(ctx, "the switchover has started")
			if early != nil {
				return early.result()
			}
			if r.continueWithoutProxy {
				return stepDone, "blue stays without the proxy until the switchover", nil
			}
			if r.prior.Steps[StepDetachProxyBlue] != "" {
				// A crash inside the critical section: the proxy is empty
				// on purpose and the section goes on (no re-registration,
				// no prompt); if compensation put blue back, the check
				// below sees it registered.
				v, err := r.viewProxies(ctx)
				if err != nil {
					return 0, "", err
				}
				if v.none() {
					return stepDone, "the critical section is under way: the proxy stays detached", nil
				}
			}
			v, err := r.viewProxies(ctx)
			if err != nil {
				return 0, "", err
			}
			if v.all(len(r.proxies)) {
				return stepApplied, "blue is registered again", nil
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error { return r.reattachBlue(ctx, ps) },
		settle: func(ctx context.Context) error {
			return r.waitHealthy(ctx, ps.ID, "blue's proxy targets to be AVAILABLE")
		},
	}
}
