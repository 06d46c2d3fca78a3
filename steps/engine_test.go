package steps

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// scriptedApprover records every approval's text and answers from a
// script keyed by Kind (default: approve). Like lazygit's tests it refuses
// to answer an approval whose text is empty: the text an operator approves
// is under test.
type scriptedApprover struct {
	mu      sync.Mutex
	t       *testing.T
	answers map[string]contract.Decision
	seen    []contract.Approval
	onAsk   func(a contract.Approval) // e.g. cancel the run's context
	// decide, when set and it answers, overrides answers for this approval.
	decide func(a contract.Approval) (contract.Decision, bool)
}

func (s *scriptedApprover) Approve(ctx context.Context, a contract.Approval) (contract.Decision, error) {
	s.mu.Lock()
	s.seen = append(s.seen, a)
	s.mu.Unlock()
	if strings.TrimSpace(a.Title) == "" || strings.TrimSpace(a.Text) == "" {
		s.t.Errorf("approval %s/%s has no text to show the operator", a.Kind, a.Step)
	}
	if s.onAsk != nil {
		s.onAsk(a)
	}
	if s.decide != nil {
		if d, ok := s.decide(a); ok {
			return d, nil
		}
	}
	if d, ok := s.answers[a.Kind]; ok {
		return d, nil
	}
	return contract.DecisionApprove, nil
}

func (s *scriptedApprover) kinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, a := range s.seen {
		out = append(out, a.Kind)
	}
	return out
}

// eventLog records every event; with a guard, it stops a runaway run.
type eventLog struct {
	mu     sync.Mutex
	events []contract.Event
	hook   func(contract.Event)
	guard  *runawayGuard
	clock  func() time.Time
}

func (l *eventLog) sink(ev contract.Event) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	hook, n := l.hook, len(l.events)
	l.mu.Unlock()
	if l.guard != nil {
		l.guard.check(l.clock(), n)
	}
	if hook != nil {
		hook(ev)
	}
}

func (l *eventLog) ofType(t contract.EventType) []contract.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []contract.Event
	for _, ev := range l.events {
		if ev.Type == t {
			out = append(out, ev)
		}
	}
	return out
}

// engineEnv is a simulator env plus a client that feeds a call log, a
// state dir, an approver and an event log.
type engineEnv struct {
	*simEnv
	calls    *awsclient.CallLog
	client   *awsclient.Client
	stateDir string
	approver *scriptedApprover
	events   *eventLog
	runaway  *runawayGuard
}

// runawayGuard ends a run that the virtual clock would carry on for ever.
// A loop that waits advances the virtual clock, so a run that never ends
// (compensation retrying what AWS will never accept, say) shows as
// simulated time running away, and as memory: every attempt adds events
// and audit records. Past runawayHorizon of simulated time the test fails
// and compensation is stopped as the operator would stop it (GiveUp);
// past twice the horizon, or runawayEvents events, the test binary stops
// before it can eat the machine's memory.
type runawayGuard struct {
	errorf  func(format string, args ...any) // the test's Errorf
	name    string
	start   time.Time
	horizon time.Duration
	once    sync.Once
	giveUp  chan struct{}
}

const (
	runawayHorizon = 7 * 24 * time.Hour
	runawayEvents  = 1_000_000
)

func newRunawayGuard(t *testing.T, start time.Time) *runawayGuard {
	return &runawayGuard{errorf: t.Errorf, name: t.Name(), start: start, horizon: runawayHorizon, giveUp: make(chan struct{})}
}

func (g *runawayGuard) check(now time.Time, events int) {
	ran := now.Sub(g.start)
	if ran > g.horizon || events > runawayEvents {
		g.once.Do(func() {
			g.errorf("runaway run: %s of simulated time and %d events without an end; stopping compensation (a loop retries something that never changes?)", ran.Round(time.Minute), events)
			close(g.giveUp)
		})
	}
	if ran > 2*g.horizon || events > 2*runawayEvents {
		panic(fmt.Sprintf("runaway run in %s: %s of simulated time and %d events, and it did not stop when compensation was stopped", g.name, ran.Round(time.Minute), events))
	}
}

func newEngineEnv(t *testing.T, o sim.Options) *engineEnv {
	t.Helper()
	return newEngineEnvIn(t, o, memoryTempDir(t)) // the journal's fsyncs are not what these tests test
}

// newEngineEnvIn is newEngineEnv with its journal in stateDir. It does not
// touch the environment (TestMain isolated the process), so parallel
// tests may use it.
func newEngineEnvIn(t *testing.T, o sim.Options, stateDir string) *engineEnv {
	t.Helper()
	s := simtest.NewServer(t, o)
	calls := awsclient.NewCallLog()
	guard := newRunawayGuard(t, s.Clock.Now())
	return &engineEnv{simEnv: &simEnv{api: simClient(t, s, nil), sim: s.Sim, clock: s.Clock, srv: s.HTTP},
		calls: calls, client: simClient(t, s, calls), stateDir: stateDir,
		approver: &scriptedApprover{t: t, answers: map[string]contract.Decision{}}, events: &eventLog{guard: guard, clock: s.Clock.Now}, runaway: guard}
}

func (e *engineEnv) engine(t *testing.T, o contract.Options) *Engine {
	t.Helper()
	return e.engineCfg(t, o, nil)
}

// engineCfg is engine with the Config changed by with (--adopt,
// --take-over, another process's identity).
func (e *engineEnv) engineCfg(t *testing.T, o contract.Options, with func(*Config)) *Engine {
	t.Helper()
	cfg := Config{API: e.client, Calls: e.calls, Clock: e.clock, StateDir: e.stateDir, Approver: e.approver, Sink: e.events.sink, Options: o}
	if with != nil {
		with(&cfg)
	}
	if cfg.GiveUp == nil {
		cfg.GiveUp = e.runaway.giveUp
	}
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// journal reads the source's journal.
func (e *engineEnv) journal(t *testing.T, source string) []journal.Record {
	t.Helper()
	recs, err := journal.Read(newestJournal(e.stateDir, source))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// stepOrder lists the steps in the order the journal says they finished.
func stepOrder(recs []journal.Record, state string) []contract.StepID {
	var out []contract.StepID
	for _, r := range recs {
		if r.Kind == journal.RecordStep && r.State == state {
			out = append(out, r.Step)
		}
	}
	return out
}

// proxyTargetsOf reads one proxy's targets straight from the simulator's
// API.
func (e *engineEnv) proxyTargetsOf(t *testing.T, proxy string) []awsclient.ProxyTarget {
	t.Helper()
	ts, err := e.api.DescribeProxyTargets(context.Background(), proxy)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// healthyOn asserts that every listed proxy has the source registered and
// AVAILABLE.
func (e *engineEnv) assertProxyHealthy(t *testing.T, src contract.Source, proxies ...string) {
	t.Helper()
	for _, p := range proxies {
		mine := src.Entries(e.proxyTargetsOf(t, p))
		if len(mine) == 0 {
			t.Errorf("proxy %s has no target for %s", p, src.ID)
		}
		for _, tg := range mine {
			if tg.Health.State != "AVAILABLE" {
				t.Errorf("proxy %s target %s is %s, want AVAILABLE", p, tg.RdsResourceID, tg.Health.State)
			}
		}
	}
}

func TestRunScenarios(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	detachSteps := []contract.StepID{contract.StepDetachProxy, contract.StepCreateDeployment, contract.StepAttachProxyBlue, contract.StepDetachProxyBlue, contract.StepSwitchover, contract.StepAttachProxyPrimary}
	cases := []struct {
		scenario   string
		source     string
		kind       string
		opts       contract.Options
		regime     contract.Regime
		proxies    []string
		wantSteps  []contract.StepID // in this order among the done steps
		proxyState string
		old        string // the old primary's name after the switchover
	}{
		{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.KindInstance, contract.Options{ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}, contract.RegimeDetach,
			[]string{"orders-proxy"}, detachSteps, contract.ProxyOnNewPrimary, "orders-db-old1"},
		{sim.ScenarioRDSMySQLNative, "shop-db", contract.KindInstance, contract.Options{ProxyMode: contract.ProxyModeAuto}, contract.RegimeNative,
			[]string{"shop-proxy"}, []contract.StepID{contract.StepCreateDeployment, contract.StepSwitchover, contract.StepVerify}, contract.ProxyOnNewPrimary, "shop-db-old1"},
		{sim.ScenarioAuroraPostgres, "ledger-cluster", contract.KindCluster, contract.Options{ProxyMode: contract.ProxyModeDetach}, contract.RegimeDetach,
			[]string{"ledger-proxy"}, detachSteps, contract.ProxyOnNewPrimary, "ledger-cluster-old1"},
		{sim.ScenarioAuroraGlobal, "payments-cluster", contract.KindCluster, contract.Options{ProxyMode: contract.ProxyModeAuto}, contract.RegimeDetach,
			[]string{"payments-proxy"}, detachSteps, contract.ProxyOnNewPrimary, "payments-cluster-old1"},
		{sim.ScenarioRDSMariaDBNoProxy, "catalog-db", contract.KindInstance, contract.Options{}, contract.RegimeNone,
			nil, []contract.StepID{contract.StepCreateDeployment, contract.StepSwitchover, contract.StepVerify, contract.StepCleanup}, contract.ProxyNotUsed, "catalog-db-old1"},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: c.scenario})
			o := c.opts
			o.Source = c.source
			f, err := env.engine(t, o).Run(context.Background())
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if f.Outcome != contract.OutcomeDone || f.ExitCode != contract.ExitOK || f.ProxyState != c.proxyState {
				t.Errorf("finished %s exit %d proxy %s, want done 0 %s", f.Outcome, f.ExitCode, f.ProxyState, c.proxyState)
			}
			plans := env.events.ofType(contract.EventPlanReady)
			if len(plans) == 0 || plans[len(plans)-1].Plan.Regime != c.regime {
				t.Fatalf("regime: want %s, plan events %d", c.regime, len(plans))
			}
			recs := env.journal(t, c.source)
			done := stepOrder(recs, journal.StepStateDone)
			if !inOrder(done, c.wantSteps) {
				t.Errorf("journal done steps %v, want %v in this order", done, c.wantSteps)
			}
			src := plans[len(plans)-1].Plan.Source
			env.assertProxyHealthy(t, src, c.proxies...)
			if f.Renames[c.source] != c.old {
				t.Errorf("renames %v: want %s → %s", f.Renames, c.source, c.old)
			}
			if c.kind == contract.KindInstance {
				if _, err := env.api.DescribeInstance(context.Background(), c.old); err != nil {
					t.Errorf("old primary %s: %v", c.old, err)
				}
			} else if _, err := env.api.DescribeCluster(context.Background(), c.old); err != nil {
				t.Errorf("old cluster %s: %v", c.old, err)
			}
			if n := env.sim.DeploymentsCreated(); n != 1 {
				t.Errorf("deployments created: %d, want 1", n)
			}
			if c.regime == contract.RegimeDetach && f.ProxylessWindowMS <= 0 {
				t.Errorf("the proxy-less window was not measured: %d ms", f.ProxylessWindowMS)
			}
			if c.regime != contract.RegimeDetach && f.ProxylessWindowMS != 0 {
				t.Errorf("regime %s reported a proxy-less window of %d ms", c.regime, f.ProxylessWindowMS)
			}
			if f.SwitchoverMS <= 0 {
				t.Errorf("switchover duration not measured")
			}
			if len(env.events.ofType(contract.EventAPICall)) == 0 {
				t.Errorf("no api-call events")
			}
			assertMutationsJournalled(t, recs)
			if runbook, err := os.ReadFile(f.RunbookPath); err != nil || !strings.Contains(string(runbook), "aws rds switchover-blue-green-deployment") {
				t.Errorf("runbook %q beside the journal: %v (has the switchover command: %v)", f.RunbookPath, err, strings.Contains(string(runbook), "switchover-blue-green-deployment"))
			}
			for _, a := range env.approver.seen {
				if a.Step == contract.StepAttachProxyBlue {
					t.Errorf("attach-proxy-blue asked the operator (%q): re-registering blue must not wait on a prompt while the proxy is empty", a.Title)
				}
			}
			if fin := env.events.ofType(contract.EventRunFinished); len(fin) != 1 || fin[0].Finished.Outcome != contract.OutcomeDone {
				t.Errorf("run-finished events: %+v", fin)
			}
		})
	}
}

// inOrder reports whether want appears in got as a subsequence.
func inOrder(got, want []contract.StepID) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// assertMutationsJournalled: every mutating call has a request id in the
// journal, after a "started" record of its step.
func assertMutationsJournalled(t *testing.T, recs []journal.Record) {
	t.Helper()
	started := map[contract.StepID]bool{}
	n := 0
	for _, r := range recs {
		if r.Kind == journal.RecordStep && r.State == journal.StepStateStarted {
			started[r.Step] = true
		}
		if r.Kind == journal.RecordMutation {
			n++
			if r.RequestID == "" {
				t.Errorf("mutation %s without a request id", r.Operation)
			}
			if r.Step != "" && !started[r.Step] && r.Step != "abort" {
				t.Errorf("mutation %s of step %s journalled before the step started", r.Operation, r.Step)
			}
		}
	}
	if n == 0 {
		t.Errorf("no mutation records in the journal")
	}
}

// newestJournal is the source's journal: the current one, else the newest
// archive (a run that ended for good is archived, journal.go).
func newestJournal(stateDir, source string) string {
	p := journal.Path(stateDir, source)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if a := journal.LatestArchive(stateDir, source); a != "" {
		return a
	}
	return p
}
