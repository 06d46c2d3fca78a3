package journal

import (
	"fmt"
	"github.com/rdsbg/rdsbg/steps/contract"
	"strings"
	"time"
)

// This file lists the runs that wait for the operator (issue 13): runs
// paused in the ready state, and runs that stopped or crashed and can be
// resumed. `rdsbg status` and `rdsbg resume` without --source show them
// with their age and, for a ready run, green's lag and instance classes:
// green runs (and costs) until someone switches over or aborts.

// PausedRun is one resumable run as its journal tells it.
type PausedRun struct {
	Source  string              `json:"source"`
	Journal string              `json:"journal"`
	Outcome string              `json:"outcome"` // ready, failed, interrupted, or "" (running or crashed)
	Since   time.Time           `json:"since"`   // when it stopped (or started, if it never finished)
	Green   *contract.GreenInfo `json:"green,omitempty"`
}

// pausedOf is the journal's run as a PausedRun, when it is resumable.
func PausedOf(path string, st State) (PausedRun, bool) {
	if !st.Unfinished() {
		return PausedRun{}, false
	}
	p := PausedRun{Source: st.Source, Journal: path, Since: st.RunStarted}
	if st.Finished != nil {
		p.Outcome = st.Finished.Outcome
		p.Green = st.Finished.Green
		if !st.FinishedAt.IsZero() {
			p.Since = st.FinishedAt
		}
	}
	return p, true
}

// PausedRuns lists the resumable runs under stateDir, most recent first.
func PausedRuns(stateDir string) ([]PausedRun, error) {
	paths, err := Files(stateDir)
	if err != nil {
		return nil, err
	}
	var out []PausedRun
	for _, path := range paths {
		recs, err := Read(path)
		if err != nil {
			continue
		}
		if p, ok := PausedOf(path, Fold(recs)); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// Line is the run in one line, without its age.
func (p PausedRun) Line() string {
	var b strings.Builder
	switch p.Outcome {
	case contract.OutcomeReady:
		b.WriteString("ready for the switchover")
	case "":
		b.WriteString("unfinished (running, or crashed)")
	default:
		b.WriteString("stopped, " + p.Outcome)
	}
	fmt.Fprintf(&b, " since %s", p.Since.UTC().Format("2006-01-02 15:04 UTC"))
	if g := p.Green; g != nil {
		if classes := g.Classes(); classes != "" {
			fmt.Fprintf(&b, "; green runs on %s", classes)
		}
		if g.Lag != "" {
			fmt.Fprintf(&b, "; lag %s", g.Lag)
		} else if p.Outcome == contract.OutcomeReady {
			b.WriteString("; lag unknown")
		}
	}
	return b.String()
}

// LineAt is the run in one line with its age at now, for the listings.
func (p PausedRun) LineAt(now time.Time) string {
	return fmt.Sprintf("%-24s %s (%s ago)", p.Source, p.Line(), age(now.Sub(p.Since)))
}

// age is a duration in the largest units that matter: 3d4h, 2h05m, 7m.
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

// RenderPausedRuns is the listing `status` and `resume` print without
// --source.
func RenderPausedRuns(runs []PausedRun, now time.Time) string {
	if len(runs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Runs waiting for you:\n")
	for _, p := range runs {
		b.WriteString("  " + p.LineAt(now) + "\n")
	}
	return b.String()
}
