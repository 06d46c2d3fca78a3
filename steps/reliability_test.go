package steps

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// The reliability suite (issue 6): the real SDK against the simulator,
// every failure the issue lists, and the figures of docs/reliability.md.
// Regenerate the document with
//
//	go test ./steps -run TestReliability -count=1 -args -reliability-report ../docs/reliability.md
var reliabilityReport = flag.String("reliability-report", "", "write the reliability figures as Markdown to this file")

// reliabilityEveryCall fails every single call of the clean runs in turn
// (about a thousand runs, a minute or two); without it the reads are
// sampled so that `go test ./...` stays quick (see readSampling).
var reliabilityEveryCall = flag.Bool("reliability-every-call", false, "inject the one-call error at every call, not a sample of the reads")

// reliabilityScenario is one built-in scenario with the options the suite
// runs it with and what a completed run leaves behind.
type reliabilityScenario struct {
	scenario   string
	source     string
	kind       string
	opts       contract.Options
	proxies    []string
	proxyState string // when the run completes
}

func reliabilityScenarios() []reliabilityScenario {
	return []reliabilityScenario{
		{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.KindInstance, contract.Options{ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", Cleanup: contract.CleanupDeployment},
			[]string{"orders-proxy"}, contract.ProxyOnNewPrimary},
		{sim.ScenarioRDSMySQLNative, "shop-db", contract.KindInstance, contract.Options{ProxyMode: contract.ProxyModeAuto, Cleanup: contract.CleanupDeployment},
			[]string{"shop-proxy"}, contract.ProxyOnNewPrimary},
		{sim.ScenarioAuroraPostgres, "ledger-cluster", contract.KindCluster, contract.Options{ProxyMode: contract.ProxyModeDetach, Cleanup: contract.CleanupDeployment},
			[]string{"ledger-proxy"}, contract.ProxyOnNewPrimary},
		{sim.ScenarioAuroraGlobal, "payments-cluster", contract.KindCluster, contract.Options{ProxyMode: contract.ProxyModeAuto, Cleanup: contract.CleanupDeployment},
			[]string{"payments-proxy"}, contract.ProxyOnNewPrimary},
		{sim.ScenarioRDSMariaDBNoProxy, "catalog-db", contract.KindInstance, contract.Options{Cleanup: contract.CleanupDeployment},
			nil, contract.ProxyNotUsed},
	}
}

func (s reliabilityScenario) options() contract.Options {
	o := s.opts
	o.Source = s.source
	return o
}

// newReliabilityEnv is newEngineEnv with its journal on a memory
// filesystem (a thousand runs write many records), on the suite's
// timings.
func newReliabilityEnv(t *testing.T, o sim.Options) *engineEnv {
	t.Helper()
	if o.Timings == nil {
		o.Timings = reliabilityTimings()
	}
	return newEngineEnvIn(t, o, memoryTempDir(t))
}

// reliabilityTimings are the simulator's timings for the suite. The long
// matrices and the report keep sim.FastTimings, the figures
// docs/reliability.md was written with (and, with -reliability-every-call,
// a fault at every one of their polls). The default run shortens each
// wait four times (provisioning 2 min instead of 8, the switchover 11 s
// instead of 45): a run makes half the calls, all of them polls of a
// shorter wait, so the same calls fail in the same places and the same
// assertions hold; only when things happen moves.
func reliabilityTimings() *sim.Timings {
	tm := sim.FastTimings()
	if longMatrices() {
		return &tm
	}
	for _, d := range []*time.Duration{&tm.ReplicaCreate, &tm.EngineUpgrade, &tm.ConfigureBackups, &tm.CreateTopology,
		&tm.CreateClusterInstances, &tm.CreateCustomEndpoints, &tm.Switchover, &tm.TargetRegister, &tm.ProxyFollow,
		&tm.Modify, &tm.InstanceDelete, &tm.ClusterDelete, &tm.DeploymentDelete, &tm.Snapshot, &tm.LagCatchUp} {
		*d /= 4
	}
	return &tm
}

// memoryTempDir is a temporary directory on a memory filesystem where the
// machine has one (/dev/shm), else t.TempDir(). The journal fsyncs every
// record; on a disk that is most of the cost of a thousand in-process
// runs, and what fsync guarantees is not what these runs test (the
// SIGKILL runs use a real disk).
func memoryTempDir(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "rdsbg-reliability-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// reference is what a clean run of a scenario leaves: the figures every
// faulty run of it is compared with.
type reference struct {
	callCounts    map[string]int
	totalCalls    int
	engineVersion string
	old           string // the old primary's name after the switchover
	records       int    // journal records
	recordKinds   []journal.RecordKind
	recordLabels  []string
	proxylessMS   int64
	switchoverMS  int64
	plan          contract.Plan
}

func runReference(t *testing.T, sc reliabilityScenario) reference {
	t.Helper()
	env := newReliabilityEnv(t, sim.Options{Scenario: sc.scenario})
	f, err := env.engine(t, sc.options()).Run(context.Background())
	if err != nil {
		t.Fatalf("clean run of %s: %v", sc.scenario, err)
	}
	plans := env.events.ofType(contract.EventPlanReady)
	if len(plans) == 0 {
		t.Fatalf("no plan-ready event")
	}
	counts, total := env.sim.CallCounts(), env.sim.TotalCalls() // the run's calls, before the checks below add theirs
	d := env.discoverRetry(t, sc.source)
	recs := env.journal(t, sc.source)
	var kinds []journal.RecordKind
	var labels []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
		labels = append(labels, strings.ReplaceAll(recordLabel(r), " ", "-"))
	}
	return reference{
		recordKinds:   kinds,
		recordLabels:  labels,
		callCounts:    counts,
		totalCalls:    total,
		engineVersion: d.Source.EngineVersion,
		old:           f.Renames[sc.source],
		records:       len(recs),
		proxylessMS:   f.ProxylessWindowMS,
		switchoverMS:  f.SwitchoverMS,
		plan:          *plans[len(plans)-1].Plan,
	}
}

// proxyHealth says whether every proxy of the scenario has the source
// registered and AVAILABLE, and if not, what it has.
func proxyHealth(ctx context.Context, api awsclient.API, sc reliabilityScenario) (healthy bool, empty bool, detail string) {
	var src contract.Source
	var err error
	for i := 0; i < 3; i++ { // tolerate an injected fault still ahead
		var d preflight.Discovery
		if d, err = preflight.Discover(ctx, api, sc.source); err == nil {
			src = d.Source
			break
		}
	}
	if err != nil {
		return false, false, "discover: " + err.Error()
	}
	healthy = true
	for _, p := range sc.proxies {
		var ts []awsclient.ProxyTarget
		for i := 0; i < 3; i++ {
			if ts, err = api.DescribeProxyTargets(ctx, p); err == nil {
				break
			}
		}
		if err != nil {
			return false, false, "describe targets: " + err.Error()
		}
		if len(ts) == 0 {
			empty = true
		}
		mine := src.Entries(ts)
		if len(mine) == 0 {
			healthy = false
			detail += fmt.Sprintf("proxy %s has no target for %s; ", p, src.ID)
		}
		for _, tg := range mine {
			if tg.Health.State != "AVAILABLE" {
				healthy = false
				detail += fmt.Sprintf("proxy %s target %s is %s; ", p, tg.RdsResourceID, tg.Health.State)
			}
		}
	}
	return healthy, empty, detail
}

// assertCompleted: the run finished like the reference run: the proxy on
// the new primary, the upgrade applied, the old primary renamed, exactly
// one deployment ever created.
func assertCompleted(t *testing.T, env *engineEnv, sc reliabilityScenario, ref reference, f contract.Finished) {
	t.Helper()
	assertCompletedAfter(t, env, sc, ref, f, 0)
}

// assertCompletedAfter is assertCompleted for a run that follows
// rolledBack runs, each of which created a deployment and deleted it
// (with its green) before it stopped: never two at once.
func assertCompletedAfter(t *testing.T, env *engineEnv, sc reliabilityScenario, ref reference, f contract.Finished, rolledBack int) {
	t.Helper()
	if f.Outcome != contract.OutcomeDone || f.ExitCode != contract.ExitOK || f.ProxyState != sc.proxyState {
		t.Errorf("finished %s exit %d proxy %s, want done 0 %s", f.Outcome, f.ExitCode, f.ProxyState, sc.proxyState)
	}
	if n := env.sim.DeploymentsCreated(); n != 1+rolledBack {
		t.Errorf("deployments created %d, want 1 (after %d rolled back)", n, rolledBack)
	}
	if deps, err := env.api.ListDeployments(context.Background(), ""); err == nil && len(deps) > 1 {
		t.Errorf("%d deployments exist, want at most the completed run's: %+v", len(deps), deps)
	}
	if ok, _, detail := proxyHealth(context.Background(), env.api, sc); !ok {
		t.Errorf("proxy not healthy on %s: %s", sc.source, detail)
	}
	if got := env.discoverRetry(t, sc.source).Source.EngineVersion; got != ref.engineVersion {
		t.Errorf("%s runs %s, want %s", sc.source, got, ref.engineVersion)
	}
	var err error
	if sc.kind == contract.KindCluster {
		_, err = env.api.DescribeCluster(context.Background(), ref.old)
	} else {
		_, err = env.api.DescribeInstance(context.Background(), ref.old)
	}
	if err != nil {
		t.Errorf("old primary %s: %v", ref.old, err)
	}
}

// readSampling says which reads faultPoints fails.
type readSampling int

const (
	everyRead   readSampling = iota // -reliability-every-call
	quarterRead                     // default: first, second, last and every fourth call of each read
	fewReads                        // -short: first, second, middle and last call of each read
)

func (m readSampling) String() string {
	return [...]string{"every call", "every call of every mutating operation; of each read operation its first, second, last and every fourth call", "every call of every mutating operation; of each read operation its first, second, middle and last call"}[m]
}

func currentReadSampling() readSampling {
	switch {
	case *reliabilityEveryCall:
		return everyRead
	case testing.Short():
		// Not a skip: -short still fails every mutating call, only fewer
		// polls of each read. CI runs without -short (quarterRead).
		return fewReads
	}
	return quarterRead
}

// faultPoints are the (operation, n-th call) pairs that fail once: every
// call of every mutating operation, and the reads that m selects (polls of
// one operation in one wait differ only by when they happen).
func faultPoints(counts map[string]int, m readSampling) []faultPoint {
	var ops []string
	for op := range counts {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var out []faultPoint
	for _, op := range ops {
		c := counts[op]
		for n := 1; n <= c; n++ {
			pick := awsclient.IsMutating(op) || m == everyRead || n == 1 || n == 2 || n == c
			switch m {
			case quarterRead:
				pick = pick || n%4 == 0
			case fewReads:
				pick = pick || n == (c+1)/2
			}
			if pick {
				out = append(out, faultPoint{op, n})
			}
		}
	}
	return out
}

// sampleFaultPoints keeps, outside the long matrices, every call of every
// mutating operation (each is a point where AWS changes) and three reads
// spread over the run.
func sampleFaultPoints(pts []faultPoint) []faultPoint {
	if longMatrices() {
		return pts
	}
	var out, reads []faultPoint
	for _, fp := range pts {
		if awsclient.IsMutating(fp.op) {
			out = append(out, fp)
		} else {
			reads = append(reads, fp)
		}
	}
	// A spread of each: the whole matrix (every call of every scenario)
	// runs with RDSBG_LONG=1 in .ci/run; this keeps go test ./... under
	// a minute on two cores.
	return append(spread(out, 5), spread(reads, 2)...)
}

type faultPoint struct {
	op string
	n  int
}

// figures are one row of the report: a family of faulty runs on one
// scenario.
type figures struct {
	Family, Scenario     string
	Runs                 int // runs started (resumes not counted)
	FaultsInjected       int // faults that actually fired
	Survived             int // runs that ended consistent and then completed
	ProxyEmpty           int // runs that ended with a proxy without target: must be 0
	DuplicateDeployments int // runs that created more than one deployment: must be 0
	Notes                []string
}

// ledger collects figures from parallel subtests.
type ledger struct {
	mu   sync.Mutex
	rows []*figures
	// kill holds the process-level SIGKILL results.
	kills []*killFigures
	// sampling is which calls the one-call errors hit.
	sampling readSampling
}

func (l *ledger) row(family, scenario string) *figures {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.rows {
		if r.Family == family && r.Scenario == scenario {
			return r
		}
	}
	r := &figures{Family: family, Scenario: scenario}
	l.rows = append(l.rows, r)
	return r
}

// record adds one run's outcome to its row.
func (l *ledger) record(family, scenario string, faults int, survived, proxyEmpty bool, deployments int, note string) {
	r := l.row(family, scenario)
	l.mu.Lock()
	defer l.mu.Unlock()
	r.Runs++
	r.FaultsInjected += faults
	if survived {
		r.Survived++
	}
	if proxyEmpty {
		r.ProxyEmpty++
	}
	if deployments > 1 {
		r.DuplicateDeployments++
	}
	if note != "" {
		r.Notes = append(r.Notes, note)
	}
}

func TestReliability(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	isolateAWSEnv(t)
	led := &ledger{sampling: currentReadSampling()}
	scenarios := reliabilityScenarios()
	refs := map[string]reference{}
	for _, sc := range scenarios {
		refs[sc.scenario] = runReference(t, sc)
	}

	t.Run("error-at-every-call", func(t *testing.T) {
		for _, sc := range scenarios {
			ref := refs[sc.scenario]
			for _, fp := range sampleFaultPoints(faultPoints(ref.callCounts, led.sampling)) {
				sc, fp := sc, fp
				t.Run(sc.scenario+"/"+fp.op+"-"+itoa(fp.n), func(t *testing.T) {
					t.Parallel()
					errorAtOneCall(t, led, sc, ref, fp)
				})
			}
		}
	})
	t.Run("journal-cut-after-each-record", func(t *testing.T) {
		for _, sc := range scenarios {
			ref := refs[sc.scenario]
			var cuts []int
			started := false
			for k := 1; k < ref.records; k++ {
				started = started || ref.recordKinds[k-1] == journal.RecordRunStarted
				if ref.recordKinds[k-1] == journal.RecordCall {
					continue // audit records: many and alike; the next logical record is cut after too
				}
				if !started {
					continue // the permission probe's refused calls: no run to resume yet (crash_test covers it)
				}
				cuts = append(cuts, k)
			}
			if !longMatrices() {
				cuts = spread(cuts, 3)
			}
			for _, k := range cuts {
				sc, k := sc, k
				t.Run(sc.scenario+"/"+itoa(k)+"-"+ref.recordLabels[k-1], func(t *testing.T) {
					t.Parallel()
					cutAndResume(t, led, sc, ref, k)
				})
			}
		}
	})
	t.Run("throttling-30pc", func(t *testing.T) {
		for _, sc := range scenarios {
			sc := sc
			t.Run(sc.scenario, func(t *testing.T) {
				t.Parallel()
				throttledRun(t, led, sc, refs[sc.scenario])
			})
		}
	})
	t.Run("latency-2s-critical-section", func(t *testing.T) {
		for _, sc := range scenarios {
			sc := sc
			t.Run(sc.scenario, func(t *testing.T) {
				t.Parallel()
				slowCriticalSection(t, led, sc, refs[sc.scenario])
			})
		}
	})
	t.Run("switchover-rolled-back", func(t *testing.T) {
		for _, sc := range scenarios {
			modes := []string{"fail", "timeout"}
			if !longMatrices() && sc.scenario != sim.ScenarioRDSPostgresLegacy {
				modes = modes[:1] // a sample: both modes on the detach procedure only
			}
			for _, mode := range modes {
				sc, mode := sc, mode
				t.Run(sc.scenario+"/"+mode, func(t *testing.T) {
					t.Parallel()
					switchoverRolledBack(t, led, sc, refs[sc.scenario], mode)
				})
			}
		}
	})
	t.Run("green-invalid-configuration", func(t *testing.T) {
		for _, sc := range scenarios {
			// 60 s after the creation (the simulator's fault: during provisioning), then at the
			// start of each later step before the switchover: the last one
			// inside the critical section, with the proxy deregistered.
			var ats []contract.StepID
			for _, at := range []contract.StepID{contract.StepCreateDeployment, contract.StepAttachProxyBlue, contract.StepProvisionGreen, contract.StepReadyCheck, contract.StepDetachProxyBlue, contract.StepSwitchover} {
				if _, ok := refs[sc.scenario].plan.Step(at); ok {
					ats = append(ats, at)
				}
			}
			if !longMatrices() {
				// A sample: provisioning's fault and the last step before the
				// switchover (inside the critical section where there is one).
				ats = spread(ats, 2)
			}
			for _, at := range ats {
				sc, at := sc, at
				t.Run(sc.scenario+"/"+string(at), func(t *testing.T) {
					t.Parallel()
					greenInvalid(t, led, sc, at)
				})
			}
		}
	})
	t.Run("guards", func(t *testing.T) {
		for _, sc := range scenarios {
			sc := sc
			t.Run(sc.scenario, func(t *testing.T) {
				t.Parallel()
				guards(t, led, sc, refs[sc.scenario])
			})
		}
	})
	t.Run("sigkill", func(t *testing.T) {
		bin := simtest.Rdsbg(t)
		// The detach procedure on an instance after every record; on an
		// Aurora cluster (renamed clusters and members) after every fourth.
		for _, kc := range []struct {
			scenario string
			stride   int
		}{{sim.ScenarioRDSPostgresLegacy, 1}, {sim.ScenarioAuroraPostgres, 4}} {
			if !longMatrices() {
				// A sample: every thirty-second record of the detach procedure
				// on an instance; the whole matrix runs with RDSBG_LONG=1.
				if kc.scenario != sim.ScenarioRDSPostgresLegacy {
					continue
				}
				kc.stride = 32
			}
			for _, sc := range scenarios {
				if sc.scenario == kc.scenario {
					led.kills = append(led.kills, killAndResume(t, bin, sc, refs[sc.scenario], kc.stride))
				}
			}
		}
	})

	if *reliabilityReport != "" {
		if t.Failed() {
			t.Fatalf("the suite failed: %s not written", *reliabilityReport)
		}
		if err := os.WriteFile(*reliabilityReport, []byte(renderReliability(led, scenarios, refs)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// errorAtOneCall: one call answers InvalidParameterValue (non-retryable).
// The run either completes, or stops before any change, or stops with exit
// 1, the proxy on a healthy writer and a journal that Resume completes.
func errorAtOneCall(t *testing.T, led *ledger, sc reliabilityScenario, ref reference, fp faultPoint) {
	env := newReliabilityEnv(t, sim.Options{Scenario: sc.scenario})
	env.sim.AddFault(sim.Fault{Operation: fp.op, Nth: fp.n, Code: "InvalidParameterValue", HTTPStatus: 400})
	survived, empty, note, deployments := false, false, "", -1
	defer func() {
		if deployments < 0 {
			deployments = env.sim.DeploymentsCreated()
		}
		led.record("error at one call", sc.scenario, env.sim.Stats().FailedCalls, survived && !t.Failed(), empty, deployments, note)
	}()
	f, err := env.engine(t, sc.options()).Run(context.Background())
	if err == nil {
		assertCompleted(t, env, sc, ref, f)
		survived = true
		return
	}
	healthy, _, detail := proxyHealth(context.Background(), env.api, sc)
	empty = f.ProxyState == contract.ProxyEmpty || (len(sc.proxies) > 0 && !healthy)
	if len(lastingMutations(env.sim.Mutations())) == 0 {
		// Stopped before any change (blue's tag for a refused creation is
		// removed again): nothing to restore. The operator
		// resumes the journal if the run had begun (the first mutation
		// itself failed), else runs again; the fault is spent.
		if f.ExitCode == contract.ExitOK || f.ExitCode == contract.ExitInterrupted {
			t.Fatalf("exit %d for a failure before any change", f.ExitCode)
		}
		if !healthy && len(sc.proxies) > 0 {
			t.Fatalf("proxy unhealthy with no change made: %s", detail)
		}
		var f2 contract.Finished
		var err error
		if recs, _ := journal.Read(journal.Path(env.stateDir, sc.source)); journal.Fold(recs).Unfinished() {
			f2, err = env.engine(t, contract.Options{Source: sc.source}).Resume(context.Background())
		} else {
			f2, err = env.engine(t, sc.options()).Run(context.Background())
		}
		if err != nil {
			t.Fatalf("second attempt: %v", err)
		}
		assertCompleted(t, env, sc, ref, f2)
		survived = true
		return
	}
	if f.ExitCode != contract.ExitStepFailed {
		t.Fatalf("exit %d (%v), want 1", f.ExitCode, err)
	}
	if f.Outcome == contract.OutcomeRolledBack {
		// Auto mode took the injected error on the creation for AWS's
		// refusal of a proxied source (any refusal counts, design.md §2)
		// and fell back to detach; this AWS (native) then refused blue's
		// registration for --max-proxy-outage, and the run rolled back:
		// the deployment and its green deleted, the proxy on blue. The
		// operator runs again; the fault is spent.
		if f.ProxyState != contract.ProxyOnBlue || (len(sc.proxies) > 0 && !healthy) {
			t.Fatalf("rolled back with the proxy %s: %s", f.ProxyState, detail)
		}
		if deps, derr := env.api.ListDeployments(context.Background(), ""); derr != nil || len(deps) != 0 {
			t.Fatalf("deployments left by the rollback: %+v %v", deps, derr)
		}
		if fin := env.events.ofType(contract.EventRunFinished); len(fin) != 1 || !strings.Contains(fin[0].Message, "rdsbg run --source "+sc.source) {
			t.Errorf("the last line of a rolled-back run does not say how to start again: %+v", fin)
		}
		if journal.Fold(env.journal(t, sc.source)).Unfinished() {
			t.Fatalf("a rolled-back run left a resumable journal")
		}
		f2, err := env.engine(t, sc.options()).Run(context.Background())
		if err != nil {
			t.Fatalf("run after the rollback: %v", err)
		}
		assertCompletedAfter(t, env, sc, ref, f2, 1)
		note = fmt.Sprintf("%s #%d: auto fell back to detach, blue's registration refused (native AWS), rolled back at --max-proxy-outage, then run again", fp.op, fp.n)
		deployments = 1 // the rolled-back deployment was deleted before the second was created
		survived = true
		return
	}
	if f.ProxyState != contract.ProxyOnBlue && f.ProxyState != contract.ProxyOnNewPrimary && f.ProxyState != contract.ProxyNotUsed {
		t.Fatalf("the failed run left the proxy %s", f.ProxyState)
	}
	if len(sc.proxies) > 0 && !healthy {
		t.Fatalf("the failed run left the proxy unhealthy: %s", detail)
	}
	if strings.TrimSpace(err.Error()) == "" {
		t.Fatalf("no explanation")
	}
	if fin := env.events.ofType(contract.EventRunFinished); len(fin) == 1 {
		msg := fin[0].Message
		if !strings.Contains(msg, "rdsbg resume --source "+sc.source) {
			t.Errorf("the last line does not say how to continue: %s", msg)
		}
		if len(f.Renames) > 0 && strings.Contains(msg, "rdsbg abort") {
			t.Errorf("after the switchover the last line still offers abort: %s", msg)
		}
	} else {
		t.Errorf("%d run-finished events", len(fin))
	}
	if st := journal.Fold(env.journal(t, sc.source)); !st.Unfinished() {
		t.Fatalf("journal not resumable after the failure")
	}
	f2, err := env.engine(t, contract.Options{Source: sc.source}).Resume(context.Background())
	if err != nil {
		// The fault may still be ahead (a late n-th call): an operator
		// would resume once more.
		if f2.ExitCode != contract.ExitStepFailed {
			t.Fatalf("Resume: exit %d %v", f2.ExitCode, err)
		}
		note = fmt.Sprintf("%s #%d: resumed twice (the fault fired during the first resume)", fp.op, fp.n)
		f2, err = env.engine(t, contract.Options{Source: sc.source}).Resume(context.Background())
	}
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	assertCompleted(t, env, sc, ref, f2)
	survived = true
}

// cutAndResume stops the run dead right after its k-th journal record, as
// a power cut would (the engine's journal hook panics), then resumes. It
// is the exact-record counterpart of the SIGKILL runs, on every scenario.
func cutAndResume(t *testing.T, led *ledger, sc reliabilityScenario, ref reference, k int) {
	env := newReliabilityEnv(t, sim.Options{Scenario: sc.scenario})
	survived := false
	defer func() {
		healthy, empty, _ := proxyHealth(context.Background(), env.api, sc)
		led.record("process stopped dead after journal record k, then resume", sc.scenario, 1, survived && !t.Failed() && (healthy || len(sc.proxies) == 0),
			empty && len(sc.proxies) > 0, env.sim.DeploymentsCreated(), "")
	}()
	if !runUntilCrash(t, env.engine(t, sc.options()), k) {
		t.Fatalf("the run did not reach record %d (%s)", k, ref.recordLabels[k-1])
	}
	f, err := env.engine(t, contract.Options{Source: sc.source}).Resume(context.Background())
	if err != nil {
		t.Fatalf("Resume after record %d (%s): %v", k, ref.recordLabels[k-1], err)
	}
	assertCompleted(t, env, sc, ref, f)
	survived = true
}

// throttledRun: 30% of all calls answered Throttling; the run completes.
func throttledRun(t *testing.T, led *ledger, sc reliabilityScenario, ref reference) {
	env := newReliabilityEnv(t, sim.Options{Scenario: sc.scenario, Seed: 30, Faults: []sim.Fault{{ThrottleRate: 0.3}}})
	start := env.clock.Now()
	f, err := env.engine(t, sc.options()).Run(context.Background())
	st := env.sim.Stats()
	healthy, empty, _ := proxyHealth(context.Background(), env.api, sc)
	ok := err == nil && (healthy || len(sc.proxies) == 0)
	led.record("30% of calls throttled", sc.scenario, st.ThrottledCalls, ok, empty || f.ProxyState == contract.ProxyEmpty, st.DeploymentsCreated,
		fmt.Sprintf("%d calls (clean run: %d), %d throttled, run took %s of AWS time", st.TotalCalls, ref.totalCalls, st.ThrottledCalls, env.clock.Now().Sub(start).Round(1e9)))
	if err != nil {
		t.Fatalf("Run under throttling: %v", err)
	}
	if st.ThrottledCalls < st.TotalCalls/5 {
		t.Errorf("only %d of %d calls throttled", st.ThrottledCalls, st.TotalCalls)
	}
	assertCompleted(t, env, sc, ref, f)
}

// slowCriticalSection: every call takes 2 s (AWS time) from the first step
// of the critical section until its last step is done.
func slowCriticalSection(t *testing.T, led *ledger, sc reliabilityScenario, ref reference) {
	env := newReliabilityEnv(t, sim.Options{Scenario: sc.scenario})
	first, last := contract.StepSwitchover, contract.StepSwitchover
	if _, ok := ref.plan.Step(contract.StepDetachProxyBlue); ok {
		first = contract.StepDetachProxyBlue
	}
	if st, ok := ref.plan.Step(contract.StepAttachProxyPrimary); ok && (st.Critical || st.CheckOnly) {
		last = contract.StepAttachProxyPrimary
	}
	var opened, closed bool
	env.events.hook = func(ev contract.Event) {
		switch {
		case ev.Type == contract.EventStepStarted && ev.Step == first && !opened:
			opened = true
			env.sim.AddFault(sim.Fault{LatencyMS: 2000})
		case (ev.Type == contract.EventStepDone || ev.Type == contract.EventStepFailed) && ev.Step == last && opened && !closed:
			closed = true
			env.sim.ClearFaults()
		}
	}
	f, err := env.engine(t, sc.options()).Run(context.Background())
	st := env.sim.Stats()
	healthy, empty, _ := proxyHealth(context.Background(), env.api, sc)
	window := fmt.Sprintf("switchover %s (clean run %s)", ms(f.SwitchoverMS), ms(ref.switchoverMS))
	if f.ProxylessWindowMS > 0 || ref.proxylessMS > 0 {
		window = fmt.Sprintf("proxy-less window %s (clean run %s), ", ms(f.ProxylessWindowMS), ms(ref.proxylessMS)) + window
	}
	led.record("2 s latency in the critical section", sc.scenario, st.DelayedCalls, err == nil && (healthy || len(sc.proxies) == 0),
		empty || f.ProxyState == contract.ProxyEmpty, st.DeploymentsCreated,
		fmt.Sprintf("%s → %s: %d calls delayed; %s", first, last, st.DelayedCalls, window))
	if err != nil {
		t.Fatalf("Run with latency: %v", err)
	}
	if !opened || !closed || st.DelayedCalls == 0 {
		t.Fatalf("latency window opened %v closed %v, %d calls delayed", opened, closed, st.DelayedCalls)
	}
	if ref.proxylessMS > 0 && f.ProxylessWindowMS <= ref.proxylessMS {
		t.Errorf("the proxy-less window %d ms did not grow with the latency (clean %d ms): is it measured?", f.ProxylessWindowMS, ref.proxylessMS)
	}
	assertCompleted(t, env, sc, ref, f)
}

func ms(v int64) string {
	if v >= 10_000 {
		return fmt.Sprintf("%.0f s", float64(v)/1000)
	}
	return fmt.Sprintf("%.1f s", float64(v)/1000)
}

// switchoverRolledBack: AWS fails the switchover or lets it time out and
// rolls it back. The proxy goes back to blue, exit 1, a plain explanation;
// resuming (the fault is one-shot) completes.
func switchoverRolledBack(t *testing.T, led *ledger, sc reliabilityScenario, ref reference, mode string) {
	env := newReliabilityEnv(t, sim.Options{Scenario: sc.scenario, Faults: []sim.Fault{{Switchover: mode}}})
	survived, empty := false, false
	defer func() {
		led.record("switchover "+mode+" (AWS rolls back)", sc.scenario, env.sim.Stats().ModelFaults, survived && !t.Failed(), empty,
			env.sim.DeploymentsCreated(), "")
	}()
	f, err := env.engine(t, sc.options()).Run(context.Background())
	healthy, _, detail := proxyHealth(context.Background(), env.api, sc)
	empty = f.ProxyState == contract.ProxyEmpty || (len(sc.proxies) > 0 && !healthy)
	wantProxy := contract.ProxyOnBlue
	if len(sc.proxies) == 0 {
		wantProxy = contract.ProxyNotUsed
	}
	if err == nil || f.ExitCode != contract.ExitStepFailed || f.ProxyState != wantProxy {
		t.Fatalf("exit %d proxy %s err %v, want 1 %s", f.ExitCode, f.ProxyState, err, wantProxy)
	}
	if len(sc.proxies) > 0 && !healthy {
		t.Fatalf("proxy not back on blue: %s", detail)
	}
	if !strings.Contains(err.Error(), "rolled it back") || !strings.Contains(err.Error(), "Blue is still production") {
		t.Errorf("not a plain explanation: %v", err)
	}
	f2, err := env.engine(t, contract.Options{Source: sc.source}).Resume(context.Background())
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	assertCompleted(t, env, sc, ref, f2)
	survived = true
}

// greenInvalid: green turns INVALID_CONFIGURATION during the creation
// wait, or as step at starts. The run explains it and names the abort
// path; abort restores blue.
func greenInvalid(t *testing.T, led *ledger, sc reliabilityScenario, at contract.StepID) {
	o := sim.Options{Scenario: sc.scenario}
	if at == contract.StepCreateDeployment {
		o.Faults = []sim.Fault{{GreenInvalidAfterMS: 60_000}}
	}
	env := newReliabilityEnv(t, o)
	injected := false
	if at != contract.StepCreateDeployment {
		env.events.hook = func(ev contract.Event) {
			if ev.Type == contract.EventStepStarted && ev.Step == at && !injected {
				injected = true
				env.sim.Update(func(st *sim.State) {
					for _, d := range st.Deployments {
						d.Status = "INVALID_CONFIGURATION"
						d.StatusDetails = "Replication from the blue environment stopped (injected by the reliability suite)."
					}
				})
			}
		}
	}
	survived, empty := false, false
	defer func() {
		faults := env.sim.Stats().ModelFaults
		if injected {
			faults++
		}
		led.record("green INVALID_CONFIGURATION, then abort", sc.scenario, faults, survived && !t.Failed(), empty,
			env.sim.DeploymentsCreated(), "at "+string(at))
	}()
	f, err := env.engine(t, sc.options()).Run(context.Background())
	if err == nil || f.ExitCode != contract.ExitStepFailed {
		t.Fatalf("exit %d err %v", f.ExitCode, err)
	}
	if !strings.Contains(err.Error(), "INVALID_CONFIGURATION") || !strings.Contains(err.Error(), "rdsbg abort --source "+sc.source) {
		t.Errorf("no explanation with the abort path: %v", err)
	}
	healthy, _, detail := proxyHealth(context.Background(), env.api, sc)
	empty = f.ProxyState == contract.ProxyEmpty || (len(sc.proxies) > 0 && !healthy)
	if len(sc.proxies) > 0 && !healthy {
		t.Fatalf("proxy not on blue: %s", detail)
	}
	af, err := env.engine(t, contract.Options{Source: sc.source}).Abort(context.Background())
	if err != nil || af.Outcome != contract.OutcomeRolledBack || af.ExitCode != contract.ExitOK {
		t.Fatalf("Abort: %+v %v", af, err)
	}
	deps, err := env.api.ListDeployments(context.Background(), "")
	if err != nil || len(deps) != 0 {
		t.Errorf("deployments after abort: %+v %v", deps, err)
	}
	healthy, emptyAfter, detail := proxyHealth(context.Background(), env.api, sc)
	empty = empty || emptyAfter
	if len(sc.proxies) > 0 && !healthy {
		t.Errorf("proxy after abort: %s", detail)
	}
	survived = true
}

// guards: an unwritable journal directory and a second run on a locked
// source are both refused before any change, with exit 2 and a message
// naming the cause; the held run then completes.
func guards(t *testing.T, led *ledger, sc reliabilityScenario, ref reference) {
	env := newReliabilityEnv(t, sim.Options{Scenario: sc.scenario})
	ok := false
	defer func() {
		led.record("unwritable journal dir + second run on a locked source", sc.scenario, 0, ok && !t.Failed(), false, env.sim.DeploymentsCreated(), "")
	}()
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := env.stateDir
	env.stateDir = filepath.Join(blocker, "rdsbg")
	f, err := env.engine(t, sc.options()).Run(context.Background())
	var dirErr *journal.StateDirError
	if !errors.As(err, &dirErr) || f.ExitCode != contract.ExitUsage || !strings.Contains(err.Error(), env.stateDir) {
		t.Fatalf("unwritable state dir: err %v exit %d", err, f.ExitCode)
	}
	env.assertNoMutations(t)

	env.stateDir = good
	held, err := journal.Acquire(env.stateDir, sc.source)
	if err != nil {
		t.Fatal(err)
	}
	f, err = env.engine(t, sc.options()).Run(context.Background())
	var lockErr *journal.LockError
	if !errors.As(err, &lockErr) || f.ExitCode != contract.ExitUsage || !strings.Contains(err.Error(), sc.source) {
		t.Fatalf("locked source: err %v exit %d", err, f.ExitCode)
	}
	env.assertNoMutations(t)
	held.Release()
	f, err = env.engine(t, sc.options()).Run(context.Background())
	if err != nil {
		t.Fatalf("after the release: %v", err)
	}
	assertCompleted(t, env, sc, ref, f)
	ok = true
}

// A kill can land after the finish record: resume must then refuse without
// touching the journal, and report where the proxy really is.
func TestResumeOfAFinishedRunReportsItsProxyAndLeavesTheJournal(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	if _, err := env.engine(t, legacyOpts).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := len(env.journal(t, "orders-db"))
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if ExitCode(err) != contract.ExitUsage || !strings.Contains(err.Error(), "nothing to resume") {
		t.Fatalf("exit %d err %v, want 2 nothing to resume", ExitCode(err), err)
	}
	// The refusal did nothing: blocked, exit 2 — never "done (exit 2)"
	// (walkthrough D11); the message names how the last run ended.
	if f.ProxyState != contract.ProxyOnNewPrimary || f.Outcome != contract.OutcomeBlocked || !strings.Contains(err.Error(), "finished (done)") {
		t.Errorf("refused resume reports %s %s (%v), want blocked %s", f.Outcome, f.ProxyState, err, contract.ProxyOnNewPrimary)
	}
	if after := len(env.journal(t, "orders-db")); after != before {
		t.Errorf("a refused resume wrote %d journal records", after-before)
	}
	env.assertProxyHealthy(t, env.discover(t, "orders-db").Source, "orders-proxy")
}

// skewedClock is a clock behind the simulator's by offset: the machine
// that resumes a run whose journal another, faster clock wrote.
type skewedClock struct {
	*clock.Virtual
	offset time.Duration
}

func (c skewedClock) Now() time.Time { return c.Virtual.Now().Add(-c.offset) }

// Found by the SIGKILL runs: a resume on a clock behind the journal's (two
// processes on --time-scale; another host) reported a negative proxy-less
// window.
func TestResumeOnAClockBehindTheJournalNeverReportsANegativeWindow(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	ref := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	if _, err := ref.engine(t, legacyOpts).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	k := 0
	for i, r := range ref.journal(t, "orders-db") {
		if r.Kind == journal.RecordOutage && r.State == "open" && r.Outage.Cause == contract.OutageCriticalSection {
			k = i + 1
			break
		}
	}
	if k == 0 || !runUntilCrash(t, env.engine(t, legacyOpts), k) {
		t.Fatalf("no crash after the proxy-less window opened (record %d)", k)
	}
	behind := skewedClock{Virtual: env.clock, offset: time.Hour}
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: behind, StateDir: env.stateDir, Approver: env.approver, Sink: env.events.sink,
		Options: contract.Options{Source: "orders-db"}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Resume(context.Background())
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if f.ProxylessWindowMS <= 0 || f.ProxylessWindowMS > int64(time.Hour/time.Millisecond) {
		t.Errorf("proxy-less window %d ms after a resume on a clock 1 h behind", f.ProxylessWindowMS)
	}
	// Case T1: the critical window is never 0 s, is marked a lower bound,
	// and the total holds it.
	for _, w := range f.ProxyOutages {
		if w.Cause == contract.OutageCriticalSection && (w.DurationMS <= 0 || !w.AtLeast) {
			t.Errorf("critical window %+v: want a lower bound above 0 s", w)
		}
	}
	if f.ProxyOutageTotalMS < f.ProxylessWindowMS || !strings.Contains(contract.OutageHeadline(f.ProxyOutages), "at least") {
		t.Errorf("total %d ms below the critical share %d ms, or headline %q not a lower bound", f.ProxyOutageTotalMS, f.ProxylessWindowMS, contract.OutageHeadline(f.ProxyOutages))
	}
	said := false
	for _, ev := range env.events.ofType(contract.EventNotice) {
		said = said || strings.Contains(ev.Message, "clock is ahead")
	}
	if !said {
		t.Errorf("no notice that the window is a lower bound")
	}
	assertLegacyEndState(t, env, f)
}
