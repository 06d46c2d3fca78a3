package contract

import (
	"fmt"
	"strings"
)

// This file words what is true once a run has ended (issue 13), for every
// place that says it: the text sink, plain mode, the wizard's summary and
// the epilogue printed on the normal screen after the wizard exits. One
// writer per fact: where production traffic goes, what is left in AWS,
// and the next command.

// LeftoverLines are the resources left in AWS, one line each.
func (f Finished) LeftoverLines() []string {
	var out []string
	for _, l := range f.Leftovers {
		line := fmt.Sprintf("%s %s", l.Kind, l.ID)
		if l.Kind == "green" && f.Green != nil {
			for _, m := range f.Green.Members {
				if m.ID == l.ID && m.Class != "" {
					line += " (" + m.Class + ")"
				}
			}
		}
		if l.Note != "" {
			line += ": " + l.Note
		}
		out = append(out, line)
	}
	return out
}

// SwitchedOver: the run's summary shows a completed switchover.
func (f Finished) SwitchedOver() bool {
	if len(f.Renames) > 0 || f.ProxyState == ProxyOnNewPrimary {
		return true
	}
	for _, l := range f.Leftovers {
		if l.Kind == "old-blue" || l.Kind == "snapshot" {
			return true
		}
	}
	return false
}

// GreenWords says where green stands in a run paused ready: prepared, and
// its replication lag as CloudWatch last showed it — "in sync" only when a
// lag was read (walkthrough D19, U15: "in sync, lag unknown").
func GreenWords(g *GreenInfo) string {
	if g == nil {
		return ""
	}
	s := "prepared (ready-check passed), waiting for the switchover"
	if c := g.Classes(); c != "" {
		s += " on " + c
	}
	if g.Lag == "" {
		return s + "; replication lag unknown (no CloudWatch data): resume checks readiness again before switching over"
	}
	return s + "; in sync as of the last read, lag " + g.Lag
}

// TrafficLine says where production traffic goes now. proxies names the
// proxies ("orders-proxy"), "" when unknown.
func (f Finished) TrafficLine(source, proxies string) string {
	if proxies == "" {
		proxies = "the proxy"
	}
	switch f.ProxyState {
	case ProxyOnBlue:
		return fmt.Sprintf("through %s to blue, %s (the original database)", proxies, source)
	case ProxyOnNewPrimary:
		return fmt.Sprintf("through %s to the new primary, %s (green, under the production name)", proxies, source)
	case ProxyEmpty:
		return fmt.Sprintf("NOWHERE through %s: it has no target; applications that use it cannot connect (direct connections to %s still work)", proxies, source)
	case ProxyNotUsed:
		if f.SwitchedOver() {
			return fmt.Sprintf("to the new primary, %s (no proxy involved)", source)
		}
		return fmt.Sprintf("to %s, as before (no proxy involved)", source)
	case StateUnknown, "":
		return fmt.Sprintf("unknown: check with `rdsbg status --source %s`", source)
	}
	return "proxy state " + f.ProxyState
}

// NextStep is the command to run next, with flags (the global flags the
// session used: --region, --endpoint-url, --state-dir…, with a leading
// space) on it and on any other command its why names, so what is pasted
// acts on the same account, Region and journal (walkthrough D10); command
// is "" when nothing is needed.
func (f Finished) NextStep(source, flags string) (command, why string) {
	cmd := func(verb string) string { return "rdsbg " + verb + " --source " + source + flags }
	switchedOver := f.SwitchedOver()
	hasGreen := false
	for _, l := range f.Leftovers {
		if l.Kind == "green" || (l.Kind == "deployment" && !switchedOver) {
			hasGreen = true
		}
	}
	switch {
	case f.Outcome == OutcomeReady:
		return cmd("resume"), "re-checks readiness and switches over (or `" + cmd("abort") + "` to delete green)"
	case f.Outcome == OutcomeDone && switchedOver:
		for _, l := range f.Leftovers {
			if l.Kind == "old-blue" {
				return "", "the change is done; delete the old blue when you no longer need it"
			}
		}
		return "", "the change is done"
	case f.Outcome == OutcomeDone:
		return "", "the run is done"
	case f.Outcome == OutcomeBlocked && f.ExitCode == ExitUsage:
		return "", "fix the flag or input the message names, then run again; nothing was changed"
	case f.Outcome == OutcomeBlocked:
		return cmd("plan"), "fix what stopped the run (a failed preflight check, a permission, a refused first call), then check the plan again; nothing was changed"
	case f.Outcome == OutcomeRolledBack:
		return cmd("run"), "to start again; the deployment and green are gone"
	case f.Outcome == OutcomeCancelled && hasGreen:
		return cmd("abort"), "deletes the deployment and green, which keep running and costing"
	case f.Outcome == OutcomeCancelled:
		return "", "nothing more to do"
	case f.ExitCode == ExitUsage && (f.Outcome == OutcomeFailed || f.LeftoversUnknown):
		// A refusal changed nothing; its message says why and what to
		// run instead (not "resume finishes the remaining steps" after a
		// finished run: walkthrough D11).
		return "", "nothing was changed; the message says why and what to run instead"
	case switchedOver:
		return cmd("resume"), "finishes the remaining steps (the switchover is done: there is nothing to abort)"
	}
	if hasGreen {
		return cmd("resume"), "continues from the journal (or `" + cmd("abort") + "` to undo)"
	}
	return cmd("resume"), "continues from the journal"
}

// proxyList is "a, b" of a plan's proxies.
func (p Plan) ProxyNames() string {
	var names []string
	for _, r := range p.Proxies {
		names = append(names, r.Proxy)
	}
	return strings.Join(names, ", ")
}

// StateUnknown is what status says for a live field AWS could not be read
// for: never "gone" or "none" from an error.
const StateUnknown = "UNKNOWN"

// DBFollowUpLines are the database's follow-ups after the switchover, one
// line each (the summary, `status`, the epilogue): the replication objects
// that existed on blue, its consumers, and the DMS reminder.
func (f Finished) DBFollowUpLines() []string {
	if f.DBLedger == nil {
		return nil
	}
	return f.DBLedger.Items(f.Source)
}
