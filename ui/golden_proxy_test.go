package ui

import (
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// TestGoldenProxyTargets: an Aurora cluster registering with a proxy of a
// long name, the state AWS reports for minutes (PENDING_PROXY_CAPACITY).
// At 80x24 the table cut "billing-pr…" and "PENDING_PROXY…"; the narrow
// layout (table_fit.go) keeps every name and state whole.
func TestGoldenProxyTargets(t *testing.T) {
	forSizes(t, func(t *testing.T, width, height int) *harness {
		h, _ := runHarness(t, width, height)
		s := ev(contract.EventStepStarted, 0)
		s.Step = contract.StepAttachProxyBlue
		h.send(eventMsg{event: s})
		pending := awsclient.TargetHealth{State: "UNAVAILABLE", Reason: "PENDING_PROXY_CAPACITY"}
		p := ev(contract.EventProgress, 90*time.Second)
		p.Progress = &contract.Progress{ProxyTargets: []awsclient.ProxyTarget{
			{ProxyName: "billing-proxy-production", RdsResourceID: "billing-cluster", Type: "TRACKED_CLUSTER", Role: "READ_WRITE", Health: pending},
			{ProxyName: "billing-proxy-production", RdsResourceID: "billing-cluster-instance-1", Type: "RDS_INSTANCE", Role: "READ_WRITE", Health: pending},
			{ProxyName: "billing-proxy-production", RdsResourceID: "billing-cluster-instance-2", Type: "RDS_INSTANCE", Role: "READ_ONLY", Health: awsclient.TargetHealth{State: "REGISTERING"}},
		}}
		h.send(eventMsg{event: p})
		h.send(tickMsg{now: t0.Add(100 * time.Second)})
		h.mustShow("billing-proxy-production", "billing-cluster-instance-1", "PENDING_PROXY_CAPACITY")
		h.mustNotShow("…")
		return h
	})
}

// TestGoldenOptionsParameterGroup: the picker on a major target, its help
// line naming the default group green gets when it is left empty.
func TestGoldenOptionsParameterGroup(t *testing.T) {
	forSizes(t, func(t *testing.T, width, height int) *harness {
		h := optionsHarness(t, width, height, preflight.SourceSummary{ID: srcID, Kind: "instance", Engine: "postgres", EngineVersion: "15.7", Proxies: []string{"orders-proxy"}})
		h.keys("right", "right") // 16.4
		toField(t, h, flagGroup)
		h.mustShow("‹ (empty) ›", "default.postgres16")
		return h
	})
}
