package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
	"github.com/rdsbg/rdsbg/steps/status"
	"github.com/rdsbg/rdsbg/steps/world"
)

// How a run ends: every path out of a run that got as far as a journal
// ends in finish, with the summary the operator, the journal and the
// events read; a run refused before its journal ends in finishEarly.

func outcomeOf(err error) string {
	switch {
	case err == nil:
		return contract.OutcomeDone
	case errors.Is(err, contract.ErrDeclined):
		return contract.OutcomeCancelled
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return contract.OutcomeInterrupted
	case errors.Is(err, contract.ErrBlocked):
		return contract.OutcomeBlocked
	}
	return contract.OutcomeFailed
}

// finish journals and emits the summary. Every path out of a run that got
// as far as a journal ends here.
func (r *run) finish(outcome string, err error, proxyState string) (contract.Finished, error) {
	if r.changes != nil {
		outcome, err = stoppedBeforeChange(r.changes, outcome, err)
	}
	archive := ""
	switch outcome {
	case contract.OutcomeDone, contract.OutcomeRolledBack, contract.OutcomeBlocked, contract.OutcomeCancelled:
		// The run ended for good: close archives its journal (runner.go),
		// and the summary names the archive.
		st := journal.State{Plan: &r.plan, RunStarted: r.e.cfg.Clock.Now()}
		if r.plan.GeneratedAt.IsZero() && r.plan.RunID == "" {
			st.Plan = nil
		}
		archive = journal.ArchiveDest(r.e.cfg.StateDir, r.disc.Source.ID, st)
	}
	// The present in the summary is the world as AWS shows it now
	// (design.md §8): where the proxies point, whether the switchover
	// happened, what is left. The journal gives only the history.
	wctx, wcancel := context.WithTimeout(context.Background(), mutationTimeout)
	end := r.endWorld(wctx)
	wcancel()
	if s := end.proxyState(); s != "" {
		proxyState = s
	}
	if proxyState == "" {
		// Read, never assumed: a proxy found by its tag may be empty.
		ctx, cancel := context.WithTimeout(context.Background(), mutationTimeout)
		proxyState = r.proxyStateFromAWS(ctx)
		cancel()
	}
	r.settleSwitchover(end) // a switchover AWS completed is done, whatever this process saw
	r.untagIfServing(proxyState)
	r.releaseLease() // ownership.go: before the last record, so the journal ends with the finish
	f := contract.Finished{
		Outcome:      outcome,
		ExitCode:     ExitCode(err),
		ProxyState:   proxyState,
		SwitchoverMS: r.switchoverDuration.Milliseconds(),
		Timeline:     r.timeline,
		JournalPath:  orDefault(archive, r.journal.Path()),
		RunbookPath:  r.saveRunbook(),
		DeploymentID: r.dep.id,
		Source:       r.disc.Source.ID,
	}
	lctx, lcancel := context.WithTimeout(context.Background(), mutationTimeout)
	f.Leftovers, f.FinalSnapshot = r.leftovers(lctx, outcome, end)
	lcancel()
	f.Green = r.readyGreen
	if len(r.names.renames) > 0 {
		f.Renames = r.names.renames
	}
	r.describeEmpty(&f)
	f.OldBlue = r.oldBlueState(f.Timeline)
	f.ProxyOutages = r.outageSummary()
	f.ProxyOutageTotalMS = contract.OutageTotalMS(f.ProxyOutages)
	f.ProxylessWindowMS = contract.CriticalMS(f.ProxyOutages) // the critical section's share, across resumes
	r.dbFinish(&f)                                            // dbchecks.go
	r.e.observers.Finishing(&f)                               // metrics per step, the probe's report; hooks done
	msg := finishMessage(outcome, proxyState, err, r.disc.Source.ID+r.e.cfg.NextFlags, end.switched(r) || proxyState == contract.ProxyOnNewPrimary)
	if isProxyEmptyError(err) {
		msg = err.Error()
	}
	fc := f
	if err := r.journal.Append(journal.Record{Kind: journal.RecordFinish, Finished: &fc, Message: msg, DeploymentID: r.dep.id}); err == nil {
		r.archivePath = archive // only a journal that says how the run ended is archived
	}
	r.e.emit(contract.Event{Type: contract.EventRunFinished, Message: msg, Error: r.errorInfo(err), Finished: &fc})
	return f, err
}

// finishEarly reports a run that failed before it had a journal.
func (e *Engine) finishEarly(outcome string, err error, proxyState string) (contract.Finished, error) {
	f := contract.Finished{Outcome: outcome, ExitCode: ExitCode(err), ProxyState: proxyState, LeftoversUnknown: true, Source: e.cfg.Options.Source}
	if f.ProxyState == "" {
		// Read from AWS (proxy_tags.go): a refusal must not call "blue" a
		// proxy that an earlier run emptied.
		var empty []preflight.DetachedProxy
		f.ProxyState, empty = e.earlyProxyState(err)
		if len(empty) > 0 {
			err = withDetachedAdvice(err, e.cfg.Options.Source, empty)
		}
	}
	fc := f
	e.emit(contract.Event{Type: contract.EventRunFinished, Message: err.Error(), Error: errorInfo(err), Finished: &fc})
	return f, err
}

// finishMessage is the run's last line. source carries the session's
// global flags after it, so every command named pastes as it is.
// switchedOver: green is production now, so abort (which deletes green) is
// no longer a way out.
func finishMessage(outcome, proxyState string, err error, source string, switchedOver bool) string {
	where := map[string]string{
		contract.ProxyOnBlue:       "the proxy targets the original (blue) database",
		contract.ProxyOnNewPrimary: "the proxy targets the new primary",
		contract.ProxyEmpty:        "the proxy has NO target: applications using it cannot connect",
		contract.ProxyNotUsed:      "no proxy is involved",
		// States only the world view tells (reconcile.go).
		contract.ProxyUnknown:   "the proxy's state is UNKNOWN: AWS could not be read (`rdsbg status` reads it again)",
		contract.ProxyGone:      "a proxy of the run no longer exists (deleted outside rdsbg): nothing can restore it",
		contract.ProxyOnOldBlue: "the proxy points at the old blue (-oldN, read-only since the switchover)",
		contract.ProxyUnhealthy: "the proxy has its target registered but AWS reports it failing (TargetHealth): applications using it cannot connect",
	}[proxyState]
	if where == "" {
		where = "proxy " + proxyState
	}
	switch outcome {
	case contract.OutcomeDone:
		return "done; " + where
	case contract.OutcomeReady:
		return fmt.Sprintf("ready: green is prepared (ready-check passed), %s; switch over when you choose with `rdsbg resume --source %s`", where, source)
	case contract.OutcomeInterrupted:
		return fmt.Sprintf("interrupted; %s; continue with `rdsbg resume --source %s`", where, source)
	case contract.OutcomeCancelled:
		return fmt.Sprintf("stopped at the operator's answer; %s", where)
	case contract.OutcomeRolledBack:
		return fmt.Sprintf("rolled back: the deployment and its green were deleted; %s; start again with `rdsbg run --source %s`", where, source)
	case contract.OutcomeBlocked:
		if nc := (*errNothingChanged)(nil); errors.As(err, &nc) {
			return "stopped before any change: " + nc.Error()
		}
		if err != nil && ExitCode(err) == contract.ExitUsage {
			return "stopped before any change: " + strings.TrimSuffix(err.Error(), "; nothing was changed") + "; nothing was changed"
		}
		return "preflight blocked the run; nothing was changed"
	}
	if err != nil && switchedOver {
		return fmt.Sprintf("failed: %v; %s; the switchover is done, so there is nothing to abort; the journal says where; continue with `rdsbg resume --source %s`", err, where, source)
	}
	if err != nil {
		return fmt.Sprintf("failed: %v; %s; the journal says where; continue with `rdsbg resume --source %s` or undo with `rdsbg abort --source %s`", err, where, source, source)
	}
	return where
}

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

// This file says what a run leaves behind in AWS, in the summary and the
// epilogue (issue 13): green while it waits for the switchover, the
// deployment object, the -oldN resources, and the final snapshot, named
// once (FinalSnapshotID) for the plan, the runbook, the call and the
// summary. It makes no AWS call: it reads what the run knows.

// switchedOver reports whether this run, or the one it resumes, completed
// the switchover: green is production and abort is no longer a way out.
func (r *run) switchedOver() bool {
	return len(r.names.renames) > 0 || len(r.names.oldBlue) > 0 || r.stepRan(contract.StepSwitchover) == "done" || r.stepRan(contract.StepSwitchover) == "already-done"
}

// oldBlueNames are the -oldN resources by identifier, primary (or cluster)
// first; before the names are known, the plan's expectation.
func (r *run) oldBlueNames() []string {
	instances, cluster := r.names.oldResources()
	var out []string
	if cluster != "" {
		out = append(out, cluster)
	}
	if primary := r.names.renames[r.plan.Source.ID]; primary != "" && cluster == "" {
		out = append(out, primary)
		instances = removeString(append([]string{}, instances...), primary)
	}
	out = append(out, instances...)
	if len(out) == 0 {
		out = append(out, r.plan.Source.ID+"-old1")
	}
	return out
}

// finalSnapshotName is the final snapshot cleanup old-blue takes: of the
// old cluster, else of the old primary instance.
func (r *run) finalSnapshotName() string {
	instances, cluster := r.names.oldResources()
	if cluster != "" {
		return contract.FinalSnapshotID(cluster)
	}
	primary := r.names.renames[r.plan.Source.ID]
	if primary == "" && len(instances) > 0 {
		primary = instances[0]
	}
	if primary == "" {
		primary = r.plan.Source.ID + "-old1"
	}
	return contract.FinalSnapshotID(primary)
}

// leftovers lists what the run leaves in AWS when it ends with outcome,
// and the final snapshot's name when cleanup old-blue took it. A rolled
// back run lists the green resources AWS is still deleting (read now:
// walkthrough D26 said "nothing of this run in AWS" beside one).
func (r *run) leftovers(ctx context.Context, outcome string, end endView) ([]contract.Leftover, string) {
	if outcome == contract.OutcomeBlocked || len(r.plan.Steps) == 0 {
		return nil, ""
	}
	if w := end.w; w != nil && w.Known() {
		// What AWS shows at the end (finish.go), and the final snapshot
		// this run took.
		out := r.worldLeftovers(outcome, *w)
		cleanup := r.stepRan(contract.StepCleanup)
		if (cleanup == "done" || cleanup == "already-done") && !r.cleanupDeclined && r.plan.Options.Cleanup == contract.CleanupOldBlue && end.switched(r) {
			snap := r.finalSnapshotName()
			return append(out, contract.Leftover{Kind: "snapshot", ID: snap, Note: "final snapshot of the old blue"}), snap
		}
		return out, ""
	}
	if outcome == contract.OutcomeRolledBack {
		return r.stillDeleting(ctx), ""
	}
	if !r.switchedOver() {
		if r.dep.id == "" {
			return nil, ""
		}
		out := []contract.Leftover{{Kind: "deployment", ID: r.dep.id, Note: "blue/green deployment; blue is still production"}}
		green := r.greenSeen
		if len(green) == 0 {
			green = []string{r.plan.Source.ID + "-green-…"}
		}
		for _, g := range green {
			out = append(out, contract.Leftover{Kind: "green", ID: g, Note: "keeps running and costing until the switchover or `rdsbg abort`"})
		}
		return out, ""
	}
	cleanup := r.stepRan(contract.StepCleanup)
	cleaned := (cleanup == "done" || cleanup == "already-done") && !r.cleanupDeclined
	var out []contract.Leftover
	if r.dep.id != "" && !cleaned {
		out = append(out, contract.Leftover{Kind: "deployment", ID: r.dep.id, Note: "bookkeeping only: `aws rds delete-blue-green-deployment --blue-green-deployment-identifier " + r.dep.id + "` deletes it"})
	}
	if cleaned && r.plan.Options.Cleanup == contract.CleanupOldBlue {
		snap := r.finalSnapshotName()
		return append(out, contract.Leftover{Kind: "snapshot", ID: snap, Note: "final snapshot of the old blue"}), snap
	}
	for _, id := range r.oldBlueNames() {
		out = append(out, contract.Leftover{Kind: "old-blue", ID: id, Note: "the previous production, no longer replicating; keeps running and costing until deleted"})
	}
	return out, ""
}

// noteGreen remembers green's DB instances (and Aurora cluster) from a
// deployment's members, before the switchover (afterwards the targets are
// the production names).
func (r *run) noteGreen(dep awsclient.Deployment) {
	if switchedOver(&dep) || switchStarted(&dep) {
		return
	}
	var ids []string
	for _, m := range dep.Members {
		if strings.Contains(m.Target, ":db:") || strings.Contains(m.Target, ":cluster:") {
			ids = append(ids, contract.ARNName(m.Target))
		}
	}
	if len(ids) > 0 {
		r.greenSeen = ids
	}
}

// stillDeleting reads the green resources the run saw and lists those AWS
// still shows (deleting, usually) after a rollback.
func (r *run) stillDeleting(ctx context.Context) []contract.Leftover {
	var out []contract.Leftover
	for _, id := range r.greenSeen {
		status := ""
		if i, err := r.api.DescribeInstance(ctx, id); err == nil {
			status = i.Status
		} else if c, err := r.api.DescribeCluster(ctx, id); err == nil {
			status = c.Status
		} else if awsclient.Classify(err) != awsclient.KindNotFound {
			status = contract.StateUnknown + " (AWS could not be read)"
		}
		if status != "" {
			out = append(out, contract.Leftover{Kind: "green", ID: id, Note: "AWS is still deleting it (" + status + "); it goes by itself"})
		}
	}
	return out
}

// errorInfo is errorInfo(err) in this run's moment: after the switchover
// it never advises `rdsbg abort`, which would only refuse.
func (r *run) errorInfo(err error) *contract.ErrorInfo {
	info := errorInfo(err)
	if info == nil || !r.switchedOver() || !strings.Contains(info.Meaning, "rdsbg abort") {
		return info
	}
	info.Meaning = "the switchover is done (green is production): there is nothing to abort. Check the console, then `rdsbg resume --source " + r.plan.Source.ID + "` to finish the remaining steps."
	return info
}

// checkPlan lets a PlanChecker approver (the headless rules) refuse a plan
// before anything is recorded or changed.
func (e *Engine) checkPlan(p contract.Plan, done func(contract.StepID) bool) error {
	pc, ok := e.cfg.Approver.(contract.PlanChecker)
	if !ok {
		return nil
	}
	return pc.CheckPlan(p, e.cfg.Until, done)
}

// oldBlueState describes old blue at the end of a run; nil before a
// switchover or once cleanup deleted old blue.
func (r *run) oldBlueState(timeline []contract.TimelineEntry) *contract.OldBlueState {
	if len(r.names.oldBlue) == 0 {
		return nil
	}
	cleaned := false
	for _, t := range timeline {
		if t.Step == contract.StepCleanup && (t.Outcome == "done" || t.Outcome == "already-done") {
			cleaned = true
		}
	}
	mode := r.plan.Options.Cleanup
	if cleaned && mode == contract.CleanupOldBlue {
		return nil
	}
	st := &contract.OldBlueState{ReadOnly: true}
	aurora := false
	for _, arn := range r.names.oldBlue {
		st.Resources = append(st.Resources, contract.ARNName(arn))
		if strings.Contains(arn, ":cluster:") {
			aurora = true
		}
	}
	names := strings.Join(st.Resources, ", ")
	switch {
	case aurora && cleaned && mode == contract.CleanupDeployment:
		st.ReadOnly = false
		st.Note = "Old blue " + names + " is writable again unless its read_only parameter is on: deleting the deployment lifted Aurora's read-only guard. Delete it or fence it before anyone writes to it."
	case aurora:
		st.Note = "Old blue " + names + " stays read-only until its writer is rebooted or the deployment is deleted (AWS's guard after a switchover)."
	default:
		st.Note = "Old blue " + names + " stays read-only (AWS's guard after a switchover) until read_only (MySQL, MariaDB) or default_transaction_read_only (PostgreSQL) is set back to 0: only do so to fall back to it."
	}
	return st
}
