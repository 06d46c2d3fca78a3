package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/world"
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
	// Running: another rdsbg process holds the source's lock now (LockedBy
	// names it): the run is live, and resume would be refused.
	Running  bool   `json:"running,omitempty"`
	LockedBy string `json:"locked_by,omitempty"`
	// World is the view read from AWS that every live field above comes
	// from (roles, proxies, ownership); nil without an AWS client.
	World *world.World `json:"world,omitempty"`
	// Holder names who holds the run's deployment now by its owner lease
	// (another process, here or on another host); "" when nobody does.
	Holder string `json:"holder,omitempty"`
	// SwitchedOutside: AWS shows the run's deployment switched over,
	// though the run never switched over (by hand, or another tool).
	SwitchedOutside bool `json:"switched_outside,omitempty"`
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
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			// The last run ended for good: its archive (journal.go).
			if a := latestArchive(stateDir, source); a != "" {
				path = a
			}
		}
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
	proxies := st.Proxies
	if len(proxies) == 0 && st.Plan != nil {
		proxies = st.Plan.Proxies
	}
	if src.ID == "" {
		src.ID = st.Source
	}
	rep.live(ctx, api, src, proxies, st, stateDir, path)
	return rep, nil
}

// live fills the report's present from the world view read from AWS
// (design.md §8): the deployment, who plays which role, where each proxy
// points and who holds the run, next to the journal's history.
func (rep *StatusReport) live(ctx context.Context, api awsclient.API, src Source, proxies []ProxyRegistration, st JournalState, stateDir, path string) {
	q := world.Query{Source: src.ID, Kind: src.Kind, BlueResourceID: src.ResourceID, BlueCreated: src.Created, DeploymentID: rep.DeploymentID, FindDeployment: rep.DeploymentID == "", AllProxies: true, Details: true}
	var names []string
	for _, reg := range proxies {
		names = append(names, reg.Proxy)
	}
	q.Proxies = names
	w := world.Read(ctx, api, q, time.Now())
	rep.World = &w
	rep.Unreadable = append(rep.Unreadable, w.Unknown...)
	switch {
	case w.Deployment != nil:
		rep.DeploymentState = "live"
		dep := w.Deployment.Deployment
		rep.Deployment = &dep
		if rep.DeploymentID == "" {
			rep.DeploymentID = dep.ID
		}
	case w.DeploymentGone != "":
		rep.DeploymentState = "gone"
		rep.Warnings = append(rep.Warnings, "deployment "+rep.DeploymentID+" no longer exists")
	case rep.DeploymentID != "":
		rep.DeploymentState = StateUnknown
	}
	for _, name := range names {
		if p := w.Proxy(name); p != nil {
			for _, reg := range p.Registrations {
				for _, t := range reg.Targets {
					t.ProxyName = name
					rep.ProxyTargets = append(rep.ProxyTargets, t)
				}
			}
		}
	}
	rep.ProxyState = proxyStateOf(w, names)
	if rep.ProxyState == ProxyUnknown {
		rep.ProxyState = StateUnknown
	}
	if len(names) == 0 {
		rep.ProxyState = ProxyNotUsed
	}
	switched, _ := w.SwitchedOver()
	if rep.Unfinished && switched && st.Steps[StepSwitchover] == "" && len(st.Renames) == 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the deployment was switched over outside rdsbg (this run never switched over): %s; `rdsbg resume --source %s` puts the proxy on the new primary (taking any -oldN target off it), verifies and cleans up", rolesWords(w), src.ID))
		rep.SwitchedOutside = true
	}
	if rep.Unfinished && w.DeploymentGone != "" && !switched && st.Steps[StepSwitchover] == "" {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the run's deployment was deleted outside rdsbg: nothing of it is left to resume; `rdsbg run --source %s` starts over", src.ID))
	}
	now := time.Now()
	if d := w.Deployment; d != nil && d.Owner.Lease != nil && d.Owner.Lease.Released.IsZero() && !d.Owner.Lease.Expired(now) {
		rep.Holder = d.Owner.Lease.Holder()
	}
	rep.LockedBy, rep.Running = lockHolder(stateDir, src.ID)
	if rep.Holder != "" && rep.Unfinished && !rep.Running {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the run's deployment is held now by %s: `rdsbg resume` is refused while that lease lives", rep.Holder))
	}
}

// Text renders the report for a terminal.
func (s StatusReport) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "source:     %s\njournal:    %s\n", s.Source, s.JournalPath)
	if s.Regime != "" {
		fmt.Fprintf(&b, "regime:     %s\n", s.Regime)
	}
	switch {
	case s.Running:
		// Not "resume continues it": resume would be refused by the lock
		// (walkthrough U16).
		fmt.Fprintf(&b, "run:        RUNNING now in another rdsbg process (%s): watch it there; `rdsbg status` again shows where it stands\n", orNone(s.LockedBy))
	case s.Holder != "" && s.Unfinished:
		fmt.Fprintf(&b, "run:        RUNNING now, held by %s (its owner lease in AWS): wait for it\n", s.Holder)
	case s.SwitchedOutside:
		fmt.Fprintf(&b, "run:        switched over outside rdsbg: `rdsbg resume --source %s` puts the proxy on the new primary\n", s.Source)
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
		role := ""
		if s.World != nil {
			if p := s.World.Proxy(t.ProxyName); p != nil {
				if reg := p.Registered(t.RdsResourceID); reg != nil {
					role = " (" + string(reg.Role) + ")"
				} else if t.TrackedClusterID != "" {
					if reg := p.Registered(t.TrackedClusterID); reg != nil {
						role = " (" + string(reg.Role) + ")"
					}
				}
			}
		}
		fmt.Fprintf(&b, "  %s → %s%s %s %s\n", t.ProxyName, t.RdsResourceID, role, t.Type, world.HealthWords(t.Health))
	}
	if s.World != nil {
		if p := s.World.Production(); p != nil {
			fmt.Fprintf(&b, "roles:      %s\n", rolesWords(*s.World))
		}
	}
	if len(s.Outages) > 0 {
		b.WriteString("outage:     " + OutageHeadline(s.Outages) + "\n")
		for _, w := range s.Outages {
			b.WriteString("  " + OutageLine(w) + "\n")
		}
	}
	if len(s.Steps) > 0 {
		b.WriteString("steps:\n")
		for _, st := range s.Steps {
			state := st.State
			if state == "" {
				state = "-"
			}
			if state == StepStateSkipped {
				state = "skipped" // not needed for this run
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
