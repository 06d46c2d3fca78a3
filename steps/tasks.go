package steps

import (
	"sort"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// This file keeps the deployment Tasks' time in status honest (issue 13):
// a task's clock stops when it reaches COMPLETED (the row then shows how
// long the task ran), and the times are journalled so that a resumed run
// carries them on instead of starting them at zero.

// taskRow is a task's progress row; a change of status is journalled.
// created is the deployment's CreateTime (zero when unknown): the first
// task runs from then, so a first sight of it in progress is timed from
// creation, not from the read.
func (r *run) taskRow(name, status string, now time.Time, first bool, created time.Time) contract.TaskRow {
	seen, ok := r.taskSeen[name]
	if !ok || seen.status != status {
		next := taskSince{status: status, since: now}
		switch {
		case ok && status == "COMPLETED":
			next.took, next.atLeast = now.Sub(seen.since), seen.atLeast
		case !ok && status == "IN_PROGRESS" && first && !created.IsZero() && created.Before(now):
			next.since = created
		case !ok && status != "PENDING":
			next.atLeast = true // already in this status at the first read
		}
		seen = next
		r.taskSeen[name] = seen
		if r.journal != nil {
			_ = r.journal.Append(journal.Record{Kind: journal.RecordTask, Task: &journal.TaskMark{Name: name, Status: status, Since: seen.since, Took: seen.took, AtLeast: seen.atLeast}})
		}
	}
	in := now.Sub(seen.since)
	if status == "COMPLETED" {
		in = seen.took
	}
	return contract.TaskRow{Name: name, Status: status, InStatus: in, AtLeast: seen.atLeast}
}

// restoreTasks takes the task clocks from the journal of the resumed run.
func (r *run) restoreTasks() {
	for name, m := range r.prior.Tasks {
		r.taskSeen[name] = taskSince{status: m.Status, since: m.Since, took: m.Took, atLeast: m.AtLeast}
	}
}

// taskMarkers re-records the task clocks after a resume's run-started
// record, which would otherwise hide them from the next fold.
func (r *run) taskMarkers() []journal.Record {
	var out []journal.Record
	for name, t := range r.taskSeen {
		out = append(out, journal.Record{Kind: journal.RecordTask, Task: &journal.TaskMark{Name: name, Status: t.status, Since: t.since, Took: t.took, AtLeast: t.atLeast}})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Task.Name < out[k].Task.Name })
	return out
}
