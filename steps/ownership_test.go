package steps

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
	"github.com/rdsbg/rdsbg/steps/world"
)

// How a lease found in AWS stands for this process: free (none, released,
// ours), this run's own left by a dead process here (taken again), or
// another's, live or expired.
func TestJudgeLease(t *testing.T) {
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	alive := map[int]bool{100: true, 101: true}
	e := &Engine{holder: Holder{Host: "bastion", PID: 100, User: "dba", Alive: func(pid int) bool { return alive[pid] }}}
	lease := func(run, host string, pid int, until time.Duration) *world.Lease {
		return &world.Lease{Run: run, Host: host, PID: pid, Renewed: now.Add(-time.Minute), Until: now.Add(until)}
	}
	released := lease("r2", "laptop", 7, time.Hour)
	released.Released = now.Add(-time.Second)
	for _, c := range []struct {
		name string
		l    *world.Lease
		run  string
		want leaseState
	}{
		{"none", nil, "r1", leaseFree},
		{"ours, this process", lease("r1", "bastion", 100, time.Hour), "r1", leaseFree},
		{"released by another run", released, "r1", leaseFree},
		{"this run, dead process here", lease("r1", "bastion", 55, time.Hour), "r1", leaseStale},
		{"another run, live process here", lease("r2", "bastion", 101, time.Hour), "r1", leaseLive},
		{"another run, dead process here", lease("r2", "bastion", 55, time.Hour), "r1", leaseExpired},
		{"another host, not expired", lease("r2", "laptop", 7, time.Hour), "r1", leaseLive},
		{"another host, expired", lease("r2", "laptop", 7, -time.Minute), "r1", leaseExpired},
		{"this run from another host, expired", lease("r1", "laptop", 7, -time.Minute), "r1", leaseExpired},
	} {
		if got := e.judgeLease(c.l, c.run, now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRequestFingerprintIsReadableAndBounded(t *testing.T) {
	o := contract.Options{TargetEngineVersion: "16.4", TargetDBInstanceClass: "db.r6g.large"}
	if got := requestFingerprint(o); got != "version=16.4 class=db.r6g.large pg=- cpg=- storage=-" {
		t.Errorf("fingerprint %q", got)
	}
	o.TargetDBParameterGroupName = strings.Repeat("p", 255)
	if got := requestFingerprint(o); !strings.HasPrefix(got, "sha256=") || len(got) > world.MaxTagValue {
		t.Errorf("long fingerprint %q", got)
	}
}

// A default deployment name another deployment already carries gets a
// suffix; a chosen name, or the source's own deployment's, is kept.
func TestTakenDefaultNameGetsASuffix(t *testing.T) {
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	def := contract.DefaultDeploymentName("orders-db", now)
	o := contract.Options{Source: "orders-db", DeploymentName: def}
	d := preflight.Discovery{DeploymentNames: []string{def, def + "-2"}}
	if got := withFreeDefaultName(d, o, now).DeploymentName; got != def+"-3" {
		t.Errorf("taken twice: %s", got)
	}
	d.Deployments = []awsclient.Deployment{{Name: def, Status: "AVAILABLE"}}
	if got := withFreeDefaultName(d, o, now).DeploymentName; got != def {
		t.Errorf("the source's own deployment's name was changed to %s", got)
	}
	o.DeploymentName = "chosen"
	d = preflight.Discovery{DeploymentNames: []string{"chosen"}}
	if got := withFreeDefaultName(d, o, now).DeploymentName; got != "chosen" {
		t.Errorf("a chosen name was changed to %s", got)
	}
}

// In-process O3: another run paused ready with a major upgrade; a run
// without an upgrade refuses its deployment (exit 2, the settings side by
// side, no change), and --adopt does not change that: the settings differ.
func TestRunRefusesAnotherRunsDeploymentAndAMismatchedAdopt(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	first := env.engineCfg(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}, func(c *Config) {
		c.Until = contract.UntilReady
		c.Holder = Holder{Host: "laptop", PID: 4242, User: "alice"}
	})
	if f, err := first.Run(context.Background()); err != nil || f.Outcome != contract.OutcomeReady {
		t.Fatalf("first run: %+v %v", f, err)
	}
	deps, err := env.api.ListDeployments(context.Background(), "")
	if err != nil || len(deps) != 1 {
		t.Fatalf("deployments %+v %v", deps, err)
	}
	otherDir := t.TempDir()
	muts := len(env.sim.Mutations())
	for _, adopt := range []string{"", deps[0].ID} {
		env.stateDir = otherDir
		f, err := env.engineCfg(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}, func(c *Config) {
			c.Adopt = adopt
			c.Holder = Holder{Host: "bastion", PID: 77, User: "bob"}
		}).Run(context.Background())
		if ExitCode(err) != contract.ExitUsage || f.ExitCode != contract.ExitUsage || !strings.Contains(err.Error(), "differs") || !strings.Contains(err.Error(), "16.4") {
			t.Errorf("--adopt %q: exit %d %v, want 2 with the settings side by side", adopt, f.ExitCode, err)
		}
	}
	if n := len(env.sim.Mutations()); n != muts {
		t.Errorf("the refused runs changed AWS: %+v", env.sim.Mutations()[muts:])
	}
	if in, err := env.api.DescribeInstance(context.Background(), "orders-db"); err != nil || in.EngineVersion != "15.7" {
		t.Errorf("production %s %v, want 15.7", in.EngineVersion, err)
	}
}

// A finished run's journal is archived, and the next run of the source
// starts from an empty history: a second upgrade the same day creates a
// new deployment and never leaves the proxy empty through provisioning.
func TestFinishedJournalIsArchivedAndTheNextRunStartsAfresh(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	f1, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, Cleanup: contract.CleanupNone}).Run(context.Background())
	if err != nil || f1.Outcome != contract.OutcomeDone || !strings.Contains(f1.JournalPath, "orders-db.") {
		t.Fatalf("first run: %+v %v", f1, err)
	}
	if _, err := journal.Read(journal.Path(env.stateDir, "orders-db")); err == nil {
		t.Error("the finished journal is still the current one")
	}
	// The first deployment stays (cleanup none): the second run must not
	// take it for its own, and the source can be in one deployment only,
	// so it is refused, changing nothing; deleted, the second run goes on.
	muts := len(env.sim.Mutations())
	if _, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}).Run(context.Background()); ExitCode(err) != contract.ExitUsage {
		t.Fatalf("second run beside the first's deployment: %v", err)
	}
	if n := len(env.sim.Mutations()); n != muts {
		t.Errorf("refused, it changed AWS")
	}
	if _, err := env.api.DeleteDeployment(context.Background(), f1.DeploymentID, false); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Hour)
	f2, err := env.engine(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}).Run(context.Background())
	if err != nil || f2.Outcome != contract.OutcomeDone || f2.DeploymentID == f1.DeploymentID || f2.ProxylessWindowMS == 0 {
		t.Fatalf("second run: %+v %v", f2, err)
	}
	for _, w := range f2.ProxyOutages {
		if w.Cause != contract.OutageDetachBeforeCreate && w.Cause != contract.OutageCriticalSection {
			t.Errorf("an outage AWS did not force: %+v", w)
		}
	}
	if env.sim.DeploymentsCreated() != 2 {
		t.Errorf("deployments created %d", env.sim.DeploymentsCreated())
	}
}
