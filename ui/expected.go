package ui

import "github.com/rdsbg/rdsbg/steps"

// expectation is how long a step takes on AWS, with where that number comes
// from (docs: /work/shared/docs/rds-facts.md). The demo's simulator runs
// faster; the rail shows both, so nobody mistakes a demo minute for AWS's.
type expectation struct {
	short  string // fits the rail: "12–35+ min"
	source string // the fact behind it, shown with the current step
}

// expectedOnAWS holds the ranges that a source gives. Steps without one
// (reads, deregistrations, cleanup) show nothing rather than a guess.
var expectedOnAWS = map[steps.StepID]expectation{
	// rds-facts §4.1: RDS MySQL ~12 min (CNLAB), Aurora PostgreSQL 16.9→17.6
	// ~30–32 min (SHINYAZ), create→delete gap of the API sample ~30 min.
	"provision-green": {"12–35+ min", "green provisioning: ~12 min RDS MySQL (CNLAB), ~30–32 min Aurora PostgreSQL (SHINYAZ), rds-facts §4.1"},
	// rds-facts §5.5: ~5 min from registering a target to AVAILABLE (SHINYAZ).
	steps.StepAttachProxyBlue:    {"~5 min", "proxy target registration: ~5 min to AVAILABLE (SHINYAZ), rds-facts §5.5"},
	steps.StepAttachProxyPrimary: {"~5 min", "proxy target registration: ~5 min to AVAILABLE (SHINYAZ), rds-facts §5.5"},
	// rds-facts §4.7: "typically under a minute"; under 5 s claimed since
	// 2026-01 for single-Region setups.
	steps.StepSwitchover: {"< 1 min", "switchover: typically under a minute (AWS docs), under 5 s claimed since 2026-01, rds-facts §4.7"},
}

// expectedFor is id's range on AWS within plan p. Without a separate
// provision-green step, create-deployment includes the provisioning.
func expectedFor(p *steps.Plan, id steps.StepID) (expectation, bool) {
	if p != nil {
		if ps, ok := p.Step(id); ok && ps.CheckOnly {
			// A check (the native regime's proxy steps) takes a read or
			// two, not a registration's minutes (walkthrough D22).
			return expectation{}, false
		}
	}
	if e, ok := expectedOnAWS[id]; ok {
		return e, true
	}
	if id == steps.StepCreateDeployment && p != nil {
		if _, separate := p.Step("provision-green"); !separate {
			return expectedOnAWS["provision-green"], true
		}
	}
	return expectation{}, false
}
