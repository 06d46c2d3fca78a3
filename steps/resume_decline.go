package steps

import (
	"context"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// A resume whose changed plan the operator declines is a stop like any
// other failure after a deregistration: the proxy gets back what rdsbg
// took from it (blue before the switchover, the new primary after it)
// before the run ends, and compensation never gives up on its own. Only
// the operator's explicit word leaves it empty: headless a second
// SIGINT/SIGTERM, in the wizard the severe "stop restoring" confirmation
// (Config.GiveUp in both), which ends the run with ProxyEmptyError, exit 5.

// changedPlanTitle is the changed plan's question; it says what declining
// does when a proxy is involved.
func (r *run) changedPlanTitle() string {
	title := "The plan changed since the interrupted run: run the new plan?"
	if len(r.proxies) > 0 && r.plan.Regime != contract.RegimeNone {
		title += " (no: restore " + proxyNames(r.proxies) + ", then stop)"
	}
	return title
}

// declinedResume ends a resume whose changed plan was declined (or whose
// approval was interrupted): compensate, then finish cancelled with the
// proxy state compensation reached.
func (r *run) declinedResume(ctx context.Context, err error) (contract.Finished, error) {
	return r.fail(ctx, err)
}
