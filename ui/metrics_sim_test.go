package ui

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// pumpUntilMetrics feeds engine messages (approving every approval) until
// stop accepts the wizard's state; false if the engine finished first.
func (h *harness) pumpUntilMetrics(stop func(r *runState) bool) bool {
	h.t.Helper()
	for {
		select {
		case m := <-h.w.bridge.msgs:
			h.send(m)
			if c := h.pending(); c != nil {
				h.expectApproval(c.approval.Kind)
				h.approve()
			}
			if stop(h.w.run) {
				return true
			}
		case m := <-h.async:
			for len(h.w.bridge.msgs) > 0 {
				h.send(<-h.w.bridge.msgs)
			}
			h.send(m)
			return false
		}
	}
}

func hasLine(m *contract.MetricsSample, metric string, minPoints int) bool {
	if m == nil {
		return false
	}
	for _, l := range m.Lines {
		if l.Metric == metric && len(l.Points) >= minPoints {
			return true
		}
	}
	return false
}

// The sparklines drawn from the simulator's CloudWatch answers: the slot
// lag while green catches up, the connections cut in the critical section,
// and the per-step table on the summary.
func TestWizardShowsMetricsFromTheSimulator(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	cfg.Backend = withMetrics(cfg)
	cfg.Options = contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 60)
	h.drain(h.w.Init())
	if h.w.phase != phaseOptions || h.w.options.loading {
		t.Fatalf("options screen not ready:\n%s", h.view())
	}
	for range len(h.w.options.fields) {
		h.keys("tab")
	}
	h.keys("enter")
	if h.w.phase != phaseRun {
		t.Fatalf("enter on Continue did not start the run:\n%s", h.view())
	}

	if !h.pumpUntilMetrics(func(r *runState) bool {
		return r.current == contract.StepProvisionGreen && hasLine(r.metrics, awsclient.MetricOldestReplicationSlotLag, 3)
	}) {
		t.Fatalf("the run ended before the slot lag showed:\n%s", h.view())
	}
	h.mustShow("clients", "orders-proxy", "slot lag", "MiB")
	h.golden("metrics_provisioning")

	if !h.pumpUntilMetrics(func(r *runState) bool {
		return r.current == contract.StepSwitchover && r.progress != nil && r.progress.Metrics != nil
	}) {
		t.Fatalf("the run ended before the switchover showed metrics:\n%s", h.view())
	}
	h.golden("metrics_switchover")

	h.pumpUntilMetrics(func(*runState) bool { return false })
	if f := h.w.run.finished; f == nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run did not finish done:\n%s", h.view())
	}
	h.mustShow("CLIENTS BEFORE", "LOWEST DURING", "switchover")
	if !strings.Contains(h.view(), "DONE") {
		t.Fatalf("summary:\n%s", h.view())
	}
}
