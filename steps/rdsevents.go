package steps

import (
	"context"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// RDS events in the timeline (issue 15): while the run waits on its
// deployment, rdsbg reads the deployment's events (DescribeEvents,
// SourceType blue-green-deployment) at a slow cadence, shows each new one
// as a notice, journals it, and quotes the last failure event when a
// creation or a switchover fails. The read only informs: a refusal or an
// unimplemented action turns it off with one notice; it never stops a run.

// RecordRDSEvent journals one RDS event (its message; the step it came in).
const RecordRDSEvent RecordKind = "rds-event"

// eventCadence is the least time between two reads of the events: a few
// calls an hour, far inside the API budget.
const eventCadence = time.Minute

// eventSteps are the long waits whose events are read: provisioning and
// the upgrade of green.
var eventSteps = map[StepID]bool{StepCreateDeployment: true, StepProvisionGreen: true, StepUpgradeGreen: true, StepAttachProxyBlue: true}

type eventWatch struct {
	lastRead time.Time // clock time of the last read
	since    time.Time // AWS time of the newest event seen
	seen     map[string]bool
	failure  string // the newest failure event's message
	off      bool   // refused or unimplemented: no more reads
}

// readEvents reads the deployment's new events when the cadence allows,
// or at once when force is set (a failure to explain).
func (r *run) readEvents(ctx context.Context, force bool) {
	reader, ok := r.api.(awsclient.EventReader)
	if !ok || r.dep.id == "" || r.events.off {
		return
	}
	if !eventSteps[r.currentStep()] {
		// Never in or next to the critical section: a read there would
		// take the pacer's budget from the calls that bound the window.
		return
	}
	now := r.e.cfg.Clock.Now()
	if !force && !r.events.lastRead.IsZero() && now.Sub(r.events.lastRead) < eventCadence {
		return
	}
	r.events.lastRead = now
	evs, err := reader.DescribeEvents(ctx, "blue-green-deployment", r.dep.id, r.events.since)
	if err != nil {
		if why, ok := awsclient.Unavailable(err); ok {
			r.events.off = true
			r.e.notice(r.currentStep(), "RDS events are not shown: DescribeEvents failed (%s; it needs rds:DescribeEvents)", why)
		}
		return
	}
	if r.events.seen == nil {
		r.events.seen = map[string]bool{}
	}
	for _, ev := range evs {
		key := ev.Time.UTC().Format(time.RFC3339Nano) + "|" + ev.Message
		if r.events.seen[key] {
			continue
		}
		r.events.seen[key] = true
		if ev.Time.After(r.events.since) {
			r.events.since = ev.Time
		}
		if ev.Failure() {
			r.events.failure = ev.Message
		}
		step := r.currentStep()
		r.e.notice(step, "RDS event %s: %s", ev.Time.UTC().Format("15:04:05"), ev.Message)
		_ = r.journal.Append(Record{Kind: RecordRDSEvent, Step: step, DeploymentID: r.dep.id, Message: ev.Message})
	}
}

// explainWithEvents adds the newest failure event to a failure's details.
func (r *run) explainWithEvents(details string) string {
	if r.events.failure == "" {
		return details
	}
	return details + "; RDS event: " + r.events.failure
}

func (r *run) currentStep() StepID {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	return r.e.current
}
