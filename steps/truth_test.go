package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/awsclient/simtest/simtruth"
)

// The truth oracle, headless (docs/truth.md; issue 21): every event that
// states something about the present is checked against the simulator at
// the moment it is sent. The engine is held inside its sink while AWS is
// read (through a client of its own), so nothing moves between the claim
// and the check. The wizard's frames are checked the same way in
// ui/truth_test.go.

// Claims the oracle checks (docs/truth.md lists them in words).
const (
	claimTrafficServing = "traffic: a proxy shown serving serves the source, AVAILABLE"
	claimTrafficEmpty   = "traffic: a proxy shown EMPTY does not serve the source"
	claimTrafficRole    = "traffic: the role label is the world's (new primary only after the switchover)"
	claimClients        = "traffic: clients only while serving, and with their minute"
	claimQuestion       = "questions: none waits while a proxy is empty (but --max-proxy-outage's and abort's)"
	claimSwitchoverDone = "step outcome: switchover done only when AWS completed it"
	claimSwitchoverFail = "step outcome: switchover failed only when AWS did not complete it"
	claimFinishProxy    = "finish: the proxy state is AWS's"
	claimFinishLeft     = "finish: every leftover exists, and every one that exists is listed"
	claimFinishOutage   = "finish: the headline is the windows' total, the critical share their critical windows, none 0 s"
	claimFinishTimeline = "finish: the switchover's timeline outcome is AWS's"
)

type truthOracle struct {
	t       *testing.T
	env     *engineEnv
	api     *awsclient.Client // the oracle's own, on a clock of its own
	src     Source
	proxies []string
	next    Sink

	mu      sync.Mutex
	checked map[string]int
	events  int
	fin     *Finished
	// untrue records a claim that failed (t.Errorf unless a test of the
	// oracle itself collects them).
	untrue func(msg string)
}

func newTruthOracle(t *testing.T, env *engineEnv, source string) *truthOracle {
	t.Helper()
	d := env.discover(t, source)
	// A client on a clock of its own: its pacing must never move the
	// simulator's time between a claim and its check.
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: env.srv.URL, Region: simtest.Region, Simulator: true,
		HTTPClient: env.srv.Client(), Clock: clock.NewVirtual(simtest.Start)})
	if err != nil {
		t.Fatal(err)
	}
	o := &truthOracle{t: t, env: env, api: api, src: d.Source, next: env.events.sink, checked: map[string]int{}}
	o.untrue = func(msg string) { t.Helper(); t.Error(msg) }
	for _, p := range d.Proxies {
		o.proxies = append(o.proxies, p.Proxy)
	}
	return o
}

// engine is an engine whose events pass through the oracle.
func (o *truthOracle) engine(opts Options, approver Approver, giveUp <-chan struct{}, until string) *Engine {
	o.t.Helper()
	eng, err := New(Config{API: o.env.client, Calls: o.env.calls, Clock: o.env.clock, StateDir: o.env.stateDir, Approver: approver,
		Sink: o.sink, Options: opts, GiveUp: giveUp, Until: until})
	if err != nil {
		o.t.Fatal(err)
	}
	return eng
}

func (o *truthOracle) truth() simtruth.Truth {
	o.t.Helper()
	tr, err := simtruth.Read(context.Background(), o.api, o.src.ID, o.src.ResourceID, o.proxies)
	if err != nil {
		o.t.Fatalf("oracle: reading the simulator: %v", err)
	}
	return tr
}

func (o *truthOracle) claim(name string, ok bool, format string, args ...any) {
	o.t.Helper()
	o.checked[name]++
	if !ok {
		o.untrue(fmt.Sprintf("UNTRUE (%s): %s", name, fmt.Sprintf(format, args...)))
	}
}

// sink checks ev, then passes it on. It runs on the engine's goroutine:
// the engine waits while the simulator is read.
func (o *truthOracle) sink(ev Event) {
	o.mu.Lock()
	o.events++
	switch ev.Type {
	case EventProxyTraffic, EventApproval, EventStepDone, EventStepSkipped, EventStepFailed, EventRunFinished:
		o.check(ev, o.truth())
	}
	o.mu.Unlock()
	o.next(ev)
}

func (o *truthOracle) check(ev Event, tr simtruth.Truth) {
	o.t.Helper()
	switch ev.Type {
	case EventProxyTraffic:
		for _, p := range ev.Traffic.Proxies {
			px := tr.Proxies[p.Proxy]
			if p.EmptySince == nil {
				o.claim(claimTrafficServing, px.Serving, "%s shown serving (%s %s) while AWS lists %+v", p.Proxy, p.Target, p.Health, px.Entries)
			} else {
				o.claim(claimTrafficEmpty, !px.Serving, "%s shown EMPTY while AWS lists it serving %+v", p.Proxy, px.Entries)
			}
			if strings.EqualFold(p.Target, o.src.ID) {
				want := ServesBlue
				if tr.Switched {
					want = ServesNewPrimary
				}
				o.claim(claimTrafficRole, p.Serves == want, "%s → %s labelled %q while AWS says switched=%v", p.Proxy, p.Target, p.Serves, tr.Switched)
			}
			o.claim(claimClients, p.Clients == nil || (p.EmptySince == nil && p.ClientsAt != nil), "%s shows %v clients (at %v) while empty since %v", p.Proxy, p.Clients, p.ClientsAt, p.EmptySince)
		}
	case EventApproval:
		a := ev.Approval
		if a.Kind == "proxy-outage" || a.Step == "abort" {
			return // allowed while empty: --max-proxy-outage's own question; abort exists to restore a proxy
		}
		o.claim(claimQuestion, !tr.Empty(), "question %q (%s) waits while a proxy has no serving target: %+v", a.Title, a.Kind, tr.Proxies)
	case EventStepDone:
		if ev.Step == StepSwitchover {
			o.claim(claimSwitchoverDone, tr.Switched, "switchover shown done while AWS says %+v", tr.Deployment)
		}
	case EventStepSkipped:
		if ev.Step == StepSwitchover && ev.StepOutcome == SkippedAlreadyDone {
			o.claim(claimSwitchoverDone, tr.Switched, "switchover shown already done while AWS says %+v", tr.Deployment)
		}
	case EventStepFailed:
		if ev.Step == StepSwitchover && ev.StepOutcome == "failed" {
			o.claim(claimSwitchoverFail, !tr.Switched, "switchover shown FAILED while AWS completed it")
		}
	case EventRunFinished:
		f := *ev.Finished
		o.fin = &f
		o.checkFinish(f, tr)
	}
}

func (o *truthOracle) checkFinish(f Finished, tr simtruth.Truth) {
	o.t.Helper()
	switch f.ProxyState {
	case ProxyOnBlue:
		o.claim(claimFinishProxy, !tr.Empty() && !tr.Switched, "finished %q while AWS: empty=%v switched=%v", f.ProxyState, tr.Empty(), tr.Switched)
	case ProxyOnNewPrimary:
		o.claim(claimFinishProxy, !tr.Empty() && tr.Switched, "finished %q while AWS: empty=%v switched=%v", f.ProxyState, tr.Empty(), tr.Switched)
	case ProxyEmpty:
		o.claim(claimFinishProxy, tr.Empty(), "finished %q while AWS serves: %+v", f.ProxyState, tr.Proxies)
	case ProxyNotUsed:
		o.claim(claimFinishProxy, len(o.proxies) == 0, "finished %q with proxies %v", f.ProxyState, o.proxies)
	}
	if !f.LeftoversUnknown && f.Outcome != OutcomeBlocked {
		o.claim(claimFinishLeft, true, "") // checked, whatever the count below
		listed := map[string]string{}
		for _, l := range f.Leftovers {
			listed[strings.ToLower(l.ID)] = l.Kind
			switch l.Kind {
			case "deployment":
				o.claim(claimFinishLeft, tr.Deployment != nil && tr.Deployment.ID == l.ID, "leftover deployment %s while AWS lists %+v", l.ID, tr.Deployment)
				if strings.Contains(l.Note, "blue is still production") {
					o.claim(claimFinishLeft, !tr.Switched, "'blue is still production' while AWS says switched")
				}
			case "green", "old-blue":
				_, ok := tr.Resources[l.ID]
				o.claim(claimFinishLeft, ok, "leftover %s %s does not exist", l.Kind, l.ID)
			}
		}
		if tr.Deployment != nil {
			_, ok := listed[strings.ToLower(tr.Deployment.ID)]
			o.claim(claimFinishLeft, ok, "AWS holds deployment %s (%s), not listed in %+v", tr.Deployment.ID, tr.Deployment.Status, f.Leftovers)
		}
		for id := range tr.Resources {
			if o.copyOfSource(id) {
				_, ok := listed[strings.ToLower(id)]
				o.claim(claimFinishLeft, ok, "AWS holds %s (%s), not listed in %+v", id, tr.Resources[id], f.Leftovers)
			}
		}
	}
	var total, crit int64
	for _, w := range f.ProxyOutages {
		total += w.DurationMS
		if w.Cause == OutageCriticalSection {
			crit += w.DurationMS
		}
		o.claim(claimFinishOutage, w.Open || w.DurationMS > 0, "a closed window of 0 s: %+v", w)
	}
	o.claim(claimFinishOutage, f.ProxyOutageTotalMS == total && f.ProxylessWindowMS == crit,
		"headline %d ms (critical %d ms), windows add to %d (critical %d)", f.ProxyOutageTotalMS, f.ProxylessWindowMS, total, crit)
	for _, te := range f.Timeline {
		if te.Step == StepSwitchover {
			done := te.Outcome == "done" || te.Outcome == SkippedAlreadyDone
			o.claim(claimFinishTimeline, done == tr.Switched, "switchover's timeline says %q while AWS says switched=%v", te.Outcome, tr.Switched)
		}
	}
}

// copyOfSource: a green or old-blue copy of the source or of one of its
// members.
func (o *truthOracle) copyOfSource(id string) bool {
	for _, base := range append([]string{o.src.ID}, o.src.Members...) {
		l, b := strings.ToLower(id), strings.ToLower(base)
		if strings.HasPrefix(l, b+"-green-") || (strings.HasPrefix(l, b+"-old") && len(l) > len(b)+4 && strings.Trim(l[len(b)+4:], "0123456789") == "") {
			return true
		}
	}
	return false
}

// report logs what was checked and fails when a claim that the run must
// have made was never checked (an oracle that checks nothing proves
// nothing).
func (o *truthOracle) report(must ...string) {
	o.t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	var names []string
	for k, n := range o.checked {
		names = append(names, fmt.Sprintf("%d× %s", n, k))
	}
	sort.Strings(names)
	o.t.Logf("%d events; checked: %s", o.events, strings.Join(names, "; "))
	for _, m := range must {
		if o.checked[m] == 0 {
			o.t.Errorf("the oracle never checked %q", m)
		}
	}
}

// A scenario of the headless matrix: what to run and what the oracle must
// have checked.
type truthCase struct {
	name     string
	scenario string
	source   string
	opts     Options
	// drive runs it (the first run, then any resume or abort).
	drive func(t *testing.T, o *truthOracle)
	must  []string
}

func truthCases() []truthCase {
	legacy := Options{Source: "orders-db", ProxyMode: ProxyModeDetach, TargetEngineVersion: "16.4", Cleanup: CleanupDeployment}
	traffic := []string{claimTrafficServing, claimTrafficEmpty, claimTrafficRole, claimQuestion, claimFinishProxy, claimFinishLeft, claimFinishOutage}
	run := func(opts Options) func(t *testing.T, o *truthOracle) {
		return func(t *testing.T, o *truthOracle) {
			f, err := o.engine(opts, o.env.approver, nil, "").Run(context.Background())
			if err != nil || f.Outcome != OutcomeDone {
				t.Fatalf("run: %s %v", f.Outcome, err)
			}
		}
	}
	return []truthCase{
		{name: "legacy detach to done", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db", drive: run(legacy),
			must: append(traffic, claimSwitchoverDone, claimFinishTimeline)},
		{name: "legacy auto falls back to detach", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db",
			drive: run(Options{Source: "orders-db", Cleanup: CleanupOldBlue}), must: append(traffic, claimSwitchoverDone)},
		{name: "native to done", scenario: sim.ScenarioRDSMySQLNative, source: "shop-db",
			drive: run(Options{Source: "shop-db", ProxyMode: ProxyModeNative}), must: []string{claimTrafficServing, claimTrafficRole, claimQuestion, claimFinishProxy, claimSwitchoverDone}},
		{name: "aurora detach to done", scenario: sim.ScenarioAuroraPostgres, source: "ledger-cluster",
			drive: run(Options{Source: "ledger-cluster", ProxyMode: ProxyModeDetach}), must: append(traffic, claimSwitchoverDone)},
		{name: "aurora global auto", scenario: sim.ScenarioAuroraGlobal, source: "payments-cluster",
			drive: run(Options{Source: "payments-cluster"}), must: append(traffic, claimSwitchoverDone)},
		{name: "mariadb without a proxy", scenario: sim.ScenarioRDSMariaDBNoProxy, source: "catalog-db",
			drive: run(Options{Source: "catalog-db", Cleanup: CleanupNone}), must: []string{claimFinishProxy, claimFinishLeft, claimSwitchoverDone}},
		{name: "ctrl+c in the critical section, then resume", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db",
			drive: func(t *testing.T, o *truthOracle) {
				ctx, cancel := context.WithCancel(context.Background())
				o.env.events.hook = func(ev Event) {
					if ev.Type == EventAPICall && ev.Call != nil && ev.Call.Operation == "SwitchoverBlueGreenDeployment" {
						cancel() // the operator's Ctrl+C, right after AWS accepted the switchover
					}
				}
				f, _ := o.engine(legacy, o.env.approver, nil, "").Run(ctx)
				o.env.events.hook = nil
				if f.ExitCode != ExitInterrupted && f.Outcome != OutcomeInterrupted {
					t.Logf("first run ended %s (exit %d)", f.Outcome, f.ExitCode)
				}
				f, err := o.engine(Options{Source: "orders-db"}, o.env.approver, nil, "").Resume(context.Background())
				if err != nil || f.Outcome != OutcomeDone {
					t.Fatalf("resume: %s %v", f.Outcome, err)
				}
			},
			must: append(traffic, claimFinishTimeline)},
		{name: "crash right after the detach, then resume", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db",
			drive: func(t *testing.T, o *truthOracle) {
				// The process dies with the proxy empty before the create
				// call; the resumed run must not ask before it refills it.
				k := 0
				o.env.events.hook = func(ev Event) {
					if ev.Type == EventProxyTraffic && ev.Traffic.Empty() && k == 0 {
						k = 1
					}
				}
				eng := o.engine(legacy, o.env.approver, nil, "")
				crashed := false
				eng.journalHook = func() {
					if k == 1 {
						k = 2
						panic(crashSignal{})
					}
				}
				func() {
					defer func() {
						if p := recover(); p != nil {
							if _, ok := p.(crashSignal); !ok {
								panic(p)
							}
							crashed = true
						}
					}()
					_, _ = eng.Run(context.Background())
				}()
				o.env.events.hook = nil
				if !crashed {
					t.Fatal("no crash after the detach")
				}
				f, err := o.engine(Options{Source: "orders-db"}, o.env.approver, nil, "").Resume(context.Background())
				if err != nil || f.Outcome != OutcomeDone {
					t.Fatalf("resume: %s %v", f.Outcome, err)
				}
			},
			must: append(traffic, claimFinishTimeline)},
		{name: "native switchover and two SIGTERMs", scenario: sim.ScenarioRDSMySQLNative, source: "shop-db",
			drive: func(t *testing.T, o *truthOracle) {
				ctx, cancel := context.WithCancel(context.Background())
				giveUp := make(chan struct{})
				o.env.events.hook = func(ev Event) {
					if ev.Type == EventAPICall && ev.Call != nil && ev.Call.Operation == "SwitchoverBlueGreenDeployment" {
						cancel()
						close(giveUp) // the second SIGTERM at once
					}
				}
				f, _ := o.engine(Options{Source: "shop-db", ProxyMode: ProxyModeNative}, o.env.approver, giveUp, "").Run(ctx)
				o.env.events.hook = nil
				if strings.Contains(f.ProxyState, ProxyEmpty) && !o.truth().Empty() {
					t.Errorf("the run ended saying the proxy is EMPTY while AWS lists it serving")
				}
			},
			must: []string{claimFinishProxy, claimQuestion}},
		{name: "abort during provisioning", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db",
			drive: func(t *testing.T, o *truthOracle) {
				f, err := o.engine(legacy, o.env.approver, nil, UntilReady).Run(context.Background())
				if err != nil || f.Outcome != OutcomeReady {
					t.Fatalf("run until ready: %s %v", f.Outcome, err)
				}
				f, err = o.engine(Options{Source: "orders-db"}, o.env.approver, nil, "").Abort(context.Background())
				if err != nil || f.Outcome != OutcomeRolledBack {
					t.Fatalf("abort: %s %v", f.Outcome, err)
				}
			},
			must: append(traffic, claimFinishLeft)},
	}
}

// declineCases decline the k-th question of a legacy detach run, for every
// k the run asks: each stop is checked like any other end.
func declineCases(n int) []truthCase {
	legacy := Options{Source: "orders-db", ProxyMode: ProxyModeDetach, Cleanup: CleanupDeployment}
	var out []truthCase
	for k := 1; k <= n; k++ {
		k := k
		out = append(out, truthCase{name: fmt.Sprintf("decline question %d", k), scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db",
			drive: func(t *testing.T, o *truthOracle) {
				asked := 0
				o.env.approver.decide = func(a Approval) (Decision, bool) {
					asked++
					if asked == k {
						return DecisionDecline, true
					}
					return "", false
				}
				f, _ := o.engine(legacy, o.env.approver, nil, "").Run(context.Background())
				if asked < k {
					t.Logf("the run asked %d questions only (ended %s)", asked, f.Outcome)
				}
			},
			must: []string{claimQuestion, claimFinishProxy, claimFinishOutage}})
	}
	return out
}

func TestTruthOracleHeadless(t *testing.T) {
	all := append(truthCases(), declineCases(4)...)
	cases := spread(all, 6)
	if longMatrices() {
		cases = all
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: c.scenario})
			o := newTruthOracle(t, env, c.source)
			c.drive(t, o)
			o.report(c.must...)
		})
	}
}

// The oracle can fail: a claim that contradicts the simulator is caught.
func TestTruthOracleCatchesAnUntruth(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	o := newTruthOracle(t, env, "orders-db")
	var untrue []string
	o.untrue = func(msg string) { untrue = append(untrue, msg) }
	since := time.Now()
	// The walkthrough's U6 and U3: a serving proxy shown EMPTY with 45
	// clients, and "new primary" before any switchover.
	n := 45.0
	o.check(Event{Type: EventProxyTraffic, Traffic: &ProxyTraffic{Proxies: []ProxyServing{
		{Proxy: "orders-proxy", EmptySince: &since, Clients: &n},
		{Proxy: "orders-proxy", Target: "orders-db", Serves: ServesNewPrimary, Health: "AVAILABLE"},
	}}}, o.truth())
	// U7: a headline below its windows; U4: "blue is still production"
	// beside a deployment AWS does not hold.
	o.checkFinish(Finished{ProxyState: ProxyOnNewPrimary, ProxyOutages: []OutageWindow{{DurationMS: 57000, Cause: OutageCriticalSection}},
		Leftovers: []Leftover{{Kind: "deployment", ID: "bgd-none", Note: "blue/green deployment; blue is still production"}}}, o.truth())
	for _, want := range []string{claimTrafficEmpty, claimTrafficRole, claimClients, claimFinishOutage, claimFinishProxy, claimFinishLeft} {
		found := false
		for _, u := range untrue {
			found = found || strings.Contains(u, want)
		}
		if !found {
			t.Errorf("the oracle let through an untruth about %q; it said: %q", want, untrue)
		}
	}
}

// Walkthrough U16 and U14, in the engine's own words: status says RUNNING
// while another process holds the lock (not "resume continues it", which
// the lock would refuse), and abort on a database without a proxy says
// nothing about a proxy.
func TestStatusWhileLockedAndAbortWithoutAProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	f, err := env.engineWith(t, Options{Source: "catalog-db"}, env.approver, UntilReady).Run(context.Background())
	if err != nil || f.Outcome != OutcomeReady {
		t.Fatalf("run until ready: %s %v", f.Outcome, err)
	}
	held, err := acquireLock(env.stateDir, "catalog-db")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Status(context.Background(), env.api, env.stateDir, "catalog-db")
	held.release()
	if err != nil || !rep.Running || !strings.Contains(rep.Text(), "RUNNING now in another rdsbg process") || strings.Contains(rep.Text(), "`rdsbg resume` continues it") {
		t.Errorf("status while locked: %v\n%s", err, rep.Text())
	}
	if rep, _ := Status(context.Background(), env.api, env.stateDir, "catalog-db"); rep.Running {
		t.Error("status says RUNNING with the lock free")
	}
	f, err = env.engine(t, Options{Source: "catalog-db"}).Abort(context.Background())
	if err != nil || f.Outcome != OutcomeRolledBack || f.ProxyState != ProxyNotUsed {
		t.Fatalf("abort: %s %s %v", f.Outcome, f.ProxyState, err)
	}
	for _, ev := range env.events.ofType(EventCompensation) {
		if strings.Contains(ev.Message, "proxy") {
			t.Errorf("abort without a proxy says %q", ev.Message)
		}
	}
}
