// Package fleet runs rdsbg over many databases across accounts and Regions
// (issue 25): it selects the sources, plans each one as an ordinary run
// (its plan, regime and preflight verdict), groups them into waves, and
// runs each database as an ordinary rdsbg run through steps.Backend, with
// one request budget per account and Region shared by every run there.
//
// Nothing here replaces the engine's rules: each run has its own journal,
// tags and approvals, and can be resumed, aborted or inspected with the
// usual commands. The fleet only decides which runs start, when, and when
// to stop starting them.
package fleet

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// Defaults of the plan (rdsbg fleet plan's flags).
const (
	// DefaultBudget is the RDS requests per second the fleet allows itself
	// in one account and Region: two thirds of AWS's 12/s (rds-facts §7),
	// the same share one run takes, so that the Console, IaC and
	// monitoring keep a third however many runs there are.
	DefaultBudget = 8
	// DefaultMaxConcurrency is how many runs may be under way at once in
	// one account and Region. Ten runs poll at well under the budget
	// (BenchmarkAPIFootprint: ~26 calls/min each over a whole run).
	DefaultMaxConcurrency = 10
	// DefaultStopAfterFailures: the first failed run stops the fleet after
	// its wave (and its wave's remaining starts at once).
	DefaultStopAfterFailures = 1
	// DefaultBake is the wait after a wave's switchovers before the next
	// wave switches over: time for alarms to fire on the upgraded ones.
	DefaultBake = 15 * time.Minute
)

// PlanVersion is the fleet plan file's format version.
const PlanVersion = 1

// Plan is what `fleet plan --output json` writes and `fleet run --plan`
// reads: everything the run needs, nothing it must find out again.
type Plan struct {
	Version     int       `json:"version"`
	ID          string    `json:"fleet"` // the fleet id, tagged rdsbg:fleet on every deployment
	GeneratedAt time.Time `json:"generated_at"`
	Selection   Selection `json:"selection"`
	Policy      Policy    `json:"policy"`
	// Targets are the account-Regions of the plan, each with its budget.
	Targets   []Target   `json:"targets"`
	Databases []Database `json:"databases"`
	Waves     []Wave     `json:"waves"`
}

// Selection is what `fleet plan` was asked for.
type Selection struct {
	Profiles []string          `json:"profiles"` // AWS profiles, one per account ("" = the default credentials)
	Regions  []string          `json:"regions"`
	Tags     map[string]string `json:"tags,omitempty"`    // every tag must match
	Engines  []string          `json:"engines,omitempty"` // engine names (postgres, aurora-mysql…)
	// VersionFrom and VersionTo bound the engine version, inclusive,
	// compared part by part ("15" ≤ 15.7 ≤ "15.99").
	VersionFrom string   `json:"version_from,omitempty"`
	VersionTo   string   `json:"version_to,omitempty"`
	Sources     []string `json:"sources,omitempty"` // an explicit list: id, or region/id, or account/region/id
	// Upgrade picks each database's target: "minor" (the newest version
	// of its major), "major" (the newest of any), "none"; Targets maps an
	// engine to an explicit version instead.
	Upgrade string            `json:"upgrade"`
	Target  map[string]string `json:"target_versions,omitempty"`
	// Options are the run options every database shares (proxy mode,
	// cleanup, switchover timeout…); Source and target version are each
	// database's own.
	Options contract.Options `json:"options"`
}

// Policy is how the fleet runs.
type Policy struct {
	Canaries          int           `json:"canaries"`                // databases in the first wave when no canary tag is set
	CanaryTag         string        `json:"canary_tag,omitempty"`    // key=value: those databases form the first wave
	WavePercents      []int         `json:"wave_percents,omitempty"` // the rest, in waves of these percentages
	WaveTag           string        `json:"wave_tag,omitempty"`      // or: one wave per value of this tag key, sorted
	Bake              time.Duration `json:"bake_ns"`
	MaxConcurrency    int           `json:"max_concurrency"` // per account-Region
	StopAfterFailures int           `json:"stop_after_failures"`
	Budget            int           `json:"budget"` // requests/s per account-Region
}

// Target is one account and Region of the plan.
type Target struct {
	Profile string `json:"profile"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Budget  int    `json:"budget"`
}

// Key names the account-Region.
func (t Target) Key() string { return t.Account + "/" + t.Region }

// Database is one source of the fleet with its own plan.
type Database struct {
	Profile string `json:"profile"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Source  string `json:"source"`
	Kind    string `json:"kind"`
	Engine  string `json:"engine"`
	Version string `json:"version"`
	// TargetVersion is green's engine version ("" = no upgrade).
	TargetVersion string            `json:"target_version,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	Proxies       []string          `json:"proxies,omitempty"`
	Regime        contract.Regime   `json:"regime"`
	// Checks are the preflight rows, as `rdsbg plan` shows them: the API
	// checks and, where the database checks are configured, theirs.
	Checks []contract.CheckResult `json:"preflight"`
	// Blocked lists why this database is left out of the waves; empty
	// for a database that runs.
	Blocked []string `json:"blocked,omitempty"`
	// Expected is the time the run should take on AWS and the time its
	// proxy is expected to be empty, from the published figures.
	Expected       time.Duration `json:"expected_ns"`
	ExpectedOutage time.Duration `json:"expected_outage_ns"`
	Wave           int           `json:"wave"` // 1-based; 0 when blocked
	// Options are the run's own options (rdsbg run's flags).
	Options contract.Options `json:"options"`
	// Plan is the database's own plan, as `rdsbg plan --output json`.
	Plan *contract.Plan `json:"plan,omitempty"`
}

// Name is account/region/source.
func (d Database) Name() string { return d.Account + "/" + d.Region + "/" + d.Source }

// TargetKey is the account-Region key of d.
func (d Database) TargetKey() string { return d.Account + "/" + d.Region }

// Wave is one group of databases that start together.
type Wave struct {
	Number    int    `json:"number"`
	Name      string `json:"name"`      // "canary", "20%", "team=orders"
	Databases []int  `json:"databases"` // indexes into Plan.Databases, in start order
}

// NewID makes a fleet id: fleet-<date>-<6 hex>, unique enough to tell two
// fleets of one day apart, short enough to type as a confirmation.
func NewID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("fleet-%s-%s", now.UTC().Format("20060102"), hex.EncodeToString(b))
}

// Runnable are the databases that are in a wave.
func (p *Plan) Runnable() int {
	n := 0
	for _, d := range p.Databases {
		if len(d.Blocked) == 0 {
			n++
		}
	}
	return n
}

// TargetOf is the account-Region of database i.
func (p *Plan) TargetOf(i int) Target {
	d := p.Databases[i]
	for _, t := range p.Targets {
		if t.Account == d.Account && t.Region == d.Region {
			return t
		}
	}
	return Target{Profile: d.Profile, Account: d.Account, Region: d.Region, Budget: p.Policy.Budget}
}

// Validate checks a plan read from a file before anything runs.
func (p *Plan) Validate() error {
	if p.Version != PlanVersion {
		return fmt.Errorf("plan version %d: this rdsbg reads version %d; make the plan again with `rdsbg fleet plan`", p.Version, PlanVersion)
	}
	if p.ID == "" {
		return fmt.Errorf("the plan has no fleet id; make it again with `rdsbg fleet plan`")
	}
	if p.Policy.MaxConcurrency < 1 || p.Policy.Budget < 1 {
		return fmt.Errorf("the plan's max_concurrency (%d) and budget (%d) must be at least 1", p.Policy.MaxConcurrency, p.Policy.Budget)
	}
	seen := map[int]bool{}
	for _, w := range p.Waves {
		for _, i := range w.Databases {
			if i < 0 || i >= len(p.Databases) {
				return fmt.Errorf("wave %d names database %d; the plan has %d", w.Number, i, len(p.Databases))
			}
			if seen[i] {
				return fmt.Errorf("database %s is in two waves", p.Databases[i].Name())
			}
			if len(p.Databases[i].Blocked) > 0 {
				return fmt.Errorf("database %s is blocked but in wave %d", p.Databases[i].Name(), w.Number)
			}
			seen[i] = true
		}
	}
	return nil
}
