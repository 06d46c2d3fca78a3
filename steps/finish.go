package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
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
	r.releaseLease() // lease.go: before the last record, so the journal ends with the finish
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
		if nc := (*NothingChangedError)(nil); errors.As(err, &nc) {
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
