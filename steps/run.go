package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/world"
)

// run is the hub of one execution (a fresh run, a resume or an abort):
// what every step needs, then the small types that own the rest of its
// state, each written by the file named beside it.
type run struct {
	e       *Engine
	api     awsclient.API
	disc    Discovery
	plan    Plan
	upgrade *awsclient.UpgradeTarget
	journal *Journal
	lock    *sourceLock
	prior   JournalState // what the journal said when this execution began
	// resumedAt: this execution continues a journalled run, begun then.
	resumedAt *time.Time
	// depSeen is the run's deployment as AWS last showed it, worldSwitched
	// what the last world read said of the switchover (deployment.go).
	depSeen       *awsclient.Deployment
	worldSwitched bool
	// claimLost: another run claimed the proxies at the same moment and
	// goes on (claimProxies). This run emptied nothing: the proxies are
	// the other run's to empty and restore, so this one neither
	// compensates nor hands out restore commands.
	claimLost bool

	unsubscribe func() // stops the call log feeding this run

	dep      deploymentRef        // the run's deployment (deployment.go)
	proxies  []ProxyRegistration  // original registrations: the rollback record
	names    renameBook           // what the switchover renamed (renames.go)
	outages  outageBook           // the proxies' empty time and the live traffic line (outage.go)
	tags     proxyTagState        // proxies' ARNs and rdsbg:detached tags (proxy_tags.go)
	events   eventWatch           // RDS events read for explanations (rdsevents.go)
	pace     criticalPace         // what paces the critical waits (critical_pace.go)
	taskSeen map[string]taskSince // deployment task → when its status was first seen (tasks.go)
	timeline []TimelineEntry      // every step's outcome, for the summary (step.go)
	leases   leaseKeeper          // the run's owner lease on its deployment (lease.go)
	blueTags blueTagBook          // blue's rdsbg:source tag before the creation (step_create_deployment.go)
	world    *world.World         // the last world read by a reconciliation (reconcile.go)
	watch    proxyWatcher         // the proxies' watch during long waits (reconcile.go)
	// unhealthy: since when each proxy's target has been failing
	// (TargetHealth), across the run's waits (proxy_targets.go).
	unhealthy map[string]time.Time
	// snap is the world a mutating step read for its reconciliation: its
	// observe reads from it instead of reading AWS again (step.go).
	snap *world.World
	// switchedOutside: the deployment was switched over outside rdsbg
	// (resume found it so): the proxy may point at the old blue.
	switchedOutside bool
	// adopting is the deployment --adopt names, once the gate accepted it
	// (ownership.go).
	adopting string
	// archivePath: the run ended for good (not resumable): its journal is
	// archived there when the run closes (journal.go).
	archivePath string

	// The operator's answers in this process.
	criticalApproved bool          // the critical section is approved (runner.go)
	criticalWait     time.Duration // its approval wait, reported on its first step (step.go)
	// approved holds the steps the operator approved in this process, so a
	// step re-run after the fallback to detach (create-deployment) is not
	// asked twice for the same change.
	approved             map[StepID]bool
	continueWithoutProxy bool // the operator chose to leave the proxy empty until switchover
	// cleanupDeclined: the operator said no to the optional cleanup after a
	// successful switchover; the run is done, with leftovers (ready.go).
	cleanupDeclined bool

	// What single steps learn for the summary.
	sawSwitchover      bool          // compensation saw the switchover done (compensate.go)
	switchoverDuration time.Duration // step_switchover.go
	renamesVerified    bool          // verify_renames.go
	greenSeen          []string      // green members' identifiers, as last seen (leftovers.go)
	readyGreen         *GreenInfo    // green as a run paused ready leaves it (ready.go)
	changes            *changeWatch  // a fresh run's changes so far: exit 3 while none (nochange.go)

	// db is the connection to blue's database for the schema watch, the
	// gates and the ledger (dbchecks.go); nil without credentials.
	db         *dbRun
	dbResolved bool
}

type taskSince struct {
	status string
	since  time.Time
	took   time.Duration // COMPLETED: the time spent in the status before (tasks.go)
	// atLeast: first read already in its status: the times are lower bounds
	atLeast bool
}

// ask sends an approval and turns anything but approve into ErrDeclined.
func (r *run) ask(ctx context.Context, a Approval) error {
	d, err := r.decide(ctx, a)
	if err != nil {
		return err
	}
	if d != DecisionApprove {
		return fmt.Errorf("%w: %s (%s)", ErrDeclined, a.Title, d)
	}
	return nil
}

// decide sends an approval and returns the raw decision.
func (r *run) decide(ctx context.Context, a Approval) (Decision, error) {
	if len(a.Choices) == 0 {
		a.Choices = []Decision{DecisionApprove, DecisionDecline}
	}
	ap := a
	r.e.emit(Event{Type: EventApproval, Step: a.Step, Approval: &ap})
	d, err := r.awaitAnswer(ctx, a) // lease.go: the lease is renewed meanwhile
	if err != nil {
		return "", err
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	r.e.emit(Event{Type: EventApproved, Step: a.Step, Decision: d, Message: a.Kind})
	return d, nil
}

// errorInfo is an error in the operator's words.
func errorInfo(err error) *ErrorInfo {
	if err == nil {
		return nil
	}
	info := &ErrorInfo{Message: err.Error()}
	if api, ok := awsclient.Inspect(err); ok {
		info.Operation = api.Operation
		info.Code = api.Code
		info.RequestID = api.RequestID
		info.Meaning = meaningOf(api)
	}
	if advice := awsclient.CredentialsAdvice(err); advice != "" {
		info.Meaning = advice // credentials are their own class: refreshed, never an IAM fix
	}
	var wt *WaitTimeoutError
	switch {
	case errors.As(err, &wt):
		info.Meaning = "AWS did not reach the expected state in time; nothing was undone by AWS on our behalf. Check the console, then `rdsbg resume` to keep waiting or `rdsbg abort` to undo."
	case errors.Is(err, context.Canceled):
		info.Meaning = "interrupted; the journal is complete: `rdsbg resume` continues from live AWS state"
	}
	return info
}

func meaningOf(api awsclient.APIErrorInfo) string {
	switch api.Kind {
	case awsclient.KindThrottled:
		return "AWS is rate-limiting this account's RDS API calls; retry later"
	case awsclient.KindAccessDenied:
		return "the credentials lack an IAM permission for this call"
	case awsclient.KindNotFound:
		return "the resource no longer exists; someone may have changed it outside rdsbg"
	case awsclient.KindInvalidState:
		return "the resource is busy or in a state that does not allow this call yet"
	case awsclient.KindInvalidParameter:
		return "AWS refused a parameter; the message says which"
	}
	if api.HTTPStatus >= 500 {
		return "an AWS-side error; the call can be retried with `rdsbg resume`"
	}
	return ""
}

func proxyNames(regs []ProxyRegistration) string {
	var names []string
	for _, r := range regs {
		names = append(names, r.Proxy)
	}
	if len(names) == 0 {
		return "the proxy"
	}
	return strings.Join(names, ", ")
}

// awsWords is "Code: message" of an AWS error, without the SDK's wrapping.
func awsWords(err error) string {
	if info, ok := awsclient.Inspect(err); ok {
		return strings.TrimSpace(info.Code + ": " + info.Message)
	}
	return err.Error()
}
