package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// crashSignal is the panic a test uses to stop a run dead after a journal
// record, as a power cut would.
type crashSignal struct{}

// runUntilCrash runs eng.Run and stops it right after the k-th journal
// record. It reports whether the crash happened.
func runUntilCrash(t *testing.T, eng *Engine, k int) (crashed bool) {
	t.Helper()
	n := 0
	eng.journalHook = func() {
		n++
		if n == k {
			panic(crashSignal{})
		}
	}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(crashSignal); !ok {
				panic(p)
			}
			crashed = true
		}
	}()
	_, _ = eng.Run(context.Background())
	return false
}

// killAtStep runs the legacy detach plan and kills it (a panic, as a
// SIGKILL would) as step at starts; the event log then starts afresh, for
// the next command's events only.
func killAtStep(t *testing.T, env *engineEnv, at contract.StepID) {
	t.Helper()
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepStarted && ev.Step == at {
			panic(crashSignal{})
		}
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(crashSignal); !ok {
					panic(p)
				}
			}
		}()
		_, _ = env.engine(t, legacyOpts).Run(context.Background())
		t.Fatalf("the run was not killed at %s", at)
	}()
	env.events = &eventLog{}
}

// assertLegacyEndState: the legacy detach run finished: the proxy on the
// new primary, the old primary renamed, one deployment ever created.
func assertLegacyEndState(t *testing.T, env *engineEnv, f contract.Finished) {
	t.Helper()
	if f.Outcome != contract.OutcomeDone || f.ExitCode != contract.ExitOK || f.ProxyState != contract.ProxyOnNewPrimary {
		t.Errorf("finished %s exit %d proxy %s, want done 0 new-primary", f.Outcome, f.ExitCode, f.ProxyState)
	}
	if n := env.sim.DeploymentsCreated(); n != 1 {
		t.Errorf("deployments created %d, want 1", n)
	}
	d := env.discoverRetry(t, "orders-db")
	env.assertProxyHealthy(t, d.Source, "orders-proxy")
	if d.Instance == nil || !strings.HasPrefix(d.Instance.EngineVersion, "16.4") {
		t.Errorf("orders-db after the run: %+v", d.Instance)
	}
	if _, err := env.api.DescribeInstance(context.Background(), "orders-db-old1"); err != nil {
		t.Errorf("orders-db-old1: %v", err)
	}
}

var legacyOpts = contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", Cleanup: contract.CleanupDeployment}

func TestJournalCutAfterEachRecordThenResume(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	ref := newReliabilityEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	if _, err := ref.engine(t, legacyOpts).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := ref.journal(t, "orders-db")
	var cuts []int
	for k := 1; k < len(recs); k++ {
		// Audit records are many and alike: cut after every other kind
		// (a mutating call's audit record follows its mutation record).
		if recs[k-1].Kind == journal.RecordCall {
			continue
		}
		cuts = append(cuts, k)
	}
	if len(cuts) < 20 {
		t.Errorf("only %d cut points", len(cuts))
	}
	if !longMatrices() {
		cuts = spread(cuts, 8)
	}
	for _, k := range cuts {
		k := k
		t.Run(string(recs[k-1].Kind)+"-"+string(recs[k-1].Step), func(t *testing.T) {
			env := newReliabilityEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
			if !runUntilCrash(t, env.engine(t, legacyOpts), k) {
				t.Fatalf("the run did not reach record %d", k)
			}
			if !journalHasRun(recs[:k]) {
				// Cut before the run's record (after the permission
				// probe's refused calls): nothing changed, nothing to
				// resume.
				env.assertNoMutations(t)
				if _, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background()); err == nil {
					t.Fatal("resumed a run that never started")
				}
				return
			}
			f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
			if err != nil {
				t.Fatalf("Resume after record %d (%s %s): %v", k, recs[k-1].Kind, recs[k-1].Step, err)
			}
			assertLegacyEndState(t, env, f)
		})
	}
}

func TestFailureAtEveryCallOfTheDetachPlan(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	ref := newReliabilityEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	if _, err := ref.engine(t, legacyOpts).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	counts := ref.sim.CallCounts()
	var ops []string
	for op := range counts {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		nths := []int{1, 2, counts[op]}
		if !longMatrices() {
			nths = []int{1} // the reads' later polls run with RDSBG_LONG=1
		}
		if awsclient.IsMutating(op) {
			nths = nil
			for n := 1; n <= counts[op]; n++ {
				nths = append(nths, n)
			}
		}
		seen := map[int]bool{}
		for _, n := range nths {
			if n < 1 || seen[n] {
				continue
			}
			seen[n] = true
			codes := []string{"InvalidParameterValue", "InternalFailure"}
			if !longMatrices() {
				// One code per call, both with RDSBG_LONG=1: InternalFailure,
				// since TestReliability fails every mutating call of this
				// very run (its rds-postgres-legacy-proxy scenario runs
				// legacyOpts) with InvalidParameterValue.
				codes = codes[1:]
			}
			for _, code := range codes {
				n, code := n, code
				t.Run(op+"-"+code+"-"+itoa(n), func(t *testing.T) {
					env := newReliabilityEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
					env.sim.AddFault(sim.Fault{Operation: op, Nth: n, Code: code, HTTPStatus: 400})
					f, err := env.engine(t, legacyOpts).Run(context.Background())
					if err == nil {
						assertLegacyEndState(t, env, f)
						return
					}
					if len(env.sim.Mutations()) == 0 {
						// Failed before any change: nothing to restore or resume.
						if f.ExitCode == contract.ExitOK || f.ExitCode == contract.ExitInterrupted {
							t.Fatalf("exit %d for a failure before any change", f.ExitCode)
						}
						env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
						return
					}
					if f.ExitCode != contract.ExitStepFailed {
						t.Fatalf("exit %d (%v), want 1", f.ExitCode, err)
					}
					if f.ProxyState != contract.ProxyOnBlue && f.ProxyState != contract.ProxyOnNewPrimary {
						t.Fatalf("failed run left the proxy %s", f.ProxyState)
					}
					env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
					st := journal.Fold(env.journal(t, "orders-db"))
					if !st.Unfinished() {
						t.Fatalf("journal not resumable after the failure: %+v", st.Finished)
					}
					// The injected fault may still be ahead (a late n-th
					// call): an operator would resume once more.
					f2, err := env.engine(t, contract.Options{}).Resume(context.Background())
					if err != nil {
						if f2.ExitCode != contract.ExitStepFailed {
							t.Fatalf("Resume: exit %d %v", f2.ExitCode, err)
						}
						f2, err = env.engine(t, contract.Options{}).Resume(context.Background())
					}
					if err != nil {
						t.Fatalf("Resume: %v", err)
					}
					assertLegacyEndState(t, env, f2)
				})
			}
		}
	}
}

// discoverRetry tolerates the one injected fault the verification itself
// may run into.
func (e *engineEnv) discoverRetry(t *testing.T, source string) preflight.Discovery {
	t.Helper()
	d, err := preflight.Discover(context.Background(), e.api, source)
	if err != nil {
		d, err = preflight.Discover(context.Background(), e.api, source)
	}
	if err != nil {
		t.Fatalf("Discover(%s): %v", source, err)
	}
	return d
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestInterruptExitsFiveRestoresProxyAndResumes(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	// attach-proxy-blue: blue's target still REGISTERING (the proxy empty
	// since detach-proxy); provision-green: the proxy serving blue.
	for _, at := range []contract.StepID{contract.StepAttachProxyBlue, contract.StepProvisionGreen, contract.StepSwitchover} {
		t.Run(string(at), func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			env.events.hook = func(ev contract.Event) {
				if ev.Type == contract.EventProgress && ev.Step == at {
					cancel()
				}
			}
			f, err := env.engine(t, legacyOpts).Run(ctx)
			if ExitCode(err) != contract.ExitInterrupted || f.ExitCode != contract.ExitInterrupted || f.Outcome != contract.OutcomeInterrupted {
				t.Fatalf("exit %d outcome %s (%v), want 5 interrupted", f.ExitCode, f.Outcome, err)
			}
			want := contract.ProxyOnBlue
			if at == contract.StepSwitchover {
				want = contract.ProxyOnNewPrimary // the switchover in flight was waited out, then the new primary registered
			}
			if f.ProxyState != want {
				t.Errorf("proxy %s after the interrupt, want %s", f.ProxyState, want)
			}
			if at != contract.StepSwitchover {
				// The restoring wait is shown under the step whose
				// registration it restores, not under a later one.
				for _, ev := range env.events.ofType(contract.EventProgress) {
					if ev.Step == contract.StepAttachProxyPrimary {
						t.Fatalf("re-registering blue reported progress as %s", ev.Step)
					}
				}
			}
			d := env.discover(t, "orders-db")
			env.assertProxyHealthy(t, d.Source, "orders-proxy")
			f2, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
			if err != nil {
				t.Fatalf("Resume: %v", err)
			}
			assertLegacyEndState(t, env, f2)
		})
	}
}

func TestSecondRunOnTheSameSourceIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	held, err := journal.Acquire(env.stateDir, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	var lockErr *journal.LockError
	if !errors.As(err, &lockErr) || ExitCode(err) != contract.ExitUsage || f.ExitCode != contract.ExitUsage {
		t.Fatalf("err %v exit %d, want a lock refusal with exit 2", err, f.ExitCode)
	}
	if !strings.Contains(err.Error(), "orders-db") || !strings.Contains(err.Error(), "pid ") {
		t.Errorf("message does not name the source and the holder: %s", err)
	}
	env.assertNoMutations(t)
	held.Release()
	if _, err := env.engine(t, legacyOpts).Run(context.Background()); err != nil {
		t.Errorf("after the release the run is refused: %v", err)
	}
}

func TestUnwritableStateDirIsRefusedBeforeAnyChange(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	env.stateDir = filepath.Join(blocker, "rdsbg")
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	var dirErr *journal.StateDirError
	if !errors.As(err, &dirErr) || f.ExitCode != contract.ExitUsage {
		t.Fatalf("err %v exit %d, want a state-dir refusal with exit 2", err, f.ExitCode)
	}
	if !strings.Contains(err.Error(), env.stateDir) {
		t.Errorf("message does not name the directory: %s", err)
	}
	env.assertNoMutations(t)
}

func TestInterruptInsideTheCriticalSectionAsksAgainOnResume(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventStepStarted && ev.Step == contract.StepDetachProxyBlue {
			cancel()
		}
	}
	f, err := env.engine(t, legacyOpts).Run(ctx)
	if ExitCode(err) != contract.ExitInterrupted || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("exit %d proxy %s: %v", ExitCode(err), f.ProxyState, err)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	env.approver.seen = nil
	f2, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertLegacyEndState(t, env, f2)
	// Blue was put back, so entering the section again needs its approval.
	if !strings.Contains(strings.Join(env.approver.kinds(), " "), "critical-section") {
		t.Errorf("resume re-entered the critical section without asking: %v", env.approver.kinds())
	}
}

func journalHasRun(recs []journal.Record) bool {
	for _, r := range recs {
		if r.Kind == journal.RecordRunStarted {
			return true
		}
	}
	return false
}
