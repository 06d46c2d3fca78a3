package main

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps"
)

// plan shows the storage options as rows and on the create line, in the
// AWS CLI's own flag names.
func TestCLIPlanShowsStorageOptions(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	code, out, errOut := env.rdsbg(t, "plan", "--source", "orders-db", "--target-storage-type", "gp3",
		"--target-allocated-storage", "400", "--target-iops", "12000", "--target-storage-throughput", "500")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "--target-storage-type gp3 --target-allocated-storage 400 --target-iops 12000 --target-storage-throughput 500") {
		t.Errorf("the create line lacks the storage options:\n%s", out)
	}
	if !strings.Contains(out, "--blue-green-deployment-name") || strings.Contains(strings.ReplaceAll(out, "--blue-green-deployment-name", ""), "--deployment-name") {
		t.Errorf("plan must name AWS's --blue-green-deployment-name only:\n%s", out)
	}
	if n := len(env.sim.Mutations()); n != 0 {
		t.Errorf("plan changed AWS: %d mutations", n)
	}
}

// Bad storage options stop before any AWS call (exit 2); on an Aurora
// cluster they are refused before any change, naming the flag.
func TestCLIStorageOptionsRefused(t *testing.T) {
	for _, c := range []struct {
		scenario string
		args     []string
		mention  string
		noCalls  bool
	}{
		{"rds-postgres-native-proxy", []string{"--source", "orders-db", "--target-storage-type", "gp4"}, "--target-storage-type \"gp4\"", true},
		{"rds-postgres-native-proxy", []string{"--source", "orders-db", "--target-iops", "-5"}, "--target-iops -5", true},
		{"rds-postgres-native-proxy", []string{"--source", "orders-db", "--target-storage-type", "io1", "--target-storage-throughput", "500"}, "--target-storage-throughput applies to gp3", true},
		{"rds-postgres-native-proxy", []string{"--source", "orders-db", "--target-storage-type", "gp2", "--target-iops", "3000"}, "--target-iops does not apply to gp2", true},
		{"rds-postgres-native-proxy", []string{"--source", "orders-db", "--target-iops", "many"}, "--target-iops", true},
		{"aurora-postgres-proxy", []string{"--source", "ledger-cluster", "--target-iops", "3000"}, "--target-iops applies to RDS DB instances only, and ledger-cluster is an Aurora cluster", false},
		{"aurora-postgres-proxy", []string{"--source", "ledger-cluster", "--target-allocated-storage", "500"}, "--target-allocated-storage applies to RDS DB instances only", false},
	} {
		for _, cmd := range []string{"plan", "run"} {
			env := newCLIEnv(t, c.scenario)
			args := append([]string{cmd}, c.args...)
			if cmd == "run" {
				id := c.args[1]
				args = append(args, "--yes", "--confirm", id)
			}
			code, out, errOut := env.rdsbg(t, args...)
			if code != steps.ExitUsage || !strings.Contains(errOut, c.mention) {
				t.Errorf("%v: exit %d, want %d naming %q\n%s%s", args, code, steps.ExitUsage, c.mention, out, errOut)
			}
			if n := len(env.sim.Mutations()); n != 0 {
				t.Errorf("%v: %d mutations, want none", args, n)
			}
			if c.noCalls && env.sim.TotalCalls() != 0 {
				t.Errorf("%v: %d AWS calls before the flags were checked", args, env.sim.TotalCalls())
			}
		}
	}
}
