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
)

// How a run is undone, in one place: compensation after a failure, the
// rollback at --max-proxy-outage, abort's deletion (abort.go calls
// rollback) and the fallback from the native to the detach regime.
//
// Compensation (design.md §5): a failure or an interrupt after a
// deregistration puts the proxy's target back before the run stops —
// blue before the switchover, the new primary after it, a switchover in
// progress waited out first. It never gives up on its own: through
// throttling, refused connections, timeouts and 5xx it tries again with a
// jittered backoff capped at PollPolicy.RetryMax, for ever, showing what it
// waits for and since when. Only the operator stops it (Config.GiveUp: a
// second SIGINT/SIGTERM headless, a severe confirmation in the wizard);
// the run then ends with ProxyEmptyError, which says in plain words that
// the proxy is EMPTY, since when, and the AWS CLI command that restores it.
//
// One refusal no retry can outlast: AWS refuses to register a database
// that is part of a blue/green deployment (rds-facts §5.4; in today's AWS
// for as long as the deployment exists). When blue's registration is
// refused while the run's own deployment exists before its switchover,
// the outage is bounded by --max-proxy-outage as attach-proxy-blue bounds
// it: at the bound compensation rolls back (deletes that deployment with
// its green, which only this run made and nothing serves from, and
// registers blue as soon as AWS accepts it) and the run ends rolled back.
// The wizard (and plain mode) asks first, roll back shown as the default:
// it is the --max-proxy-outage question, the one question design.md §2
// allows while the proxy is empty; "wait" retries for another bound and
// asks again. Headless, HeadlessApprover answers roll back at once, as
// before: --max-proxy-outage is the operator's word on how long the proxy
// may stay empty, and no answer that cannot come keeps it empty. A
// deployment deleted meanwhile by someone else lets the next attempt
// register blue at once.

// ProxyEmptyError ends a run whose compensation the operator stopped while
// a proxy had no target — or, when AWS could not be read, while the run
// could not see its target serving (Unknown). It unwraps to
// context.Canceled: exit 5.
type ProxyEmptyError struct {
	Proxies  []string
	Since    time.Time
	Commands []string // the AWS CLI commands that restore the targets
	Cause    error    // what compensation was answering
	// Unknown: every proxy had production registered when last read (at
	// LastRead), and AWS could not be read since: whether it serves is
	// unknown, and no registration is needed.
	Unknown  bool
	LastRead time.Time
	Checks   []string // the AWS CLI commands that show the proxies' targets
}

func (e *ProxyEmptyError) Error() string {
	var b strings.Builder
	if e.Unknown {
		fmt.Fprintf(&b, "the proxy %s had its target registered when AWS was last read (%s), and AWS could not be read since: whether it serves now is UNKNOWN, not empty. rdsbg stopped checking at the operator's request; no registration is needed. See it with:",
			strings.Join(e.Proxies, ", "), e.LastRead.UTC().Format(time.RFC3339))
		for _, c := range e.Checks {
			b.WriteString("\n  " + c)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "the proxy %s is EMPTY since %s: applications using it cannot connect. rdsbg stopped restoring it at the operator's request. Restore it with:",
		strings.Join(e.Proxies, ", "), e.Since.UTC().Format(time.RFC3339))
	for _, c := range e.Commands {
		b.WriteString("\n  " + c)
	}
	return b.String()
}

func (e *ProxyEmptyError) Unwrap() error { return context.Canceled }

// compensationEnd ends compensation with a state nothing rdsbg does can
// change: a proxy deleted outside rdsbg, or a target AWS keeps failing
// (TargetHealth says why). err is nil when the run's own error stands.
type compensationEnd struct {
	state string
	err   error
}

func (e *compensationEnd) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return "compensation ended: proxy " + e.state
}

// compensationContext ignores the run's cancellation (the interrupt that
// led here) and ends only when the operator gives up.
func (r *run) compensationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if gu := r.e.cfg.GiveUp; gu != nil {
		go func() {
			select {
			case <-gu:
				cancel()
			case <-cctx.Done():
			}
		}()
	}
	return cctx, cancel
}

// compensate returns the proxy state the run ends in. Its error is nil
// unless the operator gave up with a proxy still empty (*ProxyEmptyError)
// or a proxy cannot be restored by anyone (deleted, failing).
func (r *run) compensate(ctx context.Context, cause error) (string, error) {
	if len(r.proxies) == 0 || r.plan.Regime == contract.RegimeNone {
		return contract.ProxyNotUsed, nil
	}
	cctx, cancel := r.compensationContext(ctx)
	defer cancel()
	started := r.e.cfg.Clock.Now()
	announced := false
	var waitUntil time.Time // the operator chose to wait past --max-proxy-outage until then
	saved := r.proxies
	defer func() { r.proxies = saved }()
	for attempt := 1; ; attempt++ {
		state, err := r.compensateOnce(cctx, cause, &announced)
		if err == nil {
			return state, nil
		}
		var end *compensationEnd
		if errors.As(err, &end) {
			return end.state, end.err
		}
		if cctx.Err() != nil {
			return r.abandon(cause)
		}
		var blocked *registrationBlocked
		if errors.As(err, &blocked) {
			if state, orb := r.rollbackBlocked(cctx, blocked, cause, &waitUntil); orb != nil {
				return state, orb
			}
		}
		next := r.e.retryDelay(attempt)
		what := "AWS, to restore the proxy's target"
		// In the words of the last read: empty only when AWS showed it
		// empty, never for a period it could not be read.
		words := r.emptyWords()
		switch {
		case !r.outages.empty() && r.lastSeenServing():
			words = fmt.Sprintf("it served %s when last read at %s and this run has not emptied it since: its state now is UNKNOWN", r.plan.Source.ID, r.lastRead().UTC().Format("15:04:05"))
		case r.lastRegistered():
			words = fmt.Sprintf("its target was registered when last read at %s; whether it serves now is UNKNOWN", r.lastRead().UTC().Format("15:04:05"))
		}
		if advice := awsclient.CredentialsAdvice(err); advice != "" {
			words += "; " + advice
		}
		r.compensationStoppable(true, "attempt %d to restore %s failed (%s); %s; trying again in %s, for as long as it takes (a second Ctrl+C or SIGTERM stops trying)",
			attempt, proxyNames(r.proxies), awsclient.Sanitize(errorInfo(err).Message), words, next.Round(time.Second))
		p := contract.Progress{Waiting: what, Elapsed: r.e.cfg.Clock.Now().Sub(started), Polls: attempt,
			Retry: &contract.RetryInfo{Error: errorInfo(err).Message, Failing: r.e.cfg.Clock.Now().Sub(started), NextIn: next, Attempts: attempt}}
		if since, ok := r.outages.emptySince(); ok {
			p.ProxylessSince = &since
		}
		r.e.emit(contract.Event{Type: contract.EventProgress, Step: r.restoringStep(), Progress: &p})
		r.renewLease(cctx)
		if err := r.e.cfg.Clock.Sleep(cctx, next); err != nil {
			return r.abandon(cause)
		}
	}
}

// lastRead is when the run last read its proxies' targets.
func (r *run) lastRead() time.Time {
	var at time.Time
	for _, reg := range r.proxies {
		if l, ok := r.tags.last[reg.Proxy]; ok && (at.IsZero() || l.at.Before(at)) {
			at = l.at
		}
	}
	return at
}

// lastRegistered: every proxy had production registered when last read.
func (r *run) lastRegistered() bool {
	for _, reg := range r.proxies {
		l, ok := r.tags.last[reg.Proxy]
		if !ok || len(r.plan.Source.Entries(l.targets)) == 0 {
			return false
		}
	}
	return len(r.proxies) > 0
}

// lastSeenServing: every proxy served production (AVAILABLE) when last read.
func (r *run) lastSeenServing() bool {
	for _, reg := range r.proxies {
		l, ok := r.tags.last[reg.Proxy]
		if !ok || !allAvailable(r.plan.Source.Entries(l.targets)) {
			return false
		}
	}
	return len(r.proxies) > 0
}

// restoringStep is the step whose registration compensation restores:
// blue's (the refill before the critical section) before the switchover,
// the new primary's (the section's refill) after it.
func (r *run) restoringStep() contract.StepID {
	want := outsideSection
	if r.sawSwitchover {
		want = inSection
	}
	for _, def := range r.e.rows {
		if def.refills() && def.section == want {
			return def.id
		}
	}
	return ""
}

// compensateOnce is one attempt: read, wait out a switchover, register,
// wait for health. Any error but a *compensationEnd means "try again".
func (r *run) compensateOnce(ctx context.Context, cause error, announced *bool) (string, error) {
	if err := r.dropGoneProxies(ctx); err != nil {
		return "", err
	}
	dep, err := r.findDeployment(ctx)
	if err != nil {
		return "", err
	}
	if dep != nil && dep.Status == "SWITCHOVER_IN_PROGRESS" {
		r.compensationStoppable(true, "waiting for the switchover in progress to finish before touching the proxy")
		if err := r.e.wait(ctx, poll.Spec{Step: contract.StepSwitchover, What: "the switchover to finish or roll back", Speed: poll.Fast,
			Limit: r.plan.Options.SwitchoverTimeout + r.e.cfg.Poll.SwitchoverMargin,
			Poll: func(ctx context.Context) (bool, contract.Progress, error) {
				d, err := r.api.DescribeDeployment(ctx, dep.ID)
				if err != nil {
					return false, contract.Progress{}, err
				}
				dep = &d
				return d.Status != "SWITCHOVER_IN_PROGRESS", r.depProgress(d), nil
			}}); err != nil {
			return "", err
		}
	}
	done := r.switchoverDone(dep)
	r.sawSwitchover = done
	v, err := r.viewProxies(ctx)
	if err != nil {
		return "", err
	}
	n := len(r.proxies)
	if v.all(n) && v.healthyAll(n) {
		return restoredState(done), nil
	}
	if r.continueWithoutProxy && !done {
		r.compensation("the proxy stays empty until the switchover, as approved")
		return contract.ProxyEmpty, nil
	}
	if !*announced {
		who := "blue (" + r.plan.Source.ID + ")"
		if done {
			who = "the new primary (" + r.plan.Source.ID + ")"
		}
		r.compensationStoppable(true, "re-registering %s with %s after: %v", who, proxyNames(r.proxies), cause)
		*announced = true
	}
	if done {
		err = r.registerNewPrimary(ctx, contract.StepAttachProxyPrimary)
	} else {
		err = r.registerAll(ctx)
		if err != nil && dep != nil && refusal(err) {
			return "", &registrationBlocked{err: err, dep: dep.ID}
		}
	}
	if err != nil {
		return "", err
	}
	if err := r.waitHealthy(ctx, r.restoringStep(), "the proxy targets to be AVAILABLE again"); err != nil {
		var sick *errTargetUnhealthy
		if errors.As(err, &sick) {
			// Registering again cannot heal it: stop, saying why.
			r.compensationStoppable(false, "%v", sick)
			return "", &compensationEnd{state: contract.ProxyUnhealthy, err: sick}
		}
		return "", err
	}
	state := restoredState(done)
	r.compensationStoppable(false, "proxy restored: %s", state)
	return state, nil
}

// registrationBlocked: AWS refused blue's registration while the run's
// deployment dep exists, before its switchover.
type registrationBlocked struct {
	err error
	dep string
}

func (e *registrationBlocked) Error() string { return e.err.Error() }
func (e *registrationBlocked) Unwrap() error { return e.err }

// rollbackBlocked rolls the run back once a registration refused while
// its deployment exists has kept the proxy empty for --max-proxy-outage:
// it returns the proxy's state and the rollback's error (the run ends
// rolled back), or nil before the bound, while the operator chose to wait
// (until *waitUntil), or when the rollback did not finish (compensation
// tries again).
func (r *run) rollbackBlocked(ctx context.Context, blocked *registrationBlocked, cause error, waitUntil *time.Time) (string, *errOutageRollback) {
	since, limit := r.blueOutageSince(), r.plan.Options.ProxyOutageLimit()
	now := r.e.cfg.Clock.Now()
	if now.Before(since.Add(limit)) || now.Before(*waitUntil) {
		return "", nil
	}
	if r.waitPastOutageBound(ctx, blocked, since, limit) {
		*waitUntil = now.Add(limit)
		return "", nil
	}
	orb := &errOutageRollback{err: blocked.err, limit: limit, proxy: proxyNames(r.proxies)}
	r.compensationStoppable(false, "rolling back after %v: AWS refuses to register %s while deployment %s exists, and the proxy has been EMPTY for --max-proxy-outage %s: deleting the deployment with its green (this run's, not switched over) and registering %s as soon as AWS accepts it",
		cause, r.plan.Source.ID, blocked.dep, limit, r.plan.Source.ID)
	var green []string
	if dep, err := r.findDeployment(ctx); err == nil && dep != nil {
		for _, m := range dep.Members {
			if m.Target != "" {
				green = append(green, m.Target)
			}
		}
	}
	if err := r.rollback(ctx); err != nil {
		r.compensationStoppable(true, "the rollback did not finish (%v); trying again", err)
		return "", nil
	}
	r.e.emit(contract.Event{Type: contract.EventCompensation, Message: r.leftAfterRollback(ctx, green)})
	return contract.ProxyOnBlue, orb
}

// waitPastOutageBound asks compensation's --max-proxy-outage question:
// roll back (the default, and headless's answer) or wait another bound.
// An answer that cannot be had (the input ended) rolls back; the
// operator's stop (ctx ended) rolls nothing back: compensation abandons.
func (r *run) waitPastOutageBound(ctx context.Context, blocked *registrationBlocked, since time.Time, limit time.Duration) bool {
	src := r.plan.Source.ID
	text := fmt.Sprintf("The proxy %s has been EMPTY for %s (since %s): rdsbg is restoring it, and AWS refuses to register %s while deployment %s exists (%s).\nrollback (the default; what rdsbg does without a terminal): delete deployment %s with its green (this run's, not switched over), register %s as soon as AWS accepts it, and stop with the proxy on blue.\nwait: keep trying to register %s for another %s (asked again then); the proxy stays EMPTY meanwhile.",
		proxyNames(r.proxies), r.e.cfg.Clock.Now().Sub(since).Round(time.Second), since.UTC().Format("15:04:05"), src, blocked.dep, awsWords(blocked.err), blocked.dep, src, src, limit)
	d, err := r.decide(ctx, contract.Approval{Kind: "proxy-outage", Step: r.restoringStep(),
		Title: fmt.Sprintf("The proxy is still empty after --max-proxy-outage %s: roll back (default) or wait longer?", limit),
		Text:  text, Severity: contract.SeverityReversible, Error: errorInfo(blocked.err), Choices: []contract.Decision{contract.DecisionRollback, contract.DecisionWait}})
	if err != nil {
		return ctx.Err() != nil
	}
	if d != contract.DecisionWait {
		return false
	}
	r.compensationStoppable(true, "waiting another %s for AWS to accept %s's registration, at the operator's choice; the proxy stays EMPTY meanwhile", limit, src)
	return true
}

func restoredState(switchedOver bool) string {
	if switchedOver {
		return contract.ProxyOnNewPrimary
	}
	return contract.ProxyOnBlue
}

// emptyFrom is when the proxy lost its target, as AWS showed it (the
// outage book); now when no read showed it empty.
func (r *run) emptyFrom() time.Time {
	if since, ok := r.outages.emptySince(); ok {
		return since
	}
	return r.e.cfg.Clock.Now()
}

// emptyWords says how long the proxy has been empty, from what AWS
// showed: a proxy that could not be read is "unknown", never "empty for
// 0s" (issue 20, case C2).
func (r *run) emptyWords() string {
	now := r.e.cfg.Clock.Now()
	if since, ok := r.outages.emptySince(); ok {
		return "the proxy has been EMPTY for " + contract.FormatDuration(now.Sub(since))
	}
	if since, ok := r.outages.unreadSince(); ok {
		return fmt.Sprintf("the proxy's state is unknown: AWS could not be read since %s", since.UTC().Format("15:04:05"))
	}
	return "AWS has not shown the proxy empty"
}

// restoreCommands are the AWS CLI lines that give every original proxy its
// target back.
func (r *run) restoreCommands() []string {
	c := cliBuilder{region: r.plan.Source.Region}
	src := r.plan.Source
	if src.ID == "" {
		src = r.disc.Source
		c.region = src.Region
	}
	var out []string
	for _, reg := range r.proxies {
		out = append(out, c.register(reg.Proxy, src))
	}
	return out
}

// abandon is the operator's explicit stop: say it everywhere, plainly —
// EMPTY with the commands that restore it, or, when every proxy had its
// target registered at the last read, UNKNOWN (no registration needed).
func (r *run) abandon(cause error) (string, error) {
	var names []string
	var checks []string
	c := cliBuilder{region: r.plan.Source.Region}
	for _, reg := range r.proxies {
		names = append(names, reg.Proxy)
		checks = append(checks, c.describeTargets(reg.Proxy))
	}
	perr := &ProxyEmptyError{Proxies: names, Since: r.emptyFrom(), Commands: r.restoreCommands(), Cause: cause, Checks: checks}
	state := contract.ProxyEmpty
	if r.lastRegistered() {
		perr.Unknown, perr.LastRead, state = true, r.lastRead(), contract.ProxyUnknown
	}
	r.compensationStoppable(false, "%s", perr.Error())
	return state, perr
}

// dropGoneProxies takes the proxies AWS says no longer exist out of
// compensation: nothing can register a target with a deleted proxy. It
// ends compensation (ProxyGone) when none is left.
func (r *run) dropGoneProxies(ctx context.Context) error {
	w := r.readWorld(ctx, false)
	if !w.Known() {
		return &errWorldUnknown{what: w.Unknown, err: w.Err()}
	}
	r.world = &w // switchoverDone asks it when the deployment is gone
	var kept []contract.ProxyRegistration
	var gone []string
	for _, reg := range r.proxies {
		if p := w.Proxy(reg.Proxy); p != nil && p.Gone {
			gone = append(gone, reg.Proxy)
			continue
		}
		kept = append(kept, reg)
	}
	if len(gone) == 0 {
		return nil
	}
	where := "blue is production"
	if s, _ := w.SwitchedOver(); s {
		where = fmt.Sprintf("the switchover is complete: %s is the new primary", r.plan.Source.ID)
	}
	r.compensationStoppable(false, "proxy %s no longer exists (AWS answers not found: deleted outside rdsbg): nothing can register a target with it, so rdsbg stops trying; %s. Recreate the proxy (or point the applications at %s directly)",
		strings.Join(gone, ", "), where, r.plan.Source.ID)
	r.proxies = kept
	if len(kept) == 0 {
		return &compensationEnd{state: contract.ProxyGone}
	}
	return nil
}

// liveProxyState names where the proxy points, from a fresh read.
func (r *run) liveProxyState(ctx context.Context, dep *awsclient.Deployment) string {
	if len(r.proxies) == 0 {
		return contract.ProxyNotUsed
	}
	v, err := r.viewProxies(ctx)
	if err != nil {
		return contract.ProxyUnknown // unread is unknown, never empty
	}
	if !v.all(len(r.proxies)) {
		return contract.ProxyEmpty
	}
	if r.switchoverDone(dep) {
		return contract.ProxyOnNewPrimary
	}
	return contract.ProxyOnBlue
}

// isProxyEmptyError reports whether err is the operator's stop with a
// proxy left empty.
func isProxyEmptyError(err error) bool {
	var pe *ProxyEmptyError
	return errors.As(err, &pe)
}

// describeEmpty fills the summary's account of an empty proxy.
func (r *run) describeEmpty(f *contract.Finished) {
	if f.ProxyState != contract.ProxyEmpty || len(r.proxies) == 0 || r.claimLost {
		return
	}
	since := r.emptyFrom()
	f.ProxyEmptySince = &since
	f.RestoreCommands = r.restoreCommands()
}

// fail compensates, then finishes with the outcome the error implies.
func (r *run) fail(ctx context.Context, err error) (contract.Finished, error) {
	if r.claimLost {
		// The other run emptied the proxy (or is about to): re-registering
		// blue now would make AWS refuse that run's creation
		// (SourceDatabaseNotSupportedFault in the legacy world).
		return r.finish(contract.OutcomeBlocked, err, "")
	}
	state, cerr := r.compensate(ctx, err)
	var orb *errOutageRollback
	switch {
	case errors.As(cerr, &orb):
		// Compensation rolled back at --max-proxy-outage: the run ended
		// for good, as attach-proxy-blue's rollback ends it.
		return r.finish(contract.OutcomeRolledBack, orb, state)
	case isProxyEmptyError(cerr):
		// The operator stopped compensation with a proxy empty: exit 5.
		return r.finish(contract.OutcomeInterrupted, cerr, state)
	case cerr != nil:
		// Nothing rdsbg does can restore it (a failing target): say why.
		return r.finish(outcomeOf(err), fmt.Errorf("%w; %v", err, cerr), state)
	}
	return r.finish(outcomeOf(err), err, state)
}

// fallbackToDetach handles a creation refused under auto mode's native
// plan: nothing has changed yet, so ask, re-plan in detach and go on.
func (r *run) fallbackToDetach(ctx context.Context, fb *errFallbackDetach) error {
	opts := r.plan.Options
	opts.ProxyMode = contract.ProxyModeDetach
	d2 := r.disc
	d2.Proxies = r.proxies
	plan, err := r.e.rows.buildPlan(d2, opts, r.upgrade, r.e.cfg.Clock.Now())
	if err != nil {
		return err
	}
	// Headless without --confirm: the detach procedure's severe steps
	// could not be approved, so say it now, while nothing has changed,
	// as bad usage (exit 2), not later as a decline (walkthrough D13).
	if cerr := r.e.checkPlan(plan, r.prior.Done); cerr != nil {
		return fmt.Errorf("AWS refused to create the deployment while %s is a proxy target (%s), so only the detach procedure remains: %w", r.plan.Source.ID, awsWords(fb.err), cerr)
	}
	info := errorInfo(fb.err)
	text := fmt.Sprintf("AWS refused to create the blue/green deployment while %s is a target of %s (%s). Native RDS Proxy support does not apply to this database. Nothing has been changed. rdsbg can switch to the detach procedure: deregister the proxy, create the deployment, register blue again at once while green is provisioning, and detach/re-attach around the switchover. %s",
		r.plan.Source.ID, proxyNames(r.proxies), awsWords(fb.err), detachOutageNote(proxyNames(r.proxies), r.plan.Options.ProxyOutageLimit()))
	d, err := r.decide(ctx, contract.Approval{Kind: "fallback-detach", Step: contract.StepCreateDeployment, Title: "Switch to the detach procedure?", Text: text,
		Severity: contract.SeverityReversible, Error: info, Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}})
	if err != nil {
		return err
	}
	if d != contract.DecisionApprove {
		return fmt.Errorf("%w: the detach fallback was declined", contract.ErrDeclined)
	}
	r.e.emit(contract.Event{Type: contract.EventNotice, Step: contract.StepCreateDeployment, Message: "switching to the detach regime after AWS refused the creation with a registered proxy"})
	r.plan = plan
	p := plan
	r.e.emit(contract.Event{Type: contract.EventPlanReady, Plan: &p, Message: "re-planned for the detach regime"})
	r.saveRunbook()
	return r.journal.Append(journal.Record{Kind: journal.RecordPlan, Plan: &p, Message: "fallback to detach"})
}

// rollback deletes the deployment with its green and restores the
// original proxy registrations. Only before a switchover.
func (r *run) rollback(ctx context.Context) error {
	cctx, cancel := detached(ctx, 2*r.e.cfg.Poll.DeleteLimit+r.e.cfg.Poll.ProxyTargetLimit) // registration during the deletion, health, then the deletion
	defer cancel()
	dep, err := r.findDeployment(cctx)
	if err != nil {
		return err
	}
	if r.pastSwitchover(dep) {
		return poll.Fatal("the switchover has started (deployment %s): rolling back is no longer possible", dep.Status)
	}
	if dep != nil {
		r.noteGreen(*dep) // what may still be deleting when the run ends (finish.go)
		r.compensation("deleting deployment %s and its green resources", dep.ID)
		if dep.Status != "DELETING" {
			if _, err := r.api.DeleteDeployment(cctx, dep.ID, true); err != nil && awsclient.Classify(err) != awsclient.KindNotFound {
				return fmt.Errorf("delete deployment %s: %w", dep.ID, err)
			}
			r.leaseGone() // the lease goes with the deployment (ownership.go)
		}
	}
	// Registered as soon as AWS accepts it, not after the deletion
	// (registerDuringDeletion); the deletion is waited out after the proxy serves.
	if len(r.proxies) > 0 {
		// Said only where a proxy exists (walkthrough D25).
		r.compensation("registering the original targets with %s", proxyNames(r.proxies))
	}
	if err := r.registerDuringDeletion(cctx, dep); err != nil {
		return err
	}
	if err := r.waitHealthy(cctx, contract.StepAttachProxyBlue, "the original proxy targets to be AVAILABLE"); err != nil {
		return err
	}
	if dep != nil {
		if err := r.waitDeploymentGone(cctx, contract.StepCreateDeployment, dep.ID); err != nil {
			return err
		}
	}
	if len(r.proxies) > 0 {
		r.compensation("the proxy targets %s again", r.plan.Source.ID)
	}
	return nil
}

func (r *run) compensation(format string, args ...any) {
	r.compensationEvent(nil, fmt.Sprintf(format, args...))
}

// compensationStoppable is a compensation message that also says whether
// the operator's explicit stop (a second Ctrl+C, the wizard's x) can now end
// the attempts to restore the proxy: true while compensation tries, false
// once it has restored the proxy, given up or handed over to a rollback.
func (r *run) compensationStoppable(stoppable bool, format string, args ...any) {
	r.compensationEvent(&stoppable, fmt.Sprintf(format, args...))
}

func (r *run) compensationEvent(stoppable *bool, msg string) {
	r.e.emit(contract.Event{Type: contract.EventCompensation, Message: msg, Stoppable: stoppable})
	_ = r.journal.Append(journal.Record{Kind: journal.RecordCompensation, Message: msg, DeploymentID: r.dep.id})
}

// rollbackOutage undoes the run after errOutageRollback and ends it with
// the proxy on blue, naming what is left.
func (r *run) rollbackOutage(ctx context.Context, orb *errOutageRollback) (contract.Finished, error) {
	var green []string
	if dep, err := r.findDeployment(ctx); err == nil && dep != nil {
		for _, m := range dep.Members {
			if m.Target != "" {
				green = append(green, m.Target)
			}
		}
	}
	r.compensationStoppable(false, "rolling back: %v", orb)
	if err := r.rollback(ctx); err != nil {
		return r.fail(ctx, fmt.Errorf("%v; the rollback did not finish: %w", orb, err))
	}
	r.e.emit(contract.Event{Type: contract.EventCompensation, Message: r.leftAfterRollback(ctx, green)})
	return r.finish(contract.OutcomeRolledBack, orb, contract.ProxyOnBlue)
}

// leftAfterRollback names what the rollback leaves: green resources AWS is
// still deleting, and the journal.
func (r *run) leftAfterRollback(ctx context.Context, green []string) string {
	var still []string
	for _, arn := range green {
		id, status := contract.ARNName(arn), ""
		var err error
		switch {
		case strings.Contains(arn, ":db:"):
			var i awsclient.Instance
			i, err = r.api.DescribeInstance(ctx, id)
			status = i.Status
		case strings.Contains(arn, ":cluster:"):
			var c awsclient.Cluster
			c, err = r.api.DescribeCluster(ctx, id)
			status = c.Status
		default:
			continue // custom endpoints go with their cluster
		}
		if err == nil {
			still = append(still, fmt.Sprintf("%s (%s)", id, status))
		}
	}
	msg := fmt.Sprintf("rolled back: the proxy targets blue (%s); deployment %s is deleted", r.plan.Source.ID, contract.OrNoDetails(r.dep.id))
	if len(still) > 0 {
		msg += "; AWS is still deleting green: " + strings.Join(still, ", ")
	} else {
		msg += " with its green"
	}
	return msg + "; left: the journal " + r.journal.Path() + "; start again with `rdsbg run` when AWS accepts the registration, or use --proxy-mode native where AWS supports it"
}

// registerDuringDeletion registers the original targets while AWS deletes
// dep (nil: no deployment), as soon as AWS accepts it: the rollback's
// outage is then the deletion call plus the registration, not the whole
// deletion too. Whether AWS accepts a registration while the deployment
// is DELETING is undocumented (rds-facts §5.4 says only that a DB in a
// deployment cannot be registered; the simulator no longer counts a
// DELETING deployment), so a refusal is retried at the fast cadence until
// it is accepted or the deployment is gone, then registered as usual.
func (r *run) registerDuringDeletion(ctx context.Context, dep *awsclient.Deployment) error {
	if dep == nil {
		return r.registerAll(ctx)
	}
	gone, refusals := false, 0
	started := r.e.cfg.Clock.Now()
	err := r.e.wait(ctx, poll.Spec{Step: contract.StepAttachProxyBlue, What: "AWS to accept the original targets while deployment " + dep.ID + " is deleted", Speed: poll.Fast, Limit: r.e.cfg.Poll.DeleteLimit,
		Poll: func(ctx context.Context) (bool, contract.Progress, error) {
			err := r.registerAll(ctx)
			if err == nil {
				return true, contract.Progress{}, nil
			}
			if !refusal(err) {
				if poll.Retryable(ctx, err) {
					return false, contract.Progress{}, err // throttled, 5xx, refused connection: the wait retries it
				}
				// Denied, not found: waiting fixes nothing; the rollback
				// fails and compensation (which the operator can stop)
				// takes over.
				return false, contract.Progress{}, &poll.FatalError{Err: err}
			}
			refusals++
			d, derr := r.api.DescribeDeployment(ctx, dep.ID)
			if awsclient.Classify(derr) == awsclient.KindNotFound {
				gone = true
				return true, contract.Progress{DeploymentID: dep.ID, DeploymentStatus: "deleted"}, nil
			}
			if derr != nil {
				return false, contract.Progress{}, derr
			}
			p := r.depProgress(d)
			p.Waiting = fmt.Sprintf("AWS refuses to register %s while deployment %s is %s (%s): retrying until it accepts or the deployment is gone",
				r.plan.Source.ID, dep.ID, d.Status, awsWords(err))
			return false, p, nil
		}})
	if err != nil {
		return err
	}
	if gone {
		return r.registerAll(ctx)
	}
	if refusals > 0 {
		r.compensation("AWS accepted the original targets %s after %d refusal(s) while deployment %s was being deleted", r.e.cfg.Clock.Now().Sub(started).Round(time.Second), refusals, dep.ID)
	}
	return nil
}
