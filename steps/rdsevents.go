package steps

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// RDS events in the timeline (issue 15): while the run waits on its
// deployment, rdsbg reads the events of the deployment, its members and
// its proxies (DescribeEvents, source types blue-green-deployment,
// db-instance, db-cluster, db-proxy) at a slow cadence, shows each new one
// as a notice, journals it (kind rds-event, with the event as rds_event),
// and quotes the last failure event when a creation or a switchover fails. The read only informs: a refusal or an
// unimplemented action turns it off with one notice; it never stops a run.

// eventCadence is the least time between two reads of the events. A read
// is one call per source type (2 to 4 calls), so at two minutes it costs
// at most 2 calls a minute: with the deployment's own polls, the run stays
// inside its budget of 6 calls a minute while green provisions
// (BenchmarkAPIFootprint; at one minute it measured 6.58).
const eventCadence = 2 * time.Minute

type eventWatch struct {
	lastRead time.Time // clock time of the last read
	since    time.Time // AWS time of the newest event seen
	seen     map[string]bool
	failure  string // the newest failure event's message
	off      bool   // refused or unimplemented: no more reads
}

// readEvents reads the new events of the deployment, of its members
// (blue's and green's DB instances and clusters) and of the proxies in
// front of them, when the cadence allows, or at once when force is set (a
// failure to explain). Members and proxies are read by source type, one
// call per type for every source of the account, and kept by name: a few
// calls a minute however many members the deployment has.
func (r *run) readEvents(ctx context.Context, force bool) {
	reader, ok := r.api.(awsclient.EventReader)
	if !ok || r.dep.id == "" || r.events.off {
		return
	}
	if def, _ := r.e.rows.def(r.currentStep()); !force && def.events != readsEvents {
		// Never in or next to the critical section: a read there would
		// take the pacer's budget from the calls that bound the window.
		// A failure (force) is read at once: the section has ended.
		return
	}
	now := r.e.cfg.Clock.Now()
	if !force && !r.events.lastRead.IsZero() && now.Sub(r.events.lastRead) < eventCadence {
		return
	}
	r.events.lastRead = now
	since := r.events.since
	var evs []awsclient.RDSEvent
	for _, q := range r.eventQueries() {
		got, err := reader.DescribeEvents(ctx, q.sourceType, q.sourceID, since)
		if err != nil {
			if why, ok := awsclient.Unavailable(err); ok {
				r.events.off = true
				r.e.notice(r.currentStep(), "RDS events are not shown: DescribeEvents failed (%s; it needs rds:DescribeEvents)", why)
			}
			return
		}
		for _, ev := range got {
			if q.sourceID != "" || q.names[strings.ToLower(ev.SourceID)] {
				evs = append(evs, ev)
			}
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	if r.events.seen == nil {
		r.events.seen = map[string]bool{}
	}
	for _, ev := range evs {
		key := ev.Time.UTC().Format(time.RFC3339Nano) + "|" + ev.SourceID + "|" + ev.Message
		if r.events.seen[key] {
			continue
		}
		r.events.seen[key] = true
		if ev.Time.After(r.events.since) {
			r.events.since = ev.Time
		}
		text := ev.Message
		if ev.SourceType != "blue-green-deployment" {
			text = ev.SourceID + ": " + ev.Message
		}
		if ev.Failure() {
			r.events.failure = text
		}
		step := r.currentStep()
		r.e.notice(step, "RDS event %s: %s", ev.Time.UTC().Format("15:04:05"), text)
		e := ev
		_ = r.journal.Append(journal.Record{Kind: journal.RecordRDSEvent, Step: step, DeploymentID: r.dep.id, Message: ev.Message, RDSEvent: &e})
	}
}

// eventQuery is one DescribeEvents call: one source, or every source of a
// type kept when its name is in names.
type eventQuery struct {
	sourceType, sourceID string
	names                map[string]bool
}

// eventQueries are the reads of one round: the deployment; the DB
// instances (and, for Aurora, the clusters) of blue and green; the
// proxies of the plan (DescribeEvents source types, rds-facts §2).
func (r *run) eventQueries() []eventQuery {
	qs := []eventQuery{{sourceType: "blue-green-deployment", sourceID: r.dep.id}}
	dbs := map[string]bool{}
	add := func(id string) {
		if id != "" {
			dbs[strings.ToLower(id)] = true
		}
	}
	add(r.disc.Source.ID)
	for _, m := range r.disc.Source.Members {
		add(m)
	}
	for _, m := range r.disc.Members {
		add(m.ID)
	}
	for _, g := range r.greenSeen {
		add(g)
	}
	for _, g := range r.names.green {
		add(g)
	}
	for _, old := range r.names.renames { // production name → its -oldN name
		add(old)
	}
	qs = append(qs, eventQuery{sourceType: "db-instance", names: dbs})
	if r.disc.Source.Kind == contract.KindCluster {
		qs = append(qs, eventQuery{sourceType: "db-cluster", names: dbs})
	}
	if len(r.proxies) > 0 {
		proxies := map[string]bool{}
		for _, p := range r.proxies {
			proxies[strings.ToLower(p.Proxy)] = true
		}
		qs = append(qs, eventQuery{sourceType: "db-proxy", names: proxies})
	}
	return qs
}

// explainFailure reads the events at once, then explains: a switchover or
// creation that failed is quoted in AWS's own words.
func (r *run) explainFailure(ctx context.Context, details string) string {
	r.readEvents(ctx, true)
	return r.explainWithEvents(details)
}

// explainWithEvents adds the newest failure event to a failure's details.
func (r *run) explainWithEvents(details string) string {
	if r.events.failure == "" {
		return details
	}
	return details + "; RDS event: " + r.events.failure
}

func (r *run) currentStep() contract.StepID {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	return r.e.current
}
