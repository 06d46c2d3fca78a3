package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// pollGate holds the engine inside one wait: it lets requests through until
// the trigger operation has been seen the given number of times, then
// blocks the n-th poll after it until released (or the client gives up).
// On a virtual clock the engine would otherwise finish any wait before a
// key press arrives; held in a poll, it is provably in that wait.
type pollGate struct {
	next     http.Handler
	trigger  string
	triggers int // how many trigger calls open the gate
	poll     string
	nthPoll  int // which poll after that blocks
	hit      chan struct{}
	release  chan struct{}

	mu       sync.Mutex
	seenTrig int
	seenPoll int
	fired    bool
}

func (g *pollGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err == nil {
		op := r.Form.Get("Action")
		g.mu.Lock()
		block := false
		switch {
		case op == g.trigger:
			g.seenTrig++
		case op == g.poll && g.seenTrig >= g.triggers && !g.fired:
			g.seenPoll++
			if g.seenPoll == g.nthPoll {
				g.fired, block = true, true
			}
		}
		g.mu.Unlock()
		if block {
			close(g.hit)
			select {
			case <-g.release:
			case <-r.Context().Done():
				return // the engine gave up the call: its context was cancelled
			}
		}
	}
	g.next.ServeHTTP(w, r)
}

func TestCtrlCDuringEachWaitAsksThenLeavesAResumableRun(t *testing.T) {
	cases := []struct {
		wait     contract.StepID
		trigger  string
		triggers int
		poll     string
		critical bool // the quit prompt must warn that the proxy has no target
		modify   bool // upgrade green with ModifyDBInstance (step 4) instead of at creation
	}{
		// The first RegisterDBProxyTargets is preflight's permission probe
		// (steps/permprobe.go), refused as already registered.
		{contract.StepProvisionGreen, "RegisterDBProxyTargets", 2, "DescribeBlueGreenDeployments", false, false},
		{contract.StepAttachProxyBlue, "RegisterDBProxyTargets", 2, "DescribeDBProxyTargets", false, false},
		{contract.StepUpgradeGreen, "ModifyDBInstance", 1, "DescribeDBInstances", false, true},
		{contract.StepSwitchover, "SwitchoverBlueGreenDeployment", 1, "DescribeBlueGreenDeployments", true, false},
		{contract.StepAttachProxyPrimary, "RegisterDBProxyTargets", 3, "DescribeDBProxyTargets", true, false},
		{contract.StepCleanup, "DeleteBlueGreenDeployment", 1, "DescribeBlueGreenDeployments", false, false},
	}
	for _, c := range cases {
		t.Run(string(c.wait), func(t *testing.T) {
			gate := &pollGate{trigger: c.trigger, triggers: c.triggers, poll: c.poll, nthPoll: 2,
				hit: make(chan struct{}), release: make(chan struct{})}
			cfg := gatedSimConfig(t, sim.ScenarioRDSPostgresLegacy, gate)
			cfg.Options = contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", Cleanup: contract.CleanupDeployment}
			if c.modify {
				cfg.Options.TargetEngineVersion, cfg.Options.UpgradeVia = "15.10", contract.UpgradeViaModify
			}
			h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
			h.drain(h.w.Init())
			for range len(h.w.options.fields) {
				h.keys("tab")
			}
			h.keys("enter")
			if h.w.phase != phaseRun {
				t.Fatalf("the run did not start:\n%s", h.view())
			}
			if !h.pumpUntilGate(gate.hit) {
				t.Fatalf("the run ended before the %s wait polled %s", c.wait, c.poll)
			}
			if h.w.run.current != c.wait {
				t.Fatalf("held in a %s poll but the wizard shows step %q", c.poll, h.w.run.current)
			}
			h.keys("ctrl+c")
			if h.quit || !h.w.quitAsk {
				t.Fatalf("ctrl+c during the %s wait did not ask first (quit=%v)", c.wait, h.quit)
			}
			h.mustShow("Quit the wizard? AWS keeps going", "rdsbg resume", "y quit · n stay")
			if c.critical {
				h.mustShow("critical section", "the proxy has NO TARGET right now")
			} else {
				h.mustNotShow("NO TARGET")
			}
			h.keys("y")
			close(gate.release)
			h.pumpUntil(func(*confirmation) bool { return false })
			if !h.quit || h.w.exitCode != contract.ExitInterrupted {
				t.Fatalf("quit=%v exit=%d, want quit with %d:\n%s", h.quit, h.w.exitCode, contract.ExitInterrupted, h.view())
			}
			if f := h.w.run.finished; f == nil || f.ProxyState == contract.ProxyEmpty {
				t.Fatalf("the interrupted run ended %+v", f)
			}

			// The state left behind is resumable: a headless resume completes.
			eng, err := steps.New(onBackend(cfg, steps.Config{
				Approver: contract.HeadlessApprover{Yes: true, Confirm: "orders-db"}, Sink: func(contract.Event) {},
				Options: contract.Options{Source: "orders-db"}}))
			if err != nil {
				t.Fatal(err)
			}
			f, err := eng.Resume(context.Background())
			if err != nil || f.Outcome != contract.OutcomeDone || f.ProxyState != contract.ProxyOnNewPrimary {
				t.Fatalf("resume after ctrl+c in %s: %+v %v", c.wait, f, err)
			}
		})
	}
}

// pumpUntilGate feeds the engine's messages into the wizard, approving
// (after asserting) every approval, until the gate holds a poll; false if
// the engine returned first.
func (h *harness) pumpUntilGate(hit <-chan struct{}) bool {
	h.t.Helper()
	for {
		select {
		case <-hit:
			// Deliver what the engine sent before the held poll.
			for len(h.w.bridge.msgs) > 0 {
				h.send(<-h.w.bridge.msgs)
			}
			return true
		case m := <-h.w.bridge.msgs:
			h.send(m)
			if c := h.pending(); c != nil {
				h.expectApproval(c.approval.Kind)
				h.approve()
			}
		case m := <-h.async:
			h.send(m)
			return false
		}
	}
}

// gatedSimConfig is simConfig with the gate in front of the simulator.
func gatedSimConfig(t *testing.T, scenario string, gate *pollGate) Config {
	t.Helper()
	simtest.IsolateAWSEnv(t)
	clk := clock.NewVirtual(t0)
	s, err := sim.New(sim.Options{Scenario: scenario, Clock: clk, Timings: simtest.FastTimings()})
	if err != nil {
		t.Fatal(err)
	}
	gate.next = s
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-gate.release:
		default:
			close(gate.release) // a failed test must not leave a handler blocked
		}
	})
	return wizardConfig(t, srv.URL, srv.Client(), clk)
}
