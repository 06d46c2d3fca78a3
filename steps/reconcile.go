package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/status"
	"github.com/rdsbg/rdsbg/steps/world"
)

// Reconciliation (design.md §8, issue 20): before every mutating call the
// run reads the world — its deployment and its proxies — and compares it
// with what the plan expects at that point (world.Diff). It goes on only
// when they agree; otherwise it stops and says what changed, what tags,
// names and statuses tell about who changed it, and the way on. Someone
// who empties a production proxy is answered at once: the run registers
// production again. During the long waits a heartbeat renews the run's
// lease and watches the proxies, so an outside change is seen within two
// minutes instead of at the next step.

// proxyStateOfWorld is the proxy state of the last world the run read, ""
// when it read none.
func (r *run) proxyStateOfWorld() string {
	if r.world == nil {
		return ""
	}
	return status.ProxyState(*r.world, r.worldQuery(false).Proxies)
}

// errWorldUnknown: AWS did not answer part of a reconciliation's read; it
// unwraps to the reads' errors, so what is transient is retried (steps/poll).
type errWorldUnknown struct {
	what []string
	err  error
}

func (e *errWorldUnknown) Error() string {
	return "AWS could not be read: " + strings.Join(e.what, "; ")
}

func (e *errWorldUnknown) Unwrap() error { return e.err }

// readWorldKnown reads the world until every part is known, retrying
// within the error budget (none while a proxy is empty).
func (r *run) readWorldKnown(ctx context.Context, step contract.StepID, full bool) (world.World, error) {
	var w world.World
	err := r.retry(ctx, step, "AWS to answer the read of the world", func(ctx context.Context) error {
		w = r.readWorld(ctx, full)
		if !w.Known() {
			return &errWorldUnknown{what: w.Unknown, err: w.Err()}
		}
		return nil
	})
	if err == nil {
		r.world = &w
	}
	return w, err
}

// errTakenOver: another run took this run's deployment over
// (--take-over). This run stops without touching anything: the other one
// owns the situation now, compensation included.
type errTakenOver struct {
	Diff world.Difference
}

func (e *errTakenOver) Error() string {
	return fmt.Sprintf("%s (%s): this run was taken over and stops here without changing anything more; `rdsbg status --source …` shows the run that holds it", e.Diff.What, e.Diff.Who)
}

// errWorldChanged: AWS is not what the plan expects, and the run stops.
type errWorldChanged struct {
	Diffs []world.Difference
	Way   string // the way on
}

func (e *errWorldChanged) Error() string {
	var parts []string
	for _, d := range e.Diffs {
		parts = append(parts, d.String())
	}
	return fmt.Sprintf("AWS is not what this run expects: %s. %s", strings.Join(parts, "; "), e.Way)
}

// expectFor is what the plan expects AWS to show before ps's change.
func (r *run) expectFor(ps contract.PlannedStep) world.Expect {
	e := world.Expect{Deployment: r.dep.id, Proxies: map[string]world.ProxyExpect{}}
	if r.leases.arn != "" {
		e.Owner = r.e.lease(contract.RunID(r.plan), r.e.cfg.Clock.Now())
	}
	detach := r.plan.Regime == contract.RegimeDetach
	serving, empty := world.ExpectServing, world.ExpectEmpty
	want := world.ExpectAnything
	switch ps.ID {
	case contract.StepDetachProxy, contract.StepUpgradeGreen, contract.StepDetachProxyBlue:
		e.Phase, want = world.PhaseBefore, serving
	case contract.StepCreateDeployment:
		e.Phase, want = world.PhaseBefore, serving
		if detach {
			want = empty
		}
	case contract.StepSwitchover:
		e.Phase, want = world.PhaseBefore, serving
		if detach {
			want = empty
		}
	case contract.StepAttachProxyBlue:
		e.Phase = world.PhaseBefore
	case contract.StepAttachProxyPrimary:
		e.Phase, e.Gone = world.PhaseAfter, true
	case contract.StepCleanup:
		e.Phase, e.Deleting, e.Gone, want = world.PhaseAfter, true, true, serving
	}
	if e.Deployment == "" {
		e.Phase = "" // nothing to compare a phase with yet
	}
	if r.continueWithoutProxy && want == serving && ps.ID != contract.StepCleanup {
		want = world.ExpectAnything
	}
	for _, reg := range r.proxies {
		e.Proxies[reg.Proxy] = want
	}
	return e
}

// reconcile reads the world before ps's change and decides: nil to go on,
// or the error that stops the run. An emptied production proxy is
// restored first (restoreOutsideDeregistration).
func (r *run) reconcile(ctx context.Context, ps contract.PlannedStep, read *world.World) error {
	var w world.World
	if read != nil {
		w = *read
	} else {
		var err error
		if w, err = r.readWorldKnown(ctx, ps.ID, false); err != nil {
			return err
		}
	}
	expect := r.expectFor(ps)                      // before the lease is taken: w shows the lease as it was
	if err := r.ensureLease(ctx, &w); err != nil { // the run's first change takes its lease (ownership.go)
		return err
	}
	diffs := w.Diff(expect, r.e.cfg.Clock.Now())
	var stop []world.Difference
	for _, d := range diffs {
		switch d.Kind {
		case world.DiffLeaseTaken:
			return &errTakenOver{Diff: d}
		case world.DiffSwitchedOver:
			if w.Deployment == nil {
				// Switched over and the deployment deleted, all outside this
				// run: another run took it over and finished, or someone by
				// hand. Nothing is left for this run to do.
				stop = append(stop, d)
				continue
			}
			r.e.notice(ps.ID, "%s: the steps before the switchover are done by it; this run carries on after it", d.String())
		case world.DiffProxyRegistered:
			r.e.notice(ps.ID, "%s", d.String())
		case world.DiffProxyEmpty:
			if err := r.restoreOutsideDeregistration(ctx, ps.ID, d); err != nil {
				return err
			}
		case world.DiffProxyOldBlue:
			if ps.ID != contract.StepAttachProxyPrimary {
				stop = append(stop, d)
			}
		default:
			stop = append(stop, d)
		}
	}
	if len(stop) == 0 {
		return nil
	}
	return r.worldChanged(stop)
}

// worldChanged is the stop for differences the run cannot answer itself,
// with the way on for each kind.
func (r *run) worldChanged(diffs []world.Difference) error {
	src := r.plan.Source.ID
	way := fmt.Sprintf("rdsbg changed nothing in answer; check with `rdsbg status --source %s`", src)
	switch {
	case world.Has(diffs, world.DiffDeploymentForeign):
		way = fmt.Sprintf("another run (or someone by hand) created it: rdsbg will not act on it; see it with `rdsbg status --source %s`", src)
		return &errForeign{Message: (&errWorldChanged{Diffs: diffs, Way: way}).Error()}
	case world.Has(diffs, world.DiffSwitchedOver):
		way = fmt.Sprintf("the switchover was made and the deployment deleted outside this run (another rdsbg run that took it over, or someone by hand): %s is the new primary and nothing is left for this run to do; `rdsbg status --source %s` shows where the proxy points", src, src)
	case world.Has(diffs, world.DiffDeploymentGone), world.Has(diffs, world.DiffDeploymentDeleting):
		way = fmt.Sprintf("nothing of this run is left to carry on with: the proxy is put back on blue if this run had emptied it, and `rdsbg run --source %s` starts over", src)
	case world.Has(diffs, world.DiffProxyGone):
		way = "nothing can register a target with a deleted proxy: recreate it (or point the applications elsewhere); the other proxies are restored"
	case world.Has(diffs, world.DiffProxyElsewhere), world.Has(diffs, world.DiffProxyOldBlue):
		way = "someone re-pointed the proxy: rdsbg leaves it as it is; point it back by hand (`aws rds deregister-db-proxy-targets` / `register-db-proxy-targets`), then `rdsbg resume --source " + src + "`"
	case world.Has(diffs, world.DiffProxyUnhealthy):
		way = "rdsbg does not start a change while production's proxy target is failing: fix what TargetHealth names (the proxy's secret, its IAM role, the security groups), then `rdsbg resume --source " + src + "`"
	}
	return &poll.FatalError{Err: &errWorldChanged{Diffs: diffs, Way: way}}
}

// restoreOutsideDeregistration answers someone emptying a production proxy
// while the plan expects it serving: register production again at once and
// wait until it serves. A refusal is retried, bounded by
// --max-proxy-outage (the run then rolls back).
func (r *run) restoreOutsideDeregistration(ctx context.Context, step contract.StepID, d world.Difference) error {
	r.e.emit(contract.Event{Type: contract.EventNotice, Step: step, Message: fmt.Sprintf("PROXY %s EMPTY: %s; %s. rdsbg registers %s again now", d.Subject, d.What, d.Who, r.plan.Source.ID)})
	_ = r.journal.Append(journal.Record{Kind: journal.RecordCompensation, Step: step, Message: "outside deregistration: " + d.String()})
	since := r.e.cfg.Clock.Now()
	if p := r.outages.proxies[d.Subject]; p != nil && p.emptySince != nil {
		since = *p.emptySince
	}
	limit := r.plan.Options.ProxyOutageLimit()
	for attempt := 1; ; attempt++ {
		err := r.registerAll(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil || !refusal(err) && !poll.Retryable(ctx, err) {
			return err
		}
		now := r.e.cfg.Clock.Now()
		if now.Sub(since) >= limit {
			return &errOutageRollback{err: err, limit: limit, proxy: d.Subject}
		}
		s := since
		r.e.emit(contract.Event{Type: contract.EventProgress, Step: step, Progress: &contract.Progress{ProxylessSince: &s, Elapsed: now.Sub(since), Polls: attempt,
			Waiting: fmt.Sprintf("AWS refused %s's registration with %s (%s): the proxy has been EMPTY since %s; retrying every %s; rollback at --max-proxy-outage %s",
				r.plan.Source.ID, d.Subject, awsWords(err), since.UTC().Format("15:04:05"), r.e.cfg.Poll.Slow, limit)}})
		if err := r.e.sleepProbing(ctx, r.e.jitter(r.e.cfg.Poll.Slow)); err != nil {
			return err
		}
	}
	return r.waitHealthy(ctx, step, "the proxy targets to be AVAILABLE again after an outside deregistration")
}

// The proxies' watch during the long waits.

// watchEvery is how often a long wait reads the run's proxies: one call
// every two minutes per proxy (green's provisioning stays within 6 calls a
// minute, BenchmarkAPIFootprint), against an outage that someone else's
// deregistration would otherwise keep until the next step (3 h in X4).
const watchEvery = 2 * time.Minute

// proxyWatch is the heartbeat's memory.
type proxyWatcher struct {
	step      contract.StepID // the step whose wait is watched ("" none)
	next      time.Time       // when the next watch read is due
	busy      bool            // a restore is under way (its own waits do not watch)
	unhealthy map[string]time.Time
}

// watchedSteps are the waits that do not read the proxies themselves but
// during which production must keep its proxy.
func watchedStep(id contract.StepID) bool {
	switch id {
	case contract.StepProvisionGreen, contract.StepUpgradeGreen, contract.StepCleanup:
		return true
	}
	return false
}

// heartbeat runs before every read of a wait: it renews the lease when due
// and watches the proxies during the long waits.
func (r *run) heartbeat(ctx context.Context) error {
	if err := r.ensureLease(ctx, nil); err != nil {
		return err
	}
	r.renewLease(ctx)
	if r.watch.busy || r.watch.step == "" || len(r.proxies) == 0 || r.plan.Regime == contract.RegimeNone || r.continueWithoutProxy {
		return nil
	}
	now := r.e.cfg.Clock.Now()
	if now.Before(r.watch.next) {
		return nil
	}
	r.watch.next = now.Add(watchEvery)
	q := r.worldQuery(false)
	q.DeploymentID, q.FindDeployment = "", false // the wait reads the deployment itself
	w := world.Read(ctx, r.api, q, now)
	r.seeWorld(w) // deployment.go: the labels follow AWS's word
	for _, name := range q.Proxies {
		if _, cached := q.Targets[name]; cached {
			continue
		}
		if p := w.Proxy(name); p != nil && p.Known() && !p.Gone {
			r.outageRead(name, sourceEntries(*p, r.plan.Source)) // outage.go: the traffic line and the windows
		}
	}
	want := world.ExpectServing
	exp := world.Expect{Proxies: map[string]world.ProxyExpect{}}
	for _, name := range q.Proxies {
		exp.Proxies[name] = want
	}
	if s, _ := w.SwitchedOver(); s {
		return nil // the wait's own reads see the switchover
	}
	var stop []world.Difference
	for _, d := range w.Diff(exp, now) {
		switch d.Kind {
		case world.DiffUnknown:
			// The next watch reads again; the wait's own error budget applies.
		case world.DiffProxyEmpty:
			r.watch.busy = true
			err := r.restoreOutsideDeregistration(ctx, r.watch.step, d)
			r.watch.busy = false
			if err != nil {
				return err
			}
		case world.DiffProxyUnhealthy:
			if r.watch.unhealthy == nil {
				r.watch.unhealthy = map[string]time.Time{}
			}
			since, seen := r.watch.unhealthy[d.Subject]
			if !seen {
				since = now
				r.watch.unhealthy[d.Subject] = now
				r.e.notice(r.watch.step, "PROXY %s NOT SERVING: %s", d.Subject, d.String())
			}
			if limit := r.plan.Options.ProxyOutageLimit(); now.Sub(since) >= limit {
				stop = append(stop, d)
			}
		default:
			stop = append(stop, d)
		}
	}
	for name := range r.watch.unhealthy {
		if p := w.Proxy(name); p != nil && p.ServesProduction() {
			delete(r.watch.unhealthy, name)
		}
	}
	if len(stop) > 0 {
		return r.worldChanged(stop)
	}
	return nil
}

// sourceEntries are a proxy's entries that stand for the source, as
// sourceTargets returns them.
func sourceEntries(p world.Proxy, src contract.Source) []awsclient.ProxyTarget {
	var all []awsclient.ProxyTarget
	for _, reg := range p.Registrations {
		all = append(all, reg.Targets...)
	}
	out := src.Entries(all)
	for i := range out {
		out[i].ProxyName = p.Name
	}
	return out
}

// priorAbandoned: the unfinished run in the journal has nothing left in
// AWS to carry on with — its deployment was deleted outside rdsbg before
// any switchover, and its proxies serve production — so a fresh run may
// archive it and start (issue 20, X2).
func (r *run) priorAbandoned(ctx context.Context) bool {
	prior := r.prior
	if prior.DeploymentID == "" || prior.Steps[contract.StepSwitchover] != "" || len(prior.Renames) > 0 {
		return false
	}
	saved := r.dep.id
	r.dep.id = prior.DeploymentID
	proxies := prior.Proxies
	if len(proxies) == 0 && prior.Plan != nil {
		proxies = prior.Plan.Proxies
	}
	savedProxies := r.proxies
	r.proxies = proxies
	w := r.readWorld(ctx, false)
	r.dep.id, r.proxies = saved, savedProxies
	if !w.Known() || w.DeploymentGone == "" {
		return false
	}
	for _, reg := range proxies {
		if p := w.Proxy(reg.Proxy); p == nil || !p.ServesProduction() {
			return false
		}
	}
	r.e.notice(contract.StepPreflight, "the unfinished run in %s created deployment %s, which AWS no longer has (deleted outside rdsbg) and every proxy serves %s: nothing of it is left to resume", r.journal.Path(), prior.DeploymentID, r.disc.Source.ID)
	return true
}

// gateResume is a resume's reconciliation before anything changes: the
// journal's deployment must still exist and be this run's (or, once the
// switchover is done, may be gone), and no other owner may hold it. It
// never deregisters anything: it only reads, writes this run's lease, and
// says what it found.
func (r *run) gateResume(ctx context.Context) error {
	w, err := r.readWorldKnown(ctx, contract.StepPreflight, true)
	if err != nil {
		return err
	}
	src := r.plan.Source.ID
	now := r.e.cfg.Clock.Now()
	switchedJournal := r.prior.Steps[contract.StepSwitchover] != "" || r.names.known()
	switched, _ := w.SwitchedOver()
	if d := w.Deployment; d != nil {
		if d.Owner.Source != "" && !strings.EqualFold(d.Owner.Source, src) {
			return &errForeign{Message: fmt.Sprintf("the journal names deployment %s, which AWS shows tagged %s=%s, not %s: this journal does not belong to this source; rdsbg changed nothing", d.ID, contract.TagSource, d.Owner.Source, src)}
		}
		if d.Owner.Run != "" && d.Owner.Run != contract.RunID(r.plan) && !strings.EqualFold(r.plan.Deployment, d.ID) {
			return &errForeign{Message: fmt.Sprintf("the journal names deployment %s, which was made by rdsbg run %s, not by this journal's run %s: rdsbg will not act on it from this journal; rdsbg changed nothing. `rdsbg status --source %s` shows it", d.ID, d.Owner.Run, contract.RunID(r.plan), src)}
		}
		if l := d.Owner.Lease; l != nil {
			st := r.e.judgeLease(l, contract.RunID(r.plan), now)
			if l.Run != contract.RunID(r.plan) && st == leaseFree && l.Released.IsZero() == false {
				st = leaseExpired // another run took it over and ended: this journal is out of date
			}
			if st == leaseLive || st == leaseExpired {
				if err := r.takeOver(ctx, fmt.Sprintf("deployment %s (%s)", d.ID, d.Name), *l, st); err != nil {
					return err
				}
			}
		}
		if switched && !switchedJournal {
			r.e.notice(contract.StepPreflight, "deployment %s is %s, though this run never switched over: someone switched over outside rdsbg. %s is the new primary; this run carries on after the switchover (the proxy onto the new primary, any -oldN target off it, verify, cleanup)", d.ID, d.Status, src)
			r.switchedOutside = true
		}
		if d.Phase != world.PhaseDeleting {
			r.holdDeployment(d.ID, r.e.cfg.TakeOver)
		}
		return nil
	}
	if w.DeploymentGone == "" || switchedJournal || switched {
		return nil // no deployment yet, or the switchover is done and cleanup (or someone) deleted it
	}
	// The run's deployment was deleted outside rdsbg before any switchover:
	// nothing to resume. A proxy this run left empty is put back on blue;
	// one that serves stays as it is.
	state := status.ProxyState(w, r.worldQuery(false).Proxies)
	msg := fmt.Sprintf("deployment %s, created by this run, no longer exists: someone deleted it outside rdsbg. Nothing to resume; blue (%s) is production", w.DeploymentGone, src)
	if state == contract.ProxyEmpty {
		return &poll.FatalError{Err: fmt.Errorf("%s. The proxy is empty: rdsbg registers blue again and stops; then `rdsbg run --source %s` starts over", msg, src)}
	}
	return &errNothingToResume{Message: fmt.Sprintf("%s and the proxy stays as it is (%s). Start over with `rdsbg run --source %s`; rdsbg changed nothing", msg, state, src), State: state}
}

// errNothingToResume: resume found nothing of the run left to carry on
// with, and changed nothing (exit 2).
type errNothingToResume struct {
	Message string
	State   string // the proxy state AWS shows
}

func (e *errNothingToResume) Error() string { return e.Message }

// isOwnershipStop: an error that stops a run without compensation, since
// someone else owns what compensation would touch (errTakenOver) — or
// that only refuses before any change.
func isOwnershipStop(err error) bool {
	var t *errTakenOver
	var h *errHeld
	return errors.As(err, &t) || errors.As(err, &h)
}
