package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps"
)

var goldenSizes = []struct{ w, h int }{{100, 30}, {80, 24}}

// Goldens are views from synthetic events at fixed times, colour stripped:
// they pin layout, wording and that nothing is wider than the terminal.

func TestGoldenProgress(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			h, _ := runHarness(t, sz.w, sz.h)
			start := ev(steps.EventStepStarted, 0)
			start.Step = steps.StepCreateDeployment
			h.send(eventMsg{event: start})
			p := ev(steps.EventProgress, 5*time.Minute)
			p.Progress = provisioningProgress()
			h.send(eventMsg{event: p})
			p2 := ev(steps.EventProgress, 6*time.Minute)
			p2.Progress = provisioningProgress()
			p2.Progress.Members[0].Status = "SWITCHOVER_IN_PROGRESS"
			p2.Progress.ProxyTargets = []awsclient.ProxyTarget{{ProxyName: "orders-proxy", RdsResourceID: "orders-db", Type: "RDS_INSTANCE", Role: "READ_WRITE", Health: awsclient.TargetHealth{State: "AVAILABLE"}}}
			h.send(eventMsg{event: p2})
			h.send(tickMsg{now: t0.Add(6*time.Minute + 30*time.Second)})
			h.mustShow("elapsed 6m30s")
			h.golden(fmt.Sprintf("progress_%dx%d", sz.w, sz.h))
		})
	}
}

func TestGoldenCriticalSection(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			h, _ := runHarness(t, sz.w, sz.h)
			for i, id := range []steps.StepID{steps.StepDetachProxyBlue, steps.StepSwitchover} {
				s := ev(steps.EventStepStarted, time.Duration(i)*4*time.Second)
				s.Step = id
				h.send(eventMsg{event: s})
			}
			d := ev(steps.EventStepDone, 4*time.Second)
			d.Step = steps.StepDetachProxyBlue
			h.send(eventMsg{event: d})
			since := t0.Add(3 * time.Second)
			p := ev(steps.EventProgress, 20*time.Second)
			p.Progress = &steps.Progress{
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
			h.golden(fmt.Sprintf("critical_%dx%d", sz.w, sz.h))
		})
	}
}

func TestGoldenSummary(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			h, _ := runHarness(t, sz.w, sz.h)
			h.send(eventMsg{event: finishedEvent()})
			h.golden(fmt.Sprintf("summary_%dx%d", sz.w, sz.h))
		})
	}
}
