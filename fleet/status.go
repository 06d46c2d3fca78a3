package fleet

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Phases of a database as AWS shows it (fleet status, and the check
// before each run starts).
const (
	PhaseNotStarted   = "not-started"
	PhaseProvisioning = "provisioning"
	PhaseReady        = "ready"
	PhaseSwitching    = "switching-over"
	PhaseDone         = "done"
	PhaseFailed       = "failed"
	PhaseDeleting     = "deleting"
	PhaseBlocked      = "blocked"
	PhaseUnknown      = "unknown" // AWS could not be read
)

// DatabaseStatus is one database of the fleet as AWS shows it now.
type DatabaseStatus struct {
	Account    string   `json:"account"`
	Region     string   `json:"region"`
	Source     string   `json:"source"`
	Wave       int      `json:"wave"`
	Phase      string   `json:"phase"`
	Version    string   `json:"version,omitempty"` // the source's engine version now
	Target     string   `json:"target_version,omitempty"`
	Deployment string   `json:"deployment,omitempty"` // bgd- id and status
	Run        string   `json:"run,omitempty"`        // the run id tagged on the deployment
	Proxies    []string `json:"proxies,omitempty"`    // each proxy in the traffic line's words
	ProxyEmpty bool     `json:"proxy_empty,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// Status is `fleet status`: every database of the plan, read from AWS.
type Status struct {
	Fleet     string           `json:"fleet"`
	Databases []DatabaseStatus `json:"databases"`
	Counts    map[string]int   `json:"counts"`
	// Foreign are deployments tagged with this fleet's id whose source
	// is not in the plan (another plan of the same id, or a hand edit).
	Foreign []string `json:"foreign,omitempty"`
}

// ReadStatus reads the fleet from AWS alone: in every account-Region of
// the plan, the deployments tagged rdsbg:fleet=<id>, each database's
// engine version and its proxies' targets. Nothing local is read, so any
// machine with the plan sees the same fleet.
func ReadStatus(ctx context.Context, p *Plan, connect Connect, clk clock.Clock, budgets *Budgets) Status {
	if clk == nil {
		clk = clock.Real{}
	}
	b := budgets.orNew(clk)
	out := Status{Fleet: p.ID, Databases: make([]DatabaseStatus, len(p.Databases)), Counts: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, t := range p.Targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rds, cw := b.of(t.Profile, t.Region, t.Budget)
			api, err := connect(ctx, t.Profile, t.Region, nil, rds, cw)
			var deps []awsclient.Deployment
			if err == nil {
				deps, err = api.ListDeployments(ctx, "")
			}
			mine := map[string]awsclient.Deployment{}
			for _, d := range deps {
				if d.Tags[contract.TagFleet] == p.ID {
					mine[d.Tags[contract.TagSource]] = d
				}
			}
			for i, d := range p.Databases {
				if d.Account != t.Account || d.Region != t.Region {
					continue
				}
				var s DatabaseStatus
				if err != nil {
					s = DatabaseStatus{Phase: PhaseUnknown, Error: err.Error()}
				} else {
					s = databaseStatus(ctx, api, d, mine)
				}
				delete(mine, d.Source)
				s.Account, s.Region, s.Source, s.Wave, s.Target = d.Account, d.Region, d.Source, d.Wave, d.TargetVersion
				if len(d.Blocked) > 0 {
					s.Phase = PhaseBlocked
				}
				out.Databases[i] = s
			}
			mu.Lock()
			for src, dep := range mine {
				out.Foreign = append(out.Foreign, fmt.Sprintf("%s/%s/%s (%s, %s)", t.Account, t.Region, src, dep.ID, dep.Status))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Strings(out.Foreign)
	for _, d := range out.Databases {
		out.Counts[d.Phase]++
	}
	return out
}

// observe is one database's phase, read before its run starts.
func observe(ctx context.Context, api *awsclient.Client, d Database, fleetID string) (DatabaseStatus, error) {
	deps, err := api.ListDeployments(ctx, "")
	if err != nil {
		return DatabaseStatus{}, err
	}
	mine := map[string]awsclient.Deployment{}
	for _, dep := range deps {
		if dep.Tags[contract.TagFleet] == fleetID {
			mine[dep.Tags[contract.TagSource]] = dep
		}
	}
	s := databaseStatus(ctx, api, d, mine)
	if s.Phase == PhaseUnknown {
		return s, fmt.Errorf("%s", s.Error)
	}
	return s, nil
}

func databaseStatus(ctx context.Context, api *awsclient.Client, d Database, deps map[string]awsclient.Deployment) DatabaseStatus {
	var s DatabaseStatus
	if d.Kind == contract.KindCluster {
		c, err := api.DescribeCluster(ctx, d.Source)
		if err != nil {
			return DatabaseStatus{Phase: PhaseUnknown, Error: err.Error()}
		}
		s.Version = c.EngineVersion
	} else {
		in, err := api.DescribeInstance(ctx, d.Source)
		if err != nil {
			return DatabaseStatus{Phase: PhaseUnknown, Error: err.Error()}
		}
		s.Version = in.EngineVersion
	}
	s.Phase = PhaseNotStarted
	if dep, ok := deps[d.Source]; ok {
		s.Deployment = dep.ID + " " + dep.Status
		s.Run = dep.Tags[contract.TagRun]
		switch dep.Status {
		case "PROVISIONING":
			s.Phase = PhaseProvisioning
		case "AVAILABLE":
			s.Phase = PhaseReady
		case "SWITCHOVER_IN_PROGRESS":
			s.Phase = PhaseSwitching
		case "SWITCHOVER_COMPLETED":
			s.Phase = PhaseDone
		case "DELETING":
			s.Phase = PhaseDeleting
		default:
			s.Phase = PhaseFailed
		}
	}
	if s.Phase == PhaseNotStarted || s.Phase == PhaseDeleting {
		// A finished run's cleanup deletes its deployment: the version
		// the database runs now says whether it switched over.
		if d.TargetVersion != "" && s.Version == d.TargetVersion {
			s.Phase = PhaseDone
		}
	}
	for _, proxy := range d.Proxies {
		words, empty, err := proxyWords(ctx, api, proxy)
		if err != nil {
			words = proxy + " UNKNOWN (" + err.Error() + ")"
		}
		s.ProxyEmpty = s.ProxyEmpty || empty
		s.Proxies = append(s.Proxies, words)
	}
	return s
}

// proxyWords is a proxy as the traffic line says it: "orders-proxy →
// orders-db AVAILABLE", or "orders-proxy EMPTY".
func proxyWords(ctx context.Context, api *awsclient.Client, proxy string) (string, bool, error) {
	targets, err := api.DescribeProxyTargets(ctx, proxy)
	if err != nil {
		return "", false, err
	}
	var best *awsclient.ProxyTarget
	for i := range targets {
		t := &targets[i]
		if t.Type == "TRACKED_CLUSTER" && len(targets) > 1 {
			continue
		}
		if best == nil || t.Health.State == "AVAILABLE" {
			best = t
		}
	}
	if best == nil {
		return "PROXY EMPTY · " + proxy + " has no target", true, nil
	}
	target := best.RdsResourceID
	if best.TrackedClusterID != "" {
		target = best.TrackedClusterID
	}
	state := best.Health.State
	if state == "" {
		state = "UNKNOWN"
	}
	if state != "AVAILABLE" {
		return fmt.Sprintf("PROXY EMPTY · %s → %s %s", proxy, target, state), true, nil
	}
	return fmt.Sprintf("PROXY %s → %s %s", proxy, target, state), false, nil
}

// Text renders the status as a table with the counts first.
func (s Status) Text() string {
	var b strings.Builder
	var parts []string
	for _, ph := range []string{PhaseDone, PhaseReady, PhaseSwitching, PhaseProvisioning, PhaseNotStarted, PhaseFailed, PhaseDeleting, PhaseBlocked, PhaseUnknown} {
		if n := s.Counts[ph]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, ph))
		}
	}
	empty := 0
	for _, d := range s.Databases {
		if d.ProxyEmpty {
			empty++
		}
	}
	fmt.Fprintf(&b, "Fleet %s, read from AWS: %s; %d proxies empty\n", s.Fleet, strings.Join(parts, ", "), empty)
	for _, d := range s.Databases {
		dep := d.Deployment
		if dep == "" {
			dep = "no deployment"
		}
		line := fmt.Sprintf("  %-12s %-14s %-12s wave %-2d %-15s %-10s %s", d.Account, d.Region, d.Source, d.Wave, d.Phase, d.Version, dep)
		if len(d.Proxies) > 0 {
			line += " · " + strings.Join(d.Proxies, "; ")
		}
		if d.Error != "" {
			line += " · " + d.Error
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	for _, f := range s.Foreign {
		fmt.Fprintf(&b, "  not in the plan, tagged with this fleet: %s\n", f)
	}
	return b.String()
}

// Unreadable says whether any database could not be read.
func (s Status) Unreadable() bool { return s.Counts[PhaseUnknown] > 0 }
