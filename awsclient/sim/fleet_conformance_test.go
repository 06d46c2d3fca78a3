//go:build conformance

package sim_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// The AWS CLI with the two profiles docs/simulator.md gives reaches each
// account of fleet:N by its access key and each Region by the Region it
// signs for, exactly as it would reach AWS.
func TestConformanceAWSCLIFleetAccountsAndRegions(t *testing.T) {
	s := simtest.NewServer(t, sim.Options{Scenario: "fleet:12"})
	home := t.TempDir()
	if err := os.WriteFile(home+"/config", []byte(sim.FleetAWSConfig()), 0o600); err != nil {
		t.Fatal(err)
	}
	aws := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command("aws", append(args, "--endpoint-url", s.URL, "--output", "json")...)
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "HOME="+home, "AWS_CONFIG_FILE="+home+"/config", "AWS_SHARED_CREDENTIALS_FILE="+home+"/credentials", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		var v map[string]any
		if err := json.Unmarshal(out.Bytes(), &v); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return v
	}
	if got := aws("sts", "get-caller-identity", "--profile", "fleet-b")["Account"]; got != "222222222222" {
		t.Fatalf("profile fleet-b is account %v", got)
	}
	ids := func(v map[string]any) string {
		var out []string
		for _, in := range v["DBInstances"].([]any) {
			out = append(out, in.(map[string]any)["DBInstanceIdentifier"].(string))
		}
		return strings.Join(out, " ")
	}
	a := ids(aws("rds", "describe-db-instances", "--profile", "fleet-a", "--region", "us-east-1"))
	b := ids(aws("rds", "describe-db-instances", "--profile", "fleet-b", "--region", "ap-southeast-2"))
	if !strings.Contains(a, "pg-001") || strings.Contains(b, "pg-001") || !strings.Contains(b, "mysql-006") {
		t.Fatalf("fleet-a us-east-1: %s; fleet-b ap-southeast-2: %s", a, b)
	}
}
