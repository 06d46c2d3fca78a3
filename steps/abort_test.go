package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// stateRecords are the journal's records other than the call log (reads
// are journalled too: they happened).
func stateRecords(recs []journal.Record) int {
	n := 0
	for _, r := range recs {
		if r.Kind != journal.RecordCall {
			n++
		}
	}
	return n
}

// abortRefused runs abort and checks it refused with exit 2 without
// changing AWS or the journal.
func abortRefused(t *testing.T, env *engineEnv, want ...string) contract.Finished {
	t.Helper()
	recs := stateRecords(env.journal(t, "orders-db"))
	muts := len(env.sim.Mutations())
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Abort(context.Background())
	if ExitCode(err) != contract.ExitUsage || f.ExitCode != contract.ExitUsage {
		t.Fatalf("abort: exit %d %+v %v, want a refusal (exit 2)", ExitCode(err), f, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal lacks %q: %v", w, err)
		}
	}
	if n := stateRecords(env.journal(t, "orders-db")); n != recs {
		t.Errorf("a refused abort wrote %d journal records", n-recs)
	}
	if n := len(env.sim.Mutations()); n != muts {
		t.Errorf("a refused abort changed AWS: %+v", env.sim.Mutations()[muts:])
	}
	return f
}

// Issue 12: abort after a finished run panicked (nil deployment), and a
// second abort journalled "rolled back … proxy targets blue" and exited 0.
func TestAbortAfterAFinishedRunRefusesTwiceWithTheTruth(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: %+v %v", f, err)
	}
	for i := 0; i < 2; i++ {
		af := abortRefused(t, env, "switchover has happened", "nothing to abort", "new primary", "last run finished (done)")
		if af.ProxyState != contract.ProxyOnNewPrimary {
			t.Errorf("abort %d reports proxy %s, want new-primary", i+1, af.ProxyState)
		}
	}
	st := journal.Fold(env.journal(t, "orders-db"))
	if st.Finished == nil || st.Finished.Outcome != contract.OutcomeDone {
		t.Errorf("the journal's last word is no longer the finished run: %+v", st.Finished)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
}

// Killed right after the switchover: abort must refuse, say where things
// are and that resume finishes; resume then does.
func TestAbortAfterTheSwitchoverOfAnUnfinishedRunPointsToResume(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	killAtStep(t, env, contract.StepAttachProxyPrimary)
	f := abortRefused(t, env, "SWITCHOVER_COMPLETED", "nothing to abort", "rdsbg resume --source orders-db", "Proxy: none")
	if f.ProxyState != contract.ProxyEmpty {
		t.Errorf("abort reports proxy %s, want none (the critical section is open)", f.ProxyState)
	}
	abortRefused(t, env, "nothing to abort")
	f2, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	assertLegacyEndState(t, env, f2)
}

// With nothing in AWS to undo and no run in the journal, abort says so
// instead of journalling a rollback that did not happen.
func TestAbortWithNothingToAbortWritesNothing(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Abort(context.Background())
	if ExitCode(err) != contract.ExitUsage || !strings.Contains(err.Error(), "nothing to abort") || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("abort: %+v %v", f, err)
	}
	// No journal at all: a refused command leaves none behind.
	if recs, err := journal.Read(journal.Path(env.stateDir, "orders-db")); err == nil || stateRecords(recs) != 0 {
		t.Errorf("journalled: %+v", recs)
	}
	env.assertNoMutations(t)
}
