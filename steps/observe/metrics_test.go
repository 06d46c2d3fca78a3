package observe

import (
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// metricsTestTime is a minute boundary.
var metricsTestTime = time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)

// Walkthrough D7 (U8): CloudWatch lags, so a value read at a step's start
// belongs to an earlier step. The summary places each minute by when it
// was measured: a short detach step whose minute was empty shows 0 during
// it, and the long step after it starts from the empty minute before it
// and its own minutes are full, whenever the values arrived.
func TestStepMetricsPlaceEachMinuteWhereItWasMeasured(t *testing.T) {
	clk := clock.NewVirtual(metricsTestTime)
	w := &MetricsWatcher{clock: clk, current: -1}
	key := "ClientConnections(p)"
	t0 := metricsTestTime // a minute boundary
	minute := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	step := func(id contract.StepID, from, to time.Time) {
		w.Observe(contract.Event{Type: contract.EventStepStarted, Step: id, Time: from})
		w.Observe(contract.Event{Type: contract.EventStepDone, Step: id, Time: to})
	}
	// Minutes 0-1 served 46 clients; minute 2 (detach) had none; minutes
	// 3-9 served again.
	values := map[int]float64{0: 46, 1: 46, 2: 0, 3: 40, 4: 46, 5: 46, 6: 46, 7: 46, 8: 46, 9: 46}
	step(contract.StepDetachProxy, minute(2).Add(5*time.Second), minute(2).Add(50*time.Second))
	step(contract.StepProvisionGreen, minute(3).Add(10*time.Second), minute(8).Add(30*time.Second))
	// The reads arrive late: the minute of the detach is first published
	// at minute 4, while provision-green is already running.
	for _, at := range []int{4, 7, 11} {
		s := &contract.MetricsSample{Time: minute(at).Add(time.Second), Period: time.Minute}
		l := contract.MetricLine{Metric: awsclient.MetricClientConnections, Subject: "p"}
		for i := 0; i < at-1; i++ { // CloudWatch publishes a minute about a minute after it ends
			l.Points = append(l.Points, contract.MetricValue{Time: minute(i), Value: values[i]})
		}
		s.Lines = []contract.MetricLine{l}
		w.remember(s)
	}
	clk.Advance(minute(12).Sub(clk.Now()))
	got := map[contract.StepID]contract.StepMetrics{}
	for _, sm := range w.Summary() {
		got[sm.Step] = sm
	}
	d, p := got[contract.StepDetachProxy], got[contract.StepProvisionGreen]
	if d.MinClientConnections == nil || *d.MinClientConnections != 0 || d.Before[key] != 46 || d.After[key] != 40 {
		t.Errorf("detach-proxy: before %v, lowest %v, after %v; want 46, 0, 40", d.Before[key], deref(d.MinClientConnections), d.After[key])
	}
	if p.Before[key] != 0 || p.MinClientConnections == nil || *p.MinClientConnections != 40 || p.After[key] != 46 {
		t.Errorf("provision-green: before %v, lowest %v, after %v; want 0 (the empty minute before it), 40, 46", p.Before[key], deref(p.MinClientConnections), p.After[key])
	}
	// A step whose minutes CloudWatch had not published by the end shows
	// nothing, rather than a guess.
	step(contract.StepVerify, minute(11).Add(time.Second), minute(11).Add(20*time.Second))
	for _, sm := range w.Summary() {
		if sm.Step == contract.StepVerify && (sm.MinClientConnections != nil || sm.After != nil) {
			t.Errorf("verify: lowest %v, after %v, from minutes not published yet", sm.MinClientConnections, sm.After)
		}
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
