package main

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps"
)

// A mistyped --confirm costs nothing: refused before any AWS call (not
// even a read), naming both the typed value and the source (issue 13).
func TestCLIWrongConfirmMakesNoAWSCall(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--source", "orders-db", "--yes", "--confirm", "not-the-source"},
		{"run", "--source", "orders-db", "--yes", "--confirm", "not-the-source", "--until", "ready"},
		{"resume", "--source", "orders-db", "--yes", "--confirm", "not-the-source"},
		{"abort", "--source", "orders-db", "--yes", "--confirm", "not-the-source"},
	} {
		env := newCLIEnv(t, "rds-postgres-native-proxy")
		code, out, errOut := env.rdsbg(t, args...)
		if code != steps.ExitUsage || !strings.Contains(errOut, "not-the-source") || !strings.Contains(errOut, "orders-db") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		if n := env.sim.TotalCalls(); n != 0 {
			t.Errorf("%v: %d AWS calls before the confirmation was checked", args, n)
		}
	}
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	// The ARN names the source as well as its identifier does.
	code, _, errOut := env.rdsbg(t, "plan", "--source", "orders-db")
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errOut)
	}
	if err := checkHeadlessApproval("orders-db", "arn:aws:rds:us-east-1:123456789012:db:orders-db", "ready"); err != nil {
		t.Errorf("the ARN was refused: %v", err)
	}
}
