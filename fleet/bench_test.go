package fleet

import (
	"bufio"
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// BenchmarkFleet200 is the scale run of issue 25: `fleet run` prepares
// (--until ready) and then switches over 200 databases of the simulator's
// fleet:200 (2 accounts × 3 Regions, RDS PostgreSQL, MySQL, MariaDB,
// Aurora PostgreSQL and Aurora global members in the detach procedure;
// the last account-Region a hypothetical one without native proxy
// support) in 4 waves, with AWS's timings on clock.Events: model time
// passes only while every run waits on AWS, and each request takes none,
// so three hours of AWS time cost only the CPU the calls need, and the
// simulator sees each request at the instant the pacer admitted it.
// It reports:
//
//   - done: runs that ended done (all 200 must);
//   - peak-req/s: the most RDS requests the simulator received within any
//     rolling second in one account-Region (the budget is 8);
//   - throttled: requests AWS's own budget (12/s, burst 300) refused;
//   - peak-RSS-MB: the process's peak resident memory (simulator included);
//   - overhead-%: total simulated time over the waves' own critical paths
//     (each account-Region's runs as MaxConcurrency slots would take them,
//     summed over waves and phases, bakes included), minus 100.
//
// The journals go to a tmpfs state directory when the machine has one:
// the run measures the fleet, not the disk's fsync.
func BenchmarkFleet200(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchFleet(b, 200, 4)
	}
}

func benchFleet(b *testing.B, n, waves int) {
	simtest.IsolateAWSEnv(b)
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(sim.FleetAWSConfig()), 0o600); err != nil {
		b.Fatal(err)
	}
	clk := clock.NewEvents(simtest.Start, 100*time.Microsecond, 100*time.Millisecond)
	defer clk.Close()
	s, err := sim.New(sim.Options{Scenario: "fleet:" + strconv.Itoa(n), Clock: clk, Seed: 11})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	connect := Connector(awsclient.Options{EndpointURL: srv.URL, HTTPClient: srv.Client(), Clock: clk})
	stateDir := benchStateDir(b)

	sel := defaultSelection()
	pol := Policy{CanaryTag: "wave=canary", WavePercents: []int{20, 30, 50}, MaxConcurrency: DefaultMaxConcurrency,
		StopAfterFailures: 1, Budget: DefaultBudget, Bake: 5 * time.Minute}
	if waves != 4 {
		b.Fatalf("the scale run has 4 waves")
	}
	ctx := context.Background()
	budgets := NewBudgets(clk) // one process: plan and runs share the budgets
	plan, err := BuildPlan(ctx, PlanConfig{Connect: connect, Clock: clk, ID: "fleet-bench", Budgets: budgets}, sel, pol)
	if err != nil {
		b.Fatal(err)
	}
	if plan.Runnable() != n || len(plan.Waves) != 4 {
		b.Fatalf("plan: %d runnable of %d, %d waves", plan.Runnable(), len(plan.Databases), len(plan.Waves))
	}
	var events atomic.Int64
	run := func(until string) Result {
		r, err := NewRunner(plan, RunConfig{Connect: connect, Clock: clk, StateDir: stateDir, Until: until, Metrics: true, Budgets: budgets,
			Sink: func(Update) { events.Add(1) }})
		if err != nil {
			b.Fatal(err)
		}
		return r.Run(ctx)
	}
	b.ResetTimer()
	prep := run(contract.UntilReady)
	if prep.Counts[StateReady] != n {
		b.Fatalf("prepare: %v (%s)", prep.Counts, prep.Halted)
	}
	sw := run("")
	b.StopTimer()
	if sw.Counts[StateDone] != n {
		b.Fatalf("switchover: %v (%s)", sw.Counts, sw.Halted)
	}
	total := prep.Ended.Sub(prep.Started) + sw.Ended.Sub(sw.Started)
	critical := CriticalPath(prep, plan.Policy.MaxConcurrency) + CriticalPath(sw, plan.Policy.MaxConcurrency)
	peak, throttled := 0, 0
	for _, r := range s.FleetRates() {
		peak = max(peak, r.Peak)
		throttled += r.Throttled
		b.Logf("%s/%s: %d databases, %d requests, peak %d/s at %s, %d throttled", r.Account, r.Region, r.Databases, r.Requests, r.Peak, r.PeakAt.Format(time.TimeOnly), r.Throttled)
	}
	b.Logf("prepare %s, switchover %s, critical paths %s, outage %s, %d events", prep.Ended.Sub(prep.Started).Round(time.Second),
		sw.Ended.Sub(sw.Started).Round(time.Second), critical.Round(time.Second), (time.Duration(prep.OutageMS+sw.OutageMS) * time.Millisecond).Round(time.Second), events.Load())
	b.ReportMetric(float64(clk.Moves()), "clock-moves")
	b.ReportMetric(float64(sw.Counts[StateDone]), "done")
	b.ReportMetric(float64(peak), "peak-req/s")
	b.ReportMetric(float64(throttled), "throttled")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	b.ReportMetric(total.Minutes(), "sim-min")
	b.ReportMetric(critical.Minutes(), "critical-min")
	b.ReportMetric(100*(total.Seconds()/critical.Seconds()-1), "overhead-%")
	b.ReportMetric((total - critical).Seconds(), "overhead-s")
	if total > critical+critical/10 {
		b.Errorf("total simulated time %s is more than 10%% above the waves' critical paths %s", total, critical)
	}
	if peak > DefaultBudget {
		b.Errorf("peak %d requests/s in one account-Region, above the budget %d", peak, DefaultBudget)
	}
}

// CriticalPath is the time the waves of res would take with no fleet
// overhead: per wave, each account-Region's runs in their start order on
// slots slots (Makespan), the slowest account-Region, plus the bake.
func CriticalPath(res Result, slots int) time.Duration {
	var sum time.Duration
	for _, w := range res.Waves {
		byTarget := map[string][]RunRecord{}
		for _, r := range w.Runs {
			byTarget[r.Target] = append(byTarget[r.Target], r)
		}
		var worst time.Duration
		for _, runs := range byTarget {
			sortByStart(runs)
			var ds []time.Duration
			for _, r := range runs {
				ds = append(ds, r.Ended.Sub(r.Started))
			}
			worst = max(worst, Makespan(ds, slots))
		}
		sum += worst + w.Bake
	}
	return sum
}

func sortByStart(rs []RunRecord) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Started.Before(rs[j-1].Started); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// benchStateDir is a state directory on tmpfs when there is one.
func benchStateDir(b *testing.B) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "rdsbg-fleet-bench-"); err == nil {
			b.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return b.TempDir()
}

// peakRSSMB is VmHWM from /proc/self/status, in MiB (0 where there is no
// /proc).
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
