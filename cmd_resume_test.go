package main

import (
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps"
)

// resume --take-over is severe: headless it needs --confirm as well, and
// the refusal costs no AWS call.
func TestCLIResumeTakeOverNeedsConfirm(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	code, out, errOut := env.rdsbg(t, "resume", "--source", "orders-db", "--yes", "--take-over")
	if code != steps.ExitUsage || !strings.Contains(errOut, "--take-over is severe: also pass --confirm orders-db") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls before the refusal", n)
	}
}
