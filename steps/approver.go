package steps

import (
	"context"
	"fmt"
	"time"
)

// HeadlessApprover answers approvals for `rdsbg run` without a terminal:
// --yes approves reversible steps; severe ones (the critical section, the
// switchover, deleting anything) also need --confirm equal to the source
// identifier. Anything it cannot approve is declined with a message event
// that names the missing flag, so automation never hangs on a prompt.
type HeadlessApprover struct {
	Yes     bool
	Confirm string
	Sink    Sink
}

// Approve implements Approver.
func (h HeadlessApprover) Approve(ctx context.Context, a Approval) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	switch a.Kind {
	case "fallback-detach":
		// Nothing has changed yet and detach is the documented procedure:
		// --yes takes it, and says so.
		if h.Yes {
			h.say(a, "--yes: switching to the detach procedure (deregister the proxy around the deployment): "+a.Title)
			return DecisionApprove, nil
		}
		h.say(a, "declined: "+a.Title+"; rerun with --yes to take the detach fallback, or with --proxy-mode detach")
		return DecisionDecline, nil
	case "ready-gate":
		// Automation never overrides a failing readiness gate: it keeps
		// waiting, and the wait's own limit ends the run if lag never falls.
		h.say(a, "--yes never goes on past a failing readiness gate: waiting for the lag to fall")
		return DecisionWait, nil
	case "db-gate":
		// The database held the switchover past the bound: automation
		// stops with green ready rather than switch over into a refusal.
		h.say(a, "the database still holds the switchover: stopping in ready; `rdsbg resume` re-checks and switches over")
		return DecisionDecline, nil
	case "proxy-outage":
		// Blue could not be put back on the proxy within
		// --max-proxy-outage: automation never leaves production without
		// its proxy for the whole provisioning.
		h.say(a, "the proxy is still empty at --max-proxy-outage: rolling back (delete the deployment with its green, restore the proxy on blue)")
		return DecisionRollback, nil
	case "continue-without-proxy":
		// Leaving production without its proxy for hours needs the typed
		// identifier; --yes alone restores the proxy instead.
		if h.Yes && h.confirmed(a) {
			h.say(a, "--yes --confirm: continuing with the proxy empty until the switchover")
			return DecisionApprove, nil
		}
		h.say(a, "rolling back: continuing without the proxy needs --yes --confirm "+a.Confirm)
		return DecisionRollback, nil
	}
	switch a.Severity {
	case SeverityReadOnly:
		return DecisionApprove, nil
	case SeverityReversible, "":
		if h.Yes {
			return DecisionApprove, nil
		}
		h.say(a, fmt.Sprintf("declined %q: pass --yes to approve reversible steps without a terminal", a.Title))
		return DecisionDecline, nil
	}
	switch {
	case !h.Yes && !h.confirmed(a):
		h.say(a, fmt.Sprintf("declined %q: this step is severe; pass --yes --confirm %s", a.Title, a.Confirm))
	case !h.Yes:
		h.say(a, fmt.Sprintf("declined %q: --confirm is set but --yes is missing", a.Title))
	case !h.confirmed(a):
		h.say(a, fmt.Sprintf("declined %q: this step is severe; --yes is not enough, also pass --confirm %s", a.Title, a.Confirm))
	default:
		return DecisionApprove, nil
	}
	return DecisionDecline, nil
}

// confirmed compares the typed identifier (or the source's ARN) like AWS
// compares identifiers: case-insensitively.
func (h HeadlessApprover) confirmed(a Approval) bool {
	return a.Confirm != "" && ConfirmNamesSource(h.Confirm, a.Confirm)
}

func (h HeadlessApprover) say(a Approval, msg string) {
	if h.Sink == nil {
		return
	}
	h.Sink(Event{Time: time.Now(), Type: EventNotice, Step: a.Step, Message: msg})
}
