package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/fleet"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// fleetCLI is the fleet simulator and the AWS profiles an operator would
// have for its two accounts.
func fleetCLI(t *testing.T, n string) (*simtest.Server, func(args ...string) (int, string, string)) {
	t.Helper()
	simtest.IsolateAWSEnv(t)
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(sim.FleetAWSConfig()), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := simtest.NewServer(t, sim.Options{Scenario: "fleet:" + n})
	return srv, func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		// The fleet's pacers wait on the engine's clock: a faster one keeps
		// the budget's spacing from costing the test seconds.
		code := runCLI(append(args, "--endpoint-url", srv.URL, "--time-scale", "1000"), strings.NewReader(""), &out, &errOut)
		return code, out.String(), errOut.String()
	}
}

func TestCLIFleetPlanRunRefusalsStatusAndExport(t *testing.T) {
	srv, rdsbg := fleetCLI(t, "6")
	dir := t.TempDir()
	planPath := filepath.Join(dir, "fleet.json")
	code, out, errOut := rdsbg("fleet", "plan", "--profiles", "fleet-a,fleet-b", "--regions", "us-east-1,eu-west-1,ap-southeast-2",
		"--tag", "env=prod", "--waves", "50,50", "--fleet-id", "fleet-cli-test", "--output", "json")
	if code != 0 {
		t.Fatalf("fleet plan: exit %d\n%s", code, errOut)
	}
	if err := os.WriteFile(planPath, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	var plan fleet.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil || plan.Runnable() != 6 || len(plan.Waves) != 3 {
		t.Fatalf("plan: %v, %d runnable, %d waves", err, plan.Runnable(), len(plan.Waves))
	}

	// fleet run is refused before any change without the fleet's own
	// confirmation.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--yes"}, "also pass --confirm fleet-cli-test"},
		{[]string{"--yes", "--confirm", "pg-001"}, "does not name this fleet"},
		{[]string{}, "--confirm-wave"},
		{[]string{"--confirm-wave", "--until", "done"}, "the only stop is ready"},
	} {
		code, _, errOut := rdsbg(append([]string{"fleet", "run", "--plan", planPath, "--state-dir", filepath.Join(dir, "a")}, c.args...)...)
		if code != contract.ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("fleet run %v: exit %d, %s", c.args, code, errOut)
		}
	}
	for _, tg := range plan.Targets {
		if m := srv.Sim.Member(tg.Account, tg.Region).Mutations(); len(m) != 0 {
			t.Fatalf("a refused fleet run changed %s: %v", tg.Key(), m)
		}
	}

	// Prepare the fleet on this machine (state directory a) ...
	connect := fleet.Connector(awsclient.Options{EndpointURL: srv.URL, HTTPClient: srv.HTTPClient(), Clock: srv.Clock})
	runner, err := fleet.NewRunner(&plan, fleet.RunConfig{Connect: connect, Clock: srv.Clock, StateDir: filepath.Join(dir, "a"), Until: contract.UntilReady})
	if err != nil {
		t.Fatal(err)
	}
	if res := runner.Run(context.Background()); res.Counts[fleet.StateReady] != 6 {
		t.Fatalf("prepare: %s", res.Line())
	}
	// ... and read it from another (state directory b): the same fleet.
	code, out, errOut = rdsbg("fleet", "status", "--plan", planPath, "--state-dir", filepath.Join(dir, "b"))
	if code != 0 || !strings.Contains(out, "Fleet fleet-cli-test, read from AWS: 6 ready, 1 blocked; 0 proxies empty") {
		t.Fatalf("fleet status from another state directory: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = rdsbg("fleet", "status", "--plan", planPath, "--state-dir", filepath.Join(dir, "b"), "--output", "json")
	var st fleet.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Counts[fleet.PhaseReady] != 6 {
		t.Fatalf("fleet status --output json: exit %d\n%s", code, out)
	}
	for _, d := range st.Databases {
		if d.Phase == fleet.PhaseReady && (d.Run == "" || !strings.HasPrefix(d.Deployment, "bgd-")) {
			t.Errorf("%s: deployment %q run %q", d.Source, d.Deployment, d.Run)
		}
	}

	// Each database is an ordinary run: the usual commands work on it
	// with its profile and Region.
	var one fleet.Database
	for _, d := range plan.Databases {
		if d.Wave > 0 && d.Region == "us-east-1" && d.Account == "111111111111" {
			one = d
		}
	}
	code, out, errOut = rdsbg("status", "--source", one.Source, "--profile", "fleet-a", "--region", "us-east-1", "--state-dir", filepath.Join(dir, "a"))
	if code != 0 || !strings.Contains(out, "ready") {
		t.Fatalf("rdsbg status of %s: exit %d\n%s%s", one.Source, code, out, errOut)
	}
	// `rdsbg abort` is the engine's abort on that run's journal; it runs
	// here on the simulator's virtual clock, which a command line's own
	// clock cannot move.
	api, err := connect(context.Background(), "fleet-a", "us-east-1", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	be := steps.NewBackend(steps.Config{API: api, Clock: srv.Clock, StateDir: filepath.Join(dir, "a")})
	if fin, err := be.Run(context.Background(), "abort", contract.Options{Source: one.Source}, contract.HeadlessApprover{Yes: true, Confirm: one.Source}, nil); err != nil || fin.ExitCode != 0 {
		t.Fatalf("abort of %s: %v (%+v)", one.Source, err, fin.Outcome)
	}
	code, out, _ = rdsbg("fleet", "status", "--plan", planPath, "--state-dir", filepath.Join(dir, "b"))
	if code != 0 || !strings.Contains(out, "5 ready") || !strings.Contains(out, one.Source) {
		t.Fatalf("fleet status after aborting %s:\n%s", one.Source, out)
	}

	code, out, errOut = rdsbg("fleet", "export", "--plan", planPath, "--to", "github-actions")
	if code != 0 || !strings.Contains(out, "environment: rdsbg-wave-3") {
		t.Fatalf("fleet export: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = rdsbg("fleet", "export", "--plan", planPath, "--to", "argo"); code != contract.ExitUsage || !strings.Contains(errOut, "github-actions") {
		t.Fatalf("fleet export --to argo: exit %d %s", code, errOut)
	}
}
