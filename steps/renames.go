package steps

import (
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// renameBook is what the switchover does to names, as the run learns it:
// green's identifiers before the switchover, then every member's name
// before → after (green takes blue's names, blue's members become -oldN)
// and the ARNs of the -oldN resources. Cleanup needs it after the
// deployment object that carries it is gone, so the run journals it
// (RecordRenames) and a resume restores it.
type renameBook struct {
	renames map[string]string // after → before: production → -oldN, green → production
	green   map[string]string // blue id → green id, seen before the switchover
	oldBlue []string          // ARNs of the -oldN resources, after the switchover
}

// seeGreen remembers green's identifiers from a deployment's members
// before the switchover.
func (b *renameBook) seeGreen(dep awsclient.Deployment) {
	for _, m := range dep.Members {
		if m.Target != "" {
			if b.green == nil {
				b.green = map[string]string{}
			}
			b.green[contract.ARNName(m.Source)] = contract.ARNName(m.Target)
		}
	}
}

// note records before → after names from a deployment after its
// switchover, whose members read Source = the -oldN ARN and Target = the
// production name's ARN. It reports whether anything was new.
func (b *renameBook) note(dep awsclient.Deployment) (changed bool) {
	for _, m := range dep.Members {
		if m.Source == "" || m.Target == "" {
			continue
		}
		old, prod := contract.ARNName(m.Source), contract.ARNName(m.Target)
		if old == prod {
			continue
		}
		if b.renames == nil {
			b.renames = map[string]string{}
		}
		if b.renames[prod] != old {
			b.renames[prod] = old
			changed = true
		}
		if green, ok := b.green[prod]; ok && b.renames[green] != prod {
			b.renames[green] = prod
			changed = true
		}
		if !contains(b.oldBlue, m.Source) {
			b.oldBlue = append(b.oldBlue, m.Source)
			changed = true
		}
	}
	return changed
}

// restore takes the journal's record on resume.
func (b *renameBook) restore(renames map[string]string, oldBlue []string) {
	for k, v := range renames {
		if b.renames == nil {
			b.renames = map[string]string{}
		}
		b.renames[k] = v
	}
	b.oldBlue = append(b.oldBlue, oldBlue...)
}

// known: the run has seen the switchover rename something.
func (b *renameBook) known() bool { return len(b.renames) > 0 || len(b.oldBlue) > 0 }

// record is the journal record of the book.
func (b *renameBook) record() journal.Record {
	return journal.Record{Kind: journal.RecordRenames, Renames: b.renames, OldBlue: b.oldBlue}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// noteRenames records the switchover's renames (renames.go) and journals
// what is new: cleanup of old blue needs these names after the deployment
// object (which carries them) is gone.
func (r *run) noteRenames(dep awsclient.Deployment) {
	if r.names.note(dep) {
		_ = r.journal.Append(r.names.record())
	}
}

// oldResources splits the -oldN ARNs into instances and the cluster.
func (b *renameBook) oldResources() (instances []string, cluster string) {
	for _, arn := range b.oldBlue {
		switch {
		case strings.Contains(arn, ":db:"):
			instances = append(instances, contract.ARNName(arn))
		case strings.Contains(arn, ":cluster:"):
			cluster = contract.ARNName(arn)
		}
	}
	return instances, cluster
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
