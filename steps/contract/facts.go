package contract

import (
	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// The AWS facts that events and the backend carry, under the engine's
// names, so that a front end speaks only of steps types: these are the
// awsclient types themselves (aliases), not copies.
type (
	// Call is one AWS call as the call log saw it (api-call events).
	Call = awsclient.Call
	// SwitchoverMember is one blue → green pair of a deployment.
	SwitchoverMember = awsclient.SwitchoverMember
	// ProxyTarget is one target of a proxy with its health.
	ProxyTarget = awsclient.ProxyTarget
	// UpgradeTarget is one version the engine catalogue offers.
	UpgradeTarget = awsclient.UpgradeTarget
)

// CloudWatch metric names of MetricLine.Metric.
const (
	MetricClientConnections        = awsclient.MetricClientConnections
	MetricDatabaseConnections      = awsclient.MetricDatabaseConnections
	MetricReplicaLag               = awsclient.MetricReplicaLag
	MetricOldestReplicationSlotLag = awsclient.MetricOldestReplicationSlotLag
)

// Clock is the engine's clock (virtual in tests, scaled against `rdsbg sim
// --speed`); a front end's timers follow it.
type Clock = clock.Clock

// WallClock is the real clock, for a front end given none.
func WallClock() Clock { return clock.Real{} }
