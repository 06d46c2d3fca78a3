package steps

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// simEnv is the real SDK client talking to the in-process simulator over
// loopback, on a virtual clock: the harness every steps test shares.
type simEnv struct {
	api   *awsclient.Client
	sim   *sim.Simulator
	clock *clock.Virtual
	srv   *httptest.Server
}

// simStart is the virtual clock's start for every simulator test.
var simStart = simtest.Start

// newSimEnv starts a scenario with default simulator options.
func newSimEnv(t *testing.T, scenario string) *simEnv {
	t.Helper()
	return newSimEnvWith(t, sim.Options{Scenario: scenario})
}

// newSimEnvWith starts the simulator with o (simtest.NewServer: a virtual
// clock at simStart, the compressed timings unless o names others) and a
// client without a call log.
func newSimEnvWith(t *testing.T, o sim.Options) *simEnv {
	t.Helper()
	s := simtest.NewServer(t, o)
	return &simEnv{api: simClient(t, s, nil), sim: s.Sim, clock: s.Clock, srv: s.HTTP}
}

// simClient is the real SDK client of s, feeding calls when not nil.
func simClient(t testing.TB, s *simtest.Server, calls *awsclient.CallLog) *awsclient.Client {
	t.Helper()
	api, err := awsclient.New(context.Background(), awsclient.Options{
		EndpointURL: s.URL, Region: simtest.Region, Simulator: true, Clock: s.Clock, Calls: calls, HTTPClient: s.HTTPClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// assertNoMutations fails the test if any state-changing call reached AWS.
func (e *simEnv) assertNoMutations(t *testing.T) {
	t.Helper()
	if m := e.sim.Mutations(); len(m) > 0 {
		t.Errorf("read-only code changed AWS: %+v", m)
	}
}

// discover runs Discover and fails the test on error.
func (e *simEnv) discover(t *testing.T, source string) preflight.Discovery {
	t.Helper()
	d, err := preflight.Discover(context.Background(), e.api, source)
	if err != nil {
		t.Fatalf("Discover(%s): %v", source, err)
	}
	return d
}

// TestMain isolates the whole test process from the machine's AWS
// settings once, so that the heavy tests may run in parallel (t.Setenv
// forbids t.Parallel) and `go test ./...` stays under a minute; it removes
// the rdsbg binary the process tests share.
func TestMain(m *testing.M) {
	waitBoundParallelism()
	cleanup := simtest.IsolateProcess()
	code := m.Run()
	simtest.RemoveBuilt()
	cleanup()
	os.Exit(code)
}

// isolateAWSEnv: TestMain has isolated the process; a test that sets an
// AWS variable itself restores it with t.Setenv, so nothing is left to do.
// Kept so that a test states that it relies on the isolation.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
}

// waitBoundParallelism lets six heavy tests run at once (four for the
// long matrices) unless -parallel was given. They spend most of their
// time waiting on child processes (rdsbg sim, rdsbg run) and the
// simulator's scaled clock, not computing: with the default (GOMAXPROCS,
// 2 on a 2-core machine) the package took 59 s, with 4 49 s and with 6
// 41 s on an idle 2-core machine (2026-12-07; README, "Run the tests").
// The long matrices keep 4: their process kills and network cuts race the
// child processes, and the whole of them ran clean at 4 under CI's load.
func waitBoundParallelism() {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if set || runtime.GOMAXPROCS(0) >= 6 {
		return
	}
	n := "6"
	if longMatrices() {
		n = "4"
	}
	_ = flag.Set("test.parallel", n)
}
