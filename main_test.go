package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps"
)

// cliEnv is the simulator behind httptest and a clean AWS environment, so
// the command line is tested exactly as an operator runs it against
// `rdsbg sim`.
type cliEnv struct {
	sim      *sim.Simulator
	endpoint string
	stateDir string
}

func newCLIEnv(t *testing.T, scenario string) *cliEnv {
	t.Helper()
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	s, err := sim.New(sim.Options{Scenario: scenario, Clock: clock.NewVirtual(time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &cliEnv{sim: s, endpoint: srv.URL, stateDir: filepath.Join(dir, "state")}
}

// rdsbg runs the command line with the simulator's endpoint and returns the
// exit code, stdout and stderr.
func (e *cliEnv) rdsbg(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	full := append(args, "--endpoint-url", e.endpoint, "--region", "us-east-1", "--state-dir", e.stateDir)
	var out, errOut bytes.Buffer
	code := run(full, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLIBadInputIsRefusedWithNoChange(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		exit     int
		mentions string
	}{
		{"run without --yes never prompts", []string{"run", "--source", "orders-db"}, steps.ExitUsage, "pass --yes"},
		{"run without --source", []string{"run", "--yes"}, steps.ExitUsage, "--source is required"},
		{"plan without --source", []string{"plan"}, steps.ExitUsage, "--source is required"},
		{"unknown flag", []string{"plan", "--source", "orders-db", "--bogus"}, steps.ExitUsage, "--bogus"},
		{"bad output", []string{"plan", "--source", "orders-db", "--output", "yaml"}, steps.ExitUsage, `--output "yaml"`},
		{"bad run output", []string{"run", "--source", "orders-db", "--yes", "--output", "xml"}, steps.ExitUsage, `--output "xml"`},
		{"timeout too short", []string{"run", "--source", "orders-db", "--yes", "--switchover-timeout", "10"}, steps.ExitUsage, "--switchover-timeout 10"},
		{"read replica as source", []string{"run", "--source", "orders-db-replica-1", "--yes"}, steps.ExitUsage, "pass --source orders-db"},
		{"unknown source", []string{"plan", "--source", "nope-db"}, steps.ExitUsage, "nope-db"},
		{"invalid version", []string{"plan", "--source", "orders-db", "--target-engine-version", "99.1"}, steps.ExitPreflight, "99.1"},
		{"abort without source", []string{"abort"}, steps.ExitUsage, "--source is required"},
		{"resume with nothing to resume", []string{"resume"}, steps.ExitUsage, "nothing to resume"},
		{"unexpected argument", []string{"plan", "orders-db"}, steps.ExitUsage, "orders-db"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newCLIEnv(t, "rds-postgres-legacy-proxy")
			code, out, errOut := env.rdsbg(t, c.args...)
			if code != c.exit {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.exit, out, errOut)
			}
			if !strings.Contains(out+errOut, c.mentions) {
				t.Fatalf("the message does not name %q:\nstdout: %s\nstderr: %s", c.mentions, out, errOut)
			}
			if m := env.sim.Mutations(); len(m) != 0 {
				t.Fatalf("bad input changed AWS: %+v", m)
			}
		})
	}
}

func TestCLIUnwritableStateDirIsRefusedBeforeAWS(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-legacy-proxy")
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env.stateDir = filepath.Join(blocker, "state") // a directory under a regular file cannot exist
	code, _, errOut := env.rdsbg(t, "run", "--source", "orders-db", "--yes", "--confirm", "orders-db")
	if code != steps.ExitUsage {
		t.Fatalf("exit %d, want %d: %s", code, steps.ExitUsage, errOut)
	}
	if !strings.Contains(errOut, env.stateDir) || !strings.Contains(errOut, "--state-dir") {
		t.Fatalf("message does not name the directory and the flag: %s", errOut)
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Fatalf("%d AWS calls were made before the state directory was checked", n)
	}
}

func TestCLIUnknownScenarioAndSpeed(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"sim", "--scenario", "oracle-rac", "--listen", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut); code != steps.ExitUsage {
		t.Fatalf("unknown scenario: exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "oracle-rac") || !strings.Contains(errOut.String(), "rds-postgres-legacy-proxy") {
		t.Fatalf("message should name the input and the valid scenarios: %s", errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"demo", "--speed", "0"}, strings.NewReader(""), &out, &errOut); code != steps.ExitUsage {
		t.Fatalf("speed 0: exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "--speed") {
		t.Fatalf("message should name --speed: %s", errOut.String())
	}
}

func TestCLIPlanPrintsRunbookAndChangesNothing(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-legacy-proxy")
	code, out, errOut := env.rdsbg(t, "plan", "--source", "orders-db", "--proxy-mode", "detach", "--output", "markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"aws rds deregister-db-proxy-targets", "aws rds create-blue-green-deployment",
		"aws rds switchover-blue-green-deployment", "aws rds register-db-proxy-targets", "## Preflight"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown runbook lacks %q", want)
		}
	}
	if m := env.sim.Mutations(); len(m) != 0 {
		t.Fatalf("plan changed AWS: %+v", m)
	}
}

func TestLoopbackEndpointsNeedNoCredentials(t *testing.T) {
	for endpoint, want := range map[string]bool{
		"http://127.0.0.1:8765":     true,
		"http://localhost:4566":     true,
		"http://[::1]:5000":         true,
		"https://rds.amazonaws.com": false,
		"":                          false,
	} {
		if got := isLoopbackEndpoint(endpoint); got != want {
			t.Errorf("isLoopbackEndpoint(%q) = %v, want %v", endpoint, got, want)
		}
	}
}
