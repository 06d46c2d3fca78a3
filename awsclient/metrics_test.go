package awsclient

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// The real SDK CloudWatch client (smithy-rpcv2-cbor) against the simulator.

func valueAt(t *testing.T, s MetricSeries, at time.Time) float64 {
	t.Helper()
	for _, p := range s.Points {
		if p.Time.Equal(at) {
			return p.Value
		}
	}
	t.Fatalf("%s has no point at %s; points %v", s.Query.Label(), at.Format(time.TimeOnly), s.Points)
	return 0
}

func TestMetricsConnectionsDropWhileTheProxyHasNoTarget(t *testing.T) {
	h := newSimHarness(t, sim.ScenarioRDSPostgresNative)
	ctx := context.Background()
	c := h.client
	t0 := h.clock.Now() // 23:00:00, a period boundary

	h.clock.Advance(5 * time.Minute)
	if err := c.DeregisterTargets(ctx, "orders-proxy", TargetRef{InstanceID: "orders-db"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(3 * time.Minute) // 23:08: three whole minutes without a target
	if _, err := c.RegisterTargets(ctx, "orders-proxy", TargetRef{InstanceID: "orders-db"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(4 * time.Minute) // 23:12

	series, err := c.GetMetricSeries(ctx, ProxyConnectionQueries("orders-proxy"), t0, h.clock.Now(), time.Minute)
	if err != nil {
		t.Fatalf("GetMetricSeries: %v", err)
	}
	if len(series) != 2 || series[0].Query.Name != MetricClientConnections || series[1].Query.Name != MetricDatabaseConnections {
		t.Fatalf("series = %+v", series)
	}
	client, pooled := series[0], series[1]
	if n := len(client.Points); n != 12 {
		t.Errorf("ClientConnections has %d points for 12 minutes at 1 min, want 12: %v", n, client.Points)
	}
	for i := 1; i < len(client.Points); i++ {
		if !client.Points[i].Time.After(client.Points[i-1].Time) {
			t.Fatalf("points not ascending: %v", client.Points)
		}
	}
	before := valueAt(t, client, t0.Add(2*time.Minute))
	if before < 30 || before > 50 {
		t.Errorf("ClientConnections before = %v, want about the base load of 40", before)
	}
	for _, m := range []time.Duration{5, 6, 7} {
		if v := valueAt(t, client, t0.Add(m*time.Minute)); v != 0 {
			t.Errorf("ClientConnections at +%d min (no target) = %v, want 0", m, v)
		}
	}
	// The new registration turns AVAILABLE 20 s into 23:08: that minute is
	// partly up, the next ones fully.
	if v := valueAt(t, client, t0.Add(8*time.Minute)); v <= 0 || v >= before+10 {
		t.Errorf("ClientConnections in the minute the target came back = %v, want between 0 and full", v)
	}
	if v := valueAt(t, client, t0.Add(10*time.Minute)); v < 30 {
		t.Errorf("ClientConnections after = %v, want the base load back", v)
	}
	if p, d := valueAt(t, pooled, t0.Add(2*time.Minute)), before; math.Abs(p-0.6*d) > 2 {
		t.Errorf("DatabaseConnections = %v with %v clients, want about 60%% (pooling)", p, d)
	}

	var logged bool
	for _, call := range h.calls.Recent(recentCalls) {
		if call.Operation == "GetMetricData" {
			logged = call.Service == "CloudWatch" && call.OK() && !call.Mutating && call.RequestID != ""
		}
	}
	if !logged {
		t.Errorf("GetMetricData not in the call log as a successful read-only CloudWatch call: %+v", h.calls.Recent(3))
	}
}

func TestMetricsGreenLagIsHighFirstThenFalls(t *testing.T) {
	h := newSimHarness(t, sim.ScenarioRDSPostgresNative)
	ctx := context.Background()
	c := h.client
	t0 := h.clock.Now()
	if err := c.DeregisterTargets(ctx, "orders-proxy", TargetRef{InstanceID: "orders-db"}); err != nil {
		t.Fatal(err)
	}
	blue, err := c.DescribeInstance(ctx, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.CreateDeployment(ctx, CreateDeploymentInput{Name: "orders-16", SourceARN: blue.ARN, TargetEngineVersion: "16.4"})
	if err != nil {
		t.Fatal(err)
	}
	d = h.waitDeployment(t, d.ID, "AVAILABLE", time.Hour)
	h.clock.Advance(15 * time.Minute)
	green, err := c.DescribeInstance(ctx, d.Target)
	if err != nil {
		t.Fatal(err)
	}

	queries := []MetricQuery{
		{Name: MetricReplicaLag, DimensionName: DimensionDBInstance, DimensionValue: green.ID},
		{Name: MetricOldestReplicationSlotLag, DimensionName: DimensionDBInstance, DimensionValue: "orders-db"},
		{Name: MetricReplicaLag, DimensionName: DimensionDBInstance, DimensionValue: "orders-db"},
	}
	series, err := c.GetMetricSeries(ctx, queries, t0, h.clock.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	lag := series[0].Points
	if len(lag) < 10 {
		t.Fatalf("green ReplicaLag has %d points, want one a minute from green's creation: %v", len(lag), lag)
	}
	// Green exists 10 s in and is "creating" for 8 min: no lag until then.
	if first := lag[0].Time; first.Before(t0.Add(8 * time.Minute)) {
		t.Errorf("first lag point at %s, want none while green is creating", first.Format(time.TimeOnly))
	}
	if lag[0].Value < 100 {
		t.Errorf("lag right after green is available = %v s, want high", lag[0].Value)
	}
	last, _ := series[0].Last()
	if last.Value > 2 {
		t.Errorf("lag at the end = %v s, want caught up (< 2 s)", last.Value)
	}
	if slot, ok := series[1].Last(); !ok || slot.Value <= 0 || slot.Value > 4<<20 {
		t.Errorf("blue's OldestReplicationSlotLag = %+v (ok %v), want a small positive byte count", slot, ok)
	}
	if n := len(series[2].Points); n != 0 {
		t.Errorf("blue, a primary, has %d ReplicaLag points, want none", n)
	}
}

func TestMetricsLagRisesDuringTheUpgrade(t *testing.T) {
	// With catch-up so fast that the creation lag is gone, the lag during
	// DB_ENGINE_VERSION_UPGRADE stands out.
	tm := simtest.FastTimings()
	tm.LagCatchUp = 5 * time.Second
	s := simtest.NewServer(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative, Clock: clock.NewVirtual(testStart), Seed: 1, Timings: tm})
	clk := s.Clock
	c := wireClient(t, s.HTTP, clk, nil, 0)
	ctx := context.Background()
	t0 := clk.Now()
	if err := c.DeregisterTargets(ctx, "orders-proxy", TargetRef{InstanceID: "orders-db"}); err != nil {
		t.Fatal(err)
	}
	blue, _ := c.DescribeInstance(ctx, "orders-db")
	d, err := c.CreateDeployment(ctx, CreateDeploymentInput{Name: "orders-16", SourceARN: blue.ARN, TargetEngineVersion: "16.4"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Minute)
	d, _ = c.DescribeDeployment(ctx, d.ID)
	green, err := c.DescribeInstance(ctx, d.Target)
	if err != nil {
		t.Fatal(err)
	}
	series, err := c.GetMetricSeries(ctx, []MetricQuery{{Name: MetricReplicaLag, DimensionName: DimensionDBInstance, DimensionValue: green.ID, Stat: "Maximum"}},
		t0, clk.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Creation ends at 8 min 10 s, the upgrade runs 6 min after it.
	during := valueAt(t, series[0], t0.Add(11*time.Minute))
	after := valueAt(t, series[0], t0.Add(20*time.Minute))
	if during < 20 || after > 2 {
		t.Errorf("lag during the upgrade = %v s, after = %v s; want a spike (≥ 20 s) and then caught up", during, after)
	}
}

func TestMetricsRejectsBadRequestsBeforeSending(t *testing.T) {
	h := newSimHarness(t, sim.ScenarioRDSPostgresNative)
	now := h.clock.Now()
	q := ProxyConnectionQueries("orders-proxy")
	if _, err := h.client.GetMetricSeries(context.Background(), q, now, now.Add(-time.Minute), time.Minute); err == nil {
		t.Error("end before start: no error")
	}
	if _, err := h.client.GetMetricSeries(context.Background(), q, now.Add(-time.Hour), now, 1500*time.Millisecond); err == nil {
		t.Error("fractional period: no error")
	}
	if got := h.sim.CallCounts()["GetMetricData"]; got != 0 {
		t.Errorf("%d GetMetricData calls sent for invalid requests, want 0", got)
	}
	// Too many points is the simulator's refusal, typed like CloudWatch's.
	_, err := h.client.GetMetricSeries(context.Background(), q, now.Add(-48*time.Hour), now, time.Minute)
	if err == nil || errorCode(err) != "InvalidParameterCombination" {
		t.Errorf("48 h at 1 min: err = %v, want InvalidParameterCombination", err)
	}
}

// wallCaller is a caller on the wall clock beside a model that runs speed
// times faster from origin (clock.Wall of a clock.Scaled), over the test's
// virtual clock.
type wallCaller struct {
	model  *clock.Virtual
	origin time.Time
	speed  float64
}

func (w wallCaller) Now() time.Time { return w.CallerAt(w.model.Now()) }
func (w wallCaller) ModelAt(t time.Time) time.Time {
	return w.origin.Add(time.Duration(float64(t.Sub(w.origin)) * w.speed))
}
func (w wallCaller) CallerAt(m time.Time) time.Time {
	return w.origin.Add(time.Duration(float64(m.Sub(w.origin)) / w.speed))
}
func (w wallCaller) Speed() float64 { return w.speed }

// Walkthrough D28: `rdsbg sim --speed 60` with a wizard on the wall clock.
// The wizard asks CloudWatch for its last minutes by its own clock; the
// simulator reads that window in the model's time (60 times longer) and
// answers with the wizard's timestamps, so an outage that just happened in
// the model shows, instead of a window far in the model's past.
func TestMetricsWindowsOfAWallClockCallerAreReadInModelTime(t *testing.T) {
	for _, mapped := range []bool{true, false} {
		clk := clock.NewVirtual(testStart)
		caller := wallCaller{model: clk, origin: testStart, speed: 60}
		o := sim.Options{Scenario: sim.ScenarioRDSPostgresNative, Clock: clk, Seed: 1}
		if mapped {
			o.Callers = caller
		}
		s := simtest.NewServer(t, o)
		c := wireClient(t, s.HTTP, s.Clock, nil, 0)
		ctx := context.Background()
		clk.Advance(30 * time.Minute) // 30 s of the caller's time
		if err := c.DeregisterTargets(ctx, "orders-proxy", TargetRef{InstanceID: "orders-db"}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(10 * time.Minute)
		now := caller.Now() // the wizard's clock: 40 s after the start
		q := []MetricQuery{{Name: MetricClientConnections, DimensionName: DimensionProxyName, DimensionValue: "orders-proxy", Stat: "Minimum"}}
		series, err := c.GetMetricSeries(ctx, q, now.Add(-5*time.Minute), now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		last, ok := series[0].Last()
		if !mapped {
			// The window lies before the model began: nothing, or the
			// load before the deregistration — never the outage.
			if ok && last.Value == 0 {
				t.Errorf("unmapped: the caller's window cannot see the model's outage: %+v", series[0].Points)
			}
			continue
		}
		if !ok || last.Value != 0 {
			t.Fatalf("mapped: the caller's last minute must show the proxy's empty 10 model minutes (Minimum 0): %+v", series[0].Points)
		}
		if last.Time.After(now) || !last.Time.After(now.Add(-5*time.Minute)) {
			t.Errorf("the answer's timestamps must be the caller's: %s, caller now %s", last.Time, now)
		}
	}
}
