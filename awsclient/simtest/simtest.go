// Package simtest is the one test harness for the simulator and the AWS
// environment: the tests of every package (and tools/windowbench) start
// the simulator, keep the machine's AWS settings out, and drive `rdsbg`
// and `rdsbg sim` processes through it instead of through copies of their
// own. It imports the simulator but not awsclient, so that awsclient's own
// tests can use it too; each package builds its client from Server.URL and
// Server.HTTPClient.
package simtest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// Start is the virtual clock's start for a simulator test that names none.
var Start = time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC)

// Region is the region every test talks to.
const Region = "us-east-1"

// FastTimings are the simulator's compressed figures, which the tests were
// written for (the simulator's default is AWS's own timings).
func FastTimings() *sim.Timings {
	t := sim.FastTimings()
	return &t
}

// Server is the simulator behind httptest on loopback, on a virtual clock.
type Server struct {
	Sim   *sim.Simulator
	Clock *clock.Virtual
	HTTP  *httptest.Server
	URL   string
}

// HTTPClient is the client that reaches the server (httptest's own).
func (s *Server) HTTPClient() *http.Client { return s.HTTP.Client() }

// NewServer starts the simulator with o behind httptest and stops it when
// the test ends. o.Clock, when it is a *clock.Virtual, is kept; otherwise
// a virtual clock at Start replaces it. o.Timings defaults to FastTimings.
func NewServer(t testing.TB, o sim.Options) *Server {
	t.Helper()
	clk, ok := o.Clock.(*clock.Virtual)
	if !ok || clk == nil {
		clk = clock.NewVirtual(Start)
	}
	o.Clock = clk
	if o.Timings == nil {
		o.Timings = FastTimings()
	}
	s, err := sim.New(o)
	if err != nil {
		t.Fatalf("sim.New(%s): %v", o.Scenario, err)
	}
	t.Cleanup(s.Close) // the proxy forwarders (sim.Options.ProxyForwardTo)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &Server{Sim: s, Clock: clk, HTTP: srv, URL: srv.URL}
}

// AWSEnvKeys are the machine's AWS settings that must stay out of the
// tests: profile, region, endpoints, credentials, retry settings, and a CA
// bundle (which cannot be applied to httptest's plain *http.Client).
var AWSEnvKeys = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL_STS",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_NEW_RETRIES_2026", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
	"AWS_CA_BUNDLE",
}

// IsolateAWSEnv makes the SDK's default loader see no real configuration,
// credentials or instance metadata for the rest of the test, so that the
// test depends only on what it sets and can never reach AWS. It uses
// t.Setenv, so the test cannot be parallel: a package whose tests run in
// parallel isolates the whole process once with IsolateProcess instead.
func IsolateAWSEnv(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range AWSEnvKeys {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

// IsolateProcess is IsolateAWSEnv for the whole test process, for
// TestMain; the returned function removes its directory.
func IsolateProcess() (cleanup func()) {
	dir, err := os.MkdirTemp("", "rdsbg-aws-")
	if err != nil {
		panic(err)
	}
	for _, k := range AWSEnvKeys {
		os.Unsetenv(k)
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	return func() { os.RemoveAll(dir) }
}
