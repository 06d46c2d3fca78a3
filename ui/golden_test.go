package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// goldenSizes: the smallest supported terminal, the rail's threshold and a
// large one.
var goldenSizes = []struct{ w, h int }{{80, 24}, {100, 30}, {160, 50}}

// Goldens are views from synthetic events at fixed times, colour stripped,
// compared through x/exp/golden (testdata/<test>/<size>.golden; -update
// rewrites them): they pin layout, wording, and that nothing is wider or
// taller than the terminal (harness.golden checks both).

func forSizes(t *testing.T, f func(t *testing.T, w, h int) *harness) {
	for _, sz := range goldenSizes {
		name := fmt.Sprintf("%dx%d", sz.w, sz.h)
		t.Run(name, func(t *testing.T) { f(t, sz.w, sz.h).requireGolden(t) })
	}
}

// TestGoldenRail: the step rail (a column at ≥ 100 columns, a strip below)
// while green provisions: each step's state, duration and range on AWS.
func TestGoldenRail(t *testing.T) {
	forSizes(t, func(t *testing.T, width, height int) *harness {
		h, _ := runHarness(t, width, height)
		for i, id := range []contract.StepID{contract.StepPreflight, contract.StepDetachProxy} {
			s := ev(contract.EventStepStarted, time.Duration(i)*time.Minute)
			s.Step = id
			h.send(eventMsg{event: s})
			d := ev(contract.EventStepDone, time.Duration(i)*time.Minute+12*time.Second)
			d.Step = id
			h.send(eventMsg{event: d})
		}
		start := ev(contract.EventStepStarted, 2*time.Minute)
		start.Step = contract.StepCreateDeployment
		h.send(eventMsg{event: start})
		p := ev(contract.EventProgress, 5*time.Minute)
		p.Progress = provisioningProgress()
		h.send(eventMsg{event: p})
		p2 := ev(contract.EventProgress, 6*time.Minute)
		p2.Progress = provisioningProgress()
		p2.Progress.Members[0].Status = "SWITCHOVER_IN_PROGRESS"
		p2.Progress.ProxyTargets = []awsclient.ProxyTarget{{ProxyName: "orders-proxy", RdsResourceID: "orders-db", Type: "RDS_INSTANCE", Role: "READ_WRITE", Health: awsclient.TargetHealth{State: "AVAILABLE"}}}
		h.send(eventMsg{event: p2})
		h.send(tickMsg{now: t0.Add(8*time.Minute + 30*time.Second)})
		h.mustShow("elapsed 6m30s", "create-deployment", "12–35+ min")
		return h
	})
}

func TestGoldenCriticalSection(t *testing.T) {
	forSizes(t, func(t *testing.T, width, height int) *harness {
		h, _ := runHarness(t, width, height)
		for i, id := range []contract.StepID{contract.StepDetachProxyBlue, contract.StepSwitchover} {
			s := ev(contract.EventStepStarted, time.Duration(i)*4*time.Second)
			s.Step = id
			h.send(eventMsg{event: s})
		}
		d := ev(contract.EventStepDone, 4*time.Second)
		d.Step = contract.StepDetachProxyBlue
		h.send(eventMsg{event: d})
		since := t0.Add(3 * time.Second)
		p := ev(contract.EventProgress, 20*time.Second)
		p.Progress = &contract.Progress{
			DeploymentID: "bgd-abc123", DeploymentStatus: "SWITCHOVER_IN_PROGRESS", ProxylessSince: &since,
			Members: []awsclient.SwitchoverMember{
				{Source: arn("orders-db"), Target: arn("orders-db-green-a1b2c3"), Status: "SWITCHOVER_IN_PROGRESS"},
				{Source: arn("orders-db-replica-1"), Target: arn("orders-db-replica-1-green-x9y8z7"), Status: "SWITCHOVER_COMPLETED"},
			},
			ProxyTargets: []awsclient.ProxyTarget{},
		}
		h.send(eventMsg{event: p})
		h.send(tickMsg{now: t0.Add(41 * time.Second)})
		if h.w.front != screenCritical {
			t.Fatal("the critical screen is not in front")
		}
		h.mustShow("PROXY-LESS 00:38")
		return h
	})
}

// criticalApproval is the engine's own question (steps/runner.go).
func criticalApproval() contract.Approval {
	return contract.Approval{Kind: "critical-section", Step: contract.StepDetachProxyBlue,
		Title:    "Start the critical section: detach the proxy, switch over, attach the new primary",
		Text:     "From here to the end of attach-proxy-primary the proxy has no target: applications connected through orders-proxy cannot reach orders-db until the new primary is registered and healthy. The switchover itself takes up to 5m0s. The section runs without further prompts; if anything fails the proxy is re-registered before rdsbg stops. If AWS refuses to register the new primary while the deployment object exists, rdsbg deletes the deployment object (never a database) and registers again.",
		Severity: contract.SeveritySevere, Confirm: srcID,
		Steps:   []contract.StepID{contract.StepDetachProxyBlue, contract.StepSwitchover, contract.StepAttachProxyPrimary},
		Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}}
}

// TestGoldenCriticalConfirmation: the typed confirmation is on screen,
// above the help bar, at every size (it was below the fold at 80x24).
func TestGoldenCriticalConfirmation(t *testing.T) {
	forSizes(t, func(t *testing.T, width, height int) *harness {
		h, answer := runHarness(t, width, height)
		for i, id := range []contract.StepID{contract.StepPreflight, contract.StepDetachProxy, contract.StepCreateDeployment, contract.StepAttachProxyBlue, contract.StepReadyCheck} {
			s := ev(contract.EventStepStarted, time.Duration(i)*time.Minute)
			s.Step = id
			h.send(eventMsg{event: s})
			d := ev(contract.EventStepDone, time.Duration(i)*time.Minute+30*time.Second)
			d.Step = id
			h.send(eventMsg{event: d})
		}
		h.send(approvalMsg{approval: criticalApproval(), answer: answer})
		h.typeText("orders")
		h.mustShow("Type orders-db to confirm: orders", "enter confirm · esc")
		return h
	})
}

// TestGoldenOptions: the options form for an instance with a proxy.
func TestGoldenOptions(t *testing.T) {
	forSizes(t, func(t *testing.T, width, height int) *harness {
		return optionsHarness(t, width, height, preflight.SourceSummary{ID: srcID, Kind: "instance", Engine: "postgres", EngineVersion: "15.7", Proxies: []string{"orders-proxy"}})
	})
}

func TestGoldenSummary(t *testing.T) {
	forSizes(t, func(t *testing.T, width, height int) *harness {
		h, _ := runHarness(t, width, height)
		h.send(eventMsg{event: finishedEvent()})
		return h
	})
}

// optionsHarness shows the options form for src with PostgreSQL's targets
// from 15.7 (one minor, two majors).
func optionsHarness(t *testing.T, width, height int, src preflight.SourceSummary) *harness {
	base := contract.Options{Source: src.ID}.WithDefaultsAt(t0)
	h := newHarness(t, Config{Options: base}, backend{}, width, height)
	h.w.phase = phaseOptions
	h.w.options = newOptionsModel(h.w.common, src, base)
	h.send(targetsLoadedMsg{targets: []awsclient.UpgradeTarget{{Version: "15.8"}, {Version: "16.4", Major: true}, {Version: "17.4", Major: true}},
		groups: &preflight.ParameterGroupCatalog{
			Families: map[string]string{"15.7": "postgres15", "15.8": "postgres15", "16.4": "postgres16", "17.4": "postgres17"},
			DB: map[string][]string{"postgres15": {"default.postgres15", "orders-pg15"}, "postgres16": {"default.postgres16"},
				"postgres17": {"default.postgres17", "orders-pg17"}},
		}})
	return h
}
