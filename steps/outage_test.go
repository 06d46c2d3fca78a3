package steps

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/probe/pgtest"
	"github.com/rdsbg/rdsbg/steps/status"
)

// outageTruth is what the simulator did to orders-proxy: every
// deregistration's and registration's time, in order.
type outageTruth struct {
	dereg, reg []time.Time
}

func truthOf(env *engineEnv) outageTruth {
	var t outageTruth
	for _, m := range env.sim.Mutations() {
		switch m.Operation {
		case "DeregisterDBProxyTargets":
			t.dereg = append(t.dereg, m.Time)
		case "RegisterDBProxyTargets":
			t.reg = append(t.reg, m.Time)
		}
	}
	return t
}

// outageTimings are AWS's own figures (sim.DefaultTimings), what these
// windows are about. Outside the long matrices each wait is four times
// shorter (a registration 75 s instead of 5 min, read every second, and
// the probe's attempts over it): the windows are checked against the
// timings the simulator ran, so the same assertions hold on fewer calls.
func outageTimings() sim.Timings {
	tm := sim.DefaultTimings()
	if longMatrices() {
		return tm
	}
	for _, d := range []*time.Duration{&tm.ReplicaCreate, &tm.EngineUpgrade, &tm.ConfigureBackups, &tm.CreateTopology,
		&tm.CreateClusterInstances, &tm.CreateCustomEndpoints, &tm.AuroraReplicaCreate, &tm.AuroraEngineUpgrade,
		&tm.Switchover, &tm.TargetRegister, &tm.ProxyFollow, &tm.Modify, &tm.InstanceDelete, &tm.ClusterDelete,
		&tm.DeploymentDelete, &tm.Snapshot, &tm.LagCatchUp} {
		*d /= 4
	}
	return tm
}

// assertWindow checks one window against the simulator: it starts at the
// deregistration's response and ends at the first read that saw the
// target AVAILABLE, which comes within one poll of the moment the
// simulator made it AVAILABLE (registration + TargetRegister).
func assertWindow(t *testing.T, w contract.OutageWindow, step contract.StepID, cause string, dereg, reg time.Time, tm sim.Timings, poll time.Duration) {
	t.Helper()
	if w.Step != step || w.Cause != cause || w.Open || len(w.Proxies) != 1 || w.Proxies[0] != "orders-proxy" {
		t.Errorf("window %+v: want step %s, cause %s, closed, proxies [orders-proxy]", w, step, cause)
	}
	if !w.Start.Equal(dereg) {
		t.Errorf("window %s starts %s, the deregistration was answered at %s", step, w.Start.Format(time.StampMilli), dereg.Format(time.StampMilli))
	}
	available := reg.Add(tm.TargetRegister)
	// End is Start plus the whole milliseconds of DurationMS: a read at
	// the very moment of AVAILABLE ends the window up to 1 ms before it.
	if end := w.End(); end.Before(available.Add(-time.Millisecond)) || end.Sub(available) > poll {
		t.Errorf("window %s ends %s, the target turned AVAILABLE at %s: want the first read after it, within %s", step, end.Format(time.StampMilli), available.Format(time.StampMilli), poll)
	}
}

// A detach run on the simulator: two windows, the deregistration before
// creation (until blue is back) and the critical section, each measured
// from the DeregisterDBProxyTargets response to the first healthy read;
// the critical section's is the proxy-less window; both are journalled
// and shown live by proxy-traffic events.
func TestDetachRunMeasuresEveryOutageWindow(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	tm := outageTimings()
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Timings: &tm})
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("Run = %s, %v", f.Outcome, err)
	}
	truth := truthOf(env)
	if len(truth.dereg) != 2 || len(truth.reg) != 2 {
		t.Fatalf("simulator saw %d deregistrations and %d registrations, want 2 and 2", len(truth.dereg), len(truth.reg))
	}
	for i, w := range f.ProxyOutages {
		t.Logf("window %d: %s %s from %s for %s", i+1, w.Step, w.Cause, w.Start.Format("15:04:05.000"), w.Duration())
	}
	t.Logf("total %s; proxy-less window (critical section) %s", time.Duration(f.ProxyOutageTotalMS)*time.Millisecond, time.Duration(f.ProxylessWindowMS)*time.Millisecond)
	if len(f.ProxyOutages) != 2 {
		t.Fatalf("%d outage windows, want 2: %+v", len(f.ProxyOutages), f.ProxyOutages)
	}
	poll := poll.DefaultPolicy().Fast * 2 // a poll, with its jitter and the reads of one cycle
	assertWindow(t, f.ProxyOutages[0], contract.StepDetachProxy, contract.OutageDetachBeforeCreate, truth.dereg[0], truth.reg[0], tm, poll)
	assertWindow(t, f.ProxyOutages[1], contract.StepDetachProxyBlue, contract.OutageCriticalSection, truth.dereg[1], truth.reg[1], tm, poll)
	crit := f.ProxyOutages[1].DurationMS
	if f.ProxylessWindowMS != crit {
		t.Errorf("proxyless_window_ms %d, want the critical section's share of the windows, %d ms", f.ProxylessWindowMS, crit)
	}
	if f.ProxyOutageTotalMS != f.ProxyOutages[0].DurationMS+crit {
		t.Errorf("total %d ms is not the sum of the windows", f.ProxyOutageTotalMS)
	}

	// The journal holds both windows, opened and closed, and folds back
	// to what run-finished says.
	recs := env.journal(t, "orders-db")
	opened, closed := 0, 0
	for _, r := range recs {
		if r.Kind == journal.RecordOutage {
			switch r.State {
			case "open":
				opened++
			case "closed":
				closed++
			}
		}
	}
	if opened != 2 || closed != 2 {
		t.Errorf("journal: %d open and %d closed outage records, want 2 and 2", opened, closed)
	}
	folded := journal.Fold(recs).Outages
	if len(folded) != 2 || folded[0].DurationMS != f.ProxyOutages[0].DurationMS || folded[1].DurationMS != crit || folded[0].Open || folded[1].Open {
		t.Errorf("journal folds to %+v", folded)
	}

	// Live: the proxy shows EMPTY from each deregistration's response, then
	// blue, then the new primary.
	traffic := env.events.ofType(contract.EventProxyTraffic)
	var empties []time.Time
	var serves []string
	for _, ev := range traffic {
		p := ev.Traffic.Proxies[0]
		if p.Proxy != "orders-proxy" {
			t.Fatalf("traffic for %q", p.Proxy)
		}
		if p.EmptySince != nil && (len(empties) == 0 || !empties[len(empties)-1].Equal(*p.EmptySince)) {
			empties = append(empties, *p.EmptySince)
		}
		if p.EmptySince == nil && p.Health == "AVAILABLE" && (len(serves) == 0 || serves[len(serves)-1] != p.Serves) {
			serves = append(serves, p.Serves)
		}
	}
	if len(empties) != 2 || !empties[0].Equal(truth.dereg[0]) || !empties[1].Equal(truth.dereg[1]) {
		t.Errorf("proxy-traffic empty-since %v, want the two deregistrations %v", empties, truth.dereg)
	}
	if strings.Join(serves, ",") != "blue,new-primary" {
		t.Errorf("proxy-traffic served %v, want blue then new-primary", serves)
	}
	last := traffic[len(traffic)-1].Traffic.Proxies[0]
	if last.Target != "orders-db" || last.Serves != contract.ServesNewPrimary || last.Health != "AVAILABLE" || last.EmptySince != nil {
		t.Errorf("last traffic %+v, want orders-db (new-primary) AVAILABLE", last)
	}
	if n := len(traffic); n > 12 {
		t.Errorf("%d proxy-traffic events: one per change, not one per read", n)
	}

	var text strings.Builder
	sink := contract.NewTextSink(&text)
	for _, ev := range env.events.events {
		sink(ev)
	}
	if n := strings.Count(text.String(), " PROXY orders-proxy "); n != len(traffic) {
		t.Errorf("--output text printed %d traffic lines for %d proxy-traffic events", n, len(traffic))
	}
	headline := fmt.Sprintf("proxy outage %s in 2 windows (critical section %s)", contract.FormatDuration(time.Duration(f.ProxyOutageTotalMS)*time.Millisecond), contract.FormatDuration(time.Duration(crit)*time.Millisecond))
	for _, want := range []string{"during detach-proxy", "during detach-proxy-blue", headline} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("closing note lacks %q:\n%s", want, text.String())
		}
	}
	rep, err := status.Read(context.Background(), env.api, env.stateDir, "orders-db")
	if err != nil || len(rep.Outages) != 2 || !strings.Contains(rep.Text(), "outage:     "+headline) {
		t.Errorf("status: %v, %d windows:\n%s", err, len(rep.Outages), rep.Text())
	}
}

// AWS rolls the switchover back: compensation puts blue back on the proxy,
// which ends the critical-section window; the resumed run carries both
// windows over from the journal and adds its own critical section.
func TestCompensationEndsTheWindowAndResumeCarriesWindowsOver(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	tm := outageTimings()
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Timings: &tm, Faults: []sim.Fault{{Switchover: "fail"}}})
	f, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err == nil || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("Run = %s %s, %v: want a failed switchover with the proxy on blue", f.Outcome, f.ProxyState, err)
	}
	truth := truthOf(env)
	if len(f.ProxyOutages) != 2 || len(truth.reg) != 2 {
		t.Fatalf("windows %+v, registrations %d: want 2 windows and 2 registrations", f.ProxyOutages, len(truth.reg))
	}
	poll := poll.DefaultPolicy().Fast * 2
	assertWindow(t, f.ProxyOutages[0], contract.StepDetachProxy, contract.OutageDetachBeforeCreate, truth.dereg[0], truth.reg[0], tm, poll)
	// Compensation's registration ends the section's window.
	assertWindow(t, f.ProxyOutages[1], contract.StepDetachProxyBlue, contract.OutageCriticalSection, truth.dereg[1], truth.reg[1], tm, poll)
	for i, w := range f.ProxyOutages {
		t.Logf("failed run, window %d: %s %s for %s", i+1, w.Step, w.Cause, w.Duration())
	}

	f2, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if err != nil || f2.Outcome != contract.OutcomeDone {
		t.Fatalf("Resume = %s, %v", f2.Outcome, err)
	}
	if len(f2.ProxyOutages) != 3 {
		t.Fatalf("resumed run reports %d windows, want the 2 of the failed run and its own critical section: %+v", len(f2.ProxyOutages), f2.ProxyOutages)
	}
	for i := 0; i < 2; i++ {
		if a, b := f2.ProxyOutages[i], f.ProxyOutages[i]; !a.Start.Equal(b.Start) || a.DurationMS != b.DurationMS || a.Cause != b.Cause {
			t.Errorf("window %d changed across the resume: %+v, was %+v", i+1, a, b)
		}
	}
	truth = truthOf(env)
	assertWindow(t, f2.ProxyOutages[2], contract.StepDetachProxyBlue, contract.OutageCriticalSection, truth.dereg[2], truth.reg[2], tm, poll)
	// The critical section's share survives the resume: both of its
	// windows, the failed run's and the resumed one's (D6).
	if got := f2.ProxyOutages[1].DurationMS + f2.ProxyOutages[2].DurationMS; got != f2.ProxylessWindowMS {
		t.Errorf("critical sections %d ms, proxyless_window_ms %d", got, f2.ProxylessWindowMS)
	}
	if f2.ProxyOutageTotalMS != contract.OutageTotalMS(f2.ProxyOutages) {
		t.Errorf("total %d", f2.ProxyOutageTotalMS)
	}
}

// A crash right after the deregistration's response, before its window's
// record: the resumed run finds the proxy empty with no window in the
// journal, opens one (found-empty) and the re-registration ends it.
func TestResumeFindsAnEmptyProxyWithoutAWindow(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	// The next journal record after the call's event is the call's own.
	crashAfter(t, env, env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}), func(ev contract.Event) bool {
		return ev.Type == contract.EventAPICall && ev.Call.Operation == "DeregisterDBProxyTargets"
	})
	for _, r := range env.journal(t, "orders-db") {
		if r.Kind == journal.RecordOutage {
			t.Fatalf("the crash came after the window's record: %+v", r)
		}
	}
	if ts := (contract.Source{Kind: contract.KindInstance, ID: "orders-db"}).Entries(env.proxyTargetsOf(t, "orders-proxy")); len(ts) != 0 {
		t.Fatalf("the crash left the proxy with %+v", ts)
	}
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("Resume = %s, %v", f.Outcome, err)
	}
	if len(f.ProxyOutages) != 2 || f.ProxyOutages[0].Cause != contract.OutageFoundEmpty || f.ProxyOutages[0].Open || f.ProxyOutages[0].DurationMS <= 0 ||
		f.ProxyOutages[1].Cause != contract.OutageCriticalSection {
		t.Errorf("resumed windows %+v: want a closed found-empty window, then the critical section", f.ProxyOutages)
	}
}

// The connectivity probe covers every outage window, not only the critical
// section: each window reports the applications' downtime, within one
// probe interval of the simulated truth (the deregistration to the moment
// the simulator made the target AVAILABLE).
func TestProbeReportsDowntimePerOutageWindow(t *testing.T) {
	pgAddr := pgtest.Start(t)
	tm := outageTimings()
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Timings: &tm, ProxyForwardTo: map[string]string{"orders-proxy": pgAddr}})
	t.Cleanup(env.sim.Close)
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Approver: env.approver,
		Sink: env.events.sink, Options: contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach},
		ProbeDSN: "postgres://rdsbg:pw@" + env.sim.ProxyAddress("orders-proxy") + "/postgres?sslmode=disable"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone || f.Probe == nil {
		t.Fatalf("Run = %s, %v (probe %v)", f.Outcome, err, f.Probe)
	}
	truth := truthOf(env)
	if len(f.ProxyOutages) != 2 || len(truth.dereg) != 2 || len(truth.reg) != 2 {
		t.Fatalf("windows %+v", f.ProxyOutages)
	}
	for i, w := range f.ProxyOutages {
		want := truth.reg[i].Add(tm.TargetRegister).Sub(truth.dereg[i])
		if w.AppDowntimeMS == nil {
			t.Errorf("window %d (%s) has no probe figure", i+1, w.Step)
			continue
		}
		got := time.Duration(*w.AppDowntimeMS) * time.Millisecond
		t.Logf("window %d %s: proxy empty %s, applications cut off %s (%d of %d SELECT 1 failed), simulated %s", i+1, w.Step, w.Duration(), got, w.ProbeFailed, w.ProbeAttempts, want)
		if diff := (got - want).Abs(); diff > f.Probe.Interval {
			t.Errorf("window %d: probe saw %s, the simulated outage was %s: off by more than one interval (%s)", i+1, got, want, f.Probe.Interval)
		}
		if w.ProbeFailed == 0 || w.ProbeAttempts <= w.ProbeFailed {
			t.Errorf("window %d: %d of %d failed: want failures inside and an answer on each side", i+1, w.ProbeFailed, w.ProbeAttempts)
		}
	}
	var text strings.Builder
	contract.NewTextSink(&text)(env.events.ofType(contract.EventRunFinished)[0])
	if strings.Count(text.String(), "applications cut off for about") < 2 {
		t.Errorf("closing note lacks the per-window downtime:\n%s", text.String())
	}
}

// crashAfter runs eng.Run and stops it dead at the first journal record
// after an event for which arm reports true (crashDuring, outage_bound_test.go).
func crashAfter(t *testing.T, env *engineEnv, eng *Engine, arm func(contract.Event) bool) {
	t.Helper()
	crashDuring(t, env, eng, eng.Run, arm)
}

// abort after a crash with the proxy empty: the window from the journal is
// carried over, and abort's re-registration ends it.
func TestAbortEndsTheOpenWindowFromTheJournal(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	tm := outageTimings()
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Timings: &tm})
	crashAfter(t, env, env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}), func(ev contract.Event) bool {
		return ev.Type == contract.EventProxyTraffic && ev.Traffic.Empty()
	})
	if st := journal.Fold(env.journal(t, "orders-db")); len(st.Outages) != 1 || !st.Outages[0].Open {
		t.Fatalf("journal after the crash: windows %+v, want one open", st.Outages)
	}
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Abort(context.Background())
	if err != nil || f.Outcome != contract.OutcomeRolledBack || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("Abort = %+v, %v", f, err)
	}
	truth := truthOf(env)
	if len(f.ProxyOutages) != 1 || len(truth.reg) != 1 {
		t.Fatalf("abort reports windows %+v after %d registrations", f.ProxyOutages, len(truth.reg))
	}
	assertWindow(t, f.ProxyOutages[0], contract.StepDetachProxy, contract.OutageDetachBeforeCreate, truth.dereg[0], truth.reg[0], tm, poll.DefaultPolicy().Fast*2)
	rep, err := status.Read(context.Background(), env.api, env.stateDir, "orders-db")
	if err != nil || len(rep.Outages) != 1 || rep.Outages[0].Open {
		t.Errorf("status after abort: %v, windows %+v", err, rep.Outages)
	}
}

// An Aurora cluster behind its proxy: the same two windows, and the
// traffic names the cluster (not one of its instance entries).
func TestAuroraDetachRunWindowsAndTraffic(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	f, err := env.engine(t, contract.Options{Source: "ledger-cluster", ProxyMode: contract.ProxyModeDetach}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("Run = %s, %v", f.Outcome, err)
	}
	if len(f.ProxyOutages) != 2 || f.ProxyOutages[0].Cause != contract.OutageDetachBeforeCreate || f.ProxyOutages[1].Cause != contract.OutageCriticalSection ||
		f.ProxyOutages[1].DurationMS != f.ProxylessWindowMS || f.ProxyOutages[0].Proxies[0] != "ledger-proxy" {
		t.Errorf("windows %+v (proxy-less %d ms)", f.ProxyOutages, f.ProxylessWindowMS)
	}
	traffic := env.events.ofType(contract.EventProxyTraffic)
	last := traffic[len(traffic)-1].Traffic.Proxies[0]
	if last.Proxy != "ledger-proxy" || last.Target != "ledger-cluster" || last.Serves != contract.ServesNewPrimary || last.Health != "AVAILABLE" {
		t.Errorf("last traffic %+v", last)
	}
}

// Native regime: rdsbg deregisters nothing, but AWS moves the proxy to the
// new primary at switchover and shows it briefly UNAVAILABLE (the
// simulator models that): the reads that see it measure an "unavailable"
// window, and nothing is called the critical section.
func TestNativeRunMeasuresTheProxyFollowingTheSwitchover(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	f, err := env.engine(t, contract.Options{Source: "shop-db"}).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("Run = %s, %v", f.Outcome, err)
	}
	for _, w := range f.ProxyOutages {
		t.Logf("window: %s %s for %s", w.Step, w.Cause, w.Duration())
		if w.Cause != contract.OutageUnavailable || w.Open {
			t.Errorf("native run window %+v: rdsbg deregistered nothing", w)
		}
	}
	if f.ProxylessWindowMS != 0 {
		t.Errorf("proxyless_window_ms %d in the native regime", f.ProxylessWindowMS)
	}
	if f.ProxyOutageTotalMS != contract.OutageTotalMS(f.ProxyOutages) {
		t.Errorf("total %d", f.ProxyOutageTotalMS)
	}
}

// The book on its own: a window ends at the first of StableReads healthy
// reads, a flicker in between restarts the count, and a run that ends
// after a healthy read not yet confirmed ends the window at that read.
func TestOutageBookStableReadsAndEndOfRun(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	eng := env.engine(t, contract.Options{Source: "orders-db"})
	j, err := journal.Open(journal.Path(env.stateDir, "orders-db"), env.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r := &run{e: eng, journal: j, proxies: []contract.ProxyRegistration{{Proxy: "p1"}, {Proxy: "p2"}}}
	r.setCurrent(contract.StepDetachProxyBlue)
	target := func(p, health string) []awsclient.ProxyTarget {
		return []awsclient.ProxyTarget{{ProxyName: p, RdsResourceID: "orders-db", Type: "RDS_INSTANCE", Health: awsclient.TargetHealth{State: health}}}
	}
	step := func() { env.clock.Advance(time.Second) }
	start := env.clock.Now()
	r.outageEmptied("p1")
	r.outageEmptied("p2")
	step()
	r.outageRead("p1", target("p1", "AVAILABLE")) // first healthy read of p1 …
	firstP1 := env.clock.Now()
	step()
	r.outageRead("p1", target("p1", "UNAVAILABLE")) // … undone by a flicker
	step()
	for i := 0; i < 3; i++ { // StableReads (3) in a row from here
		if i == 0 {
			firstP1 = env.clock.Now()
		}
		r.outageRead("p1", target("p1", "AVAILABLE"))
		step()
	}
	if len(r.outages.windows) != 1 || !r.outages.windows[0].Open {
		t.Fatalf("windows %+v: p2 is still empty, the window must stay open", r.outages.windows)
	}
	if d := r.outages.windows[0].DurationMS; d != firstP1.Sub(start).Milliseconds() {
		t.Errorf("p1's part ends after %d ms, want %d: the first of the healthy reads after the flicker", d, firstP1.Sub(start).Milliseconds())
	}
	r.outageRead("p2", target("p2", "AVAILABLE")) // seen, not confirmed
	lastP2 := env.clock.Now()
	step()
	got := r.outageSummary()
	if len(got) != 1 || got[0].Open || !got[0].End().Equal(lastP2) || got[0].Cause != contract.OutageCriticalSection || len(got[0].Proxies) != 2 {
		t.Errorf("summary %+v: want one closed critical-section window of p1 and p2 ending at p2's healthy read %s", got, lastP2)
	}
	if !firstP1.Before(lastP2) || !got[0].Start.Equal(start) {
		t.Errorf("window starts %s, want %s", got[0].Start, start)
	}
	recs, _ := journal.Read(j.Path())
	if ws := journal.Fold(recs).Outages; len(ws) != 1 || ws[0].Open || ws[0].DurationMS != got[0].DurationMS {
		t.Errorf("journal folds to %+v", ws)
	}
}

// A period in which the proxy could not be read is unknown, never empty
// and never 0 s (issue 20): the window says how much of it was unread,
// and compensation's words say "unknown" where no read showed it empty.
func TestOutageBookSaysWhatItCouldNotRead(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	eng := env.engine(t, contract.Options{Source: "orders-db"})
	j, err := journal.Open(journal.Path(env.stateDir, "orders-db"), env.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r := &run{e: eng, journal: j, proxies: []contract.ProxyRegistration{{Proxy: "p1"}}}
	healthy := []awsclient.ProxyTarget{{ProxyName: "p1", RdsResourceID: "orders-db", Type: "RDS_INSTANCE", Health: awsclient.TargetHealth{State: "AVAILABLE"}}}

	// Never emptied, never read: not "empty for 0s".
	r.outageUnread("p1")

	env.clock.Advance(90 * time.Second)
	if w := r.emptyWords(); !strings.Contains(w, "unknown") || strings.Contains(w, "EMPTY") {
		t.Errorf("words for an unread proxy: %q", w)
	}
	if r.outages.empty() {
		t.Error("an unread proxy counted as empty")
	}
	r.outageRead("p1", healthy)
	if len(r.outages.windows) != 0 {
		t.Fatalf("windows %+v for a proxy that was only unread", r.outages.windows)
	}

	// Emptied by rdsbg, then unread for two minutes inside the window.
	r.setCurrent(contract.StepDetachProxyBlue)
	r.outageEmptied("p1")
	start := env.clock.Now()
	env.clock.Advance(10 * time.Second)
	r.outageRead("p1", nil)
	r.outageUnread("p1")
	env.clock.Advance(2 * time.Minute)
	r.outageRead("p1", nil)
	if w := r.emptyWords(); !strings.Contains(w, "EMPTY for 2m10s") {
		t.Errorf("words for an emptied proxy: %q", w)
	}
	env.clock.Advance(5 * time.Second)
	for range 3 {
		r.outageRead("p1", healthy)
		env.clock.Advance(time.Second)
	}
	ws := r.outageSummary()
	if len(ws) != 1 || ws[0].Open || ws[0].UnknownMS != (2*time.Minute).Milliseconds() || !ws[0].Start.Equal(start) {
		t.Fatalf("windows %+v: want one closed window with 2m00s unread", ws)
	}
	if h := contract.OutageHeadline(ws); !strings.Contains(h, "2m00s of it unread") || !strings.Contains(h, "critical section 2m15s") {
		t.Errorf("headline %q", h)
	}
	if l := contract.OutageLine(ws[0]); !strings.Contains(l, "2m00s of it unread: AWS could not be read") {
		t.Errorf("line %q", l)
	}
}
