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
	"provision-green": {"12–35+ min", "green provisioning: ~12 min for a small RDS for MySQL instance, ~30–32 min for Aurora PostgreSQL with a major upgrade (public measurements)"},
	// rds-facts §1.10, §4.7: ~5 min (SHINYAZ) and ~7 min (CNLAB) from
	// registering a target to AVAILABLE, two measurements of a new proxy.
	// Operator text names public sources or none (walkthrough D17).
	steps.StepAttachProxyBlue:    {"~5–7 min", "proxy target registration: about 5–7 min to AVAILABLE, measured twice (public write-ups)"},
	steps.StepAttachProxyPrimary: {"~5–7 min", "proxy target registration: about 5–7 min to AVAILABLE, measured twice (public write-ups)"},
	// rds-facts §4.7: "typically under five seconds" single-Region since
	// 2026-01-20 (AWS); 1.6 s and ~2 s measured; "under a minute" before.
	steps.StepSwitchover: {"< 5 s", "switchover: typically under five seconds in one Region (AWS, since January 2026; measured 1.6–2 s), under a minute before"},
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
