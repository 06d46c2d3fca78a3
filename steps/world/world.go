// Package world is what AWS shows about one source at one moment: the
// source's blue/green deployment and who owns it, every resource of the
// topology with the role it plays now (blue, green, the new primary, old
// blue), and every proxy of the topology with its targets, their health
// and what each serves. It is derived from AWS alone (design.md §8): the
// journal says what rdsbg did, a World says what is.
//
// How a view is read and compared:
//
//   - Read (read.go) builds a World from AWS for a Query: the whole
//     topology at the start of a run, on resume, for status and abort
//     (Query.Details, every proxy in the Region); the deployment and the
//     run's proxies before each mutating call; the run's proxies alone
//     during a wait. A read that fails leaves its part of the view unknown
//     and says so in World.Unknown: never "empty", never "gone".
//   - Every sentence about the present is a function of a World: who is
//     production (World.Production), what each proxy serves
//     (Proxy.Serving, Registration.Role), whether a switchover happened
//     (World.SwitchedOver), who owns the deployment (Deployment.Owner).
//   - A mutation runs only when the World equals what the plan expects at
//     that point: the engine states its expectation as an Expect and
//     World.Diff lists every difference (an empty list: go on). Each
//     Difference says what AWS shows and, from tags, names and statuses,
//     who changed it.
//
// The package imports only awsclient: the engine (steps), status, abort
// and the wizard's words all read the same value.
package world

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// Role is what a resource is in the blue/green topology now.
type Role string

const (
	// RoleBlue is production before a switchover (the source and its
	// replicas or members, under their own names).
	RoleBlue Role = "blue"
	// RoleGreen is the copy a deployment builds (<name>-green-xxxxxx).
	RoleGreen Role = "green"
	// RoleNewPrimary is green after the switchover: it carries blue's
	// names and is production.
	RoleNewPrimary Role = "new-primary"
	// RoleOldBlue is blue after the switchover: <name>-oldN, read-only.
	RoleOldBlue Role = "old-blue"
	// RoleOther is a resource outside the source's topology (a proxy of
	// the topology pointing elsewhere).
	RoleOther Role = "other"
)

// Phase is where a deployment is in the blue/green procedure.
type Phase string

const (
	PhaseNone      Phase = "none"      // no deployment for the source
	PhaseBefore    Phase = "before"    // PROVISIONING, AVAILABLE, INVALID_CONFIGURATION, SWITCHOVER_FAILED
	PhaseSwitching Phase = "switching" // SWITCHOVER_IN_PROGRESS
	PhaseAfter     Phase = "after"     // SWITCHOVER_COMPLETED
	PhaseDeleting  Phase = "deleting"  // DELETING
)

// PhaseOf maps a deployment status to its phase.
func PhaseOf(status string) Phase {
	switch status {
	case "":
		return PhaseNone
	case "SWITCHOVER_IN_PROGRESS":
		return PhaseSwitching
	case "SWITCHOVER_COMPLETED":
		return PhaseAfter
	case "DELETING":
		return PhaseDeleting
	}
	return PhaseBefore
}

// World is one reading of AWS for one source.
type World struct {
	At time.Time `json:"at"`
	// Source is the production name (the --source identifier) and kind.
	Source string `json:"source"`
	Kind   string `json:"kind"` // instance | cluster
	// Deployment is the source's blue/green deployment; nil when AWS shows
	// none (DeploymentGone says whether the one asked for was not found).
	Deployment     *Deployment `json:"deployment,omitempty"`
	DeploymentGone string      `json:"deployment_gone,omitempty"` // the id asked for that AWS no longer has
	// Resources are the topology's resources AWS showed, each with its
	// role; the one carrying the source's name is Production.
	Resources []Resource `json:"resources,omitempty"`
	// Proxies are the proxies of the topology: those asked for, those
	// pointing at one of its resources and those rdsbg's tags tie to it.
	Proxies []Proxy `json:"proxies,omitempty"`
	// Unknown lists what AWS could not be read for: those parts of the
	// view are unknown, never empty.
	Unknown []string `json:"unknown,omitempty"`
	// switched is SwitchedOver's answer when only resource ids know it.
	switched *bool
	errs     []error // why each Unknown part could not be read
}

// Err joins the errors of the parts that could not be read, nil when the
// view is complete: a caller retries what is transient.
func (w World) Err() error { return errors.Join(w.errs...) }

// Known: every part asked for was read.
func (w World) Known() bool { return len(w.Unknown) == 0 }

// Deployment is the source's deployment with what its tags say.
type Deployment struct {
	awsclient.Deployment
	Phase Phase `json:"phase"`
	Owner Owner `json:"owner"`
}

// Resource is one DB instance or cluster of the topology.
type Resource struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"` // instance | cluster
	ARN        string    `json:"arn,omitempty"`
	ResourceID string    `json:"resource_id,omitempty"` // DbiResourceId / DbClusterResourceId: survives renames
	Created    time.Time `json:"created,omitzero"`      // InstanceCreateTime / ClusterCreateTime: survives renames too
	Engine     string    `json:"engine,omitempty"`
	Version    string    `json:"engine_version,omitempty"` // "" when not read
	Status     string    `json:"status,omitempty"`
	Class      string    `json:"class,omitempty"`
	// ParameterGroup is the instance's DB parameter group or the
	// cluster's DB cluster parameter group.
	ParameterGroup string `json:"parameter_group,omitempty"`
	Role           Role   `json:"role"`
	// Production: the resource carries the source's name (writes go here).
	Production bool `json:"production,omitempty"`
}

// Proxy is one proxy of the topology.
type Proxy struct {
	Name         string `json:"name"`
	ARN          string `json:"arn,omitempty"`
	EngineFamily string `json:"engine_family,omitempty"`
	Status       string `json:"status,omitempty"`
	// Gone: AWS says the proxy does not exist (deleted).
	Gone bool `json:"gone,omitempty"`
	// Unread says why its targets could not be read ("" when they were).
	Unread string `json:"unread,omitempty"`
	// Registrations are its targets, one per registered DB.
	Registrations []Registration `json:"registrations,omitempty"`
	// Detached is its rdsbg:detached tag; Lease its rdsbg:owner (tags are
	// read in a full read only).
	Detached *DetachedTag `json:"detached,omitempty"`
	Lease    *Lease       `json:"lease,omitempty"`
}

// Registration is one DB registered with a proxy: an instance's entry, or
// a cluster's TRACKED_CLUSTER entry with its instance entries.
type Registration struct {
	Resource string `json:"resource"` // instance or cluster identifier
	Kind     string `json:"kind"`
	Role     Role   `json:"role"`
	// Production: the registered DB carries the source's name.
	Production bool `json:"production,omitempty"`
	// Health is AVAILABLE when every entry is, else the first entry's that
	// is not (its State, Reason and Description).
	Health  awsclient.TargetHealth  `json:"health"`
	Targets []awsclient.ProxyTarget `json:"targets"`
}

// Available: every entry of the registration is AVAILABLE.
func (r Registration) Available() bool { return r.Health.State == "AVAILABLE" }

// Empty: the proxy was read and has no target.
func (p Proxy) Empty() bool { return p.Unread == "" && !p.Gone && len(p.Registrations) == 0 }

// Known: the proxy's targets were read (it may be gone).
func (p Proxy) Known() bool { return p.Unread == "" }

// Serving is the registration through which the proxy serves now (an
// AVAILABLE one), nil when it serves nothing.
func (p Proxy) Serving() *Registration {
	for i := range p.Registrations {
		if p.Registrations[i].Available() {
			return &p.Registrations[i]
		}
	}
	return nil
}

// ServesProduction: an AVAILABLE target is the DB carrying the source's
// name.
func (p Proxy) ServesProduction() bool {
	s := p.Serving()
	return s != nil && s.Production
}

// Registered returns the registration of resource, nil when none.
func (p Proxy) Registered(resource string) *Registration {
	for i := range p.Registrations {
		if strings.EqualFold(p.Registrations[i].Resource, resource) {
			return &p.Registrations[i]
		}
	}
	return nil
}

// Proxy returns the proxy named name, nil when the view has none.
func (w World) Proxy(name string) *Proxy {
	for i := range w.Proxies {
		if strings.EqualFold(w.Proxies[i].Name, name) {
			return &w.Proxies[i]
		}
	}
	return nil
}

// Production is the resource that carries the source's name, nil when it
// was not read (or AWS has none: a source deleted or mid-rename).
func (w World) Production() *Resource {
	for i := range w.Resources {
		if w.Resources[i].Production {
			return &w.Resources[i]
		}
	}
	return nil
}

// Resource returns the resource named id, nil when the view has none.
func (w World) Resource(id string) *Resource {
	for i := range w.Resources {
		if strings.EqualFold(w.Resources[i].ID, id) {
			return &w.Resources[i]
		}
	}
	return nil
}

// ByRole lists the resources playing role.
func (w World) ByRole(role Role) []Resource {
	var out []Resource
	for _, r := range w.Resources {
		if r.Role == role {
			out = append(out, r)
		}
	}
	return out
}

// SwitchedOver: production is the former green. AWS says so through the
// deployment's status (SWITCHOVER_COMPLETED, or DELETING with -oldN on its
// source side) or, once the deployment object is gone, through the
// production resource's id differing from blue's (Query.BlueResourceID).
// known is false when nothing in AWS tells.
func (w World) SwitchedOver() (switched, known bool) {
	if d := w.Deployment; d != nil {
		switch d.Phase {
		case PhaseAfter:
			return true, true
		case PhaseBefore, PhaseSwitching:
			return false, true
		case PhaseDeleting:
			return deletingAfterSwitchover(d.Deployment), true
		}
	}
	if w.switched != nil {
		return *w.switched, true
	}
	return false, false
}

// ProductionRole is RoleNewPrimary after a switchover, else RoleBlue.
func (w World) ProductionRole() Role {
	if s, _ := w.SwitchedOver(); s {
		return RoleNewPrimary
	}
	return RoleBlue
}

var oldBlueName = regexp.MustCompile(`-old[0-9]+$`)

// IsOldBlueName: the name AWS gives blue's resources at a switchover.
func IsOldBlueName(source, id string) bool {
	return len(id) > len(source) && strings.EqualFold(id[:len(source)], source) && oldBlueName.MatchString(id[len(source):])
}

// IsGreenName: the name AWS gives green's resources (<name>-green-xxxxxx).
func IsGreenName(id string) bool {
	i := strings.LastIndex(id, "-green-")
	return i > 0 && len(id)-i-len("-green-") == 6
}

func deletingAfterSwitchover(d awsclient.Deployment) bool {
	for _, m := range d.Members {
		if oldBlueName.MatchString(lastField(m.Source)) {
			return true
		}
	}
	return oldBlueName.MatchString(lastField(d.Source))
}

// lastField is the identifier of an ARN.
func lastField(arn string) string {
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func kindOfARN(arn string) string {
	if strings.Contains(arn, ":cluster:") {
		return KindCluster
	}
	return KindInstance
}

// String is a one-line account of the view, for notices and tests.
func (w World) String() string {
	var b strings.Builder
	prod := "production unknown"
	if p := w.Production(); p != nil {
		prod = fmt.Sprintf("production %s (%s %s)", p.ID, p.Role, orDash(p.Version))
	}
	b.WriteString(prod)
	if d := w.Deployment; d != nil {
		fmt.Fprintf(&b, "; deployment %s %s", d.ID, d.Status)
	} else {
		b.WriteString("; no deployment")
	}
	for _, p := range w.Proxies {
		b.WriteString("; " + p.Words())
	}
	for _, u := range w.Unknown {
		b.WriteString("; UNKNOWN " + u)
	}
	return b.String()
}

// Words says what the proxy serves, in an operator's words.
func (p Proxy) Words() string {
	switch {
	case p.Gone:
		return fmt.Sprintf("proxy %s no longer exists", p.Name)
	case p.Unread != "":
		return fmt.Sprintf("proxy %s unknown (%s)", p.Name, p.Unread)
	case len(p.Registrations) == 0:
		return fmt.Sprintf("proxy %s EMPTY", p.Name)
	}
	var parts []string
	for _, r := range p.Registrations {
		parts = append(parts, fmt.Sprintf("%s (%s) %s", r.Resource, r.Role, HealthWords(r.Health)))
	}
	return fmt.Sprintf("proxy %s → %s", p.Name, strings.Join(parts, ", "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
