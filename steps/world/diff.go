package world

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// ProxyExpect is what the plan expects of one proxy at a point of the run.
type ProxyExpect string

const (
	// ExpectAnything: no expectation (the proxy is only watched).
	ExpectAnything ProxyExpect = ""
	// ExpectServing: production (the DB carrying the source's name) is
	// registered, AVAILABLE or on its way there (REGISTERING, or waiting
	// for proxy capacity), and nothing else is.
	ExpectServing ProxyExpect = "serving"
	// ExpectEmpty: no target; the run emptied it.
	ExpectEmpty ProxyExpect = "empty"
)

// Expect is what the plan expects AWS to show before a mutating call.
type Expect struct {
	// Owner identifies the run (Run, Host, PID); a lease on the run's
	// deployment that names anyone else means the run was taken over.
	// Zero: the lease is not checked.
	Owner Lease
	// Deployment is the run's deployment; "" ⇒ the run has none yet, and
	// a live deployment of the source is someone else's.
	Deployment string
	// Deleting: the run itself is deleting its deployment. Gone: the
	// deployment may be gone (after the switchover cleanup deletes it).
	Deleting bool
	Gone     bool
	// Phase is where the run's deployment must be: PhaseBefore or
	// PhaseAfter ("" ⇒ anywhere).
	Phase Phase
	// Proxies maps each of the run's proxies to what it must show.
	Proxies map[string]ProxyExpect
}

// DiffKind names a difference between a World and an Expect.
type DiffKind string

const (
	DiffUnknown            DiffKind = "unknown"             // AWS could not be read for part of the view
	DiffDeploymentGone     DiffKind = "deployment-gone"     // the run's deployment no longer exists
	DiffDeploymentDeleting DiffKind = "deployment-deleting" // someone is deleting it
	DiffDeploymentForeign  DiffKind = "deployment-foreign"  // a deployment of the source that is not the run's
	DiffLeaseTaken         DiffKind = "lease-taken"         // the run's deployment is held by another owner
	DiffSwitchedOver       DiffKind = "switched-over"       // switched over, though the run has not switched over
	DiffNotSwitched        DiffKind = "not-switched"        // not switched over, though the run has
	DiffProxyGone          DiffKind = "proxy-gone"          // the proxy was deleted
	DiffProxyEmpty         DiffKind = "proxy-empty"         // no target where production should be registered
	DiffProxyUnhealthy     DiffKind = "proxy-unhealthy"     // production registered but failing (TargetHealth says why)
	DiffProxyOldBlue       DiffKind = "proxy-old-blue"      // a target is old blue (-oldN, read-only)
	DiffProxyElsewhere     DiffKind = "proxy-elsewhere"     // a target outside the source's topology
	DiffProxyRegistered    DiffKind = "proxy-registered"    // a target where the run left the proxy empty
)

// Difference is one way the World is not what the plan expects.
type Difference struct {
	Kind    DiffKind `json:"kind"`
	Subject string   `json:"subject"` // the deployment id or the proxy name
	// What is what AWS shows, in one sentence.
	What string `json:"what"`
	// Who is what tags, names and statuses tell about who changed it ("" if
	// nothing does).
	Who string `json:"who,omitempty"`
}

func (d Difference) String() string {
	if d.Who == "" {
		return d.What
	}
	return d.What + " (" + d.Who + ")"
}

// Diff lists every difference between the view and e, in a stable order:
// unknown parts first, then the deployment, then each proxy. now dates a
// lease's age.
func (w World) Diff(e Expect, now time.Time) []Difference {
	var out []Difference
	for _, u := range w.Unknown {
		out = append(out, Difference{Kind: DiffUnknown, Subject: u, What: "AWS could not be read: " + u})
	}
	out = append(out, w.deploymentDiff(e, now)...)
	for _, name := range sortedKeys(e.Proxies) {
		out = append(out, w.proxyDiff(name, e.Proxies[name])...)
	}
	return out
}

// Has reports whether diffs holds a difference of kind.
func Has(diffs []Difference, kind DiffKind) bool {
	for _, d := range diffs {
		if d.Kind == kind {
			return true
		}
	}
	return false
}

func (w World) deploymentDiff(e Expect, now time.Time) []Difference {
	d := w.Deployment
	switch {
	case e.Deployment == "" && d == nil:
		return nil
	case e.Deployment == "" && d.Phase == PhaseDeleting:
		return nil // someone else's, on its way out
	case e.Deployment == "" || (d != nil && !strings.EqualFold(d.ID, e.Deployment)):
		return []Difference{{Kind: DiffDeploymentForeign, Subject: d.ID,
			What: fmt.Sprintf("deployment %s (%s, %s) exists for %s and is not this run's", d.ID, d.Name, d.Status, w.Source), Who: d.Owner.Words(now)}}
	case d == nil && w.DeploymentGone != "" && e.Gone:
		return nil
	case d == nil && w.DeploymentGone != "":
		out := []Difference{{Kind: DiffDeploymentGone, Subject: e.Deployment,
			What: fmt.Sprintf("deployment %s no longer exists", e.Deployment), Who: "rdsbg did not delete it: someone deleted it outside rdsbg (console, CLI or another tool)"}}
		if switched, known := w.SwitchedOver(); known && switched && e.Phase == PhaseBefore {
			out = append(out, Difference{Kind: DiffSwitchedOver, Subject: e.Deployment,
				What: fmt.Sprintf("production %s is the former green (its resource id is not blue's)", w.Source),
				Who:  "rdsbg had not switched over: it was switched over, and the deployment deleted, outside this run"})
		}
		return out
	case d == nil:
		return nil // not read: Unknown says so
	}
	var out []Difference
	// Any lease but the run's own, released or not: someone else held the
	// deployment after this run took it (a take-over that has since ended).
	if l := d.Owner.Lease; e.Owner.Run != "" && l != nil && !SameHolder(*l, e.Owner) {
		out = append(out, Difference{Kind: DiffLeaseTaken, Subject: d.ID,
			What: fmt.Sprintf("deployment %s is held by %s", d.ID, l.Holder()), Who: fmt.Sprintf("its %s tag was renewed %s ago", TagOwner, l.Age(now).Round(time.Second))})
	}
	if d.Phase == PhaseDeleting && !e.Deleting {
		out = append(out, Difference{Kind: DiffDeploymentDeleting, Subject: d.ID,
			What: fmt.Sprintf("deployment %s is being deleted", d.ID), Who: "rdsbg did not delete it: someone is deleting it outside rdsbg"})
	}
	switched, _ := w.SwitchedOver()
	switch {
	case e.Phase == PhaseBefore && (switched || d.Phase == PhaseSwitching):
		out = append(out, Difference{Kind: DiffSwitchedOver, Subject: d.ID,
			What: fmt.Sprintf("deployment %s is %s: production %s is the former green", d.ID, d.Status, w.Source),
			Who:  "rdsbg had not switched over: someone switched over outside rdsbg (console, CLI or another run)"})
	case e.Phase == PhaseAfter && !switched && d.Phase == PhaseBefore:
		out = append(out, Difference{Kind: DiffNotSwitched, Subject: d.ID,
			What: fmt.Sprintf("deployment %s is %s: blue is still production", d.ID, d.Status)})
	}
	return out
}

func (w World) proxyDiff(name string, want ProxyExpect) []Difference {
	p := w.Proxy(name)
	if p == nil || !p.Known() || want == ExpectAnything {
		return nil // not read (Unknown says so), or only watched
	}
	if p.Gone {
		return []Difference{{Kind: DiffProxyGone, Subject: name, What: fmt.Sprintf("proxy %s no longer exists", name),
			Who: "deleted outside rdsbg: nothing can register a target with it"}}
	}
	var out []Difference
	if want == ExpectEmpty {
		for _, r := range p.Registrations {
			out = append(out, Difference{Kind: DiffProxyRegistered, Subject: name,
				What: fmt.Sprintf("proxy %s has %s (%s) registered, %s", name, r.Resource, r.Role, HealthWords(r.Health)),
				Who:  "rdsbg left it empty: someone registered it outside rdsbg"})
		}
		return out
	}
	prod := false
	for _, r := range p.Registrations {
		switch {
		case r.Production:
			prod = true
			if !r.Available() && !settling(r.Health) {
				out = append(out, Difference{Kind: DiffProxyUnhealthy, Subject: name,
					What: fmt.Sprintf("proxy %s has %s registered but %s", name, r.Resource, HealthWords(r.Health)),
					Who:  "TargetHealth: " + HealthWords(r.Health)})
			}
		case r.Role == RoleOldBlue:
			out = append(out, Difference{Kind: DiffProxyOldBlue, Subject: name,
				What: fmt.Sprintf("proxy %s points at %s, the old blue (read-only since the switchover)", name, r.Resource),
				Who:  "the switchover renamed the database it targeted; the proxy followed the old name"})
		default:
			out = append(out, Difference{Kind: DiffProxyElsewhere, Subject: name,
				What: fmt.Sprintf("proxy %s points at %s (%s), which is not %s", name, r.Resource, r.Role, w.Source),
				Who:  "registered outside rdsbg"})
		}
	}
	if !prod && len(out) == 0 {
		who := "no rdsbg tag on it: someone deregistered it outside rdsbg (console, CLI or another tool)"
		if p.Detached != nil {
			who = fmt.Sprintf("its %s tag says rdsbg run %s emptied it at %s", TagDetached, p.Detached.Run, p.Detached.At.UTC().Format(time.RFC3339))
		}
		out = append(out, Difference{Kind: DiffProxyEmpty, Subject: name, What: fmt.Sprintf("proxy %s has no target: %s is not registered", name, w.Source), Who: who})
	}
	return out
}

// settling: a registration on its way to AVAILABLE, not a failure.
func settling(h awsclient.TargetHealth) bool {
	return h.State == "REGISTERING" || (h.State == "UNAVAILABLE" && h.Reason == "PENDING_PROXY_CAPACITY")
}

// Settling: the registration is on its way to AVAILABLE (REGISTERING, or
// waiting for the proxy to scale), not failing.
func (r Registration) Settling() bool { return settling(r.Health) }

// HealthWords is TargetHealth in an operator's words: the state, and the
// reason and description AWS gives when it is not AVAILABLE.
func HealthWords(h awsclient.TargetHealth) string {
	s := h.State
	if s == "" {
		s = "health unknown"
	}
	if h.Reason != "" {
		s += " (" + h.Reason
		if h.Description != "" {
			s += ": " + h.Description
		}
		s += ")"
	} else if h.Description != "" {
		s += " (" + h.Description + ")"
	}
	return s
}

// SameHolder: two leases name the same run in the same process.
func SameHolder(a, b Lease) bool {
	return a.Run == b.Run && strings.EqualFold(a.Host, b.Host) && a.PID == b.PID
}

// Words says who made a deployment and who holds it.
func (o Owner) Words(now time.Time) string {
	if !o.ByRdsbg() {
		return "it carries no rdsbg tags: made outside rdsbg, or by a version before tags"
	}
	s := fmt.Sprintf("made by rdsbg run %s", orDash(o.Run))
	if l := o.Lease; l != nil {
		switch {
		case !l.Released.IsZero():
			s += fmt.Sprintf("; its lease was released by %s at %s", l.Holder(), l.Released.UTC().Format(time.RFC3339))
		case l.Expired(now):
			s += fmt.Sprintf("; held by %s, lease expired %s ago", l.Holder(), now.Sub(l.Until).Round(time.Second))
		default:
			s += fmt.Sprintf("; held by %s, lease renewed %s ago", l.Holder(), l.Age(now).Round(time.Second))
		}
	}
	return s
}

func sortedKeys(m map[string]ProxyExpect) []string {
	return slices.Sorted(maps.Keys(m))
}
