package contract

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
	"github.com/rdsbg/rdsbg/steps/probe"
)

// EventType names an event in the one stream that feeds the wizard, plain
// mode and --output json (docs/events.md documents every type).
type EventType string

const (
	EventRunStarted   EventType = "run-started"
	EventPreflight    EventType = "preflight"
	EventPlanReady    EventType = "plan-ready"
	EventApproval     EventType = "approval-needed"
	EventApproved     EventType = "approval-answered"
	EventStepStarted  EventType = "step-started"
	EventStepSkipped  EventType = "step-skipped"
	EventProgress     EventType = "progress"
	EventAPICall      EventType = "api-call"
	EventStepDone     EventType = "step-done"
	EventStepFailed   EventType = "step-failed"
	EventNotice       EventType = "notice" // e.g. the regime fallback taken by --yes
	EventCompensation EventType = "compensation"
	EventRunFinished  EventType = "run-finished"
	// EventDBSchemaChanged: the schema watch saw DDL (or GRANT/REVOKE, or
	// a large object change) on blue while green replicates (dbchecks.go).
	EventDBSchemaChanged EventType = "db-schema-changed"
)

// Event is one line of the stream. Only the fields that apply are set.
type Event struct {
	Time time.Time `json:"time"`
	Type EventType `json:"type"`
	// Source and Fleet name the run an event belongs to in a fleet's
	// stream (`rdsbg fleet run`), where many runs share one output.
	Source   string        `json:"source,omitempty"`
	Fleet    string        `json:"fleet,omitempty"`
	Step     StepID        `json:"step,omitempty"`
	Message  string        `json:"message,omitempty"`
	Checks   []CheckResult `json:"checks,omitempty"`
	Plan     *Plan         `json:"plan,omitempty"`
	Approval *Approval     `json:"approval,omitempty"`
	Decision Decision      `json:"decision,omitempty"`
	Progress *Progress     `json:"progress,omitempty"`
	Traffic  *ProxyTraffic `json:"traffic,omitempty"` // proxy-traffic (outage.go)
	// Stoppable, on compensation events: whether the operator's explicit
	// stop can now end the attempts to restore the proxy (compensate.go).
	Stoppable *bool `json:"stoppable,omitempty"`
	// StepOutcome, on step-skipped events: already-done (AWS shows the
	// step's effect) or not-needed (it does not apply to this run); on
	// step-failed events: failed or interrupted (a quit or a signal).
	StepOutcome string          `json:"step_outcome,omitempty"`
	Call        *awsclient.Call `json:"call,omitempty"`
	Error       *ErrorInfo      `json:"error,omitempty"`
	// DBChange names what the schema watch saw move on blue.
	DBChange *dbcheck.Change `json:"db_change,omitempty"`
	*Finished
}

// Sink receives events. It must not block for long: the wizard forwards
// them to its program, the NDJSON writer prints them.
type Sink func(Event)

// CheckStatus is a preflight check outcome.
type CheckStatus string

const (
	CheckPass CheckStatus = "pass"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
	// CheckNotRun: the check could not be made (the database checks
	// without credentials); never counted as passed.
	CheckNotRun CheckStatus = "not-run"
)

// CheckResult is one preflight row.
type CheckResult struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Status      CheckStatus `json:"status"`
	Explanation string      `json:"explanation"`
	Remediation string      `json:"remediation,omitempty"`
	// Changed: the check itself changed AWS and reading it back did not
	// show the change undone (the permission probe at an endpoint that is
	// not AWS). Then no text may say that nothing was changed.
	Changed bool `json:"changed,omitempty"`
	// The database checks' rows also carry the SQL they ran, the AWS page
	// the rule comes from and what they found (capped; FoundTotal counts).
	SQL        string   `json:"sql,omitempty"`
	Source     string   `json:"source,omitempty"`
	Found      []string `json:"found,omitempty"`
	FoundTotal int      `json:"found_total,omitempty"`
}

// Progress is a snapshot of what a wait is watching.
type Progress struct {
	DeploymentID     string                       `json:"deployment_id,omitempty"`
	DeploymentStatus string                       `json:"deployment_status,omitempty"`
	StatusDetails    string                       `json:"status_details,omitempty"`
	Tasks            []TaskRow                    `json:"tasks,omitempty"`
	Members          []awsclient.SwitchoverMember `json:"members,omitempty"`
	ProxyTargets     []awsclient.ProxyTarget      `json:"proxy_targets,omitempty"`
	Instances        []InstanceRow                `json:"instances,omitempty"`
	Elapsed          time.Duration                `json:"elapsed_ns"`
	// ProxylessSince is set while the proxy has no target (critical section).
	ProxylessSince *time.Time `json:"proxyless_since,omitempty"`
	Polls          int        `json:"polls"`
	Waiting        string     `json:"waiting,omitempty"` // what the wait is for, in words
	// Metrics are the proxy's connections and green's lag from CloudWatch
	// (metrics.go); nil when metrics are off.
	Metrics *MetricsSample `json:"metrics,omitempty"`
	// Retry is set while AWS cannot be read or changed (throttling,
	// refused connections, timeouts, 5xx) and rdsbg keeps trying.
	Retry *RetryInfo `json:"retry,omitempty"`
	// DBSessions are the sessions holding the ready-check's database gate
	// (query truncated, literals blanked).
	DBSessions []dbcheck.Session `json:"db_sessions,omitempty"`
}

// RetryInfo is what a retrying wait or compensation shows: what failed,
// for how long, and when the next try comes.
type RetryInfo struct {
	Error    string        `json:"error"`
	Failing  time.Duration `json:"failing_ns"` // since the first failure in a row
	NextIn   time.Duration `json:"next_in_ns"`
	Attempts int           `json:"attempts"`
}

// TaskRow is a Task with the time it has spent in its status.
type TaskRow struct {
	Name     string        `json:"name"`
	Status   string        `json:"status"`
	InStatus time.Duration `json:"in_status_ns"`
	// AtLeast: InStatus is a lower bound (the task was already in its
	// status when rdsbg first read it).
	AtLeast bool `json:"at_least,omitempty"`
}

// InstanceRow is an instance or cluster status.
type InstanceRow struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// Proxy states reported when a run finishes (issue 3, §8), the last four
// derived from the world view.
const (
	ProxyOnBlue       = "blue"
	ProxyOnNewPrimary = "new-primary"
	ProxyEmpty        = "none"
	ProxyNotUsed      = "no-proxy"
	// ProxyUnknown: an early stop when AWS could not be read: rdsbg does
	// not claim "blue" it has not seen.
	ProxyUnknown = "unknown"
	// ProxyGone: a proxy of the run no longer exists (deleted outside rdsbg).
	ProxyGone = "gone"
	// ProxyOnOldBlue: a proxy points at the old blue (-oldN), read-only
	// since the switchover (a switchover made outside rdsbg).
	ProxyOnOldBlue = "old-blue"
	// ProxyUnhealthy: production is registered but AWS reports it not
	// AVAILABLE for a reason that waiting does not fix (TargetHealth).
	ProxyUnhealthy = "unhealthy"
)

// Step outcomes of a step-skipped event (Event.StepOutcome).
const (
	SkippedAlreadyDone = "already-done" // AWS already shows its effect
	SkippedNotNeeded   = "not-needed"   // it does not apply to this run
)

// Sentinel errors that ExitCode maps.
var (
	// ErrBlocked: preflight found a blocker; nothing was changed.
	ErrBlocked = errors.New("preflight blocked the run; nothing was changed")
	// ErrDeclined: the operator (or the headless rules) said no.
	ErrDeclined = errors.New("cancelled by the operator")
)

// Outcomes of a run.
const (
	OutcomeDone        = "done"
	OutcomeFailed      = "failed"
	OutcomeCancelled   = "cancelled"
	OutcomeInterrupted = "interrupted"
	OutcomeBlocked     = "blocked"
	OutcomeRolledBack  = "rolled-back"
	// OutcomeReady: everything before the critical section is done (green
	// in sync, the proxy on blue) and the run waits for `rdsbg resume` to
	// switch over: `run --until ready`, or the critical section declined in
	// the wizard. Exit 0; status and resume list it as paused.
	OutcomeReady = "ready"
)

// Finished is the summary carried by the run-finished event; its fields sit
// at the top level of that event's JSON.
type Finished struct {
	Outcome           string            `json:"outcome"`
	ExitCode          int               `json:"exit_code"`
	ProxyState        string            `json:"proxy_state"`
	ProxylessWindowMS int64             `json:"proxyless_window_ms"`
	SwitchoverMS      int64             `json:"switchover_ms"`
	Timeline          []TimelineEntry   `json:"timeline,omitempty"`
	Renames           map[string]string `json:"renames,omitempty"` // before → after
	JournalPath       string            `json:"journal,omitempty"`
	RunbookPath       string            `json:"runbook,omitempty"`
	DeploymentID      string            `json:"deployment_id,omitempty"`

	// ProxyOutages are every period a proxy that served production had no
	// AVAILABLE target (outage.go); ProxylessWindowMS is the critical
	// section's alone.
	ProxyOutages       []OutageWindow `json:"proxy_outages,omitempty"`
	ProxyOutageTotalMS int64          `json:"proxy_outage_total_ms"`

	// Metrics is what the applications saw around each step (metrics.go);
	// empty when metrics are off.
	Metrics []StepMetrics `json:"metrics,omitempty"`
	// Probe is the SQL probe's measure of the applications' downtime
	// (steps/probe); nil without --probe-dsn.
	Probe *probe.Report `json:"probe,omitempty"`
	// ProxyEmptySince and RestoreCommands are set when the run ends with
	// a proxy empty (proxy_state "none"): since when, and the AWS CLI
	// commands that give it its target back.
	ProxyEmptySince *time.Time `json:"proxy_empty_since,omitempty"`
	RestoreCommands []string   `json:"restore_commands,omitempty"`
	// OldBlue: the -oldN resources AWS keeps after the switchover and
	// whether they are read-only (steps/finish.go); nil before a switchover.
	OldBlue *OldBlueState `json:"old_blue,omitempty"`
	// Source is the source identifier the run acted on.
	Source string `json:"source,omitempty"`
	// Green is green as the run left it waiting for the switchover
	// (outcome ready): its members and classes, and the replication lag.
	Green *GreenInfo `json:"green,omitempty"`
	// Leftovers are the resources the run leaves in AWS (steps/finish.go).
	Leftovers []Leftover `json:"leftovers,omitempty"`
	// LeftoversUnknown: the command stopped before it read what is in AWS
	// (a refusal: the lock, bad input), so Leftovers says nothing either
	// way (walkthrough U12: "nothing of this run in AWS" beside a
	// deployment being provisioned).
	LeftoversUnknown bool `json:"leftovers_unknown,omitempty"`
	// FinalSnapshot is the old blue's final snapshot, when cleanup old-blue
	// took (or will take) one: the one name the prompt, runbook, call and
	// summary use (FinalSnapshotID).
	FinalSnapshot string `json:"final_snapshot,omitempty"`
	// DBLedger: after a switchover, what the database's dependants must do
	// (dbchecks.go, DBFollowUpLines); nil without database checks.
	DBLedger *dbcheck.Ledger `json:"db_ledger,omitempty"`
}

// TimelineEntry is one step's span in the summary.
type TimelineEntry struct {
	Step     StepID        `json:"step"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Outcome  string        `json:"outcome"` // done, checked (a check-only step), already-done, not-needed, declined, failed, interrupted
	// ApprovalWait is the time the step waited for the operator's answer,
	// kept out of Duration so that Duration measures the work.
	ApprovalWait time.Duration `json:"approval_wait_ns,omitempty"`
}

// Exit codes (design.md §4).
const (
	ExitOK          = 0
	ExitStepFailed  = 1
	ExitUsage       = 2
	ExitPreflight   = 3
	ExitCancelled   = 4
	ExitInterrupted = 5
)

// GreenInfo is green as a ready run leaves it: what keeps running (and
// costing) until the switchover, and how far behind blue it is.
type GreenInfo struct {
	DeploymentID string        `json:"deployment_id,omitempty"`
	Members      []GreenMember `json:"members,omitempty"`
	// Lag is the last replication lag read from CloudWatch, in words
	// ("ReplicaLag 2 s"); empty when unknown (metrics off, no data yet).
	Lag string `json:"lag,omitempty"`
}

// GreenMember is one green DB instance and its class: naming the classes
// is how the operator sees what green costs per hour.
type GreenMember struct {
	ID    string `json:"id"`
	Class string `json:"class,omitempty"`
}

// Classes is "db.r6g.large ×2, db.r6g.xlarge" for the members.
func (g GreenInfo) Classes() string {
	count := map[string]int{}
	var order []string
	for _, m := range g.Members {
		c := m.Class
		if c == "" {
			c = "unknown class"
		}
		if count[c] == 0 {
			order = append(order, c)
		}
		count[c]++
	}
	parts := make([]string, len(order))
	for i, c := range order {
		parts[i] = c
		if count[c] > 1 {
			parts[i] += fmt.Sprintf(" ×%d", count[c])
		}
	}
	return strings.Join(parts, ", ")
}

// OldBlueState is what AWS keeps of old blue after a switchover: the -oldN
// resources stay, read-only (rds-facts §4.4), which matters to anyone who
// plans to fall back to them. No API field shows the guard, so this is the
// documented behaviour applied to what the run did, not a read.
type OldBlueState struct {
	Resources []string `json:"resources"` // the -oldN names
	ReadOnly  bool     `json:"read_only"`
	Note      string   `json:"note"` // one line for the summary
}

// Leftover is one resource a run leaves in AWS.
type Leftover struct {
	Kind string `json:"kind"` // "deployment", "green", "old-blue", "snapshot"
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

// FinalSnapshotID is the name of the snapshot taken of an old blue
// resource (the -oldN instance or cluster) before cleanup deletes it. It is
// deterministic so that a resumed cleanup finds the snapshot a crashed one
// started.
func FinalSnapshotID(resource string) string {
	id := "rdsbg-final-" + resource
	if len(id) > 255 {
		id = id[:255]
	}
	return id
}
