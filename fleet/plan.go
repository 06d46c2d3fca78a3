package fleet

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// Upgrade choices of Selection.Upgrade.
const (
	UpgradeMinor = "minor" // the newest version of the database's own major
	UpgradeMajor = "major" // the newest version offered
	UpgradeNone  = "none"  // a blue/green without upgrade
)

// PlanConfig is what BuildPlan needs besides the selection and policy.
type PlanConfig struct {
	Connect Connect
	Clock   clock.Clock
	ID      string   // "" ⇒ NewID
	Budgets *Budgets // nil ⇒ the plan's own
}

// BuildPlan reads every account and Region of the selection, selects the
// sources, prepares each as `rdsbg plan` does (its plan, regime and
// preflight verdict) and groups the runnable ones into waves. It changes
// nothing in AWS. An account or Region that cannot be read is an error:
// a fleet plan that silently lacks a Region would be worse than none.
func BuildPlan(ctx context.Context, cfg PlanConfig, sel Selection, pol Policy) (*Plan, error) {
	if err := checkSelection(sel, pol); err != nil {
		return nil, err
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	id := cfg.ID
	if id == "" {
		id = NewID(clk.Now())
	}
	plan := &Plan{Version: PlanVersion, ID: id, GeneratedAt: clk.Now().UTC(), Selection: sel, Policy: pol}
	b := cfg.Budgets.orNew(clk)

	type result struct {
		target Target
		dbs    []Database
		err    error
	}
	var pairs []Target
	for _, p := range sel.Profiles {
		for _, r := range sel.Regions {
			pairs = append(pairs, Target{Profile: p, Region: r, Budget: pol.Budget})
		}
	}
	results := make([]result, len(pairs))
	var wg sync.WaitGroup
	for i, t := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each account-Region is read on its own budget, in parallel:
			// the budgets are per account and Region, so the reads of one
			// never slow another's.
			rds, cw := b.of(t.Profile, t.Region, t.Budget)
			api, err := cfg.Connect(ctx, t.Profile, t.Region, nil, rds, cw)
			if err != nil {
				results[i] = result{target: t, err: err}
				return
			}
			dbs, account, err := selectIn(ctx, api, clk, t, sel, id)
			t.Account = account
			results[i] = result{target: t, dbs: dbs, err: err}
		}()
	}
	wg.Wait()
	seenTarget := map[string]string{}
	for _, r := range results {
		if r.err != nil {
			return nil, fmt.Errorf("profile %q, Region %s: %w", r.target.Profile, r.target.Region, r.err)
		}
		if prev, dup := seenTarget[r.target.Key()]; dup {
			return nil, fmt.Errorf("profiles %q and %q both reach account %s: name each account once", prev, r.target.Profile, r.target.Account)
		}
		seenTarget[r.target.Key()] = r.target.Profile
		plan.Targets = append(plan.Targets, r.target)
		plan.Databases = append(plan.Databases, r.dbs...)
	}
	markDuplicates(plan)
	if len(sel.Sources) > 0 {
		if missing := missingSources(sel.Sources, plan.Databases); len(missing) > 0 {
			return nil, fmt.Errorf("--source %s: not found in the accounts and Regions of the selection", strings.Join(missing, ", "))
		}
	}
	plan.Waves = assignWaves(plan)
	return plan, nil
}

func checkSelection(sel Selection, pol Policy) error {
	if len(sel.Profiles) == 0 || len(sel.Regions) == 0 {
		return fmt.Errorf("no account or Region: pass --profiles and --regions")
	}
	switch sel.Upgrade {
	case UpgradeMinor, UpgradeMajor, UpgradeNone:
	default:
		return fmt.Errorf("--upgrade %q is not one of minor, major, none", sel.Upgrade)
	}
	if pol.Budget < 1 || pol.Budget > 12 {
		return fmt.Errorf("--budget %d: give 1 to 12 requests/s (AWS allows 12/s per account and Region, shared with everyone there)", pol.Budget)
	}
	if pol.MaxConcurrency < 1 {
		return fmt.Errorf("--max-concurrency %d: give at least 1", pol.MaxConcurrency)
	}
	if pol.StopAfterFailures < 1 {
		return fmt.Errorf("--stop-after-failures %d: give at least 1", pol.StopAfterFailures)
	}
	if pol.Bake < 0 {
		return fmt.Errorf("--bake %s: give a duration of 0 or more", pol.Bake)
	}
	if len(pol.WavePercents) > 0 && pol.WaveTag != "" {
		return fmt.Errorf("--waves and --wave-tag both set: choose percentages or tag groups")
	}
	sum := 0
	for _, p := range pol.WavePercents {
		if p <= 0 {
			return fmt.Errorf("--waves %v: every wave needs a percentage above 0", pol.WavePercents)
		}
		sum += p
	}
	if len(pol.WavePercents) > 0 && sum != 100 {
		return fmt.Errorf("--waves %v adds up to %d%%: the waves after the canaries must add up to 100", pol.WavePercents, sum)
	}
	if pol.CanaryTag != "" && !strings.Contains(pol.CanaryTag, "=") {
		return fmt.Errorf("--canary-tag %q: give key=value", pol.CanaryTag)
	}
	if _, _, err := versionBounds(sel); err != nil {
		return err
	}
	return nil
}

// selectIn reads one account-Region: the caller's account, the sources
// that match, and each one's prepared plan.
func selectIn(ctx context.Context, api *awsclient.Client, clk clock.Clock, t Target, sel Selection, fleetID string) ([]Database, string, error) {
	ident, err := api.CallerIdentity(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("cannot resolve the AWS identity (sts get-caller-identity): %w", err)
	}
	sources, err := preflight.ListSources(ctx, api)
	if err != nil {
		return nil, ident.Account, err
	}
	var out []Database
	for _, s := range sources {
		if !matchesStatic(s, sel, ident.Account, t.Region) {
			continue
		}
		d, err := preflight.Discover(ctx, api, s.ID)
		if err != nil {
			return nil, ident.Account, fmt.Errorf("discover %s: %w", s.ID, err)
		}
		var tags map[string]string
		if d.Source.ARN != "" {
			if tags, err = api.ListTagsForResource(ctx, d.Source.ARN); err != nil {
				return nil, ident.Account, fmt.Errorf("read the tags of %s: %w", s.ID, err)
			}
		}
		if !matchesTags(tags, sel.Tags) {
			continue
		}
		db := Database{Profile: t.Profile, Account: ident.Account, Region: t.Region, Source: s.ID, Kind: s.Kind,
			Engine: s.Engine, Version: s.EngineVersion, Tags: userTags(tags), Proxies: s.Proxies}
		prepareOne(ctx, api, clk, &db, d, sel, fleetID)
		out = append(out, db)
	}
	return out, ident.Account, nil
}

// prepareOne fills db's target version, plan, checks and verdict.
func prepareOne(ctx context.Context, api *awsclient.Client, clk clock.Clock, db *Database, d preflight.Discovery, sel Selection, fleetID string) {
	target, why := chooseTarget(ctx, api, db, sel)
	if why != "" {
		db.Blocked = append(db.Blocked, why)
		return
	}
	opts := sel.Options
	opts.Source, opts.TargetEngineVersion, opts.Fleet = db.Source, target, fleetID
	db.TargetVersion = target
	prep, err := steps.PrepareFor(ctx, api, d, opts, clk.Now, steps.WithPreflight)
	db.Checks = prep.Checks
	db.Options = prep.Options
	if err != nil && prep.Plan.Source.ID == "" {
		db.Blocked = append(db.Blocked, "cannot be planned: "+err.Error())
		return
	}
	plan := prep.Plan
	db.Plan = &plan
	db.Regime = plan.Regime
	for _, c := range prep.Checks {
		if c.Status == contract.CheckFail {
			db.Blocked = append(db.Blocked, c.Title+": "+c.Explanation)
		}
	}
	if err != nil && len(db.Blocked) == 0 {
		db.Blocked = append(db.Blocked, err.Error())
	}
	db.Expected, db.ExpectedOutage = expectedFor(db)
}

// chooseTarget is db's green version under sel, or why there is none.
func chooseTarget(ctx context.Context, api *awsclient.Client, db *Database, sel Selection) (string, string) {
	if v, ok := sel.Target[db.Engine]; ok {
		if v == db.Version {
			return "", fmt.Sprintf("already runs %s %s, the target version", db.Engine, v)
		}
		return v, ""
	}
	if sel.Upgrade == UpgradeNone {
		return "", ""
	}
	targets, err := preflight.UpgradeTargets(ctx, api, db.Engine, db.Version)
	if err != nil {
		return "", fmt.Sprintf("the engine catalogue cannot be read for %s %s: %v", db.Engine, db.Version, err)
	}
	best := ""
	for _, t := range targets {
		if sel.Upgrade == UpgradeMinor && t.Major {
			continue
		}
		if best == "" || compareVersions(t.Version, best) > 0 {
			best = t.Version
		}
	}
	if best == "" {
		return "", fmt.Sprintf("%s %s has no newer %s version to upgrade to", db.Engine, db.Version, sel.Upgrade)
	}
	return best, ""
}

// matchesStatic applies the filters that need no further read.
func matchesStatic(s preflight.SourceSummary, sel Selection, account, region string) bool {
	if len(sel.Engines) > 0 && !contains(sel.Engines, s.Engine) {
		return false
	}
	from, to, _ := versionBounds(sel)
	if from != "" && compareVersions(s.EngineVersion, from) < 0 {
		return false
	}
	if to != "" && compareVersions(s.EngineVersion, to) > 0 {
		return false
	}
	if len(sel.Sources) > 0 {
		found := false
		for _, want := range sel.Sources {
			if sourceMatches(want, account, region, s.ID) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sourceMatches reads an explicit source: id, region/id or
// account/region/id.
func sourceMatches(want, account, region, id string) bool {
	parts := strings.Split(want, "/")
	switch len(parts) {
	case 1:
		return parts[0] == id
	case 2:
		return parts[0] == region && parts[1] == id
	case 3:
		return parts[0] == account && parts[1] == region && parts[2] == id
	}
	return false
}

func missingSources(wanted []string, dbs []Database) []string {
	var missing []string
	for _, w := range wanted {
		found := false
		for _, d := range dbs {
			if sourceMatches(w, d.Account, d.Region, d.Source) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	return missing
}

func matchesTags(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// userTags drops rdsbg's own tags (they describe runs, not the database).
func userTags(tags map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tags {
		if !strings.HasPrefix(k, "rdsbg:") {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// markDuplicates blocks every database whose identifier a database of
// another account or Region already uses: each run's journal and lock are
// named by its source identifier in the state directory, so two runs of
// one name would share them. The first keeps its place.
func markDuplicates(p *Plan) {
	first := map[string]string{}
	for i := range p.Databases {
		d := &p.Databases[i]
		if where, dup := first[d.Source]; dup {
			d.Blocked = append(d.Blocked, fmt.Sprintf("the identifier %s is also in %s, and each run's journal is named by its identifier: run this one on its own (`rdsbg run --source %s --region %s` with its own --state-dir)", d.Source, where, d.Source, d.Region))
			continue
		}
		first[d.Source] = d.TargetKey()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func versionBounds(sel Selection) (string, string, error) {
	if sel.VersionFrom != "" && sel.VersionTo != "" && compareVersions(sel.VersionFrom, sel.VersionTo) > 0 {
		return "", "", fmt.Errorf("--version-from %s is above --version-to %s", sel.VersionFrom, sel.VersionTo)
	}
	to := sel.VersionTo
	if to != "" {
		// "15" as an upper bound means every 15.x.
		to += ".999999"
	}
	return sel.VersionFrom, to, nil
}

// compareVersions compares dotted versions part by part, numerically
// where both parts are numbers ("8.0.mysql_aurora.3.05.2" included).
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		if i >= len(pa) {
			return -1
		}
		if i >= len(pb) {
			return 1
		}
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		switch {
		case ea == nil && eb == nil:
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
		case pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return 0
}

// Published figures behind the plan's expectations (the same ones the
// wizard's rail shows, ui/expected.go): green provisioning about 12 min
// for a small RDS instance and about 30 min for Aurora with an upgrade
// (rds-facts §4.1); a proxy registration about 5–7 min (§1.10, §4.7); a
// switchover under 5 s (§4.7). Reads, checks and cleanup add a few
// minutes.
const (
	expectRDSProvision    = 12 * time.Minute
	expectAuroraProvision = 30 * time.Minute
	expectRegistration    = 6 * time.Minute
	expectOverhead        = 3 * time.Minute
)

// expectedFor is the run's expected duration and proxy outage.
func expectedFor(d *Database) (time.Duration, time.Duration) {
	total := expectRDSProvision + expectOverhead
	if d.Kind == contract.KindCluster {
		total = expectAuroraProvision + expectOverhead
	}
	outage := time.Duration(0)
	if d.Regime == contract.RegimeDetach {
		// Two registrations with the proxy empty: blue's after the
		// creation, the new primary's after the switchover.
		outage = 2 * expectRegistration
		total += outage
	}
	return total, outage
}

// assignWaves groups the runnable databases: the canaries first, then
// percentages or tag groups. Databases of different account-Regions are
// interleaved, so that every wave spreads its runs over the budgets.
func assignWaves(p *Plan) []Wave {
	byTarget := map[string][]int{}
	var keys []string
	for i, d := range p.Databases {
		d := d
		if len(d.Blocked) > 0 {
			continue
		}
		k := d.TargetKey()
		if _, ok := byTarget[k]; !ok {
			keys = append(keys, k)
		}
		byTarget[k] = append(byTarget[k], i)
	}
	for _, k := range keys {
		sort.SliceStable(byTarget[k], func(a, b int) bool {
			return p.Databases[byTarget[k][a]].Source < p.Databases[byTarget[k][b]].Source
		})
	}
	var order []int
	for round := 0; ; round++ {
		added := false
		for _, k := range keys {
			if round < len(byTarget[k]) {
				order = append(order, byTarget[k][round])
				added = true
			}
		}
		if !added {
			break
		}
	}

	var waves []Wave
	var canaries, rest []int
	pol := p.Policy
	if pol.CanaryTag != "" {
		k, v, _ := strings.Cut(pol.CanaryTag, "=")
		for _, i := range order {
			if p.Databases[i].Tags[k] == v {
				canaries = append(canaries, i)
			} else {
				rest = append(rest, i)
			}
		}
	} else {
		n := min(pol.Canaries, len(order))
		canaries, rest = order[:n], order[n:]
	}
	if len(canaries) > 0 {
		waves = append(waves, Wave{Name: "canary", Databases: canaries})
	}
	switch {
	case pol.WaveTag != "":
		groups := map[string][]int{}
		var values []string
		for _, i := range rest {
			v, ok := p.Databases[i].Tags[pol.WaveTag]
			if !ok {
				v = "(untagged)"
			}
			if _, seen := groups[v]; !seen {
				values = append(values, v)
			}
			groups[v] = append(groups[v], i)
		}
		sort.Strings(values)
		for _, v := range values {
			waves = append(waves, Wave{Name: pol.WaveTag + "=" + v, Databases: groups[v]})
		}
	case len(pol.WavePercents) > 0:
		cum, start := 0, 0
		for _, pc := range pol.WavePercents {
			cum += pc
			end := (len(rest)*cum + 50) / 100
			if end > start {
				waves = append(waves, Wave{Name: strconv.Itoa(pc) + "%", Databases: rest[start:end]})
			}
			start = end
		}
	default:
		if len(rest) > 0 {
			waves = append(waves, Wave{Name: "rest", Databases: rest})
		}
	}
	for i := range waves {
		waves[i].Number = i + 1
		for _, d := range waves[i].Databases {
			p.Databases[d].Wave = i + 1
		}
	}
	return waves
}
