package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// Preparing a run is one fixed order, written once: discover the source,
// resolve the upgrade against the engine catalogue, run the read-only
// preflight checks, build the plan. `plan`, `iam-policy`, `run`, `resume`
// and the wizard (through the engine) all prepare here; only what each does
// with the result differs. Nothing here changes AWS.

// PreflightChoice says whether a preparation runs the preflight checks: iam-policy
// and a resume's replan need only the plan.
type PreflightChoice bool

// The two kinds of preparation.
const (
	WithPreflight    PreflightChoice = true
	WithoutPreflight PreflightChoice = false
)

// Prepared is a run made ready, before anything changes.
type Prepared struct {
	Discovery Discovery
	// Options are the caller's with their defaults, dated when the
	// preparation began.
	Options Options
	// Upgrade is the resolved --target-engine-version; nil without one.
	Upgrade *awsclient.UpgradeTarget
	// Checks are the preflight rows; nil when preflight was not asked for
	// or the preparation stopped before it (see Stage).
	Checks []CheckResult
	// Plan is the plan built from all of the above.
	Plan Plan
	// Stage is the last stage reached: a failed preparation says where it
	// failed (the engine treats a refused upgrade as a blocked preflight,
	// a plan that cannot be built as a failure).
	Stage PrepareStage
	// db is the connection the database checks made (dbchecks.go): the
	// run keeps it for the schema watch, the gates and the ledger.
	db *dbRun
}

// PrepareStage names the stages of a preparation, in order.
type PrepareStage int

// The stages.
const (
	StageDiscover PrepareStage = iota
	StageUpgrade
	StagePreflight
	StagePlan
)

// Blocked reports a preflight check that fails: the run must not start.
func (p Prepared) Blocked() bool { return Blocked(p.Checks) }

// Prepare checks the options (ValidateOptions, before any AWS call),
// discovers opts.Source and prepares the run for it. now dates the default
// deployment name and the plan (read when each is made, so a virtual clock
// that moves during the AWS reads is honoured).
func Prepare(ctx context.Context, api awsclient.API, opts Options, now func() time.Time, checks PreflightChoice) (Prepared, error) {
	opts = opts.WithDefaultsAt(now())
	if err := ValidateOptions(opts); err != nil {
		return Prepared{Options: opts, Stage: StageDiscover}, err
	}
	d, err := Discover(ctx, api, opts.Source)
	if err != nil {
		return Prepared{Options: opts, Stage: StageDiscover}, err
	}
	return PrepareFor(ctx, api, d, opts, now, checks)
}

// PrepareFor prepares the run for a source already discovered (the engine
// discovers first, to take the source's lock and read its journal). The
// plan is built even when preflight blocks, so that `plan` can show both;
// its error is then returned with the checks filled in.
func PrepareFor(ctx context.Context, api awsclient.API, d Discovery, opts Options, now func() time.Time, checks PreflightChoice) (Prepared, error) {
	p := Prepared{Discovery: d, Options: withFreeDefaultName(d, opts.WithDefaultsAt(now()), now()), Stage: StageUpgrade}
	upgrade, err := ResolveUpgrade(ctx, api, d, p.Options)
	if err != nil {
		return p, err
	}
	p.Upgrade = upgrade
	if checks {
		p.Stage = StagePreflight
		p.Checks = Preflight(ctx, api, d, p.Options, upgrade)
		rows, db, err := databasePreflight(ctx, api, d, p.Options, upgrade) // dbchecks.go
		p.Checks = append(p.Checks, rows...)
		if err != nil {
			return p, err
		}
		p.db = db
	}
	p.Stage = StagePlan
	p.Plan, err = BuildPlan(d, p.Options, upgrade, now())
	return p, err
}

// withFreeDefaultName: when the deployment name is rdsbg's default and
// another deployment of the account already carries it (names are unique
// per account and Region; a second run the same day), the first free of
// <name>-2, <name>-3, …, so that preflight's "valid and free" is true when
// it is said (issue 20). A name the operator chose, or the source's own
// live deployment's (a resume, an adoption), is kept.
func withFreeDefaultName(d Discovery, o Options, now time.Time) Options {
	def := DefaultDeploymentName(o.Source, now)
	if !strings.EqualFold(o.DeploymentName, def) {
		return o
	}
	for _, dep := range d.Deployments {
		if dep.Status != "DELETING" && strings.EqualFold(dep.Name, def) {
			return o // the source's own: adopted or resumed, never renamed
		}
	}
	taken := func(name string) bool {
		for _, n := range d.DeploymentNames {
			if strings.EqualFold(n, name) {
				return true
			}
		}
		return false
	}
	for n := 2; taken(o.DeploymentName); n++ {
		suffix := fmt.Sprintf("-%d", n)
		base := def
		if len(base)+len(suffix) > maxDeploymentName {
			base = strings.TrimRight(base[:maxDeploymentName-len(suffix)], "-")
		}
		o.DeploymentName = base + suffix
	}
	return o
}
