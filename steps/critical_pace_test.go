package steps

import (
	"context"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
)

// readTimes runs one wait whose poll is satisfied from the n-th read on
// and returns the elapsed time of every read.
func readTimes(t *testing.T, spec poll.Spec, satisfiedFrom int) []time.Duration {
	t.Helper()
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	eng := env.engine(t, contract.Options{Source: "catalog-db"})
	eng.cfg.Poll.Jitter = 0
	start := env.clock.Now()
	var at []time.Duration
	spec.Step, spec.What, spec.Limit = contract.StepAttachProxyBlue, "x", time.Hour
	spec.Poll = func(context.Context) (bool, contract.Progress, error) {
		at = append(at, env.clock.Now().Sub(start))
		return len(at) >= satisfiedFrom, contract.Progress{}, nil
	}
	if err := eng.wait(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	return at
}

func near(a, b time.Duration) bool { return a-b < 5*time.Millisecond && b-a < 5*time.Millisecond }

func TestWaitAfterAMutationSkipsTheReadAtOnce(t *testing.T) {
	at := readTimes(t, poll.Spec{Speed: poll.Fast, AfterMutation: true}, 2)
	if len(at) != 2 || !near(at[0], time.Second) || !near(at[1], 2*time.Second) {
		t.Errorf("reads at %v, want 1s and 2s: the mutation's answer already showed the state", at)
	}
	at = readTimes(t, poll.Spec{Speed: poll.Fast}, 2)
	if len(at) != 2 || !near(at[0], 0) {
		t.Errorf("reads at %v, want the first at once without afterMutation", at)
	}
}

func TestRampTimesAShortTransitionAndConfirmsAtTheFullInterval(t *testing.T) {
	var lo, hi time.Duration
	at := readTimes(t, poll.Spec{Speed: poll.Fast, Ramp: true, Stable: 2, Seen: func(l, h time.Duration) { lo, hi = l, h }}, 5)
	// 0, +100ms, +120ms, +144ms, +172.8ms (satisfied), then the
	// confirmation a full interval (1 s) later.
	want := []time.Duration{0, 100 * time.Millisecond, 220 * time.Millisecond, 364 * time.Millisecond, 536800 * time.Microsecond, 1536800 * time.Microsecond}
	if len(at) != len(want) {
		t.Fatalf("reads at %v, want %v", at, want)
	}
	for i := range want {
		if !near(at[i], want[i]) {
			t.Errorf("read %d at %s, want %s (all: %v)", i+1, at[i], want[i], at)
		}
	}
	if !near(lo, want[3]) || !near(hi, want[4]) {
		t.Errorf("seen (%s, %s], want (%s, %s]", lo, hi, want[3], want[4])
	}
	// Capped at the wait's interval.
	at = readTimes(t, poll.Spec{Speed: poll.Fast, Ramp: true}, 20)
	if gap := at[19] - at[18]; !near(gap, time.Second) {
		t.Errorf("the ramp's gap grew to %s, want the interval 1s", gap)
	}
}

// A ramped wait that lasts minutes (blue's registration takes 5–7 min on
// AWS) keeps reading at its interval: the ramp's gap outgrew a Duration
// after about 140 reads and turned negative, and the reads came back to
// back (found by BenchmarkAPIFootprint on AWS timings: 1,925 reads in 5 min).
func TestRampNeverReadsFasterThanTheIntervalInALongWait(t *testing.T) {
	at := readTimes(t, poll.Spec{Speed: poll.Fast, Ramp: true}, 400)
	for i := 20; i < len(at); i++ {
		if gap := at[i] - at[i-1]; !near(gap, time.Second) {
			t.Fatalf("read %d came %s after the one before, want the interval 1s", i+1, gap)
		}
	}
}

func TestDueWindowReadsWhenTheTransitionIsExpected(t *testing.T) {
	due := &poll.DueWindow{From: 2500 * time.Millisecond, To: 2800 * time.Millisecond, Step: 150 * time.Millisecond, Before: time.Second}
	// Not yet at 2.5 s nor at 2.65 s: then at the window's step, then back
	// to the interval (critical: 600 ms) after the window.
	at := readTimes(t, poll.Spec{Speed: poll.Critical, First: time.Second, Due: due}, 5)
	want := []time.Duration{time.Second, 2 * time.Second, 2500 * time.Millisecond, 2650 * time.Millisecond, 2800 * time.Millisecond}
	if len(at) != len(want) {
		t.Fatalf("reads at %v, want %v", at, want)
	}
	for i := range want {
		if !near(at[i], want[i]) {
			t.Errorf("read %d at %s, want %s (all: %v)", i+1, at[i], want[i], at)
		}
	}
	at = readTimes(t, poll.Spec{Speed: poll.Critical, First: time.Second, Due: due}, 7)
	if gap := at[6] - at[5]; !near(gap, 600*time.Millisecond) {
		t.Errorf("after the due window the gap is %s, want the critical interval (all: %v)", gap, at)
	}
}

// The whole critical section on the virtual clock: the switchover is read
// first one critical interval after the request; the new primary's health
// is read when blue's registration time (timed closely earlier in the
// run) has passed, seen AVAILABLE within a fraction of a second of AWS
// turning it so, with at most two reads; the step ends at that read and
// verify makes the consecutive AVAILABLE reads.
func TestCriticalSectionReadsWhereTheTransitionsAre(t *testing.T) {
	isolateBenchEnv(t)
	o := windowSimOptions()
	// Shorter than the critical interval: as at rdsbg sim --speed 30 (20 s
	// of AWS time), where the difference shows.
	const register = 700 * time.Millisecond
	o.Timings.TargetRegister = register
	r := newBenchRun(t, simStart, o)
	f, err := r.engine(t, contract.Options{Source: windowSource, ProxyMode: contract.ProxyModeDetach, Cleanup: contract.CleanupNone}, approveAll{}, poll.DefaultPolicy()).Run(context.Background())
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("run: outcome %s: %v", f.Outcome, err)
	}
	_, attachTo, ok1 := r.stepSpan(contract.StepAttachProxyPrimary)
	verifyFrom, verifyTo, ok2 := r.stepSpan(contract.StepVerify)
	if !ok1 || !ok2 {
		t.Fatal("attach-proxy-primary or verify did not run")
	}
	r.mu.Lock()
	log := append([]awsclient.Call(nil), r.log...)
	r.mu.Unlock()
	end := func(c awsclient.Call) time.Time { return c.Start.Add(c.Duration) }
	var sent, registered time.Time
	var switchReads, healthReads []time.Time
	for _, c := range log {
		switch {
		case c.Operation == "SwitchoverBlueGreenDeployment":
			sent = end(c)
		case c.Operation == "RegisterDBProxyTargets" && !sent.IsZero():
			registered = c.Start.Add(benchAPILatency / 2)
		case c.Operation == "DescribeBlueGreenDeployments" && !sent.IsZero() && registered.IsZero():
			switchReads = append(switchReads, c.Start)
		case c.Operation == "DescribeDBProxyTargets" && !registered.IsZero() && c.Start.Before(attachTo):
			healthReads = append(healthReads, end(c))
		}
	}
	if sent.IsZero() || registered.IsZero() || len(switchReads) == 0 || len(healthReads) == 0 {
		t.Fatalf("no switchover, registration or reads in the log (%d calls)", len(log))
	}
	if first := switchReads[0].Sub(sent); first < 500*time.Millisecond {
		t.Errorf("the switchover was read %s after its request, want about one critical interval (600 ms)", first)
	}
	available := registered.Add(register)
	var after []time.Duration
	for _, h := range healthReads {
		after = append(after, h.Sub(registered))
	}
	if len(healthReads) > 2 {
		t.Errorf("health reads at %v after the registration, want at most 2 (read when due)", after)
	}
	last := healthReads[len(healthReads)-1]
	if lag := last.Sub(available); lag < 0 || lag > 300*time.Millisecond {
		t.Errorf("the new primary was seen AVAILABLE %s after AWS made it so (reads at %v after the registration), want within 0.3 s", lag, after)
	}
	n := 0
	for _, c := range log {
		if c.Operation == "DescribeDBProxyTargets" && !c.Start.Before(verifyFrom) && c.Start.Before(verifyTo) {
			n++
		}
	}
	if n < poll.DefaultPolicy().StableReads {
		t.Errorf("verify read the proxy %d times, want at least %d in a row (the stable-reads rule)", n, poll.DefaultPolicy().StableReads)
	}
}

// Only attach-proxy-primary's own wait, right after its registration,
// ends at the first AVAILABLE read (verify repeats the stable reads);
// compensation's wait on the same step keeps them.
func TestOnlyTheSectionsOwnHealthWaitDropsTheStableReads(t *testing.T) {
	pol := poll.DefaultPolicy()
	r := &run{e: &Engine{cfg: Config{Poll: pol}, rows: stepTable()}, plan: contract.Plan{Steps: []contract.PlannedStep{{ID: contract.StepAttachProxyPrimary}, {ID: contract.StepVerify}}}}
	r.pace.registration = &registrationTiming{lo: 600 * time.Millisecond, hi: 800 * time.Millisecond}
	spec := func() poll.Spec {
		return poll.Spec{Step: contract.StepAttachProxyPrimary, Speed: poll.Critical, Stable: pol.StableReads}
	}
	compensation := spec()
	r.paceHealthWait(&compensation)
	if compensation.Stable != pol.StableReads || compensation.Due != nil {
		t.Errorf("compensation's wait: stable %d, due %v; want %d and no prediction", compensation.Stable, compensation.Due, pol.StableReads)
	}
	r.pace.registered = true
	own := spec()
	r.paceHealthWait(&own)
	if own.Stable != 1 || own.Due == nil || own.Due.From != 700*time.Millisecond || own.Due.To != 800*time.Millisecond || own.First != 700*time.Millisecond {
		t.Errorf("the section's own wait: stable %d, due %+v, first %s; want 1, 0.7–0.8 s, 0.7 s", own.Stable, own.Due, own.First)
	}
	if r.pace.registered {
		t.Error("the registration flag must be consumed by the wait that follows it")
	}
	r.pace.registered = true
	r.plan.Steps = r.plan.Steps[:1] // no verify after it
	noVerify := spec()
	r.paceHealthWait(&noVerify)
	if noVerify.Stable != pol.StableReads {
		t.Errorf("without verify after it the wait keeps %d stable reads, got %d", pol.StableReads, noVerify.Stable)
	}
}
