package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps"
)

// status without a readable AWS said `gone`, `none` and exit 0.
func TestCLIStatusUnreadableIsUnknownAndNonZero(t *testing.T) {
	env := newCLIEnv(t, "rds-mysql-native-proxy")
	writeReadyJournal(t, env.stateDir, "shop-db", "db.r6g.large")
	dead := httptest.NewServer(nil)
	url := dead.URL
	dead.Close()
	code, out, errOut := env.rdsbg(t, "status", "--source", "shop-db", "--endpoint-url", url, "--time-scale", "1000") // retries back off on the scaled clock
	if code != steps.ExitStepFailed {
		t.Fatalf("status against a refused connection: exit %d, want %d\n%s%s", code, steps.ExitStepFailed, out, errOut)
	}
	if !strings.Contains(out, "deployment: bgd-0123456789abcdef UNKNOWN") || !strings.Contains(out, "proxy:      UNKNOWN") ||
		strings.Contains(out, " gone") || strings.Contains(out, "proxy:      none") {
		t.Fatalf("status turned an error into a state:\n%s", out)
	}
}
