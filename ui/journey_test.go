package ui

import (
	"context"
	"github.com/charmbracelet/x/ansi"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps"
)

// Issue 13 in the wizard: declining the critical section pauses the run
// ready (exit 0, not CANCELLED exit 4), and the epilogue printed after the
// wizard names the outcome, the traffic, what is left and the next command.
func TestWizardDecliningTheCriticalSectionPausesReady(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	cfg.NextFlags = " --region eu-west-1 --state-dir /srv/rdsbg"
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.startRun("run", steps.Options{Source: "orders-db", ProxyMode: steps.ProxyModeDetach}.WithDefaultsAt(t0)))
	for done := false; !done; {
		select {
		case m := <-h.w.bridge.msgs:
			h.send(m)
			if c := h.pending(); c != nil {
				h.expectApproval(c.approval.Kind)
				if c.approval.Kind == "critical-section" {
					h.mustShow("esc not now (stay ready)", "green ready")
					h.keys("esc")
					continue
				}
				h.approve()
			}
		case m := <-h.async:
			for len(h.w.bridge.msgs) > 0 {
				h.send(<-h.w.bridge.msgs)
			}
			h.send(m)
			done = true
		}
	}
	f := h.w.run.finished
	if f == nil || f.Outcome != steps.OutcomeReady || f.ExitCode != 0 || h.w.exitCode != 0 {
		t.Fatalf("declined critical section: %+v exit %d\n%s", f, h.w.exitCode, h.view())
	}
	h.mustShow("READY", "Green: prepared (ready-check passed)", "Left in AWS", "Next:", "$ rdsbg resume --source orders-db --region eu-west-1")
	ep := Epilogue(EpilogueInput{Finished: f, Source: "orders-db", Proxies: h.w.run.plan.ProxyNames(), Code: h.w.exitCode, Flags: cfg.NextFlags})
	for _, want := range []string{
		"rdsbg: READY (exit 0) for orders-db",
		"production goes through orders-proxy to blue, orders-db",
		"Left:     deployment bgd-",
		"green orders-db-green-",
		"Next:     rdsbg resume --source orders-db --region eu-west-1 --state-dir /srv/rdsbg",
	} {
		if !strings.Contains(ep, want) {
			t.Errorf("epilogue lacks %q:\n%s", want, ep)
		}
	}
}

func TestEpilogueAfterSwitchoverNeverSuggestsAbort(t *testing.T) {
	f := &steps.Finished{Outcome: steps.OutcomeDone, ProxyState: steps.ProxyOnNewPrimary, Source: "orders-db",
		Renames:   map[string]string{"orders-db": "orders-db-old1"},
		Leftovers: []steps.Leftover{{Kind: "old-blue", ID: "orders-db-old1", Note: "keeps costing"}}}
	ep := Epilogue(EpilogueInput{Finished: f, Proxies: "orders-proxy"})
	if strings.Contains(ep, "abort") || !strings.Contains(ep, "to the new primary, orders-db") || !strings.Contains(ep, "old-blue orders-db-old1") {
		t.Fatalf("epilogue after a switchover:\n%s", ep)
	}
	f.Outcome, f.ExitCode = steps.OutcomeFailed, steps.ExitStepFailed
	if ep := Epilogue(EpilogueInput{Finished: f}); strings.Contains(ep, "rdsbg abort") || !strings.Contains(ep, "rdsbg resume --source orders-db") {
		t.Fatalf("a failure after the switchover:\n%s", ep)
	}
}

// A demo Ctrl+C promised `rdsbg resume`, which cannot work once the demo's
// simulator is gone.
func TestDemoNeverPromisesResume(t *testing.T) {
	rerun := "rdsbg demo --scenario rds-postgres-legacy-proxy --speed 15"
	h := newHarness(t, Config{Options: steps.Options{Source: srcID}, DemoRerun: rerun}, backend{}, 100, 40)
	if q := h.w.quitAdvice(); strings.Contains(q, "rdsbg resume") || !strings.Contains(q, rerun) {
		t.Errorf("demo quit dialog: %s", q)
	}
	for _, f := range []*steps.Finished{nil, {Outcome: steps.OutcomeInterrupted, ExitCode: steps.ExitInterrupted, ProxyState: steps.ProxyOnBlue, DeploymentID: "bgd-1",
		Leftovers: []steps.Leftover{{Kind: "deployment", ID: "bgd-1"}}}} {
		ep := Epilogue(EpilogueInput{Finished: f, Source: srcID, Code: steps.ExitInterrupted, Demo: rerun})
		if strings.Contains(ep, "rdsbg resume") || !strings.Contains(ep, "gone") || !strings.Contains(ep, rerun) {
			t.Errorf("demo epilogue:\n%s", ep)
		}
	}
	if ep := Epilogue(EpilogueInput{Code: steps.ExitCancelled}); !strings.Contains(ep, "nothing changed") {
		t.Errorf("quit before a source was chosen:\n%s", ep)
	}
}

// The abort screen said "no AWS call: this step only reads" for a delete:
// it showed the (absent) planned step's commands, not the approval's.
func TestAbortScreenShowsTheCallsItMakes(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSMySQLNative)
	e, err := steps.New(onBackend(cfg, steps.Config{
		Approver: steps.HeadlessApprover{Yes: true}, Options: steps.Options{Source: "shop-db"}, Until: steps.UntilReady}))
	if err != nil {
		t.Fatal(err)
	}
	if f, err := e.Run(context.Background()); err != nil || f.Outcome != steps.OutcomeReady {
		t.Fatalf("until ready: %s (%v)", f.Outcome, err)
	}
	cfg.Mode, cfg.Options = "abort", steps.Options{Source: "shop-db"}
	h := newHarness(t, cfg, engineBackend(cfg), 100, 40)
	h.drain(h.w.Init())
	for {
		m := <-h.w.bridge.msgs
		h.send(m)
		if c := h.pending(); c != nil {
			h.expectApproval("step", "delete-blue-green-deployment", "--delete-target")
			h.mustNotShow("no AWS call", "register shop-db")
			h.keys("esc")
			break
		}
	}
	<-h.async
}

// Walkthrough D9, D10: the epilogue stays in the scrollback at the
// terminal's width. Prose wraps at word boundaries, the next command
// breaks between its words with a backslash (never "--endpoint-url ht" /
// "tp://…"), and every command in it — the alternative too — carries the
// flags the session used.
func TestEpilogueWrapsAtTheTerminalWidthAndKeepsCommandsWhole(t *testing.T) {
	f := &steps.Finished{Outcome: steps.OutcomeFailed, ExitCode: steps.ExitStepFailed, ProxyState: steps.ProxyOnBlue, Source: "orders-db",
		Leftovers:   []steps.Leftover{{Kind: "deployment", ID: "bgd-40xmq3liy5l5833p", Note: "blue/green deployment; blue is still production"}, {Kind: "green", ID: "orders-db-green-84h9wt", Note: "keeps running and costing until the switchover or `rdsbg abort`"}},
		JournalPath: "/home/dba/.local/state/rdsbg/orders-db.journal.jsonl"}
	flags := " --region us-east-1 --endpoint-url http://127.0.0.1:18765 --state-dir /home/dba/rdsbg-state"
	for _, width := range []int{60, 80, 120} {
		ep := Epilogue(EpilogueInput{Finished: f, Source: "orders-db", Proxies: "orders-proxy", Code: 1, Flags: flags, Width: width})
		lines := strings.Split(strings.TrimRight(ep, "\n"), "\n")
		var cmd []string
		for i, l := range lines {
			if n := ansi.StringWidth(l); n > width && strings.Contains(strings.TrimSpace(l[min(len(l), 12):]), " ") {
				t.Errorf("%d columns: line %d is %d wide: %q", width, i, n, l) // one word too long for any line stays whole
			}
			if strings.HasPrefix(l, "  Next:") || (len(cmd) > 0 && strings.HasSuffix(cmd[len(cmd)-1], "\\")) {
				cmd = append(cmd, strings.TrimSpace(strings.TrimPrefix(l, "  Next:")))
			}
		}
		joined := strings.ReplaceAll(strings.Join(cmd, "\n"), " \\\n", " ")
		if joined != "rdsbg resume --source orders-db"+flags {
			t.Errorf("%d columns: the next command pastes as %q", width, joined)
		}
		if !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(ep, " \\\n", " ")), " "), "rdsbg abort --source orders-db"+flags) {
			t.Errorf("%d columns: the alternative lacks the session's flags:\n%s", width, ep)
		}
	}
}

// Walkthrough U12: a refusal that stopped before it read AWS (the lock, bad
// input) claims nothing about what is left there, and its next step is its
// message, not "resume finishes the remaining steps".
func TestEpilogueOfARefusalClaimsNothingItDidNotRead(t *testing.T) {
	f := &steps.Finished{Outcome: steps.OutcomeFailed, ExitCode: steps.ExitUsage, ProxyState: steps.ProxyOnNewPrimary, LeftoversUnknown: true}
	ep := Epilogue(EpilogueInput{Finished: f, Source: "orders-db", Proxies: "orders-proxy", Code: 2, Flags: " --region us-east-1"})
	if strings.Contains(ep, "nothing of this run in AWS") || !strings.Contains(ep, "rdsbg status --source orders-db --region us-east-1") || strings.Contains(ep, "finishes the remaining steps") {
		t.Errorf("epilogue of a refusal:\n%s", ep)
	}
}
