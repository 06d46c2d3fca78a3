package fleet

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// harness is a fleet simulator (fleet:N) on a virtual clock with one AWS
// profile per account, as an operator's ~/.aws/config would have.
type harness struct {
	srv     *simtest.Server
	connect Connect
}

func newHarness(t testing.TB, n int) *harness {
	t.Helper()
	simtest.IsolateAWSEnv(t)
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(sim.FleetAWSConfig()), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := simtest.NewServer(t, sim.Options{Scenario: "fleet:" + strconv.Itoa(n), Seed: 7})
	base := awsclient.Options{EndpointURL: srv.URL, HTTPClient: srv.HTTPClient(), Clock: srv.Clock, MaxAttempts: 8}
	return &harness{srv: srv, connect: Connector(base)}
}

func defaultSelection() Selection {
	return Selection{
		Profiles: []string{sim.FleetProfile(0), sim.FleetProfile(1)},
		Regions:  sim.FleetRegions(),
		Tags:     map[string]string{"env": "prod"},
		Upgrade:  UpgradeMinor,
		Options: contract.Options{ProxyMode: contract.ProxyModeAuto, Cleanup: contract.CleanupDeployment,
			SwitchoverTimeout: contract.DefaultSwitchoverTimeout},
	}
}

func defaultPolicy() Policy {
	return Policy{Canaries: 1, WavePercents: []int{50, 50}, MaxConcurrency: 2, StopAfterFailures: 1, Budget: DefaultBudget, Bake: time.Minute}
}

func (h *harness) plan(t testing.TB, sel Selection, pol Policy) *Plan {
	t.Helper()
	p, err := BuildPlan(context.Background(), PlanConfig{Connect: h.connect, Clock: h.srv.Clock, ID: "fleet-test-1"}, sel, pol)
	if err != nil {
		t.Fatalf("BuildPlan: %v", err)
	}
	return p
}

func TestPlanSelectsAcrossAccountsAndRegionsAndListsBlocked(t *testing.T) {
	h := newHarness(t, 8)
	p := h.plan(t, defaultSelection(), defaultPolicy())
	if len(p.Targets) != 6 {
		t.Fatalf("targets %d, want 2 accounts × 3 Regions", len(p.Targets))
	}
	accounts := map[string]bool{}
	for _, tg := range p.Targets {
		accounts[tg.Account] = true
	}
	if !accounts["111111111111"] || !accounts["222222222222"] {
		t.Fatalf("accounts %v: the access keys did not reach their accounts", accounts)
	}
	if got := p.Runnable(); got != 8 {
		for _, d := range p.Databases {
			t.Logf("%s blocked=%v", d.Name(), d.Blocked)
		}
		t.Fatalf("runnable %d, want 8", got)
	}
	blocked := 0
	for _, d := range p.Databases {
		if len(d.Blocked) > 0 {
			blocked++
			if d.Wave != 0 || !strings.Contains(strings.Join(d.Blocked, " "), "backups") {
				t.Errorf("%s: wave %d, reasons %v", d.Name(), d.Wave, d.Blocked)
			}
		} else if d.Plan == nil || len(d.Checks) == 0 || d.TargetVersion == "" {
			t.Errorf("%s: no plan, checks or target", d.Name())
		}
	}
	if blocked != 1 {
		t.Fatalf("blocked %d, want the scenario's one", blocked)
	}
	if len(p.Waves) != 3 || len(p.Waves[0].Databases) != 1 {
		t.Fatalf("waves %+v, want canary + 2", p.Waves)
	}
	text := RenderText(p)
	if !strings.Contains(text, "Blocked") || !strings.Contains(text, "nobackup-1") {
		t.Fatalf("text plan does not list the blocked database:\n%s", text)
	}
	if md := RenderMarkdown(p); !strings.Contains(md, "| Account | Region | Database |") {
		t.Fatalf("markdown has no table:\n%s", md)
	}
	if muts := h.srv.Sim.Member("111111111111", "us-east-1").Mutations(); len(muts) != 0 {
		t.Fatalf("planning changed AWS: %v", muts)
	}
}

func TestPlanRegimesAndDetachOutageExpected(t *testing.T) {
	h := newHarness(t, 10)
	p := h.plan(t, defaultSelection(), defaultPolicy())
	regimes := map[contract.Regime]int{}
	for _, d := range p.Databases {
		if len(d.Blocked) == 0 {
			regimes[d.Regime]++
			if d.Regime == contract.RegimeDetach && d.ExpectedOutage == 0 {
				t.Errorf("%s: detach regime with no expected outage", d.Name())
			}
		}
	}
	if regimes[contract.RegimeNative] == 0 || regimes[contract.RegimeDetach] == 0 {
		t.Fatalf("regimes %v, want native and detach", regimes)
	}
}

// collector keeps the fleet's updates for assertions.
type collector struct {
	mu      sync.Mutex
	updates []Update
}

func (c *collector) sink(u Update) {
	c.mu.Lock()
	c.updates = append(c.updates, u)
	c.mu.Unlock()
}

func (c *collector) all() []Update {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Update(nil), c.updates...)
}

func (h *harness) run(t testing.TB, p *Plan, stateDir, until string, c *collector) Result {
	t.Helper()
	cfg := RunConfig{Connect: h.connect, Clock: h.srv.Clock, StateDir: stateDir, Until: until, Metrics: true}
	if c != nil {
		cfg.Sink = c.sink
	}
	r, err := NewRunner(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := r.Run(context.Background())
	for _, w := range res.Waves {
		for _, run := range w.Runs {
			if run.Error != "" {
				t.Logf("wave %d %s/%s: %s", w.Number, run.Target, run.Source, run.Error)
			}
		}
	}
	return res
}

// everyProxyServes reads every proxy of the fleet from the simulator and
// fails the test for one without an AVAILABLE target.
func (h *harness) everyProxyServes(t testing.TB, p *Plan) {
	t.Helper()
	st := ReadStatus(context.Background(), p, h.connect, h.srv.Clock, nil)
	for _, d := range st.Databases {
		if d.ProxyEmpty || d.Phase == PhaseUnknown {
			t.Errorf("%s/%s/%s: proxies %v (%s)", d.Account, d.Region, d.Source, d.Proxies, d.Error)
		}
	}
}

func TestFleetPreparesThenSwitchesOverWaveByWave(t *testing.T) {
	h := newHarness(t, 8)
	p := h.plan(t, defaultSelection(), defaultPolicy())
	dir := t.TempDir()
	c := &collector{}

	prep := h.run(t, p, dir, contract.UntilReady, c)
	if prep.Counts[StateReady] != p.Runnable() || prep.ExitCode() != 0 {
		t.Fatalf("prepare: counts %v, halted %q, want %d ready", prep.Counts, prep.Halted, p.Runnable())
	}
	h.everyProxyServes(t, p)

	// fleet status from another state directory (another machine): AWS
	// alone says every runnable database is ready.
	st := ReadStatus(context.Background(), p, h.connect, h.srv.Clock, nil)
	if st.Counts[PhaseReady] != p.Runnable() || st.Counts[PhaseBlocked] != len(p.Databases)-p.Runnable() {
		t.Fatalf("status after prepare: %v\n%s", st.Counts, st.Text())
	}

	res := h.run(t, p, dir, "", c)
	if res.Counts[StateDone] != p.Runnable() || res.ExitCode() != 0 {
		t.Fatalf("switchover: counts %v, halted %q\n%+v", res.Counts, res.Halted, res.Waves)
	}
	if len(res.Waves) != len(p.Waves) || res.Waves[0].Bake != time.Minute {
		t.Fatalf("waves %d (bake %s), want %d with the plan's bake", len(res.Waves), res.Waves[0].Bake, len(p.Waves))
	}
	// Waves never overlap: each starts after the previous one ended and baked.
	for i := 1; i < len(res.Waves); i++ {
		if res.Waves[i].Started.Before(res.Waves[i-1].Ended.Add(res.Waves[i-1].Bake)) {
			t.Errorf("wave %d started %s, before wave %d ended %s and baked", i+1, res.Waves[i].Started, i, res.Waves[i-1].Ended)
		}
	}
	h.everyProxyServes(t, p)
	other := ReadStatus(context.Background(), p, h.connect, h.srv.Clock, nil)
	if other.Counts[PhaseDone] != p.Runnable() {
		t.Fatalf("status after switchover: %v\n%s", other.Counts, other.Text())
	}
	// Every event of the stream names its fleet, and every run's event
	// its source.
	for _, u := range c.all() {
		if u.Event.Fleet != p.ID {
			t.Fatalf("event without the fleet id: %+v", u.Event)
		}
		if u.Index >= 0 && u.Event.Source != p.Databases[u.Index].Source {
			t.Fatalf("event of %s carries source %q", p.Databases[u.Index].Source, u.Event.Source)
		}
	}
	// Each deployment carried the fleet id (read from the simulator's
	// mutation log is not enough: the tag is on the deployment).
	tagged := 0
	for _, tg := range p.Targets {
		for _, m := range h.srv.Sim.Member(tg.Account, tg.Region).Mutations() {
			if m.Operation == "CreateBlueGreenDeployment" {
				tagged++
			}
		}
	}
	if tagged != p.Runnable() {
		t.Fatalf("%d deployments created, want one per runnable database (%d)", tagged, p.Runnable())
	}
}

func TestFailedRunStopsItsWaveAndLeavesEveryProxyServing(t *testing.T) {
	h := newHarness(t, 12)
	pol := defaultPolicy()
	pol.Canaries = 0
	pol.WavePercents = []int{100}
	pol.MaxConcurrency = 1
	p := h.plan(t, defaultSelection(), pol)
	// One database's creation fails during provisioning: the first one of
	// the first account-Region, so that its account-Region has more to start.
	first := p.Databases[p.Waves[0].Databases[0]]
	h.srv.Sim.Member(first.Account, first.Region).AddFault(sim.Fault{CreationFail: "injected: storage quota exceeded"})
	dir := t.TempDir()
	res := h.run(t, p, dir, "", nil)
	if res.Counts[StateFailed] != 1 {
		t.Fatalf("counts %v, want exactly the injected failure", res.Counts)
	}
	if res.Counts[StateHeld] == 0 {
		t.Fatalf("counts %v: the failure held no start back", res.Counts)
	}
	// One run at a time per account-Region: when the failure came, each
	// other account-Region had one run under way. They went on preparing
	// and, the wave halted, paused ready instead of switching over.
	if res.Counts[StateReady] != len(p.Targets)-1 || res.Counts[StateDone] != 0 {
		t.Fatalf("counts %v: want the %d runs under way paused ready, none switched over", res.Counts, len(p.Targets)-1)
	}
	if res.ExitCode() != contract.ExitStepFailed || res.Halted == "" {
		t.Fatalf("exit %d, halted %q", res.ExitCode(), res.Halted)
	}
	// The held databases were never touched; the rest ended done or
	// ready (the runs under way finished, or paused at the switchover).
	held := map[string]bool{}
	for _, w := range res.Waves {
		for _, run := range w.Runs {
			if run.State != StateDone && run.State != StateReady && run.State != StateFailed {
				t.Errorf("%s ended %s", run.Source, run.State)
			}
		}
	}
	for i, d := range p.Databases {
		if len(d.Blocked) == 0 && stateOf(res, i) == "" {
			held[d.Plan.Source.ARN] = true
		}
	}
	if len(held) != res.Counts[StateHeld] {
		t.Fatalf("%d databases without a run, %d held", len(held), res.Counts[StateHeld])
	}
	for _, tg := range p.Targets {
		for _, m := range h.srv.Sim.Member(tg.Account, tg.Region).Mutations() {
			if held[m.Target] {
				t.Errorf("held database changed: %+v", m)
			}
		}
	}
	h.everyProxyServes(t, p)
	st := ReadStatus(context.Background(), p, h.connect, h.srv.Clock, nil)
	if st.Counts[PhaseReady] != res.Counts[StateReady] || st.Counts[PhaseFailed] != 1 {
		t.Fatalf("AWS shows %v, the fleet %v\n%s", st.Counts, res.Counts, st.Text())
	}
	if st.Counts[PhaseNotStarted] != res.Counts[StateHeld] {
		t.Fatalf("AWS shows %d not started, the fleet held %d\n%s", st.Counts[PhaseNotStarted], res.Counts[StateHeld], st.Text())
	}
}

// stateOf is the state database i's run ended in, "" when it never ran.
func stateOf(res Result, i int) string {
	for _, w := range res.Waves {
		for _, run := range w.Runs {
			if run.Index == i {
				return run.State
			}
		}
	}
	return ""
}
