package steps

import (
	"sort"
	"time"
)

// This file keeps the deployment Tasks' time in status honest (issue 13):
// a task's clock stops when it reaches COMPLETED (the row then shows how
// long the task ran), and the times are journalled so that a resumed run
// carries them on instead of starting them at zero.

// TaskMark is a deployment task's status and when it entered it, as the
// journal keeps it (RecordTask).
type TaskMark struct {
	Name   string    `json:"name"`
	Status string    `json:"status"`
	Since  time.Time `json:"since"`
	// Took is, for a COMPLETED task, the time it spent in its status
	// before: how long it ran. 0 when it was first seen COMPLETED.
	Took time.Duration `json:"took_ns,omitempty"`
}

// taskRow is a task's progress row; a change of status is journalled.
func (r *run) taskRow(name, status string, now time.Time) TaskRow {
	seen, ok := r.taskSeen[name]
	if !ok || seen.status != status {
		next := taskSince{status: status, since: now}
		if ok && status == "COMPLETED" {
			next.took = now.Sub(seen.since)
		}
		seen = next
		r.taskSeen[name] = seen
		if r.journal != nil {
			_ = r.journal.Append(Record{Kind: RecordTask, Task: &TaskMark{Name: name, Status: status, Since: seen.since, Took: seen.took}})
		}
	}
	in := now.Sub(seen.since)
	if status == "COMPLETED" {
		in = seen.took
	}
	return TaskRow{Name: name, Status: status, InStatus: in}
}

// restoreTasks takes the task clocks from the journal of the resumed run.
func (r *run) restoreTasks() {
	for name, m := range r.prior.Tasks {
		r.taskSeen[name] = taskSince{status: m.Status, since: m.Since, took: m.Took}
	}
}

// taskMarkers re-records the task clocks after a resume's run-started
// record, which would otherwise hide them from the next fold.
func (r *run) taskMarkers() []Record {
	var out []Record
	for name, t := range r.taskSeen {
		out = append(out, Record{Kind: RecordTask, Task: &TaskMark{Name: name, Status: t.status, Since: t.since, Took: t.took}})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Task.Name < out[k].Task.Name })
	return out
}
