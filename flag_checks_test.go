package main

import (
	"strings"
	"testing"
)

// Walkthrough D21: values that parse but mean nothing are refused the
// same way everywhere — exit 2, the flag named with what to pass — before
// any AWS client exists (the endpoint below would refuse every call, and
// none is reached: the words are the flag's, not a connection's).
func TestFlagValuesAreRefusedWithTheirNames(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--source", "orders-db", "--switchover-timeout", "5x"}, `"5x" is not whole seconds`},
		{[]string{"run", "--source", "orders-db", "--yes", "--hook-timeout", "-1s"}, "--hook-timeout -1s is not a positive duration"},
		{[]string{"plan", "--source", "orders-db", "--max-proxy-outage", "0"}, "--max-proxy-outage 0 bounds nothing"},
		{[]string{"status", "--output", "yaml"}, `--output "yaml" is not one of text, json`},
		{[]string{"abort", "--source", "orders-db", "--output", "xml"}, `--output "xml" is not one of text, json`},
		{[]string{"completion", "tcsh"}, `completion "tcsh": the shells are bash, zsh, fish and powershell`},
		{[]string{"demo", "--scenario", "rds-postgres-legcy-proxy"}, "did you mean rds-postgres-legacy-proxy?"},
	}
	for _, c := range cases {
		args := append(c.args, "--endpoint-url", "http://127.0.0.1:1", "--region", "us-east-1")
		if c.args[0] == "completion" || c.args[0] == "demo" {
			args = c.args
		}
		code, out, errOut := runHelp(t, args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "connection refused") {
			t.Errorf("rdsbg %s: exit %d, want 2 with %q:\n%s%s", strings.Join(c.args, " "), code, c.want, out, errOut)
		}
	}
	// A duration is taken for --switchover-timeout, in whole seconds.
	var s secondsValue
	if err := s.Set("5m"); err != nil || s != 300 {
		t.Errorf("5m = %d, %v", s, err)
	}
}

// Walkthrough D24: several unfinished runs at a terminal offer the list to
// choose from (by number or name); at the end of the input, the refusal.
func TestResumeOffersTheUnfinishedRunsToChooseFrom(t *testing.T) {
	several := &severalRunsError{sources: []string{"orders-db", "shop-db"}, err: usageError("2 unfinished runs")}
	var out strings.Builder
	for answer, want := range map[string]string{"2\n": "shop-db", "orders-db\n": "orders-db", " 1 \n": "orders-db"} {
		got, err := chooseRun(strings.NewReader(answer), &out, several)
		if err != nil || got != want {
			t.Errorf("answer %q: %q, %v; want %s", answer, got, err, want)
		}
	}
	if !strings.Contains(out.String(), "2) shop-db") || !strings.Contains(out.String(), "Resume which run (1-2") {
		t.Errorf("the list: %q", out.String())
	}
	if _, err := chooseRun(strings.NewReader(""), &out, several); err == nil {
		t.Error("no answer chose a run")
	}
	if _, err := chooseRun(strings.NewReader("3\n"), &out, several); err == nil || !strings.Contains(err.Error(), "not one of the unfinished runs") {
		t.Errorf("a wrong answer: %v", err)
	}
}
