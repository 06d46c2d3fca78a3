package steps

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/world"
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

// checkRenames is verify's check of the whole rename (issue 15): every
// member of blue's topology exists under its production name, on the
// target version, in the production cluster, and its old blue twin under
// the -oldN name (in the -oldN cluster for Aurora). An endpoint that
// switched over only part of the topology (an emulator that left the
// Aurora members under their old names in the wrong cluster) fails here,
// naming the resource, instead of reporting "done".
func (r *run) checkRenames(ctx context.Context, want string) error {
	src := r.plan.Source
	old := r.names.renames[src.ID]
	if old == "" {
		// This run did not see the renames (the switchover was made
		// outside it, issue 20): AWS's names say where old blue is.
		old = r.oldBlueFromWorld(ctx)
	}
	if old == "" {
		return poll.Fatal("verify: the switchover reported no -oldN name for %s", src.ID)
	}
	suffix := strings.TrimPrefix(old, src.ID)
	if suffix == old || !strings.HasPrefix(suffix, "-old") {
		return poll.Fatal("verify: %s was renamed to %s, not %s-oldN", src.ID, old, src.ID)
	}
	cluster := src.Kind == contract.KindCluster
	if cluster {
		c, err := r.api.DescribeCluster(ctx, old)
		if awsclient.IsNotFound(err) {
			return poll.Fatal("verify: old blue cluster %s does not exist after the switchover", old)
		}
		if err != nil {
			return err
		}
		if c.ID != old {
			return poll.Fatal("verify: old blue cluster reads %s, not %s", c.ID, old)
		}
	}
	for _, name := range src.Members {
		prod, err := r.api.DescribeInstance(ctx, name)
		if awsclient.IsNotFound(err) {
			return poll.Fatal("verify: %s, a member of %s, does not exist under its production name after the switchover", name, src.ID)
		}
		if err != nil {
			return err
		}
		if want != "" && !versionMatches(prod.EngineVersion, want) {
			return poll.Fatal("verify: %s runs %s after the switchover, not %s", name, prod.EngineVersion, want)
		}
		if cluster && prod.ClusterID != src.ID {
			return poll.Fatal("verify: %s is in cluster %q after the switchover, not in %s", name, prod.ClusterID, src.ID)
		}
		oldName := r.names.renames[name]
		if oldName == "" {
			oldName = name + suffix
		}
		was, err := r.api.DescribeInstance(ctx, oldName)
		if awsclient.IsNotFound(err) {
			return poll.Fatal("verify: old blue member %s (of %s) does not exist: blue's %s was not renamed", oldName, old, name)
		}
		if err != nil {
			return err
		}
		if cluster && was.ClusterID != old {
			return poll.Fatal("verify: old blue member %s is in cluster %q, not in %s", oldName, was.ClusterID, old)
		}
		if was.ResourceID == prod.ResourceID && was.CreateTime.Equal(prod.CreateTime) {
			return poll.Fatal("verify: %s and %s are the same database (%s)", name, oldName, prod.ResourceID)
		}
	}
	return nil
}

// renamesChecked remembers a passed checkRenames for the rest of the wait
// (its reads cost one call per member and name).
func (r *run) renamesOnce(ctx context.Context, want string) error {
	if r.renamesVerified {
		return nil
	}
	if err := r.checkRenames(ctx, want); err != nil {
		return err
	}
	r.renamesVerified = true
	r.e.notice(contract.StepVerify, "%s", fmt.Sprintf("every member of %s is under its production name and its old blue twin under %s", r.plan.Source.ID, r.names.renames[r.plan.Source.ID]))
	return nil
}

// oldBlueFromWorld is the newest -oldN resource AWS shows for the source
// (the highest N), "" when there is none.
func (r *run) oldBlueFromWorld(ctx context.Context) string {
	src := r.plan.Source
	w := r.readWorld(ctx, true)
	best, bestN := "", -1
	for _, res := range w.ByRole(world.RoleOldBlue) {
		if res.Kind != src.Kind || !world.IsOldBlueName(src.ID, res.ID) {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(res.ID[len(src.ID):], "-old"))
		if err == nil && n > bestN {
			best, bestN = res.ID, n
		}
	}
	if best != "" {
		r.e.notice(contract.StepVerify, "this run did not see the switchover's renames (it was switched over outside this run): AWS shows %s as the old blue of %s", best, src.ID)
	}
	return best
}
