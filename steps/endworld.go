package steps

import (
	"context"
	"fmt"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/status"
	"github.com/rdsbg/rdsbg/steps/world"
)

// The end of a run in the world's words (issue 21 item 2): the summary's
// proxy state, the switchover's outcome, the leftovers and the next step
// are functions of one world read when the run ends, not of what this
// process remembers — after a Ctrl+C in the switchover the process saw
// SWITCHOVER_IN_PROGRESS, while AWS completed it (walkthrough D2: "FAILED",
// "blue is still production", a green that had been renamed).

// endView is the world read at the end of a run; w is nil when the run had
// no plan (a refusal) or AWS could not be read, and the run's own
// knowledge stands then.
type endView struct {
	w       *world.World
	proxies []string
}

// endWorld reads the world at the end: the deployment, the production
// resource with its topology (green, old blue) and the run's proxies.
func (r *run) endWorld(ctx context.Context) endView {
	if r.plan.Source.ID == "" || len(r.plan.Steps) == 0 {
		return endView{}
	}
	q := r.worldQuery(false)
	q.Details = true
	w := world.Read(ctx, r.api, q, r.e.cfg.Clock.Now())
	r.seeWorld(w)
	return endView{w: &w, proxies: q.Proxies}
}

// proxyState is where the proxies point in the end world, "" when it does
// not tell (not read, or a proxy unknown).
func (v endView) proxyState() string {
	if v.w == nil {
		return ""
	}
	s := status.ProxyState(*v.w, v.proxies)
	if s == contract.ProxyUnknown {
		return ""
	}
	return s
}

// switched: AWS says green is production (or, not knowing, the run does).
func (v endView) switched(r *run) bool {
	if v.w != nil {
		if s, known := v.w.SwitchedOver(); known {
			return s
		}
	}
	return len(r.names.renames) > 0 || r.switchedOver()
}

// settleSwitchover makes the switchover step's outcome AWS's: when AWS
// completed it while this process stopped watching (an interrupt, a lost
// connection), the step is done — journalled, sent as step-done, and in
// the timeline — never "failed" or "interrupted" beside
// SWITCHOVER_COMPLETED (walkthrough U2).
func (r *run) settleSwitchover(v endView) {
	if v.w == nil {
		return
	}
	if s, known := v.w.SwitchedOver(); !known || !s {
		return
	}
	for i := len(r.timeline) - 1; i >= 0; i-- {
		t := &r.timeline[i]
		if t.Step != contract.StepSwitchover {
			continue
		}
		if t.Outcome != "failed" && t.Outcome != "interrupted" {
			return
		}
		status := "SWITCHOVER_COMPLETED"
		if d := v.w.Deployment; d != nil {
			status = d.Status
		}
		msg := fmt.Sprintf("AWS completed the switchover (deployment %s: %s) after this process stopped watching it", contract.OrNoDetails(r.dep.id), status)
		t.Outcome = "done"
		_ = r.journal.Append(journal.Record{Kind: journal.RecordStep, Step: contract.StepSwitchover, State: journal.StepStateDone, Message: msg, DeploymentID: r.dep.id})
		r.e.emit(contract.Event{Type: contract.EventStepDone, Step: contract.StepSwitchover, Message: msg})
		return
	}
}

// worldLeftovers lists what the run leaves, as the end world shows it:
// the deployment object, green's resources before a switchover, old blue
// after it; a rolled-back run, what AWS is still deleting.
func (r *run) worldLeftovers(outcome string, w world.World) []contract.Leftover {
	switched, _ := w.SwitchedOver()
	var out []contract.Leftover
	if d := w.Deployment; d != nil {
		note := "blue/green deployment; blue is still production"
		switch {
		case d.Phase == world.PhaseDeleting:
			note = "AWS is deleting it"
		case switched:
			note = "bookkeeping only: `aws rds delete-blue-green-deployment --blue-green-deployment-identifier " + d.ID + "` deletes it"
		case d.Phase == world.PhaseSwitching:
			note = "the switchover is in progress"
		}
		out = append(out, contract.Leftover{Kind: "deployment", ID: d.ID, Note: note})
	}
	if !switched || outcome == contract.OutcomeRolledBack {
		for _, g := range w.ByRole(world.RoleGreen) {
			note := "keeps running and costing until the switchover or `rdsbg abort`"
			if outcome == contract.OutcomeRolledBack || g.Status == "deleting" || (w.Deployment != nil && w.Deployment.Phase == world.PhaseDeleting) {
				note = "AWS is still deleting it (" + contract.OrNoDetails(g.Status) + "); it goes by itself"
			}
			out = append(out, contract.Leftover{Kind: "green", ID: g.ID, Note: note})
		}
		return out
	}
	for _, o := range w.ByRole(world.RoleOldBlue) {
		note := "the previous production, no longer replicating; keeps running and costing until deleted"
		if o.Status == "deleting" {
			note = "AWS is deleting it"
		}
		out = append(out, contract.Leftover{Kind: "old-blue", ID: o.ID, Note: note})
	}
	return out
}
