package ui

import (
	"context"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// A wizard whose terminal is gone (SIGHUP from a dropped SSH session: the
// program ends with a read error while nobody asked to stop) leaves the
// engine running, recorded in the journal. Nobody can answer its next
// approval, so that approval is answered the safe way, never inside the
// critical section (it has no approval):
//
//   - the critical section's approval is declined: the run pauses `ready`
//     with the proxy on blue, and `rdsbg resume` switches over later;
//   - at --max-proxy-outage it rolls back (delete the deployment, put
//     blue back), as headless runs do, rather than keep the proxy empty;
//   - a readiness gate keeps waiting; leaving the proxy empty until the
//     switchover is refused (roll back);
//   - any other approval stops the run as interrupted (exit 5,
//     resumable), after compensation gives an emptied proxy its target.

// errTerminalLost answers an approval nobody can see any more. It unwraps
// to context.Canceled: the run ends interrupted and resumable.
type errTerminalLost struct{}

func (errTerminalLost) Error() string {
	return "the wizard's terminal is gone (SIGHUP): nobody can answer this approval; the run stops here, resumable with `rdsbg resume`"
}

func (errTerminalLost) Unwrap() error { return context.Canceled }

// lostTerminalAnswer is the bridge's answer once the program has ended.
// When the operator left (the run's context is cancelled) it stays the
// refusal it was.
func lostTerminalAnswer(ctx context.Context, a contract.Approval) (contract.Decision, error) {
	if ctx.Err() != nil {
		return contract.DecisionDecline, errProgramGone
	}
	switch a.Kind {
	case "critical-section":
		return contract.DecisionDecline, nil // pauses ready: nothing of the section has started
	case "proxy-outage", "continue-without-proxy":
		return contract.DecisionRollback, nil
	case "ready-gate":
		return contract.DecisionWait, nil
	}
	return contract.DecisionDecline, errTerminalLost{}
}
