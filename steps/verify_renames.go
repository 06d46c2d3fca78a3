package steps

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rdsbg/rdsbg/steps/world"
)

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
		return fatal("verify: the switchover reported no -oldN name for %s", src.ID)
	}
	suffix := strings.TrimPrefix(old, src.ID)
	if suffix == old || !strings.HasPrefix(suffix, "-old") {
		return fatal("verify: %s was renamed to %s, not %s-oldN", src.ID, old, src.ID)
	}
	cluster := src.Kind == KindCluster
	if cluster {
		c, err := r.api.DescribeCluster(ctx, old)
		if isNotFound(err) {
			return fatal("verify: old blue cluster %s does not exist after the switchover", old)
		}
		if err != nil {
			return err
		}
		if c.ID != old {
			return fatal("verify: old blue cluster reads %s, not %s", c.ID, old)
		}
	}
	for _, name := range src.Members {
		prod, err := r.api.DescribeInstance(ctx, name)
		if isNotFound(err) {
			return fatal("verify: %s, a member of %s, does not exist under its production name after the switchover", name, src.ID)
		}
		if err != nil {
			return err
		}
		if want != "" && !versionMatches(prod.EngineVersion, want) {
			return fatal("verify: %s runs %s after the switchover, not %s", name, prod.EngineVersion, want)
		}
		if cluster && prod.ClusterID != src.ID {
			return fatal("verify: %s is in cluster %q after the switchover, not in %s", name, prod.ClusterID, src.ID)
		}
		oldName := r.names.renames[name]
		if oldName == "" {
			oldName = name + suffix
		}
		was, err := r.api.DescribeInstance(ctx, oldName)
		if isNotFound(err) {
			return fatal("verify: old blue member %s (of %s) does not exist: blue's %s was not renamed", oldName, old, name)
		}
		if err != nil {
			return err
		}
		if cluster && was.ClusterID != old {
			return fatal("verify: old blue member %s is in cluster %q, not in %s", oldName, was.ClusterID, old)
		}
		if was.ResourceID == prod.ResourceID && was.CreateTime.Equal(prod.CreateTime) {
			return fatal("verify: %s and %s are the same database (%s)", name, oldName, prod.ResourceID)
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
	r.e.notice(StepVerify, "%s", fmt.Sprintf("every member of %s is under its production name and its old blue twin under %s", r.plan.Source.ID, r.names.renames[r.plan.Source.ID]))
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
		r.e.notice(StepVerify, "this run did not see the switchover's renames (it was switched over outside this run): AWS shows %s as the old blue of %s", best, src.ID)
	}
	return best
}
