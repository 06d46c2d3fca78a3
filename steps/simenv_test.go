package steps

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
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
var simStart = time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC)

// newSimEnv starts a scenario with default simulator options.
func newSimEnv(t *testing.T, scenario string) *simEnv {
	t.Helper()
	return newSimEnvWith(t, sim.Options{Scenario: scenario})
}

// newSimEnvWith starts the simulator with o; o.Clock is replaced by the
// env's virtual clock.
func newSimEnvWith(t *testing.T, o sim.Options) *simEnv {
	t.Helper()
	isolateAWSEnv(t)
	clk := clock.NewVirtual(simStart)
	o.Clock = clk
	if o.Timings == nil {
		fast := sim.FastTimings() // the figures these tests were written for
		o.Timings = &fast
	}
	s, err := sim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	api, err := awsclient.New(context.Background(), awsclient.Options{
		EndpointURL: srv.URL, Region: "us-east-1", Simulator: true, Clock: clk, HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &simEnv{api: api, sim: s, clock: clk, srv: srv}
}

// assertNoMutations fails the test if any state-changing call reached AWS.
func (e *simEnv) assertNoMutations(t *testing.T) {
	t.Helper()
	if m := e.sim.Mutations(); len(m) > 0 {
		t.Errorf("read-only code changed AWS: %+v", m)
	}
}

// discover runs Discover and fails the test on error.
func (e *simEnv) discover(t *testing.T, source string) Discovery {
	t.Helper()
	d, err := Discover(context.Background(), e.api, source)
	if err != nil {
		t.Fatalf("Discover(%s): %v", source, err)
	}
	return d
}

// awsEnvKeys are the machine's AWS settings that must stay out of the
// tests: profile, region, endpoints, credentials, retry settings, and a CA
// bundle (which cannot be applied to httptest's plain *http.Client).
var awsEnvKeys = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL_STS",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_NEW_RETRIES_2026", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
	"AWS_CA_BUNDLE",
}

// TestMain isolates the whole test process from the machine's AWS
// settings once, so that the heavy tests may run in parallel (t.Setenv
// forbids t.Parallel) and `go test ./...` stays under a minute.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rdsbg-steps-aws-")
	if err != nil {
		panic(err)
	}
	for _, k := range awsEnvKeys {
		os.Unsetenv(k)
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// isolateAWSEnv: TestMain has isolated the process; a test that sets an
// AWS variable itself restores it with t.Setenv, so nothing is left to do.
// Kept so that a test states that it relies on the isolation.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
}
