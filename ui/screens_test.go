package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

func TestKeyPressStrings(t *testing.T) {
	// The bindings match on these strings: if Bubble Tea changes them,
	// every key test below would pass vacuously.
	for k, want := range map[string]string{"enter": "enter", "ctrl+c": "ctrl+c", "y": "y", "esc": "esc", "backspace": "backspace"} {
		if got := press(k).String(); got != want {
			t.Errorf("press(%q).String() = %q, want %q", k, got, want)
		}
	}
}

func TestSourceScreenFiltersAndChooses(t *testing.T) {
	h := newHarness(t, Config{}, backend{}, 100, 30)
	h.mustShow("Listing DB instances")
	h.send(sourcesLoadedMsg{sources: []preflight.SourceSummary{
		{Kind: "instance", ID: "billing-db", Engine: "mysql", EngineVersion: "8.0.36", Status: "available"},
		{Kind: "instance", ID: srcID, Engine: "postgres", EngineVersion: "14.12", Status: "available", Proxies: []string{"orders-proxy"}, Members: 1},
		{Kind: "cluster", ID: "search-cluster", Engine: "aurora-postgresql", EngineVersion: "15.4", Status: "available", Members: 3},
	}})
	h.mustShow("billing-db", "orders-db", "orders-proxy", "aurora-postgresql 15.4")
	h.keys("/")
	h.typeText("proxy")
	h.keys("enter")
	h.mustNotShow("billing-db", "search-cluster")
	h.mustShow("Filter: proxy", "orders-db")
	var chose preflight.SourceSummary
	h.w.be.upgradeTargets = nil // choosing must not call AWS from Update
	_, cmd := h.w.Update(press("enter"))
	if cmd == nil {
		t.Fatal("enter on a row produced no command")
	}
	if m, ok := cmd().(sourceChosenMsg); ok {
		chose = m.source
	}
	if chose.ID != srcID {
		t.Fatalf("chose %q, want %q", chose.ID, srcID)
	}
}

func TestSourceScreenFilterTypingIsNotACommand(t *testing.T) {
	h := newHarness(t, Config{}, backend{}, 100, 30)
	h.send(sourcesLoadedMsg{sources: []preflight.SourceSummary{{ID: "aq-db"}}})
	h.keys("/", "q", "a")
	if h.quit || h.w.showAPI {
		t.Fatal("letters typed into the filter triggered quit or the API panel")
	}
	if h.w.source.filter() != "qa" {
		t.Fatalf("filter = %q, want qa", h.w.source.filter())
	}
}

// The default target is no change, as in `rdsbg plan` (it was the newest
// major, skipping one); the valid targets are listed on the help line.
func TestOptionsScreenDefaultsToNoChangeAndBuildsOptions(t *testing.T) {
	base := contract.Options{Source: srcID}.WithDefaultsAt(t0)
	h := newHarness(t, Config{Options: base}, backend{}, 100, 30)
	h.w.phase = phaseOptions
	h.w.options = newOptionsModel(h.w.common, preflight.SourceSummary{ID: srcID, Kind: "instance", Engine: "postgres", EngineVersion: "14.12", Proxies: []string{"orders-proxy"}}, base)
	h.send(targetsLoadedMsg{targets: []awsclient.UpgradeTarget{{Version: "14.13"}, {Version: "15.8", Major: true}, {Version: "16.4", Major: true}}})
	h.mustShow("Target engine version", "‹ no change (14.12) ›", "Valid targets: 14.13, 15.8, 16.4.", "--proxy-mode auto", "--switchover-timeout 300")
	// Upgrade via applies only to an upgrade.
	h.mustNotShow("Upgrade via", "--target-engine-version")
	h.keys("left")
	h.mustShow("‹ 16.4 ›", "major, skips a major", "Skips major 15", "Upgrade via", "--target-engine-version 16.4")
	// Proxy mode: third field; cycle auto → native → detach.
	h.keys("down", "down", "right", "right")
	h.mustShow("‹ detach ›", "--proxy-mode detach", "detach: deregister the proxy")
	// Walk to Continue and accept.
	for range len(h.w.options.fields) {
		h.keys("tab")
	}
	_, cmd := h.w.Update(press("enter"))
	done, ok := cmd().(optionsDoneMsg)
	if !ok {
		t.Fatal("enter on Continue did not finish the options")
	}
	if done.options.ProxyMode != contract.ProxyModeDetach || done.options.TargetEngineVersion != "16.4" || done.options.SwitchoverTimeout != 300*time.Second {
		t.Fatalf("options = %+v", done.options)
	}
}

func TestPreflightScreenShowsExplanationAndRemediation(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	h.w.front = screenPreflight
	e := ev(contract.EventPreflight, 0)
	e.Checks = []contract.CheckResult{
		{ID: "backups", Title: "Automated backups enabled", Status: contract.CheckPass, Explanation: "hidden when passing"},
		{ID: "logical", Title: "Logical replication", Status: contract.CheckFail, Explanation: "rds.logical_replication is 0.", Remediation: "Set rds.logical_replication=1 and reboot."},
		{ID: "ddl", Title: "No DDL during the run", Status: contract.CheckWarn, Explanation: "DDL breaks replication."},
	}
	h.send(eventMsg{event: e})
	h.mustShow("✓ pass Automated backups enabled", "✗ fail Logical replication", "rds.logical_replication is 0.",
		"→ Set rds.logical_replication=1 and reboot.", "! warn No DDL during the run", "1 passed · 1 warning · 1 failed", "the run is blocked")
	h.mustNotShow("hidden when passing")
}

func TestPlanScreenTogglesCLIAndAsksApproval(t *testing.T) {
	h, answer := runHarness(t, 100, 40)
	h.mustShow("Plan for orders-db", "postgres 14.12 → 16.4 (major)", "Proxy regime detach", "3. ↺ create-deployment")
	h.mustNotShow("aws rds create-blue-green-deployment")
	h.keys("c")
	h.mustShow("$ aws rds create-blue-green-deployment")
	h.send(approvalMsg{approval: contract.Approval{Kind: "plan", Title: "Run this plan?", Text: "10 steps on orders-db.", Severity: contract.SeverityReversible}, answer: answer})
	h.expectApproval("plan")
	h.approve()
	if d := <-answer; d != contract.DecisionApprove {
		t.Fatalf("decision %q", d)
	}
}

func stepApproval(step contract.StepID, sev contract.Severity) contract.Approval {
	a := contract.Approval{Kind: "step", Step: step, Title: "Run " + string(step) + "?", Text: "This changes " + string(step) + ".", Severity: sev,
		Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}}
	if sev == contract.SeveritySevere {
		a.Confirm = srcID
	}
	return a
}

func TestReversibleStepNeedsYAndEnterDoesNotConfirm(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	h.send(approvalMsg{approval: stepApproval(contract.StepDetachProxy, contract.SeverityReversible), answer: answer})
	h.expectApproval("step", "step 2 of 10", "$ aws rds deregister-db-proxy-targets", "y approve · n stop here")
	h.keys("enter")
	if len(answer) != 0 || h.pending() == nil {
		t.Fatal("Enter answered a reversible step")
	}
	h.mustShow("Enter does not answer")
	h.approve()
	if d := <-answer; d != contract.DecisionApprove {
		t.Fatalf("decision %q", d)
	}
}

func TestReversibleStepNDeclines(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	h.send(approvalMsg{approval: stepApproval(contract.StepDetachProxy, contract.SeverityReversible), answer: answer})
	h.expectApproval("step")
	h.keys("n")
	if d := <-answer; d != contract.DecisionDecline {
		t.Fatalf("decision %q, want decline", d)
	}
}

func TestSevereStepEnterAloneNeverConfirms(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	h.send(approvalMsg{approval: stepApproval(contract.StepSwitchover, contract.SeveritySevere), answer: answer})
	h.expectApproval("step")
	for range 3 {
		h.keys("enter")
	}
	h.keys("y", "enter")
	if len(answer) != 0 {
		t.Fatalf("Enter or y confirmed a severe step: %q", <-answer)
	}
	h.mustShow("is not orders-db: nothing was confirmed")
}

func TestSevereStepWrongIdentifierIsRefused(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	h.send(approvalMsg{approval: stepApproval(contract.StepSwitchover, contract.SeveritySevere), answer: answer})
	h.expectApproval("step")
	h.typeText("orders-db2")
	h.keys("enter")
	if len(answer) != 0 {
		t.Fatal("a wrong identifier confirmed a severe step")
	}
	h.mustShow(`"orders-db2" is not orders-db: nothing was confirmed`)
	h.keys("enter")
	h.mustShow("Enter alone never confirms this step")
	if len(answer) != 0 {
		t.Fatal("Enter after a refusal confirmed")
	}
	h.approve()
	if d := <-answer; d != contract.DecisionApprove {
		t.Fatalf("decision %q", d)
	}
}

func TestSevereTypingDoesNotTriggerGlobalKeys(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	a := stepApproval(contract.StepSwitchover, contract.SeveritySevere)
	a.Confirm = "aqc-db"
	h.send(approvalMsg{approval: a, answer: answer})
	h.expectApproval("step")
	h.typeText("aqc")
	if h.quit || h.w.quitAsk || h.w.showAPI || h.w.step.showCLI {
		t.Fatal("letters typed as the identifier triggered a global key")
	}
	if got := h.pending().typed(); got != "aqc" {
		t.Fatalf("typed = %q, want aqc", got)
	}
	h.keys("backspace", "c", "-", "d", "b", "enter")
	if d := <-answer; d != contract.DecisionApprove {
		t.Fatalf("decision %q after typing aqc-db", d)
	}
}

func TestProgressHighlightsChangedMembers(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	start := ev(contract.EventStepStarted, 0)
	start.Step = contract.StepCreateDeployment
	h.send(eventMsg{event: start})
	p := ev(contract.EventProgress, time.Minute)
	p.Progress = provisioningProgress()
	h.send(eventMsg{event: p})
	if len(h.w.run.changed) != 0 {
		t.Fatalf("first snapshot marked changes: %v", h.w.run.changed)
	}
	p2 := ev(contract.EventProgress, 2*time.Minute)
	p2.Progress = provisioningProgress()
	p2.Progress.Members[1] = awsclient.SwitchoverMember{Source: arn("orders-db-replica-1"), Target: arn("orders-db-replica-1-green-x9y8z7"), Status: "AVAILABLE"}
	h.send(eventMsg{event: p2})
	if !h.w.run.changed[arn("orders-db-replica-1")] || h.w.run.changed[arn("orders-db")] {
		t.Fatalf("changed = %v, want only the replica", h.w.run.changed)
	}
	h.mustShow("step 3 of 10", "• orders-db-replica-1 → orders-db-replica-1-green-x9y8z7 AVAILABLE", "DB_ENGINE_VERSION_UPGRADE IN_PROGRESS 1m35s", "deployment PROVISIONING")
}

func TestCriticalSectionConfirmThenTimerTicksOnClock(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	a := contract.Approval{Kind: "critical-section", Title: "Enter the critical section?", Text: "The proxy will have no target until the new primary is registered.",
		Severity: contract.SeveritySevere, Confirm: srcID, Steps: []contract.StepID{contract.StepDetachProxyBlue, contract.StepSwitchover, contract.StepAttachProxyPrimary},
		Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}}
	h.send(approvalMsg{approval: a, answer: answer})
	if h.w.front != screenCritical {
		t.Fatalf("front = %v, want the critical screen", h.w.front)
	}
	h.expectApproval("critical-section", "CRITICAL SECTION", "detach-proxy-blue", "attach-proxy-primary")
	h.approve()
	<-answer
	start := ev(contract.EventStepStarted, time.Second)
	start.Step = contract.StepDetachProxyBlue
	h.send(eventMsg{event: start})
	since := t0.Add(2 * time.Second)
	p := ev(contract.EventProgress, 2*time.Second)
	p.Progress = &contract.Progress{ProxylessSince: &since, ProxyTargets: []awsclient.ProxyTarget{}}
	h.send(eventMsg{event: p})
	h.send(tickMsg{now: t0.Add(75 * time.Second)})
	h.mustShow("PROXY-LESS 01:13", "no proxy target registered")
	h.send(tickMsg{now: t0.Add(76 * time.Second)})
	h.mustShow("PROXY-LESS 01:14")
}

func TestErrorScreenOffersRetryAndRollback(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	a := contract.Approval{Kind: "error", Step: contract.StepAttachProxyBlue, Title: "Registering blue was refused", Text: "AWS refused the registration.",
		Severity: contract.SeverityReversible, Choices: []contract.Decision{contract.DecisionRetry, contract.DecisionRollback, contract.DecisionDecline},
		Error: &contract.ErrorInfo{Operation: "RegisterDBProxyTargets", Code: "InvalidDBInstanceState", Message: "DB instance is in a blue/green deployment", RequestID: "req-1234", Meaning: "Native support forbids registering after creation."}}
	h.send(approvalMsg{approval: a, answer: answer})
	h.expectApproval("error", "RegisterDBProxyTargets", "InvalidDBInstanceState", "req-1234", "What it means", "Native support forbids", "r retry · b roll back")
	h.keys("y") // not offered: must do nothing
	if len(answer) != 0 {
		t.Fatal("y answered an error approval that does not offer approve")
	}
	h.keys("b")
	if d := <-answer; d != contract.DecisionRollback {
		t.Fatalf("decision %q, want rollback", d)
	}
}

func TestQuitBeforeRunExitsCancelled(t *testing.T) {
	h := newHarness(t, Config{}, backend{}, 100, 30)
	h.send(sourcesLoadedMsg{})
	h.keys("q")
	if !h.quit || h.w.exitCode != contract.ExitCancelled {
		t.Fatalf("quit=%v exit=%d, want quit with %d", h.quit, h.w.exitCode, contract.ExitCancelled)
	}
}

func TestQuitMidRunAsksAndExplainsResume(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	cancelled := false
	h.w.cancelRun = func() { cancelled = true }
	h.keys("q")
	if h.quit {
		t.Fatal("q quit mid-run without asking")
	}
	h.mustShow("AWS keeps going", "rdsbg resume")
	h.mustNotShow("NO TARGET")
	h.keys("n")
	if h.w.quitAsk || cancelled {
		t.Fatal("n did not keep the run going")
	}
	h.keys("ctrl+c", "y")
	if !cancelled || !h.w.stopping || h.quit {
		t.Fatalf("y should cancel the engine and wait for it: cancelled=%v stopping=%v quit=%v", cancelled, h.w.stopping, h.quit)
	}
	h.mustShow("Stopping")
	h.send(runDoneMsg{finished: contract.Finished{Outcome: contract.OutcomeInterrupted, ExitCode: contract.ExitInterrupted}})
	if !h.quit || h.w.exitCode != contract.ExitInterrupted {
		t.Fatalf("quit=%v exit=%d", h.quit, h.w.exitCode)
	}
}

func TestQuitInCriticalSectionWarnsProxyHasNoTarget(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	start := ev(contract.EventStepStarted, 0)
	start.Step = contract.StepSwitchover
	h.send(eventMsg{event: start})
	h.keys("q")
	h.mustShow("critical section", "the proxy has NO TARGET right now", "rdsbg resume")
}

func TestAPIPanelToggles(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	c := ev(contract.EventAPICall, 0)
	c.Call = &awsclient.Call{Operation: "DescribeBlueGreenDeployments", Duration: 42 * time.Millisecond, RequestID: "req-42", HTTPStatus: 200}
	h.send(eventMsg{event: c})
	bad := ev(contract.EventAPICall, time.Second)
	bad.Call = &awsclient.Call{Operation: "RegisterDBProxyTargets", Duration: 7 * time.Millisecond, RequestID: "req-43", HTTPStatus: 400, ErrorCode: "InvalidDBInstanceState"}
	h.send(eventMsg{event: bad})
	h.mustNotShow("req-42")
	h.keys("a")
	h.mustShow("AWS API calls (2)", "DescribeBlueGreenDeployments 42ms req-42 ok", "RegisterDBProxyTargets 7ms req-43 InvalidDBInstanceState")
	h.keys("a")
	h.mustNotShow("req-42")
}

func TestHelpToggleShowsFullHelp(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	h.mustShow("c AWS CLI")
	h.keys("?")
	if !h.w.help.ShowAll {
		t.Fatal("? did not open the full help")
	}
	h.mustShow("pgdn/ctrl+d scroll down", "ctrl+c quit (asks first mid-run)")
}

func TestResizeReflowsAndStaysWithinWidth(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	h.send(tea_WindowSize(60, 20))
	for i, line := range strings.Split(h.view(), "\n") {
		if w := len([]rune(line)); w > 60 {
			t.Fatalf("line %d is %d wide after resizing to 60: %q", i+1, w, line)
		}
	}
	if n := strings.Count(h.view(), "\n") + 1; n > 20 {
		t.Fatalf("view has %d lines after resizing to 20", n)
	}
}

func TestSummaryShowsTimelineWindowRenamesAndPaths(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	h.send(eventMsg{event: finishedEvent()})
	if h.w.front != screenSummary {
		t.Fatal("run-finished did not show the summary")
	}
	h.mustShow("✓ DONE", "exit 0", "proxy points at the new primary", "proxy outage 1m58s in 2 windows (critical section 47s)", "switchover 38s",
		"detach-proxy-blue", "orders-db → orders-db-old1", "orders-db-green-a1b2c3 → orders-db", "Journal /var/lib/rdsbg/orders-db.jsonl")
	h.send(runDoneMsg{finished: *finishedEvent().Finished})
	h.keys("q")
	if !h.quit || h.w.exitCode != 0 {
		t.Fatalf("q on the summary: quit=%v exit=%d", h.quit, h.w.exitCode)
	}
}

func finishedEvent() contract.Event {
	e := ev(contract.EventRunFinished, 40*time.Minute)
	e.Finished = &contract.Finished{
		Outcome: contract.OutcomeDone, ExitCode: 0, ProxyState: contract.ProxyOnNewPrimary,
		ProxylessWindowMS: 47000, SwitchoverMS: 38000, DeploymentID: "bgd-abc123",
		ProxyOutages: []contract.OutageWindow{
			{Step: contract.StepDetachProxy, Start: t0.Add(time.Minute), DurationMS: 71_000, Cause: contract.OutageDetachBeforeCreate, Proxies: []string{"orders-proxy"}},
			{Step: contract.StepDetachProxyBlue, Start: t0.Add(35 * time.Minute), DurationMS: 47_000, Cause: contract.OutageCriticalSection, Proxies: []string{"orders-proxy"}},
		},
		ProxyOutageTotalMS: 118_000,
		Timeline: []contract.TimelineEntry{
			{Step: contract.StepPreflight, Started: t0, Duration: 3 * time.Second, Outcome: "done"},
			{Step: contract.StepDetachProxy, Started: t0.Add(time.Minute), Duration: 12 * time.Second, Outcome: "done"},
			{Step: contract.StepCreateDeployment, Started: t0.Add(2 * time.Minute), Duration: 31 * time.Minute, Outcome: "done"},
			{Step: contract.StepDetachProxyBlue, Started: t0.Add(35 * time.Minute), Duration: 4 * time.Second, Outcome: "done"},
			{Step: contract.StepSwitchover, Started: t0.Add(35*time.Minute + 4*time.Second), Duration: 38 * time.Second, Outcome: "done"},
			{Step: contract.StepAttachProxyPrimary, Started: t0.Add(35*time.Minute + 42*time.Second), Duration: 5 * time.Second, Outcome: "done"},
			{Step: contract.StepCleanup, Started: t0.Add(38 * time.Minute), Duration: 0, Outcome: "skipped"},
		},
		Renames:     map[string]string{"orders-db": "orders-db-old1", "orders-db-green-a1b2c3": "orders-db"},
		JournalPath: "/var/lib/rdsbg/orders-db.jsonl", RunbookPath: "/var/lib/rdsbg/orders-db.runbook.md",
	}
	return e
}

func TestChoosingASourceFillsEngineDefaults(t *testing.T) {
	h := newHarness(t, Config{}, backend{upgradeTargets: func(context.Context, string, string) ([]awsclient.UpgradeTarget, error) {
		return []awsclient.UpgradeTarget{{Version: "16.4", Major: true}}, nil
	}}, 100, 30)
	h.send(sourceChosenMsg{source: preflight.SourceSummary{ID: srcID, Kind: "instance", Engine: "postgres", EngineVersion: "14.12"}})
	o := h.w.options.options()
	if o.SwitchoverTimeout != contract.DefaultSwitchoverTimeout || o.Cleanup != contract.CleanupDeployment || o.ProxyMode != contract.ProxyModeAuto || o.DeploymentName == "" {
		t.Fatalf("options without the engine defaults: %+v", o)
	}
	h.mustShow("‹ 300 ›", "‹ deployment ›", "‹ no change (14.12) ›")
}

func TestEngineErrorWithoutSummaryShowsMessageAndItsExitCode(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	h.send(runDoneMsg{err: &contract.InputError{Input: "--source", Message: "another rdsbg run holds the lock for orders-db", ExitCode: contract.ExitUsage}})
	if h.w.front != screenSummary || h.w.exitCode != contract.ExitUsage {
		t.Fatalf("front %v exit %d", h.w.front, h.w.exitCode)
	}
	h.mustShow("FAILED", "exit 2", "another rdsbg run holds the lock for orders-db")
}

func TestSevereQuestionOffersRollbackOnAControlKey(t *testing.T) {
	h, answer := runHarness(t, 100, 30)
	a := contract.Approval{Kind: "continue-without-proxy", Step: contract.StepAttachProxyBlue, Title: "Continue without the proxy?", Text: "AWS refused to register blue.",
		Severity: contract.SeveritySevere, Confirm: srcID, Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionRollback}}
	h.send(approvalMsg{approval: a, answer: answer})
	h.expectApproval("continue-without-proxy", "ctrl+b roll back")
	h.mustNotShow("esc stop here") // decline is not offered
	h.keys("b", "esc")
	if len(answer) != 0 {
		t.Fatal("b or esc answered a severe question that offers neither")
	}
	h.send(tea.KeyPressMsg{Code: 'b', Mod: tea.ModCtrl})
	if d := <-answer; d != contract.DecisionRollback {
		t.Fatalf("decision %q, want rollback", d)
	}
}

func TestPlanApprovalKeepsThePreflightWarningsInSight(t *testing.T) {
	h := newHarness(t, Config{Options: contract.Options{Source: srcID}}, backend{}, 100, 40)
	h.w.phase = phaseRun
	h.w.engineRunning = true
	pre := ev(contract.EventPreflight, 0)
	pre.Checks = []contract.CheckResult{
		{ID: "backups", Title: "Automated backups on", Status: contract.CheckPass, Explanation: "7 days."},
		{ID: "deletion-protection", Title: "Deletion protection", Status: contract.CheckWarn, Explanation: "orders-db has deletion protection."},
	}
	h.send(eventMsg{event: pre})
	plan := ev(contract.EventPlanReady, 0)
	plan.Plan = fixturePlan()
	h.send(eventMsg{event: plan})
	answer := make(chan contract.Decision, 1)
	h.send(approvalMsg{approval: contract.Approval{Kind: "plan", Title: "Run this plan?", Text: "10 steps on orders-db.", Severity: contract.SeverityReversible}, answer: answer})
	h.expectApproval("plan", "Preflight: 1 passed · 1 warning · 0 failed", "Deletion protection: orders-db has deletion protection.")
	h.approve()
	if d := <-answer; d != contract.DecisionApprove {
		t.Fatalf("decision %q", d)
	}
}

// Walkthrough D15: a typo in a form field is an inline error beside the
// field, the form keeps its values, and nothing starts (no FAILED screen);
// editing the field clears it.
func TestOptionsFormRefusesATypoInline(t *testing.T) {
	base := contract.Options{Source: srcID}.WithDefaultsAt(t0)
	h := newHarness(t, Config{Options: base}, backend{}, 100, 30)
	h.w.phase = phaseOptions
	h.w.options = newOptionsModel(h.w.common, preflight.SourceSummary{ID: srcID, Kind: "instance", Engine: "postgres", EngineVersion: "14.12"}, base)
	h.send(targetsLoadedMsg{targets: []awsclient.UpgradeTarget{{Version: "16.4", Major: true}}})
	var class *optionField
	for i, f := range h.w.options.visible() {
		if f.flag == "--target-db-instance-class" {
			class, h.w.options.cursor = f, i
		}
	}
	if class == nil {
		t.Fatal("no instance class field")
	}
	h.w.options.focus()
	h.typeText("r6g.large")
	for range len(h.w.options.fields) {
		h.keys("tab")
	}
	_, cmd := h.w.Update(press("enter"))
	if cmd != nil {
		if _, started := cmd().(optionsDoneMsg); started {
			t.Fatal("an invalid instance class started the run")
		}
	}
	if h.w.phase != phaseOptions || h.w.options.current() != class {
		t.Fatalf("phase %v, cursor not on the class field:\n%s", h.w.phase, h.view())
	}
	h.mustShow(`--target-db-instance-class "r6g.large" is not an instance class such as db.r6g.large`)
	h.mustNotShow("FAILED")
	h.keys("backspace")
	h.mustNotShow("is not an instance class")
}
