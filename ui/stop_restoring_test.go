package ui

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// The switchover fails and AWS then answers 503 to every registration:
// compensation keeps trying. The wizard offers x, which asks a severe
// question; a stray Enter or a wrong identifier stops nothing, the typed
// identifier does: the run ends exit 5 with the proxy EMPTY and the
// command that restores it.
func TestWizardStopsRestoringOnlyOnTheTypedIdentifier(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	srv := simtest.NewServer(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Clock: clock.NewVirtual(t0), Faults: []sim.Fault{
		{Switchover: "fail"},
		{Operation: "RegisterDBProxyTargets", Code: "ServiceUnavailable", Message: "Service Unavailable", HTTPStatus: 503, After: "SwitchoverBlueGreenDeployment"},
	}})
	cfg := wizardConfig(t, srv.URL, srv.HTTPClient(), srv.Clock)
	cfg.Options = contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	for range len(h.w.options.fields) {
		h.keys("tab")
	}
	h.keys("enter")
	// Approve everything up to the second failed attempt to restore.
	attempts := func() int {
		n := 0
		for _, note := range h.w.run.notices {
			if strings.HasPrefix(note, "attempt ") {
				n++
			}
		}
		return n
	}
	for attempts() < 2 {
		select {
		case m := <-h.w.bridge.msgs:
			h.send(m)
			if c := h.pending(); c != nil {
				h.expectApproval(c.approval.Kind)
				h.approve()
			}
		case m := <-h.async:
			h.send(m)
			t.Fatalf("the run ended before compensation retried: %+v\n%s", h.w.run.finished, h.view())
		}
	}
	h.mustShow("x stops trying and leaves it EMPTY")
	h.keys("x")
	h.mustShow("Stop restoring orders-proxy and leave it EMPTY?", "Type orders-db to confirm")
	h.mustShow("esc keep restoring")
	h.keys("enter")
	h.typeText("orders")
	h.keys("enter")
	if h.w.stops.requested {
		t.Fatalf("Enter alone or a wrong identifier stopped the restore")
	}
	h.mustShow("nothing was confirmed")
	h.keys("esc") // keeps restoring
	if h.w.stops.ask != nil || h.w.stops.requested {
		t.Fatalf("esc did not keep restoring")
	}
	h.keys("x")
	h.typeText("orders-db")
	h.keys("enter")
	if !h.w.stops.requested {
		t.Fatalf("the typed identifier did not stop the restore:\n%s", h.view())
	}
	h.pumpUntil(func(*confirmation) bool { return false })
	f := h.w.run.finished
	if f == nil || f.ExitCode != contract.ExitInterrupted || f.ProxyState != contract.ProxyEmpty || len(f.RestoreCommands) != 1 {
		t.Fatalf("after the operator stopped restoring: %+v", f)
	}
	if !strings.Contains(f.RestoreCommands[0], "register-db-proxy-targets --region us-east-1 --db-proxy-name orders-proxy") {
		t.Errorf("restore command %q", f.RestoreCommands[0])
	}
}
