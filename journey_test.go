package main

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

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

// writeReadyJournal writes the journal of a run paused ready, as the
// engine writes it, with green on class.
func writeReadyJournal(t *testing.T, stateDir, source, class string) {
	t.Helper()
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := steps.OpenJournal(steps.JournalPath(stateDir, source), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	plan := steps.Plan{Source: steps.Source{Kind: "instance", ID: source}, Regime: steps.RegimeNative,
		Proxies: []steps.ProxyRegistration{{Proxy: "shop-proxy", TargetGroup: "default"}}}
	green := &steps.GreenInfo{DeploymentID: "bgd-0123456789abcdef", Members: []steps.GreenMember{{ID: source + "-green-abcdef", Class: class}}}
	for _, rec := range []steps.Record{
		{Kind: steps.RecordRunStarted, Source: source, Plan: &plan, DeploymentID: "bgd-0123456789abcdef"},
		{Kind: steps.RecordFinish, Time: time.Now().Add(-3 * time.Hour), Finished: &steps.Finished{Outcome: steps.OutcomeReady, ProxyState: steps.ProxyOnBlue, Green: green}},
	} {
		if err := j.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
}

// Declined or paused runs vanished from status and resume; now both list
// the runs waiting for the operator with age and green's classes.
func TestCLIStatusAndResumeListPausedRuns(t *testing.T) {
	env := newCLIEnv(t, "rds-mysql-native-proxy")
	writeReadyJournal(t, env.stateDir, "shop-db", "db.r6g.large")
	writeReadyJournal(t, env.stateDir, "orders-db", "db.m6g.xlarge")
	code, out, errOut := env.rdsbg(t, "status")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"shop-db", "orders-db", "ready for the switchover", "db.r6g.large", "db.m6g.xlarge", "3h00m ago", "--source"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = env.rdsbg(t, "resume")
	if code != steps.ExitUsage || !strings.Contains(errOut, "db.m6g.xlarge") || !strings.Contains(errOut, "pass --source") {
		t.Errorf("resume with two paused runs: exit %d\n%s%s", code, out, errOut)
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Errorf("listing made %d AWS calls", n)
	}
}
