package journal

import (
	"fmt"
	"strings"
	"time"
)

// RecentRun is one journal in a state directory, unfinished or finished
// (archived): what `rdsbg status` lists when no run is pending, so an
// empty listing still says what happened last (walkthrough D11: it exited
// 2 "nothing to resume" and listed nothing).
type RecentRun struct {
	Source   string    `json:"source"`
	Journal  string    `json:"journal"`
	Outcome  string    `json:"outcome"` // "unfinished" when the run has not ended
	Finished time.Time `json:"finished,omitempty"`
}

// RecentRuns lists the journals of stateDir, newest first, at most n.
func RecentRuns(stateDir string, n int) ([]RecentRun, error) {
	paths, err := Files(stateDir)
	if err != nil {
		return nil, &StateDirError{Dir: stateDir, Err: err}
	}
	var out []RecentRun
	for _, p := range paths {
		recs, err := Read(p)
		if err != nil {
			continue
		}
		st := Fold(recs)
		if st.Plan == nil {
			continue
		}
		r := RecentRun{Source: st.Source, Journal: p, Outcome: "unfinished"}
		if st.Finished != nil && !st.Unfinished() {
			r.Outcome, r.Finished = st.Finished.Outcome, st.FinishedAt
		}
		out = append(out, r)
		if len(out) == n {
			break
		}
	}
	return out, nil
}

// RenderRecentRuns is the listing for a terminal.
func RenderRecentRuns(dir string, runs []RecentRun) string {
	var b strings.Builder
	if len(runs) == 0 {
		fmt.Fprintf(&b, "No rdsbg run is recorded in %s.\n", dir)
		return b.String()
	}
	fmt.Fprintf(&b, "No unfinished rdsbg run in %s. The latest runs:\n", dir)
	for _, r := range runs {
		when := ""
		if !r.Finished.IsZero() {
			when = " at " + r.Finished.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(&b, "  %s: %s%s (%s)\n", r.Source, r.Outcome, when, r.Journal)
	}
	b.WriteString("Pass --source ID for a run's journal beside the live state in AWS.\n")
	return b.String()
}
