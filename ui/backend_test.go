package ui

import (
	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps"
)

// onBackend completes c with the AWS client, call log, clock and state
// directory of cfg's backend, for tests that drive an engine of their own
// beside the wizard (on the same simulator and journal).
func onBackend(cfg Config, c steps.Config) steps.Config {
	b := cfg.Backend.(*steps.Backend).Config()
	c.API, c.Calls, c.Clock, c.StateDir = b.API, b.Calls, b.Clock, b.StateDir
	return c
}

// withMetrics is cfg's backend reading CloudWatch from the simulator.
func withMetrics(cfg Config) Backend {
	b := cfg.Backend.(*steps.Backend).Config()
	b.Metrics = b.API.(awsclient.Metrics)
	return steps.NewBackend(b)
}
