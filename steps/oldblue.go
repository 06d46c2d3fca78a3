package steps

import (
	"strings"

	"github.com/rdsbg/rdsbg/steps/contract"
)

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
