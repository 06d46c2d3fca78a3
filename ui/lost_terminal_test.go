package ui

import (
	"context"
	"errors"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Once the program has ended without the operator asking (the terminal is
// gone), approvals get the safe answer; once the operator left (the run's
// context cancelled), the refusal stays what it was.
func TestLostTerminalAnswersApprovalsSafely(t *testing.T) {
	b := newBridge()
	b.close()
	live := context.Background()
	for kind, want := range map[string]contract.Decision{
		"critical-section":       contract.DecisionDecline,
		"proxy-outage":           contract.DecisionRollback,
		"continue-without-proxy": contract.DecisionRollback,
		"ready-gate":             contract.DecisionWait,
	} {
		d, err := b.Approve(live, contract.Approval{Kind: kind, Title: kind, Text: kind})
		if d != want || err != nil {
			t.Errorf("%s with the terminal gone: %s, %v; want %s", kind, d, err, want)
		}
	}
	d, err := b.Approve(live, contract.Approval{Kind: "step", Step: contract.StepCleanup, Title: "t", Text: "t"})
	if d != contract.DecisionDecline || !errors.Is(err, context.Canceled) {
		t.Errorf("a step's approval with the terminal gone: %s, %v; want a stop that reads as interrupted (resumable)", d, err)
	}
	gone, cancel := context.WithCancel(live)
	cancel()
	if _, err := b.Approve(gone, contract.Approval{Kind: "critical-section", Title: "t", Text: "t"}); err == nil {
		t.Errorf("the operator left, yet the critical section's approval was answered")
	}
}

// The terminal goes away (SIGHUP) while green is provisioning: the engine
// goes on, reaches the critical section's approval with nobody to answer,
// and pauses `ready` with the proxy on blue. The section never starts.
func TestLostTerminalStopsAtTheNextApprovalNeverInTheSection(t *testing.T) {
	// The first RegisterDBProxyTargets is preflight's permission probe
	// (steps/permprobe.go); the second is blue's, before provision-green.
	gate := &pollGate{trigger: "RegisterDBProxyTargets", triggers: 2, poll: "DescribeBlueGreenDeployments", nthPoll: 2,
		hit: make(chan struct{}), release: make(chan struct{})}
	cfg := gatedSimConfig(t, sim.ScenarioRDSPostgresLegacy, gate)
	cfg.Options = contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	for range len(h.w.options.fields) {
		h.keys("tab")
	}
	h.keys("enter")
	if !h.pumpUntilGate(gate.hit) {
		t.Fatalf("the run ended before provision-green polled")
	}
	if h.w.run.current != contract.StepProvisionGreen {
		t.Fatalf("held in step %q, want provision-green", h.w.run.current)
	}
	h.w.bridge.close() // the program ended with a read error: nobody cancelled the run
	close(gate.release)
	msg, ok := (<-h.async).(runDoneMsg)
	if !ok {
		t.Fatalf("the engine did not return a result")
	}
	f := msg.finished
	if f.Outcome != contract.OutcomeReady || f.ProxyState != contract.ProxyOnBlue || f.ExitCode != contract.ExitOK {
		t.Fatalf("after the terminal was lost: %s exit %d proxy %s (%v); want paused ready, exit 0, proxy on blue", f.Outcome, f.ExitCode, f.ProxyState, msg.err)
	}
	for _, tl := range f.Timeline {
		if tl.Step == contract.StepDetachProxyBlue || tl.Step == contract.StepSwitchover {
			t.Errorf("the critical section started without an answer: %+v", f.Timeline)
		}
	}
}
