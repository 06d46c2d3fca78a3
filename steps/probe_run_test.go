package steps

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/probe"
	"github.com/rdsbg/rdsbg/steps/probe/pgtest"
)

// A whole detach run on the simulator, whose orders-proxy endpoint relays
// to a real PostgreSQL while the proxy has a healthy target: the probe's
// measure of the applications' downtime matches the simulated proxy-less
// time within one probe interval, and the DSN's password appears nowhere.
func TestRunWithProbeMeasuresTheApplicationsDowntime(t *testing.T) {
	pgAddr := pgtest.Start(t)
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, ProxyForwardTo: map[string]string{"orders-proxy": pgAddr}})
	t.Cleanup(env.sim.Close)
	const password = "pr0be-pw"
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Approver: env.approver,
		Sink: env.events.sink, Options: Options{Source: "orders-db", ProxyMode: ProxyModeDetach},
		ProbeDSN: "postgres://rdsbg:" + password + "@" + env.sim.ProxyAddress("orders-proxy") + "/postgres?sslmode=disable"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Run(context.Background())
	if err != nil || f.Outcome != OutcomeDone {
		t.Fatalf("Run = %s, %v", f.Outcome, err)
	}
	if f.Probe == nil {
		t.Fatal("no probe report in the summary")
	}
	r := *f.Probe

	// The truth: from the deregistration of blue in the critical section to
	// the new primary's registration turning AVAILABLE (the simulator's
	// TargetRegister after the RegisterDBProxyTargets call).
	var cut, reg time.Time
	for _, m := range env.sim.Mutations() {
		switch m.Operation {
		case "DeregisterDBProxyTargets":
			cut = m.Time // the last one opens the critical section
		case "RegisterDBProxyTargets":
			reg = m.Time
		}
	}
	truth := reg.Add(sim.FastTimings().TargetRegister).Sub(cut)
	t.Logf("%s; simulated outage %v, engine's proxy-less window %v", r, truth, time.Duration(f.ProxylessWindowMS)*time.Millisecond)
	// The probe covers every outage window (outage.go); the critical
	// section's is the last one.
	crit := f.ProxyOutages[len(f.ProxyOutages)-1]
	if crit.Cause != OutageCriticalSection || crit.AppDowntimeMS == nil {
		t.Fatalf("last window %+v: want the critical section with the probe's figure", crit)
	}
	got := time.Duration(*crit.AppDowntimeMS) * time.Millisecond
	if diff := (got - truth).Abs(); diff > r.Interval {
		t.Errorf("probe measured %v in the critical section, the simulated outage was %v: off by %v, more than one interval (%v)", got, truth, diff, r.Interval)
	}
	if r.StillFailingAtStop || r.Failed == 0 || r.Attempts <= r.Failed {
		t.Errorf("report %+v: want failures during the window and successes around it", r)
	}

	var tcpNotices int
	for _, ev := range env.events.ofType(EventNotice) {
		if strings.HasPrefix(ev.Message, "TCP check:") {
			tcpNotices++
			if !strings.Contains(ev.Message, "orders-proxy") || !strings.Contains(ev.Message, "reachable in") {
				t.Errorf("TCP notice %q", ev.Message)
			}
		}
	}
	if tcpNotices != 2 {
		t.Errorf("%d TCP check notices, want one after each registration (attach-proxy-blue, attach-proxy-primary)", tcpNotices)
	}
	for _, rec := range env.journal(t, "orders-db") {
		if strings.Contains(rec.Message, password) || (rec.Finished != nil && rec.Finished.Probe != nil && strings.Contains(rec.Finished.Probe.LastError, password)) {
			t.Fatalf("the journal holds the probe password: %+v", rec)
		}
	}
}

func TestBadProbeDSNIsAUsageErrorThatDoesNotQuoteIt(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	_, err := New(Config{API: env.client, Clock: env.clock, StateDir: env.stateDir, Approver: env.approver,
		Options: Options{Source: "orders-db"}, ProbeDSN: "redis://user:hunter2@x"})
	if err == nil || ExitCode(err) != ExitUsage || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "--probe-dsn") {
		t.Fatalf("New with a bad DSN: %v (exit %d)", err, ExitCode(err))
	}
	env.assertNoMutations(t)
}

func TestTextSinkClosingNoteShowsTheProbe(t *testing.T) {
	var b strings.Builder
	sink := NewTextSink(&b)
	zero := 0.0
	crit := []OutageWindow{{Step: StepDetachProxyBlue, Cause: OutageCriticalSection, DurationMS: 65000, Proxies: []string{"orders-proxy"}}}
	sink(Event{Type: EventRunFinished, Finished: &Finished{Outcome: OutcomeDone, ProxyState: ProxyOnNewPrimary, ProxylessWindowMS: 65000, ProxyOutages: crit, ProxyOutageTotalMS: 65000,
		Probe:   &probe.Report{Attempts: 140, Failed: 130, Interval: 500 * time.Millisecond, Outage: 65 * time.Second, LongestGap: 65500 * time.Millisecond},
		Metrics: []StepMetrics{{Step: StepCreateDeployment, MinClientConnections: &zero}}}})
	out := b.String()
	for _, want := range []string{"proxy outage 1m05s in 1 window (critical section 1m05s)", "probe: 130 of 140 SELECT 1 failed; applications cut off for about 1m5s", "a minute that overlaps create-deployment had no client connections"} {
		if !strings.Contains(out, want) {
			t.Errorf("closing note lacks %q:\n%s", want, out)
		}
	}
}
