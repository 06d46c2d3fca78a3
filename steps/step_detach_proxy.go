package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// detach-proxy (step 1).
//   detach regime: deregister the source from every proxy before the
//     deployment is created (severe: the proxy is EMPTY until
//     attach-proxy-blue's target is AVAILABLE). The proxy is tagged
//     rdsbg:detached first (proxy_tags.go), so AWS itself records what to
//     restore.
//   native regime: a check; the proxy must show the source AVAILABLE
//     before the creation, since it cannot be registered afterwards.
//   none: not in the plan.
// Undone by attach-proxy-blue, by compensation on any failure
// (compensate.go) and by abort.

func planDetachProxy(b planBuilder) (contract.PlannedStep, bool) {
	if !b.hasProxy() {
		return contract.PlannedStep{}, false
	}
	src := b.d.Source
	proxies := b.proxies()
	if b.native() {
		return b.proxyCheck(contract.StepDetachProxy, "Check the proxy targets before creation",
			"Native proxy support needs the database registered with the proxy before the deployment is created; it cannot be registered afterwards.",
			fmt.Sprintf("Nothing changes; the %s must show %s AVAILABLE.", proxies, src.ID)), true
	}
	effect := fmt.Sprintf("The %s no longer %s to %s until attach-proxy-blue, which registers it again as soon as AWS has accepted the creation, without another prompt; the original registrations are journaled so they can be restored. %s", proxies, b.verb("routes", "route"), src.ID, detachOutageNote(proxies, b.o.ProxyOutageLimit()))
	var cli []string
	if b.adopted == "" {
		// Blue's tag for the IAM policy goes on before the proxy is
		// emptied, not inside the empty time (tagBlueBeforeCreate);
		// create-deployment's effect says what it is for.
		cli = b.cli.tagBlue(src)
	}
	return contract.PlannedStep{
		ID: contract.StepDetachProxy, Title: "Deregister the database from its proxies", Severity: contract.SeveritySevere,
		Why:    "Without native proxy support AWS refuses to create a blue/green deployment for a database that is a proxy target.",
		Effect: effect,
		CLI:    append(cli, b.each(func(p string) string { return b.cli.deregister(p, src) })...),
	}, true
}

func (r *run) detachProxyStep(ps contract.PlannedStep) stepImpl {
	if ps.CheckOnly {
		return r.checkProxyHealthy(ps, "the proxy target to be AVAILABLE before the deployment is created", func(dep *awsclient.Deployment) bool { return dep != nil || r.pastSwitchover(dep) })
	}
	return r.detachProxy(ps)
}

// detachProxy is step 1 (detach regime): deregister the source from every
// proxy before the deployment is created.
func (r *run) detachProxy(ps contract.PlannedStep) stepImpl {
	return stepImpl{
		observe: func(ctx context.Context) (stepOutcome, string, error) {
			dep, err := r.findDeployment(ctx)
			if err != nil {
				return 0, "", err
			}
			if dep != nil || r.pastSwitchover(dep) {
				return stepDone, "the deployment exists already, so the proxy was detached before it was created", nil
			}
			v, err := r.viewProxies(ctx)
			if err != nil {
				return 0, "", err
			}
			if v.none() {
				return stepApplied, "no proxy lists the source any more", nil
			}
			return stepTodo, "", nil
		},
		apply: func(ctx context.Context) error {
			// Blue's rdsbg:source tag (create-deployment's, for the IAM
			// policy) is written now, while the proxy still serves: the
			// proxy is empty only where AWS forces it, and AWS forces
			// only the create call (step_create_deployment.go). It goes on
			// while the claim settles, which keeps its calls away from the
			// deregistration in the pacer's window too.
			if r.dep.id == "" {
				// The run's first change: claim the proxies first, so that of
				// two runs only one empties them (proxy_tags.go).
				if err := r.claimProxies(ctx, r.tagBlueBeforeCreate); err != nil {
					// A claim lost to another run of this source leaves the
					// tag: that run's creation needs the same tag on blue.
					var lost *errForeign
					if !errors.As(err, &lost) {
						r.untagBlueWithoutCreation(ctx)
					}
					return err
				}
			}
			if err := r.tagBlueBeforeCreate(ctx); err != nil { // without a claim: now
				return err
			}
			if err := r.deregisterAll(ctx); err != nil { // the outage before creation starts here (step_attach_proxy_blue.go bounds it)
				r.untagBlueWithoutCreation(ctx) // no creation follows in this process
				return err
			}
			return nil
		},
		settle: func(ctx context.Context) error { return r.waitDeregistered(ctx, ps.ID) },
	}
}
