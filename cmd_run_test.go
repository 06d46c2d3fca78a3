package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// An unwritable state directory is refused before any change. AWS is read
// (not changed): the refusal says whether a proxy is empty, and then how to
// restore it instead of "pass --state-dir" (docs/bad-input.md, issue 20 B10).
func TestCLIUnwritableStateDirIsRefusedBeforeAnyChange(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env.stateDir = filepath.Join(blocker, "state") // a directory under a regular file cannot exist
	code, _, errOut := env.rdsbg(t, "run", "--source", "orders-db", "--yes", "--confirm", "orders-db")
	if code != contract.ExitUsage {
		t.Fatalf("exit %d, want %d: %s", code, contract.ExitUsage, errOut)
	}
	if !strings.Contains(errOut, env.stateDir) || !strings.Contains(errOut, "--state-dir") {
		t.Fatalf("message does not name the directory and the flag: %s", errOut)
	}
	if m := env.sim.Mutations(); len(m) != 0 {
		t.Fatalf("AWS was changed before the state directory was checked: %+v", m)
	}
}

// run hands its options to the engine, which checks them once
// (contract.ValidateOptions) before any AWS call, the same way for every flag:
// a bad --switchover-timeout and a --db-dsn naming another database (which
// the command line never checked itself) are refused alike, on stderr with
// exit 2 and at the end of the event stream, in text and in JSON.
func TestCLIRunRefusesBadOptionsOnceTheEngineWay(t *testing.T) {
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--switchover-timeout", "10"}, "--switchover-timeout 10 is outside 30–3600 seconds"},
		{[]string{"--db-dsn", "postgres://app:s3cr3t@billing-db.abcdefghijkl.us-east-1.rds.amazonaws.com/postgres"}, "the endpoint of billing-db"},
	} {
		env := newCLIEnv(t, "rds-postgres-native-proxy")
		args := append([]string{"run", "--source", "orders-db", "--yes", "--confirm", "orders-db"}, c.flags...)
		code, out, errOut := env.rdsbg(t, args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != contract.ExitUsage || !strings.HasPrefix(errOut, "rdsbg: ") || !strings.Contains(errOut, c.want) ||
			len(lines) != 2 || !strings.Contains(lines[0], "finished: failed (exit 2)") || !strings.Contains(lines[1], c.want) {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", c.flags, code, out, errOut)
		}
		code, out, errOut = env.rdsbg(t, append(args, "--output", "json")...)
		var last struct {
			Type     string `json:"type"`
			Message  string `json:"message"`
			ExitCode int    `json:"exit_code"`
		}
		if err := json.Unmarshal([]byte(out), &last); err != nil || code != contract.ExitUsage || last.Type != string(contract.EventRunFinished) ||
			last.ExitCode != contract.ExitUsage || !strings.Contains(last.Message, c.want) || strings.Contains(out+errOut, "s3cr3t") {
			t.Errorf("%v --output json: exit %d, %v\nstdout: %s\nstderr: %s", c.flags, code, err, out, errOut)
		}
		if n := env.sim.TotalCalls(); n != 0 {
			t.Errorf("%v: %d AWS calls before the refusal", c.flags, n)
		}
		if entries, _ := os.ReadDir(env.stateDir); len(entries) != 0 {
			t.Errorf("%v: the refusal wrote to the state directory: %v", c.flags, entries)
		}
	}
}

// A refusal of bad input reads nothing from AWS, so it says nothing about
// the proxy's present: proxy_state is "unknown" in JSON and text alike,
// never a "blue" it has not seen (docs/events.md).
func TestCLIRefusalOfBadInputSaysProxyUnknown(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-legacy-proxy")
	args := []string{"run", "--source", "orders-db", "--proxy-mode", "detach", "--yes", "--confirm", "orders-db", "--max-proxy-outage", "-5m"}
	code, out, errOut := env.rdsbg(t, append(args, "--output", "json")...)
	var last struct {
		Type       string `json:"type"`
		ProxyState string `json:"proxy_state"`
	}
	if err := json.Unmarshal([]byte(out), &last); err != nil || code != contract.ExitUsage || last.Type != string(contract.EventRunFinished) || last.ProxyState != contract.ProxyUnknown {
		t.Errorf("json: exit %d, %v, proxy_state %q, want %q\nstdout: %s\nstderr: %s", code, err, last.ProxyState, contract.ProxyUnknown, out, errOut)
	}
	code, out, errOut = env.rdsbg(t, args...)
	if code != contract.ExitUsage || !strings.Contains(out, "proxy unknown") || strings.Contains(out, "proxy blue") {
		t.Errorf("text: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls before the refusal", n)
	}
}
