package ui

import (
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// expectation is how long a step takes on AWS, with where that number comes
// from: the step's row in the engine (steps.ExpectedOnAWS) is the one
// place that holds it. The demo's simulator runs faster; the rail shows
// both, so nobody mistakes a demo minute for AWS's.
type expectation struct {
	short  string // fits the rail: "12–35+ min"
	source string // the fact behind it, shown with the current step
}

// expectedFor is id's range on AWS within plan p; steps without a public
// figure (reads, deregistrations, cleanup, a check) show nothing rather
// than a guess.
func expectedFor(p *contract.Plan, id contract.StepID) (expectation, bool) {
	short, source, ok := steps.ExpectedOnAWS(p, id)
	return expectation{short: short, source: source}, ok
}
