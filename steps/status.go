package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// StatusReport is a run's journal next to live AWS state (`rdsbg status`).
type StatusReport struct {
	Source       string                  `json:"source"`
	JournalPath  string                  `json:"journal"`
	Regime       Regime                  `json:"regime,omitempty"`
	Steps        []StepStatus            `json:"steps,omitempty"`
	Finished     *Finished               `json:"finished,omitempty"`
	Unfinished   bool                    `json:"unfinished"`
	DeploymentID string                  `json:"deployment_id,omitempty"`
	Deployment   *awsclient.Deployment   `json:"deployment,omitempty"` // live; nil when gone
	ProxyTargets []awsclient.ProxyTarget `json:"proxy_targets,omitempty"`
	Outages      []OutageWindow          `json:"proxy_outages,omitempty"` // from the journal (outage.go)
	ProxyState   string                  `json:"proxy_state"`
	Warnings     []string                `json:"warnings,omitempty"`
	// DeploymentState is "live", "gone" (AWS says it does not exist) or
	// "UNKNOWN" (AWS could not be read); "" without a deployment.
	DeploymentState string `json:"deployment_state,omitempty"`
	// Unreadable lists what AWS could not be read for (status_unknown.go):
	// those live fields are UNKNOWN and `rdsbg status` exits 1.
	Unreadable []string `json:"unreadable,omitempty"`
	// Paused is the run's pause in the ready state, when it is one.
	Paused *PausedRun `json:"paused,omitempty"`
	// Detached: proxies tagged rdsbg:detached for the source, read from AWS.
	Detached []DetachedProxy `json:"detached_proxies,omitempty"`
}

// StepStatus is one planned step with its last journalled transition.
type StepStatus struct {
	ID      StepID    `json:"id"`
	Title   string    `json:"title"`
	State   string    `json:"state"` // "" = not reached
	Started time.Time `json:"started,omitempty"`
}

// Status reads a source's journal and the live state it refers to. With
// source empty it picks the most recent journal in stateDir. It changes
// nothing and takes no lock.
func Status(ctx context.Context, api awsclient.API, stateDir, source string) (StatusReport, error) {
	path := ""
	if source != "" {
		path = JournalPath(stateDir, source)
	} else {
		paths, err := journalFiles(stateDir)
		if err != nil {
			return StatusReport{}, &StateDirError{Dir: stateDir, Err: err}
		}
		if len(paths) == 0 {
			return StatusReport{}, &InputError{Input: "--source", ExitCode: ExitUsage, Message: "no rdsbg journal in " + stateDir}
		}
		path = paths[0]
	}
	recs, err := ReadJournal(path)
	if err != nil && source != "" && api != nil {
		// No journal here, or one that cannot be read (its error says
		// which): AWS alone (proxy_tags.go).
		return liveStatus(ctx, api, source, path, err)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return StatusReport{}, err // unreadable is not absent (journal.go)
	}
	if err != nil {
		return StatusReport{}, &InputError{Input: "--source", ExitCode: ExitUsage, Message: fmt.Sprintf("no journal for %s at %s: %v", source, path, err)}
	}
	st := FoldJournal(recs)
	rep := StatusReport{Source: st.Source, JournalPath: path, Finished: st.Finished, Unfinished: st.Unfinished(), DeploymentID: st.DeploymentID}
	var src Source
	rep.Outages = st.Outages
	if st.Plan != nil {
		rep.Regime = st.Plan.Regime
		src = st.Plan.Source
		for _, s := range st.Plan.Steps {
			rep.Steps = append(rep.Steps, StepStatus{ID: s.ID, Title: s.Title, State: st.Steps[s.ID], Started: st.Started[s.ID]})
		}
		if rep.DeploymentID == "" {
			rep.DeploymentID = st.Plan.Deployment
		}
	}
	if p, ok := pausedOf(path, st); ok {
		rep.Paused = &p
	}
	if api == nil {
		// No AWS client (no region, no configuration): every live field is
		// unknown, never "gone".
		rep.ProxyState = StateUnknown
		if rep.DeploymentID != "" {
			rep.DeploymentState = StateUnknown
		}
		return rep, nil
	}
	if rep.DeploymentID != "" {
		dep, err := api.DescribeDeployment(ctx, rep.DeploymentID)
		switch {
		case awsclient.Classify(err) == awsclient.KindNotFound:
			rep.DeploymentState = "gone"
			rep.Warnings = append(rep.Warnings, "deployment "+rep.DeploymentID+" no longer exists")
		case err != nil:
			rep.DeploymentState = StateUnknown
			rep.Unreadable = append(rep.Unreadable, "deployment "+rep.DeploymentID+": "+err.Error())
		default:
			rep.DeploymentState = "live"
			rep.Deployment = &dep
		}
	}
	proxies := st.Proxies
	if len(proxies) == 0 && st.Plan != nil {
		proxies = st.Plan.Proxies
	}
	rep.ProxyState = ProxyNotUsed
	if len(proxies) > 0 {
		registered := 0
		for _, reg := range proxies {
			ts, err := api.DescribeProxyTargets(ctx, reg.Proxy)
			if err != nil {
				rep.Unreadable = append(rep.Unreadable, fmt.Sprintf("proxy %s: %v", reg.Proxy, err))
				continue
			}
			mine := targetsOf(ts, src)
			for i := range mine {
				mine[i].ProxyName = reg.Proxy
			}
			rep.ProxyTargets = append(rep.ProxyTargets, mine...)
			if len(mine) > 0 {
				registered++
			}
		}
		switch {
		case len(rep.Unreadable) > 0:
			// Never turn an error into "none": unread is unknown.
			rep.ProxyState = StateUnknown
		case registered < len(proxies):
			rep.ProxyState = ProxyEmpty
		case switchedOver(rep.Deployment) || (rep.Deployment == nil && st.Steps[StepSwitchover] == StepStateDone):
			rep.ProxyState = ProxyOnNewPrimary
		default:
			rep.ProxyState = ProxyOnBlue
		}
	}
	return rep, nil
}

// Text renders the report for a terminal.
func (s StatusReport) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "source:     %s\njournal:    %s\n", s.Source, s.JournalPath)
	if s.Regime != "" {
		fmt.Fprintf(&b, "regime:     %s\n", s.Regime)
	}
	switch {
	case s.Finished != nil && s.Finished.Outcome == OutcomeReady && s.Unfinished:
		fmt.Fprintf(&b, "run:        paused, ready for the switchover (exit 0): `rdsbg resume --source %s` re-checks readiness and switches over\n", s.Source)
	case s.Finished != nil && !s.Unfinished:
		fmt.Fprintf(&b, "run:        finished, %s (exit %d)\n", s.Finished.Outcome, s.Finished.ExitCode)
	case s.Finished != nil:
		fmt.Fprintf(&b, "run:        stopped, %s (exit %d): `rdsbg resume` continues it\n", s.Finished.Outcome, s.Finished.ExitCode)
	case s.Unfinished:
		b.WriteString("run:        unfinished (running, or crashed): `rdsbg resume` continues it\n")
	}
	if s.Paused != nil {
		fmt.Fprintf(&b, "paused:     %s\n", s.Paused.Line())
	}
	if s.DeploymentID != "" {
		status := "gone"
		if s.DeploymentState == StateUnknown {
			status = StateUnknown + " (AWS could not be read)"
		}
		if s.Deployment != nil {
			status = s.Deployment.Status
			if s.Deployment.StatusDetails != "" {
				status += " (" + s.Deployment.StatusDetails + ")"
			}
		}
		fmt.Fprintf(&b, "deployment: %s %s\n", s.DeploymentID, status)
	}
	proxy := s.ProxyState
	if proxy == StateUnknown {
		proxy += " (AWS could not be read)"
	}
	fmt.Fprintf(&b, "proxy:      %s\n", proxy)
	for _, t := range s.ProxyTargets {
		fmt.Fprintf(&b, "  %s → %s %s %s\n", t.ProxyName, t.RdsResourceID, t.Type, t.Health.State)
	}
	if len(s.Outages) > 0 {
		b.WriteString("proxy outages:" + OutageLines(s.Outages, OutageTotalMS(s.Outages), "\n  ") + "\n")
	}
	if len(s.Steps) > 0 {
		b.WriteString("steps:\n")
		for _, st := range s.Steps {
			state := st.State
			if state == "" {
				state = "-"
			}
			fmt.Fprintf(&b, "  %-22s %-8s %s\n", st.ID, state, st.Title)
		}
	}
	if s.Finished != nil {
		for _, l := range s.Finished.DBFollowUpLines() { // dbchecks.go
			fmt.Fprintf(&b, "database:   %s\n", l)
		}
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, u := range s.Unreadable {
		fmt.Fprintf(&b, "UNKNOWN: could not read %s\n", u)
	}
	return b.String()
}
