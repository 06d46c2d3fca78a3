package world

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rdsbg/rdsbg/awsclient"
)

// The tags rdsbg keeps in AWS (docs/events.md, "Tags rdsbg keeps in AWS").
// AWS allows keys of 1–128 characters and values of at most 256, neither
// beginning with "aws:" (rds-facts §6), and only letters, digits, white
// space and _ . : / = + - @ in either. Every value is space-separated
// key=value fields, so a later version can add a field and an older one
// ignores it.
const (
	// TagDetached, on a proxy rdsbg emptied: what it served, for which
	// source and run (DetachedTag). Removed once it serves production again.
	TagDetached = "rdsbg:detached"
	// TagOwner, on the run's deployment (and, while the run holds them
	// empty, on its proxies): the owner lease (Lease).
	TagOwner = "rdsbg:owner"
	// TagRun, on a deployment: the id of the run that created it.
	TagRun = "rdsbg:run"
	// TagSource, on a deployment: the source identifier.
	TagSource = "rdsbg:source"
	// TagRegime, on a deployment: none | native | detach.
	TagRegime = "rdsbg:regime"
	// TagProxies, on a deployment: the run's proxies, space-separated.
	TagProxies = "rdsbg:proxies"
	// TagRequest, on a deployment: the fingerprint of the requested
	// changes (target version, class, parameter groups, storage).
	TagRequest = "rdsbg:request"
)

// MaxTagValue is AWS's limit on a tag value (characters).
const MaxTagValue = 256

// Kinds of an RDS resource, as in DetachedTag.TargetKind.
const (
	KindInstance = "instance"
	KindCluster  = "cluster"
)

// DetachedTag is the value of rdsbg:detached, e.g.
//
//	target=instance:orders-db source=orders-db run=20261121T220000Z-1a2b at=2026-11-21T22:03:10Z
type DetachedTag struct {
	TargetKind string    `json:"target_kind"` // instance | cluster
	Target     string    `json:"target"`      // the identifier that was deregistered
	Source     string    `json:"source"`      // the run's source identifier
	Run        string    `json:"run"`         // the run id
	At         time.Time `json:"at"`          // when the proxy was emptied
}

// Value renders the tag value (at most 200 characters for 63-character
// identifiers, below AWS's 256).
func (t DetachedTag) Value() string {
	return fmt.Sprintf("target=%s:%s source=%s run=%s at=%s", t.TargetKind, t.Target, t.Source, t.Run, t.At.UTC().Format(time.RFC3339))
}

// Ref is the proxy target the tag says was removed.
func (t DetachedTag) Ref() awsclient.TargetRef {
	if t.TargetKind == KindCluster {
		return awsclient.TargetRef{ClusterID: t.Target}
	}
	return awsclient.TargetRef{InstanceID: t.Target}
}

// ParseDetachedTag reads a value written by Value. Unknown fields are
// ignored; source and target are required.
func ParseDetachedTag(v string) (DetachedTag, bool) {
	var t DetachedTag
	for k, val := range fields(v) {
		switch k {
		case "target":
			kind, id, ok := strings.Cut(val, ":")
			if !ok {
				kind, id = KindInstance, val
			}
			t.TargetKind, t.Target = kind, id
		case "source":
			t.Source = val
		case "run":
			t.Run = val
		case "at":
			t.At, _ = time.Parse(time.RFC3339, val)
		}
	}
	if t.Source == "" || t.Target == "" || (t.TargetKind != KindInstance && t.TargetKind != KindCluster) {
		return DetachedTag{}, false
	}
	return t, true
}

// Lease is the value of rdsbg:owner: who holds a run's resources and until
// when, e.g.
//
//	run=20261207T142126Z-9f3c host=bastion-1 pid=4242 user=dba renewed=2026-12-07T14:21:30Z until=2026-12-07T14:36:30Z
//
// A run renews it while it lives and marks it released when its process
// ends (released=<time>); a lease whose process died keeps its last
// until, and expires then.
type Lease struct {
	Run      string    `json:"run"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	User     string    `json:"user,omitempty"`
	Renewed  time.Time `json:"renewed"`
	Until    time.Time `json:"until"`
	Released time.Time `json:"released,omitzero"` // the holder ended and let it go
}

// Value renders the lease. Host and user are cut to 63 and 32 characters
// and kept to the tag character set, so the value stays within 256.
func (l Lease) Value() string {
	v := fmt.Sprintf("run=%s host=%s pid=%d user=%s renewed=%s until=%s",
		TagSafe(l.Run, 40), TagSafe(l.Host, 63), l.PID, TagSafe(l.User, 32), l.Renewed.UTC().Format(time.RFC3339), l.Until.UTC().Format(time.RFC3339))
	if !l.Released.IsZero() {
		v += " released=" + l.Released.UTC().Format(time.RFC3339)
	}
	return v
}

// ParseLease reads a value written by Value; run, host and until are
// required.
func ParseLease(v string) (Lease, bool) {
	var l Lease
	for k, val := range fields(v) {
		switch k {
		case "run":
			l.Run = val
		case "host":
			l.Host = val
		case "pid":
			l.PID, _ = strconv.Atoi(val)
		case "user":
			l.User = val
		case "renewed":
			l.Renewed, _ = time.Parse(time.RFC3339, val)
		case "until":
			l.Until, _ = time.Parse(time.RFC3339, val)
		case "released":
			l.Released, _ = time.Parse(time.RFC3339, val)
		}
	}
	if l.Run == "" || l.Host == "" || l.Until.IsZero() {
		return Lease{}, false
	}
	return l, true
}

// Holder names the lease's holder in an operator's words.
func (l Lease) Holder() string {
	who := fmt.Sprintf("rdsbg run %s on %s (pid %d", l.Run, l.Host, l.PID)
	if l.User != "" {
		who += ", user " + l.User
	}
	return who + ")"
}

// Expired: the holder stopped renewing (or released it) by now.
func (l Lease) Expired(now time.Time) bool {
	return !l.Released.IsZero() || !now.Before(l.Until)
}

// Age is how long ago the lease was last renewed.
func (l Lease) Age(now time.Time) time.Duration {
	if l.Renewed.IsZero() || now.Before(l.Renewed) {
		return 0
	}
	return now.Sub(l.Renewed)
}

// TagSafe keeps s within the tag character set (others become '_') and
// at most n characters; "-" for empty.
func TagSafe(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			break
		}
		switch {
		case r == ' ' || r == '=':
			b.WriteByte('_') // a field separator inside a field
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_.:/+-@", r)):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// Owner is what a deployment's tags say about who made it and for what.
type Owner struct {
	Run     string   `json:"run,omitempty"`     // rdsbg:run; "" ⇒ not made by rdsbg (or by a version before tags)
	Source  string   `json:"source,omitempty"`  // rdsbg:source
	Regime  string   `json:"regime,omitempty"`  // rdsbg:regime
	Proxies []string `json:"proxies,omitempty"` // rdsbg:proxies
	Request string   `json:"request,omitempty"` // rdsbg:request, the fingerprint of the requested changes
	Lease   *Lease   `json:"lease,omitempty"`   // rdsbg:owner
}

// OwnerOf reads a deployment's tags.
func OwnerOf(tags map[string]string) Owner {
	o := Owner{Run: tags[TagRun], Source: tags[TagSource], Regime: tags[TagRegime], Request: tags[TagRequest]}
	if v := tags[TagProxies]; v != "" && v != "-" {
		for _, p := range strings.Fields(v) {
			if !strings.HasPrefix(p, "+") {
				o.Proxies = append(o.Proxies, p)
			}
		}
	}
	if l, ok := ParseLease(tags[TagOwner]); ok {
		o.Lease = &l
	}
	return o
}

// ByRdsbg: the deployment carries rdsbg's tags.
func (o Owner) ByRdsbg() bool { return o.Run != "" || o.Source != "" }

// fields splits "k=v k=v" into its pairs; a field without '=' is skipped.
func fields(v string) map[string]string {
	out := map[string]string{}
	for _, f := range strings.Fields(v) {
		if k, val, ok := strings.Cut(f, "="); ok {
			out[k] = val
		}
	}
	return out
}
