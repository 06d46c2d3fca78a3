package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHeadlessApprover(t *testing.T) {
	severe := Approval{Kind: "critical-section", Title: "critical", Severity: SeveritySevere, Confirm: "orders-db"}
	reversible := Approval{Kind: "step", Title: "create", Severity: SeverityReversible}
	cases := []struct {
		name    string
		h       HeadlessApprover
		a       Approval
		want    Decision
		mention string // the notice must name the missing flag
		usage   bool   // refused as bad usage (exit 2), never "cancelled by the operator"
	}{
		{"read-only needs nothing", HeadlessApprover{}, Approval{Kind: "step", Title: "check", Severity: SeverityReadOnly}, DecisionApprove, "", false},
		{"reversible with --yes", HeadlessApprover{Yes: true}, reversible, DecisionApprove, "", false},
		{"reversible without --yes", HeadlessApprover{}, reversible, DecisionDecline, "--yes", true},
		{"severe with --yes only", HeadlessApprover{Yes: true}, severe, DecisionDecline, "--confirm orders-db", true},
		{"severe with a wrong --confirm", HeadlessApprover{Yes: true, Confirm: "other-db"}, severe, DecisionDecline, "--confirm orders-db", true},
		{"severe with --confirm only", HeadlessApprover{Confirm: "orders-db"}, severe, DecisionDecline, "--yes", true},
		{"severe with both", HeadlessApprover{Yes: true, Confirm: "ORDERS-DB"}, severe, DecisionApprove, "", false},
		{"fallback with --yes", HeadlessApprover{Yes: true}, Approval{Kind: "fallback-detach", Title: "fallback", Severity: SeverityReversible}, DecisionApprove, "detach", false},
		{"fallback without --yes", HeadlessApprover{}, Approval{Kind: "fallback-detach", Title: "fallback", Severity: SeverityReversible}, DecisionDecline, "--yes", false},
		{"no proxy with --yes only", HeadlessApprover{Yes: true}, Approval{Kind: "continue-without-proxy", Title: "no proxy", Severity: SeveritySevere, Confirm: "shop-db"}, DecisionRollback, "--confirm shop-db", false},
		{"no proxy with both", HeadlessApprover{Yes: true, Confirm: "shop-db"}, Approval{Kind: "continue-without-proxy", Title: "no proxy", Severity: SeveritySevere, Confirm: "shop-db"}, DecisionApprove, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var notes []string
			c.h.Sink = func(ev Event) { notes = append(notes, ev.Message) }
			got, err := c.h.Approve(context.Background(), c.a)
			if c.usage {
				var in *InputError
				if !errors.As(err, &in) || in.ExitCode != ExitUsage || errors.Is(err, ErrDeclined) || !strings.Contains(err.Error(), c.mention) {
					t.Fatalf("got %s %v, want a refusal naming %s, exit 2", got, err, c.mention)
				}
			} else if err != nil || got != c.want {
				t.Fatalf("got %s %v, want %s", got, err, c.want)
			}
			if c.mention != "" && !strings.Contains(strings.Join(notes, "\n"), c.mention) {
				t.Errorf("notices %q do not mention %q", notes, c.mention)
			}
		})
	}
}

func TestNDJSONSinkWritesOneEventPerLine(t *testing.T) {
	var buf bytes.Buffer
	sink := NewNDJSONSink(&buf)
	now := time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
	sink(Event{Time: now, Type: EventStepStarted, Step: StepSwitchover, Message: "go"})
	sink(Event{Time: now, Type: EventRunFinished, Finished: &Finished{Outcome: OutcomeDone, ProxyState: ProxyOnNewPrimary, ProxylessWindowMS: 1500}})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	var fin map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &fin); err != nil {
		t.Fatal(err)
	}
	// Finished's fields sit at the top level of run-finished.
	if fin["type"] != "run-finished" || fin["proxy_state"] != "new-primary" || fin["proxyless_window_ms"] != 1500.0 {
		t.Errorf("run-finished line: %s", lines[1])
	}
	var started map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &started); err != nil || started["step"] != "switchover" {
		t.Errorf("step-started line: %s %v", lines[0], err)
	}
}

func TestTextSinkPrintsProgressOnlyWhenItChanges(t *testing.T) {
	var buf bytes.Buffer
	sink := NewTextSink(&buf)
	p := &Progress{DeploymentStatus: "PROVISIONING", Waiting: "the deployment"}
	for i := 0; i < 3; i++ {
		sink(Event{Type: EventProgress, Step: StepCreateDeployment, Progress: p})
	}
	sink(Event{Type: EventProgress, Step: StepCreateDeployment, Progress: &Progress{DeploymentStatus: "AVAILABLE", Waiting: "the deployment"}})
	sink(Event{Type: EventRunFinished, Finished: &Finished{Outcome: OutcomeDone, ProxyState: ProxyOnBlue, Renames: map[string]string{"a": "a-old1"}}})
	out := buf.String()
	if n := strings.Count(out, "PROVISIONING"); n != 1 {
		t.Errorf("PROVISIONING printed %d times:\n%s", n, out)
	}
	for _, want := range []string{"AVAILABLE", "finished: done", "proxy blue", "renamed a → a-old1"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}
