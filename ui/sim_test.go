package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// simConfig starts the simulator behind httptest on loopback and returns a
// wizard Config whose real SDK client talks to it on a virtual clock.
func simConfig(t *testing.T, scenario string) Config {
	t.Helper()
	simtest.IsolateAWSEnv(t)
	s := simtest.NewServer(t, sim.Options{Scenario: scenario, Clock: clock.NewVirtual(t0)})
	return wizardConfig(t, s.URL, s.HTTPClient(), s.Clock)
}

// wizardConfig is a wizard Config whose real SDK client, with a call log,
// reaches the simulator at url through hc on the virtual clock clk.
func wizardConfig(t *testing.T, url string, hc *http.Client, clk *clock.Virtual) Config {
	t.Helper()
	calls := awsclient.NewCallLog()
	api, err := awsclient.New(context.Background(), awsclient.Options{
		EndpointURL: url, Region: simtest.Region, Simulator: true, Clock: clk, Calls: calls, HTTPClient: hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return Config{Backend: steps.NewBackend(steps.Config{API: api, Calls: calls, Clock: clk, StateDir: t.TempDir()}), Clock: clk}
}

// pumpUntilDone feeds the engine's events and approvals into the wizard,
// approving each approval only after asserting its text on screen, until
// the engine returns. It blocks on the engine, never on time.
func (h *harness) pumpUntilDone() (approvals []string) {
	h.t.Helper()
	h.pumpUntil(func(c *confirmation) bool {
		approvals = append(approvals, c.approval.Kind+":"+string(c.approval.Step))
		return false
	})
	return approvals
}

func TestWizardDrivesSimulatorToSummary(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	h.mustShow("orders-db", "orders-proxy", "postgres 15")
	h.keys("/")
	h.typeText("orders-db")
	h.keys("enter")
	chooseFirst := h.w.source.list.VisibleItems()
	if len(chooseFirst) == 0 || chooseFirst[0].(sourceItem).ID != "orders-db" {
		t.Fatalf("filter kept %+v", chooseFirst)
	}
	h.keys("enter")
	if h.w.phase != phaseOptions || h.w.options.loading {
		t.Fatalf("options screen not ready:\n%s", h.view())
	}
	h.mustShow("Options for orders-db", "Target engine version")
	for range len(h.w.options.fields) {
		h.keys("tab")
	}
	h.keys("enter")
	if h.w.phase != phaseRun {
		t.Fatalf("enter on Continue did not start the run:\n%s", h.view())
	}
	approvals := h.pumpUntilDone()
	if h.w.front != screenSummary || h.w.run.finished == nil {
		t.Fatalf("run did not reach the summary:\n%s", h.view())
	}
	f := h.w.run.finished
	if f.Outcome != contract.OutcomeDone || f.ExitCode != 0 {
		t.Fatalf("outcome %s exit %d, approvals %v:\n%s", f.Outcome, f.ExitCode, approvals, h.view())
	}
	sawSevere := false
	for _, a := range approvals {
		if strings.HasPrefix(a, "critical-section") || strings.Contains(a, "switchover") {
			sawSevere = true
		}
	}
	if !sawSevere {
		t.Errorf("no severe approval for the switchover in %v", approvals)
	}
	h.mustShow("DONE", "exit 0", "orders-db-old1")
	if len(h.w.run.calls) == 0 {
		t.Error("no api-call event reached the wizard")
	}
	h.keys("q")
	if !h.quit || h.w.exitCode != 0 {
		t.Fatalf("q on the summary: quit=%v exit=%d", h.quit, h.w.exitCode)
	}
}

// The bridge must not deadlock the engine: an approval blocks until it is
// answered, and a closed program releases the engine.
func TestBridgeApproveBlocksUntilAnsweredAndCloseReleases(t *testing.T) {
	b := newBridge()
	got := make(chan contract.Decision, 1)
	go func() {
		d, _ := b.Approve(context.Background(), contract.Approval{Kind: "step"})
		got <- d
	}()
	msg := (b.wait())().(approvalMsg)
	if len(got) != 0 {
		t.Fatal("Approve returned before an answer")
	}
	msg.answer <- contract.DecisionRetry
	if d := <-got; d != contract.DecisionRetry {
		t.Fatalf("decision %q", d)
	}
	go func() {
		_, err := b.Approve(context.Background(), contract.Approval{Kind: "step"})
		if err == nil {
			got <- contract.DecisionApprove
			return
		}
		got <- contract.DecisionDecline
	}()
	<-b.msgs // the approval arrives; nobody answers
	b.close()
	if d := <-got; d != contract.DecisionDecline {
		t.Fatal("Approve did not decline with an error after the program closed")
	}
	b.Sink(contract.Event{}) // must return at once after close
	if len(b.msgs) != 0 {
		t.Fatal("Sink queued an event after the program closed")
	}
	if _, ok := (b.wait())().(bridgeClosedMsg); !ok {
		t.Fatal("wait after close did not report the bridge closed")
	}
}

// pumpUntil feeds the engine's messages into the wizard, approving (after
// asserting) every approval until stop says so; it returns true when the
// engine returned.
func (h *harness) pumpUntil(stop func(c *confirmation) bool) bool {
	h.t.Helper()
	for {
		select {
		case m := <-h.w.bridge.msgs:
			h.send(m)
			if c := h.pending(); c != nil {
				if stop(c) {
					return false
				}
				h.expectApproval(c.approval.Kind)
				h.approve()
			}
		case m := <-h.async:
			for len(h.w.bridge.msgs) > 0 {
				h.send(<-h.w.bridge.msgs)
			}
			h.send(m)
			return true
		}
	}
}

func TestUnfinishedRunOffersStatusAndResume(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	cfg.Options = contract.Options{Source: "orders-db"}
	first := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	first.drain(first.w.Init())
	for range len(first.w.options.fields) {
		first.keys("tab")
	}
	first.keys("enter")
	// Leave when the proxy is back on blue and the deployment exists: the
	// approval for the critical section.
	first.pumpUntil(func(c *confirmation) bool { return c.approval.Kind == "critical-section" })
	first.keys("ctrl+c") // q would be typed into the identifier field
	first.mustShow("AWS keeps going", "rdsbg resume")
	first.keys("y")
	first.pumpUntil(func(*confirmation) bool { return false })
	if !first.quit || first.w.exitCode != contract.ExitInterrupted {
		t.Fatalf("quit=%v exit=%d, want %d", first.quit, first.w.exitCode, contract.ExitInterrupted)
	}

	second := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	second.drain(second.w.Init())
	if second.w.phase != phaseJournal {
		t.Fatalf("no unfinished-run screen:\n%s", second.view())
	}
	second.mustShow("An unfinished run exists for orders-db", "r resume · s status · x abort")
	second.keys("s")
	if second.w.journal.status == "" && second.w.journal.statusErr == nil {
		t.Fatalf("status not shown:\n%s", second.view())
	}
	second.mustShow("orders-db")
	second.keys("r")
	if second.w.phase != phaseRun {
		t.Fatal("r did not resume")
	}
	if !second.pumpUntil(func(*confirmation) bool { return false }) {
		t.Fatal("resume did not finish")
	}
	f := second.w.run.finished
	if f == nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("resume outcome %+v:\n%s", f, second.view())
	}
	second.mustShow("DONE", "orders-db-old1")
}

func TestUnfinishedRunCanBeAbortedFromTheWizard(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	cfg.Options = contract.Options{Source: "orders-db"}
	first := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	first.drain(first.w.Init())
	for range len(first.w.options.fields) {
		first.keys("tab")
	}
	first.keys("enter")
	first.pumpUntil(func(c *confirmation) bool { return c.approval.Kind == "critical-section" })
	first.keys("ctrl+c", "y")
	first.pumpUntil(func(*confirmation) bool { return false })

	second := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	second.drain(second.w.Init())
	if second.w.phase != phaseJournal {
		t.Fatalf("no unfinished-run screen:\n%s", second.view())
	}
	second.keys("x")
	approvals := []string{}
	second.pumpUntil(func(c *confirmation) bool { approvals = append(approvals, c.approval.Kind); return false })
	f := second.w.run.finished
	if f == nil || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("abort ended %+v (approvals %v):\n%s", f, approvals, second.view())
	}
	second.mustShow("proxy points at blue")
}
