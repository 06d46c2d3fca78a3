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
