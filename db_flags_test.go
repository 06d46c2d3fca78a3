package main

import (
	"strings"
	"testing"
)

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
