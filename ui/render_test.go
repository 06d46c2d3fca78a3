package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/steps/contract"
)

func TestClassifyStatus(t *testing.T) {
	for status, want := range map[string]statusClass{
		"AVAILABLE": statusGood, "COMPLETED": statusGood, "SWITCHOVER_COMPLETED": statusGood, "available": statusGood,
		"IN_PROGRESS": statusBusy, "PROVISIONING": statusBusy, "REGISTERING": statusBusy, "SWITCHOVER_IN_PROGRESS": statusBusy, "modifying": statusBusy,
		"FAILED": statusBadClass, "SWITCHOVER_FAILED": statusBadClass, "UNAVAILABLE": statusBadClass, "INVALID_CONFIGURATION": statusBadClass, "MISSING_TARGET": statusBadClass,
		"": statusNeutral,
	} {
		if got := classifyStatus(status); got != want {
			t.Errorf("classifyStatus(%q) = %d, want %d", status, got, want)
		}
	}
}

func TestFormatDurationAndClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 4 * time.Second: "4s", 125 * time.Second: "2m05s", 3723 * time.Second: "1h02m03s", -time.Second: "0s"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{59*time.Second + 900*time.Millisecond: "00:59", 75 * time.Second: "01:15", 3725 * time.Second: "1:02:05"} {
		if got := formatClock(d); got != want {
			t.Errorf("formatClock(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestShortARN(t *testing.T) {
	if got := shortARN("arn:aws:rds:us-east-1:123456789012:db:orders-db-old1"); got != "orders-db-old1" {
		t.Errorf("shortARN = %q", got)
	}
	if got := shortARN("orders-db"); got != "orders-db" {
		t.Errorf("shortARN(plain) = %q", got)
	}
}

func TestWrapBreaksOnlyAtSpacesAndKeepsIndent(t *testing.T) {
	got := wrap(30, "Same flags: --switchover-timeout 300 --proxy-mode detach\n  1. preflight — Preflight checks and more words")
	for _, line := range strings.Split(got, "\n") {
		if ansi.StringWidth(line) > 30 {
			t.Errorf("line wider than 30: %q", line)
		}
		if strings.HasSuffix(line, "--") || strings.HasPrefix(line, "timeout") {
			t.Errorf("a flag was split at its hyphen: %q", line)
		}
	}
	if !strings.Contains(got, "\n  1. preflight") {
		t.Errorf("indentation lost:\n%s", got)
	}
}

func TestRenderMembersMarksOnlyChangedRows(t *testing.T) {
	st := newStyles(true)
	p := provisioningProgress()
	out := ansi.Strip(renderMembers(st, 100, p.Members, map[string]bool{arn("orders-db-replica-1"): true}))
	lines := strings.Split(out, "\n")
	var marked []string
	for _, l := range lines {
		if strings.HasPrefix(l, "•") {
			marked = append(marked, l)
		}
	}
	if len(marked) != 1 || !strings.Contains(marked[0], "orders-db-replica-1") {
		t.Fatalf("marked rows %q in:\n%s", marked, out)
	}
}

func TestNoColorEmitsNoColourSequences(t *testing.T) {
	h := newHarness(t, Config{NoColor: true}, backend{}, 100, 30)
	h.w.phase, h.w.engineRunning = phaseRun, true
	e := ev(contract.EventPlanReady, 0)
	e.Plan = fixturePlan()
	h.send(eventMsg{event: e})
	h.send(eventMsg{event: finishedEvent()})
	v := h.w.render()
	// SGR 30–37/40–47/90–97 and 38;/48; set colours; bold and reverse
	// are allowed.
	for _, seq := range []string{"\x1b[3", "\x1b[4", "\x1b[9", ";3", ";4", ";9"} {
		for _, c := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8"} {
			if strings.Contains(v, seq+c+"m") || strings.Contains(v, seq+c+";") {
				t.Fatalf("NO_COLOR view contains colour sequence %q", seq+c)
			}
		}
	}
	if !strings.Contains(ansi.Strip(v), "DONE") {
		t.Fatal("summary missing")
	}
}

func TestPreflightRowsWithoutColourStillSayPassWarnFail(t *testing.T) {
	out := renderChecks(newStyles(true), 80, []contract.CheckResult{{Title: "a", Status: contract.CheckPass}, {Title: "b", Status: contract.CheckWarn}, {Title: "c", Status: contract.CheckFail}})
	for _, want := range []string{"✓ pass  a", "! warn  b", "✗ fail  c"} {
		if !strings.Contains(ansi.Strip(out), want) {
			t.Errorf("missing %q in %q", want, out)
		}
	}
}
