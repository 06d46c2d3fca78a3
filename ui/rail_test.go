package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// railMark is the mark the rail shows for id (the strip at narrow widths
// uses the same function).
func railMark(h *harness, id contract.StepID) string {
	for _, line := range strings.Split(ansi.Strip(renderRail(h.w.common, h.w.run, 40)), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == string(id) {
			return f[0]
		}
	}
	h.t.Fatalf("no rail line for %s:\n%s", id, h.view())
	return ""
}

// Walkthrough D8 (U9): each step shows exactly one state that matches the
// journal — a step asked about is "awaiting you", never done; the fallback
// to detach starts its steps over; a resumed run shows the earlier run's
// steps done (and preflight checked), not skipped or pending; a native
// run's checks stay done at the end; ? explains the marks.
func TestRailMatchesTheJournal(t *testing.T) {
	h, _ := runHarness(t, 120, 40)
	send := func(e contract.Event) { h.t.Helper(); h.send(eventMsg{event: e}) }

	// A native plan: its detach-proxy is a check that passes, its
	// creation is refused, then the plan falls back to detach.
	native := fixturePlan()
	native.Regime = contract.RegimeNative
	native.Steps[1].CheckOnly = true
	p := ev(contract.EventPlanReady, time.Second)
	p.Plan = native
	send(p)
	for _, e := range []struct {
		typ  contract.EventType
		step contract.StepID
	}{{contract.EventStepStarted, contract.StepDetachProxy}, {contract.EventStepDone, contract.StepDetachProxy}, {contract.EventStepStarted, contract.StepCreateDeployment}} {
		x := ev(e.typ, 2*time.Second)
		x.Step = e.step
		send(x)
	}
	if m := railMark(h, contract.StepDetachProxy); m != "✓" {
		t.Errorf("native check: mark %q", m)
	}
	fb := ev(contract.EventPlanReady, 3*time.Second)
	fb.Plan = fixturePlan() // the detach plan
	send(fb)
	ask := ev(contract.EventApproval, 3*time.Second)
	ask.Step = contract.StepDetachProxy
	ask.Approval = &contract.Approval{Kind: "step", Step: contract.StepDetachProxy, Title: "Deregister", Severity: contract.SeveritySevere}
	send(ask)
	if m := railMark(h, contract.StepDetachProxy); m != "»" {
		t.Errorf("detach-proxy awaiting its typed confirmation shows %q, want »", m)
	}
	if m := railMark(h, contract.StepCreateDeployment); m != "·" {
		t.Errorf("create-deployment after the fallback shows %q, want · (pending)", m)
	}
	h.keys("?")
	h.mustShow("» awaiting your answer", "✓ done", "– skipped", "· step pending", "✗ failed")
}

func TestRailAfterResumeAndAtTheEnd(t *testing.T) {
	h, _ := runHarness(t, 120, 40)
	send := func(e contract.Event) { h.t.Helper(); h.send(eventMsg{event: e}) }
	for _, s := range []struct {
		id      contract.StepID
		outcome string
	}{{contract.StepPreflight, contract.SkippedAlreadyDone}, {contract.StepDetachProxy, contract.SkippedAlreadyDone},
		{contract.StepCreateDeployment, contract.SkippedAlreadyDone}, {contract.StepCleanup, contract.SkippedNotNeeded}} {
		e := ev(contract.EventStepSkipped, time.Second)
		e.Step, e.StepOutcome, e.Message = s.id, s.outcome, "why"
		send(e)
	}
	for id, want := range map[contract.StepID]string{contract.StepPreflight: "✓", contract.StepDetachProxy: "✓", contract.StepCreateDeployment: "✓", contract.StepCleanup: "–"} {
		if m := railMark(h, id); m != want {
			t.Errorf("after resume %s shows %q, want %q", id, m, want)
		}
	}
	// A native run's checks, "checked" in the timeline, stay done.
	f := finishedEvent()
	f.Finished.Timeline = append(f.Finished.Timeline, contract.TimelineEntry{Step: contract.StepReadyCheck, Started: t0, Outcome: "checked"},
		contract.TimelineEntry{Step: contract.StepVerify, Started: t0, Outcome: "interrupted"})
	send(f)
	if m := railMark(h, contract.StepReadyCheck); m != "✓" {
		t.Errorf("a check at the end shows %q, want ✓", m)
	}
	if m := railMark(h, contract.StepVerify); m != "■" {
		t.Errorf("an interrupted step shows %q, want ■", m)
	}
}
