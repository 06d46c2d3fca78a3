package main

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// AWS's option name, with the first version's name kept as an alias.
func TestBlueGreenDeploymentNameAndItsAlias(t *testing.T) {
	for _, flag := range []string{"--blue-green-deployment-name", "--deployment-name"} {
		e := newCLIEnv(t, "rds-postgres-native-proxy")
		code, out, errOut := e.rdsbg(t, "plan", "--source", "orders-db", flag, "my-bgd")
		if code != 0 || !strings.Contains(out, "--blue-green-deployment-name my-bgd") {
			t.Fatalf("%s: exit %d\n%s\n%s", flag, code, out, errOut)
		}
	}
	_, out, _ := runHelp(t, "plan", "--help")
	if strings.Contains(out, "--deployment-name string") {
		t.Fatal("the alias is listed as a second flag")
	}
}

// The database flags reach the engine: a DSN naming another database is
// refused with exit 2 before any AWS call and never echoed; without
// credentials plan shows the checks as not run, with the line that
// enables them; --db-credentials proxy-secret adds the secret's read to
// iam-policy.
func TestCLIDatabaseFlags(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-legacy-proxy")
	code, out, errOut := env.rdsbg(t, "plan", "--source", "orders-db", "--proxy-mode", "detach",
		"--db-dsn", "postgres://app:s3cr3t-cli@billing-db.abcdefghijkl.us-east-1.rds.amazonaws.com/postgres")
	if code != 2 || !strings.Contains(errOut, "the endpoint of billing-db") || strings.Contains(out+errOut, "s3cr3t-cli") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if n := env.sim.Stats().TotalCalls; n != 0 {
		t.Fatalf("%d AWS calls before the refusal", n)
	}
	code, out, errOut = env.rdsbg(t, "plan", "--source", "orders-db", "--proxy-mode", "detach")
	if code != 0 || !strings.Contains(out, "[not-run] Database checks") || !strings.Contains(out, "export RDSBG_DB_DSN=") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = env.rdsbg(t, "iam-policy", "--source", "orders-db", "--proxy-mode", "detach", "--db-credentials", "proxy-secret")
	if code != 0 || !strings.Contains(out, `"secretsmanager:GetSecretValue"`) || !strings.Contains(out, "orders-proxy-db-credentials-") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// A refused DSN names the input it came from: --db-dsn when the flag gave
// it, RDSBG_DB_DSN when the environment did; nothing changes in AWS.
func TestDSNRefusalNamesTheInputUsed(t *testing.T) {
	const dsn = "postgres://app:pw@10.20.30.40:5432/postgres" // neither the source's endpoint nor its proxy's
	for _, c := range []struct{ from, other string }{{"--db-dsn", contract.EnvDBDSN}, {contract.EnvDBDSN, "--db-dsn"}} {
		env := newCLIEnv(t, "rds-postgres-legacy-proxy")
		args := []string{"plan", "--source", "orders-db", "--proxy-mode", "detach"}
		if c.from == "--db-dsn" {
			args = append(args, "--db-dsn", dsn)
		} else {
			t.Setenv(contract.EnvDBDSN, dsn)
		}
		code, out, errOut := env.rdsbg(t, args...)
		if code != contract.ExitUsage || !strings.Contains(errOut, c.from+" names 10.20.30.40:5432") || strings.Contains(errOut, c.other) {
			t.Errorf("DSN from %s: exit %d, want 2 naming %s only\n%s%s", c.from, code, c.from, out, errOut)
		}
		if n := len(env.sim.Mutations()); n != 0 {
			t.Errorf("DSN from %s: %d mutations, want none", c.from, n)
		}
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
			if code != contract.ExitUsage || !strings.Contains(errOut, c.mention) {
				t.Errorf("%v: exit %d, want %d naming %q\n%s%s", args, code, contract.ExitUsage, c.mention, out, errOut)
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
