package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

func same(s string) string { return s }

// The table shows each step's minutes as the engine placed them by when
// CloudWatch measured them (steps.StepMetrics): an empty minute before
// cleanup and full ones during it is "0, 46, 46", not a contradiction.
func TestStepMetricsTableShowsTheMinutesAsPlaced(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	key := awsclient.MetricClientConnections + "(orders-proxy)"
	got := ansi.Strip(renderStepMetrics(newStyles(true), 100, []contract.StepMetrics{
		{Step: contract.StepCleanup, Before: map[string]float64{key: 0}, After: map[string]float64{key: 46}, MinClientConnections: v(46)},
		{Step: contract.StepSwitchover, Before: map[string]float64{key: 46}, After: map[string]float64{key: 40}, MinClientConnections: v(3)},
	}))
	for _, want := range []string{"cleanup     0               46             46", "switchover  46              3              40"} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in\n%s", want, got)
		}
	}
}

// A metric row about green follows the rename at switchover (the lag row
// kept green's old name).
func TestMetricRowsFollowRenames(t *testing.T) {
	h, _ := runHarness(t, 100, 30)
	start := ev(contract.EventStepStarted, 0)
	start.Step = contract.StepSwitchover
	h.send(eventMsg{event: start})
	sample := &contract.MetricsSample{Lines: []contract.MetricLine{{Metric: awsclient.MetricReplicaLag, Subject: "orders-db-green-a1b2c3", Unit: contract.UnitSeconds,
		Points: []contract.MetricValue{{Value: 1}}, Last: 1}}}
	p := ev(contract.EventProgress, time.Second)
	p.Progress = &contract.Progress{DeploymentStatus: "SWITCHOVER_IN_PROGRESS", Metrics: sample,
		Members: []awsclient.SwitchoverMember{{Source: arn("orders-db"), Target: arn("orders-db-green-a1b2c3"), Status: "SWITCHOVER_IN_PROGRESS"}}}
	h.send(eventMsg{event: p})
	h.mustShow("lag orders-db-green-a1b2c3")
	p2 := ev(contract.EventProgress, 40*time.Second)
	p2.Progress = &contract.Progress{DeploymentStatus: "SWITCHOVER_COMPLETED", Metrics: sample,
		Members: []awsclient.SwitchoverMember{{Source: arn("orders-db-old1"), Target: arn("orders-db"), Status: "SWITCHOVER_COMPLETED"}}}
	h.send(eventMsg{event: p2})
	h.mustShow("lag orders-db ")
	h.mustNotShow("lag orders-db-green-a1b2c3")
}

func TestPluralsAreRight(t *testing.T) {
	if got := checkCounts(15, 1, 0); got != "15 passed · 1 warning · 0 failed" {
		t.Fatal(got)
	}
	if got := checkCounts(1, 2, 1); got != "1 passed · 2 warnings · 1 failed" {
		t.Fatal(got)
	}
}

// The refusal screen says AWS's error once: the question quotes it, so the
// details keep code and request id only.
func TestRefusalScreenSaysAWSErrorOnce(t *testing.T) {
	h, answer := runHarness(t, 100, 40)
	msg := "The source DB instance orders-db is registered as a target of RDS Proxy orders-proxy."
	e := &contract.ErrorInfo{Operation: "CreateBlueGreenDeployment", Code: "SourceDatabaseNotSupportedFault", RequestID: "req-1",
		Message: "operation error RDS: CreateBlueGreenDeployment, https response error StatusCode: 400, RequestID: req-1, SourceDatabaseNotSupportedFault: " + msg}
	h.send(approvalMsg{approval: contract.Approval{Kind: "fallback-detach", Step: contract.StepCreateDeployment, Title: "Switch to the detach procedure?",
		Text: "AWS refused to create the deployment (SourceDatabaseNotSupportedFault: " + msg + "). Nothing has been changed.", Error: e,
		Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}}, answer: answer})
	h.mustShow("Error code SourceDatabaseNotSupportedFault", "Request id req-1", "Switch to the detach procedure?")
	if n := strings.Count(flat(h.view()), flat(msg)); n != 1 {
		t.Fatalf("AWS's message is shown %d times:\n%s", n, h.view())
	}
	h.mustNotShow("https response error")
}

// In the plan's CLI view the legend comes before the marks, and read-only
// steps are not marked ✓ (which reads as "done").
func TestPlanLegendBeforeTheStepsAndNoTickForReadOnly(t *testing.T) {
	h, _ := runHarness(t, 100, 40)
	h.keys("c")
	v := h.view()
	legend, first := strings.Index(v, "○ read-only"), strings.Index(v, "1. ○")
	if legend < 0 || first < 0 || legend > first {
		t.Fatalf("legend at %d, first step at %d:\n%s", legend, first, v)
	}
	h.mustNotShow("✓ preflight", "✓ read-only")
}

// The regime's reason does not repeat the regime's name.
func TestRegimeReasonDoesNotRepeatTheRegime(t *testing.T) {
	for _, mode := range []contract.ProxyMode{contract.ProxyModeAuto, contract.ProxyModeNative} {
		d := preflight.Discovery{Source: contract.Source{ID: "orders-db", Engine: "postgres", Kind: contract.KindInstance},
			Proxies: []contract.ProxyRegistration{{Proxy: "orders-proxy"}}}
		regime, reason := preflight.ChooseRegime(d, mode)
		line := "regime " + string(regime) + ": " + reason
		if strings.Contains(strings.ToLower(line), "native: native") || strings.Contains(strings.ToLower(line), "detach: detach") {
			t.Fatalf("%s", line)
		}
	}
}
