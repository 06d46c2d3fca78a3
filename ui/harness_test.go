package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// harness drives the root model the way huh's and gh-dash's tests do: send
// a message to Update, run the returned commands synchronously, feed their
// messages back. Nothing sleeps: time moves only by tickMsg.
type harness struct {
	t    *testing.T
	w    *wizard
	quit bool
	// asserted holds the approvals whose text a test has checked on screen;
	// approve refuses any other (lazygit's rule: the text an operator
	// approves is itself under test).
	asserted map[*confirmation]bool
	// async receives the engine's result when a test runs the real engine.
	async chan tea.Msg
}

var t0 = time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, cfg Config, be backend, width, height int) *harness {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = clock.NewVirtual(t0)
	}
	w := newWizard(context.Background(), cfg, be)
	h := &harness{t: t, w: w, asserted: map[*confirmation]bool{}, async: make(chan tea.Msg, 1)}
	w.pumped = true
	w.spawn = func(run func() tea.Msg) tea.Cmd {
		go func() { h.async <- run() }()
		return nil
	}
	h.send(tea.WindowSizeMsg{Width: width, Height: height})
	return h
}

// send delivers one message and drains every command it causes.
func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.w.Update(msg)
	h.drain(cmd)
}

func (h *harness) drain(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			h.drain(c)
		}
	case tea.QuitMsg:
		h.quit = true
	default:
		h.send(msg)
	}
}

// key names → key presses as Bubble Tea v2 delivers them.
func press(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func (h *harness) keys(ks ...string) {
	h.t.Helper()
	for _, k := range ks {
		h.send(press(k))
	}
}

// typeText types s one character at a time.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(press(string(r)))
	}
}

// view is the ANSI-stripped screen.
func (h *harness) view() string { return ansi.Strip(h.w.render()) }

// flat is the view with box borders removed and whitespace collapsed, so
// wrapped prose can be matched as one sentence.
func flat(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '│', '┃', '╭', '╮', '╰', '╯', '─', '━', '┏', '┓', '┗', '┛':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func (h *harness) mustShow(parts ...string) {
	h.t.Helper()
	v := flat(h.view())
	for _, p := range parts {
		if !strings.Contains(v, flat(p)) {
			h.t.Fatalf("view does not show %q:\n%s", p, h.view())
		}
	}
}

func (h *harness) mustNotShow(parts ...string) {
	h.t.Helper()
	v := flat(h.view())
	for _, p := range parts {
		if strings.Contains(v, flat(p)) {
			h.t.Fatalf("view shows %q but must not:\n%s", p, h.view())
		}
	}
}

// pending is the unanswered confirmation on screen, if any.
func (h *harness) pending() *confirmation {
	for _, c := range []*confirmation{h.w.plan.confirm, h.w.step.confirm, h.w.critical.confirm, h.w.errScreen.confirm} {
		if c != nil && !c.decided {
			return c
		}
	}
	return nil
}

// expectApproval asserts that an approval is on screen with its exact title,
// text and (for severe ones) the identifier to type, and only then allows
// answering it.
func (h *harness) expectApproval(kind string, extra ...string) *confirmation {
	h.t.Helper()
	c := h.pending()
	if c == nil {
		h.t.Fatalf("no approval on screen:\n%s", h.view())
	}
	if c.approval.Kind != kind {
		h.t.Fatalf("approval kind %q, want %q", c.approval.Kind, kind)
	}
	want := append([]string{c.approval.Title, c.approval.Text}, extra...)
	if c.typing() {
		want = append(want, "Type "+c.approval.Confirm+" to confirm")
	}
	h.mustShow(want...)
	h.asserted[c] = true
	return c
}

// approve answers the pending approval with the keys that mean yes; it
// fails the test unless expectApproval ran first.
func (h *harness) approve() {
	h.t.Helper()
	c := h.pending()
	if c == nil {
		h.t.Fatal("approve: nothing to approve")
	}
	if !h.asserted[c] {
		h.t.Fatalf("approve: the approval %q was not asserted on screen first", c.approval.Title)
	}
	if c.typing() {
		h.typeText(c.approval.Confirm)
		h.keys("enter")
	} else {
		h.keys("y")
	}
	if !c.decided || c.decision != contract.DecisionApprove {
		h.t.Fatalf("approval %q not approved: %+v", c.approval.Title, c)
	}
}

// golden compares the stripped view with testdata/<name>.golden.
func (h *harness) golden(name string) {
	h.t.Helper()
	h.t.Run(name, func(t *testing.T) { h.requireGolden(t) })
}

// requireGolden compares the view with testdata/<t.Name()>.golden
// (x/exp/golden; -update rewrites it) after checking that nothing is wider
// or taller than the terminal.
func (h *harness) requireGolden(t *testing.T) {
	t.Helper()
	got := h.view()
	for i, line := range strings.Split(got, "\n") {
		if w := ansi.StringWidth(line); w > h.w.common.Width {
			t.Fatalf("line %d is %d columns wide, terminal is %d: %q", i+1, w, h.w.common.Width, line)
		}
	}
	if n := strings.Count(got, "\n") + 1; n > h.w.common.Height {
		t.Fatalf("the view has %d lines, the terminal %d", n, h.w.common.Height)
	}
	golden.RequireEqual(t, got)
}

// --- synthetic fixtures (fixed times, so views are deterministic) ---

const srcID = "orders-db"

func fixturePlan() *contract.Plan {
	mk := func(id contract.StepID, title string, sev contract.Severity, critical bool, cli ...string) contract.PlannedStep {
		return contract.PlannedStep{ID: id, Title: title, Why: "Why " + string(id) + " matters.", Severity: sev, Critical: critical, CLI: cli, Effect: "changes " + string(id)}
	}
	return &contract.Plan{
		Source:       contract.Source{Kind: "instance", ID: srcID, ARN: "arn:aws:rds:us-east-1:123456789012:db:orders-db", Engine: "postgres", EngineVersion: "14.12", Region: "us-east-1"},
		Options:      contract.Options{Source: srcID, TargetEngineVersion: "16.4", SwitchoverTimeout: 300 * time.Second, ProxyMode: contract.ProxyModeAuto, UpgradeVia: contract.UpgradeViaCreate, Cleanup: contract.CleanupDeployment},
		Regime:       contract.RegimeDetach,
		RegimeReason: "the proxy orders-proxy targets the DB and this scenario refuses creation while it is registered.",
		MajorUpgrade: true,
		Steps: []contract.PlannedStep{
			mk(contract.StepPreflight, "Check the source and its proxies", contract.SeverityReadOnly, false),
			mk(contract.StepDetachProxy, "Deregister orders-db from orders-proxy", contract.SeverityReversible, false, "aws rds deregister-db-proxy-targets --db-proxy-name orders-proxy --db-instance-identifiers orders-db"),
			mk(contract.StepCreateDeployment, "Create the blue/green deployment", contract.SeverityReversible, false, "aws rds create-blue-green-deployment --blue-green-deployment-name rdsbg-orders-db --source arn:aws:rds:us-east-1:123456789012:db:orders-db --target-engine-version 16.4"),
			mk(contract.StepAttachProxyBlue, "Register blue with orders-proxy again", contract.SeverityReversible, false),
			mk(contract.StepReadyCheck, "Check green is ready", contract.SeverityReadOnly, false),
			mk(contract.StepDetachProxyBlue, "Deregister blue from orders-proxy", contract.SeveritySevere, true),
			mk(contract.StepSwitchover, "Switch over to green", contract.SeveritySevere, true, "aws rds switchover-blue-green-deployment --blue-green-deployment-identifier bgd-abc123 --switchover-timeout 300"),
			mk(contract.StepAttachProxyPrimary, "Register the new primary with orders-proxy", contract.SeveritySevere, true),
			mk(contract.StepVerify, "Verify the proxy on the new primary", contract.SeverityReadOnly, false),
			mk(contract.StepCleanup, "Delete the deployment object", contract.SeverityReversible, false),
		},
		GeneratedAt: t0,
	}
}

func ev(typ contract.EventType, at time.Duration) contract.Event {
	return contract.Event{Type: typ, Time: t0.Add(at)}
}

func arn(id string) string { return "arn:aws:rds:us-east-1:123456789012:db:" + id }

// runHarness is a harness already in the run phase with the plan shown.
func runHarness(t *testing.T, width, height int) (*harness, chan contract.Decision) {
	h := newHarness(t, Config{Options: contract.Options{Source: srcID}}, backend{}, width, height)
	h.w.phase = phaseRun
	h.w.engineRunning = true
	e := ev(contract.EventPlanReady, 0)
	e.Plan = fixturePlan()
	h.send(eventMsg{event: e})
	return h, make(chan contract.Decision, 1)
}

func provisioningProgress() *contract.Progress {
	return &contract.Progress{
		DeploymentID: "bgd-abc123", DeploymentStatus: "PROVISIONING",
		Tasks: []contract.TaskRow{
			{Name: "CREATING_READ_REPLICA_OF_SOURCE", Status: "COMPLETED", InStatus: 4 * time.Minute},
			{Name: "DB_ENGINE_VERSION_UPGRADE", Status: "IN_PROGRESS", InStatus: 95 * time.Second},
			{Name: "CONFIGURE_BACKUPS", Status: "PENDING", InStatus: 6 * time.Minute},
		},
		Members: []awsclient.SwitchoverMember{
			{Source: arn("orders-db"), Target: arn("orders-db-green-a1b2c3"), Status: "AVAILABLE"},
			{Source: arn("orders-db-replica-1"), Target: "", Status: "PROVISIONING"},
		},
		Waiting: "the deployment to become AVAILABLE",
		Elapsed: 6 * time.Minute,
		Polls:   30,
	}
}

func tea_WindowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
