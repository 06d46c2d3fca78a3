package contract

import (
	"context"
	"fmt"
	"time"
)

// HeadlessApprover answers approvals for `rdsbg run` without a terminal:
// --yes approves reversible steps; severe ones (the critical section, the
// switchover, deleting anything) also need --confirm equal to the source
// identifier. A question it may not approve for want of a flag is refused
// as bad usage (exit 2, naming the flag: NeedsFlagError), never
// "cancelled by the operator" — there is no operator (walkthrough D13) —
// so automation never hangs on a prompt. CheckPlan refuses such a plan
// before any change where the plan shows it; this is the rule at the
// question itself.
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
		return h.refuse(a, "--yes", fmt.Sprintf("%q needs --yes to be approved without a terminal", a.Title))
	}
	switch {
	case !h.Yes && !h.confirmed(a):
		return h.refuse(a, "--confirm", fmt.Sprintf("a severe step needs --confirm: %q; pass --yes --confirm %s", a.Title, a.Confirm))
	case !h.Yes:
		return h.refuse(a, "--yes", fmt.Sprintf("%q: --confirm is set but --yes is missing", a.Title))
	case !h.confirmed(a):
		return h.refuse(a, "--confirm", fmt.Sprintf("a severe step needs --confirm: %q; --yes is not enough, also pass --confirm %s", a.Title, a.Confirm))
	}
	return DecisionApprove, nil
}

// refuse answers a question the flags do not approve: exit 2, with the
// flag named, and a notice that says it where the question would have
// been.
func (h HeadlessApprover) refuse(a Approval, flag, msg string) (Decision, error) {
	h.say(a, "refused: "+msg)
	return DecisionDecline, UsageError(flag, "%s", msg)
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
