package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// complete runs cobra's hidden __complete command as a shell would and
// returns the candidates (without descriptions) and the directive line.
func (e *cliEnv) complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	full := append([]string{"__complete"}, args...)
	var out, errOut bytes.Buffer
	if code := runCLI(full, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("rdsbg %v: exit %d\n%s", full, code, errOut.String())
	}
	var names []string
	directive := ""
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(line, ":") {
			directive = line
			continue
		}
		name, _, _ := strings.Cut(line, "\t")
		names = append(names, name)
	}
	return names, directive
}

func TestCompletionSourceListsInstancesAndClustersFromAWS(t *testing.T) {
	e := newCLIEnv(t, "aurora-postgres-proxy")
	got, directive := e.complete(t, "plan", "--endpoint-url", e.endpoint, "--region", "us-east-1", "--source", "")
	if !strings.Contains(strings.Join(got, " "), "ledger-cluster") {
		t.Fatalf("--source candidates %v: want the Aurora cluster ledger-cluster", got)
	}
	for _, n := range got {
		if strings.HasPrefix(n, "ledger-instance-") {
			t.Errorf("--source offers the Aurora member %s, which is no blue/green source", n)
		}
	}
	if directive != ":4" { // ShellCompDirectiveNoFileComp
		t.Errorf("directive %q: want :4 (no file names)", directive)
	}
	// The prefix filters, and the reads are the only calls.
	got, _ = e.complete(t, "run", "--endpoint-url", e.endpoint, "--region", "us-east-1", "--source", "zz")
	if len(got) != 0 {
		t.Errorf("--source zz: got %v, want nothing", got)
	}
	if n := len(e.sim.Mutations()); n != 0 {
		t.Errorf("completion changed AWS: %d mutations", n)
	}
}

func TestCompletionSourceOnAnInstanceScenario(t *testing.T) {
	e := newCLIEnv(t, "rds-postgres-native-proxy")
	got, _ := e.complete(t, "--endpoint-url", e.endpoint, "--region", "us-east-1", "--source", "ord")
	if len(got) != 1 || got[0] != "orders-db" {
		t.Fatalf("rdsbg --source ord<TAB>: got %v, want [orders-db] (the replica is no source)", got)
	}
}

func TestCompletionEnumFlags(t *testing.T) {
	e := newCLIEnv(t, "rds-postgres-legacy-proxy")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--output", ""}, "text markdown json"},
		{[]string{"run", "--output", ""}, "text json"},
		{[]string{"status", "--output", ""}, "text json"},
		{[]string{"run", "--proxy-mode", ""}, "auto native detach"},
		{[]string{"plan", "--upgrade-via", ""}, "create modify"},
		{[]string{"run", "--cleanup", ""}, "none deployment old-blue"},
		{[]string{"run", "--until", ""}, "ready"},
		{[]string{"demo", "--timings", ""}, "aws aws-2025 fast"},
		{[]string{"sim", "--scenario", ""}, "rds-postgres-native-proxy rds-postgres-legacy-proxy rds-mysql-native-proxy aurora-postgres-proxy aurora-global-proxy rds-mariadb-no-proxy"},
		{[]string{"plan", "--target-storage-type", ""}, "gp2 gp3 io1 io2"},
	} {
		got, _ := e.complete(t, c.args...)
		if strings.Join(got, " ") != c.want {
			t.Errorf("rdsbg %s<TAB>: got %q, want %q", strings.Join(c.args, " "), strings.Join(got, " "), c.want)
		}
	}
	if len(e.sim.Mutations()) != 0 {
		t.Error("completing flags touched AWS")
	}
}

func TestCompletionCommandWritesScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		var out, errOut bytes.Buffer
		if code := runCLI([]string{"completion", shell}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "__complete") {
			t.Errorf("rdsbg completion %s: exit %d, %d bytes without __complete\n%s", shell, code, out.Len(), errOut.String())
		}
	}
}

// --source is a required flag of plan, iam-policy, run and abort (cobra's
// own): completion offers it first, and every flag once it is given.
func TestCompletionOffersTheRequiredSourceFirst(t *testing.T) {
	e := newCLIEnv(t, "rds-postgres-native-proxy")
	for _, cmd := range []string{"plan", "iam-policy", "run", "abort"} {
		got, _ := e.complete(t, cmd, "-")
		if len(got) != 1 || got[0] != "--source" {
			t.Errorf("rdsbg %s -<TAB>: %v, want --source alone", cmd, got)
		}
		got, _ = e.complete(t, cmd, "--source", "orders-db", "-")
		if !slices.Contains(got, "--region") || slices.Contains(got, "--source") {
			t.Errorf("rdsbg %s --source orders-db -<TAB>: %v, want the other flags", cmd, got)
		}
	}
	for _, cmd := range []string{"resume", "status"} { // the journal or a tag may name it
		if got, _ := e.complete(t, cmd, "-"); !slices.Contains(got, "--source") || !slices.Contains(got, "--region") {
			t.Errorf("rdsbg %s -<TAB>: %v, want every flag", cmd, got)
		}
	}
}
