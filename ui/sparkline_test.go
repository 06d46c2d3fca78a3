package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/steps/contract"
)

func TestSparkline(t *testing.T) {
	cases := []struct {
		name   string
		values []float64
		width  int
		want   string
	}{
		{"empty", nil, 10, ""},
		{"no room", []float64{1, 2}, 0, ""},
		{"flat load", []float64{40, 40, 40}, 10, "███"},
		{"outage reads as the floor", []float64{40, 40, 0, 0, 40}, 10, "██▁▁█"},
		{"all zero", []float64{0, 0}, 10, "▁▁"},
		{"small is not zero", []float64{1, 100}, 10, "▂█"},
		{"scaled levels", []float64{0, 25, 50, 75, 100}, 10, "▁▄▅▇█"},
		{"keeps the newest", []float64{100, 0, 50, 100}, 3, "▁▅█"},
		{"negative is zero", []float64{-5, 10}, 10, "▁█"},
	}
	for _, c := range cases {
		if got := sparkline(c.values, c.width); got != c.want {
			t.Errorf("%s: sparkline(%v, %d) = %q, want %q", c.name, c.values, c.width, got, c.want)
		}
	}
}

func TestFormatMetric(t *testing.T) {
	cases := []struct {
		v    float64
		unit string
		want string
	}{
		{41, contract.UnitConnections, "41"},
		{40.6, contract.UnitConnections, "41"},
		{0, contract.UnitConnections, "0"},
		{3.25, contract.UnitSeconds, "3.2 s"},
		{312, contract.UnitSeconds, "312.0 s"},
		{512, contract.UnitBytes, "512 B"},
		{2 << 20, contract.UnitBytes, "2.0 MiB"},
		{3.5 * (1 << 30), contract.UnitBytes, "3.5 GiB"},
	}
	for _, c := range cases {
		if got := formatMetric(c.v, c.unit); got != c.want {
			t.Errorf("formatMetric(%v, %s) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
}

func points(vs ...float64) []contract.MetricValue {
	base := time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
	out := make([]contract.MetricValue, len(vs))
	for i, v := range vs {
		out[i] = contract.MetricValue{Time: base.Add(time.Duration(i) * time.Minute), Value: v}
	}
	return out
}

func TestRenderMetrics(t *testing.T) {
	st := newStyles(true)
	sample := &contract.MetricsSample{Lines: []contract.MetricLine{
		{Metric: "ClientConnections", Subject: "orders-proxy", Unit: contract.UnitConnections, Points: points(40, 40, 0, 0), Last: 0},
		{Metric: "DatabaseConnections", Subject: "orders-proxy", Unit: contract.UnitConnections, Points: points(24, 24, 0, 0), Last: 0},
		{Metric: "OldestReplicationSlotLag", Subject: "orders-db", Unit: contract.UnitBytes, Points: points(4<<20, 2<<20, 1<<20), Last: 1 << 20},
		{Metric: "ReplicaLag", Subject: "orders-db-green-abc123", Unit: contract.UnitSeconds},
	}, Error: "CloudWatch: Throttling: Rate exceeded"}
	got := ansi.Strip(renderMetrics(st, 80, sample, same))
	want := strings.Join([]string{
		"clients   orders-proxy            ██▁▁ 0",
		"db conns  orders-proxy            ██▁▁ 0",
		"slot lag  orders-db               █▅▄ 1.0 MiB",
		"lag       orders-db-green-abc123  no data yet",
		"metrics: CloudWatch: Throttling: Rate exceeded",
	}, "\n")
	if got != want {
		t.Errorf("renderMetrics =\n%s\nwant\n%s", got, want)
	}
	// On a narrow screen the sparkline gives way, the value stays.
	narrow := ansi.Strip(renderMetrics(st, 30, &contract.MetricsSample{Lines: sample.Lines[:1]}, same))
	if !strings.HasSuffix(narrow, " 0") || ansi.StringWidth(narrow) > 30 {
		t.Errorf("narrow renderMetrics = %q", narrow)
	}
	if renderMetrics(st, 80, nil, same) != "" {
		t.Error("nil sample drew something")
	}
}

func TestRenderStepMetrics(t *testing.T) {
	zero, low := 0.0, 38.0
	got := ansi.Strip(renderStepMetrics(newStyles(true), 80, []contract.StepMetrics{
		{Step: contract.StepCreateDeployment, Before: map[string]float64{"ClientConnections(orders-proxy)": 40, "DatabaseConnections(orders-proxy)": 24}, MinClientConnections: &low,
			After: map[string]float64{"ClientConnections(orders-proxy)": 41}},
		{Step: contract.StepSwitchover, Before: map[string]float64{"ClientConnections(orders-proxy)": 40, "ClientConnections(billing-proxy)": 5}, MinClientConnections: &zero},
		{Step: contract.StepVerify},
	}))
	for _, want := range []string{"create-deployment  40", "38", "41", "switchover", "45"} {
		if !strings.Contains(got, want) {
			t.Errorf("step metrics table lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "verify") {
		t.Errorf("a step with no readings has a row:\n%s", got)
	}
	if lines := strings.Split(got, "\n"); len(lines) < 5 || !strings.Contains(lines[3], " 0 ") || !strings.Contains(got, "placed by when they were measured") {
		t.Errorf("want header, rule and two rows, switchover lowest 0:\n%s", got)
	}
}
