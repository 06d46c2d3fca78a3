package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps"
)

// cliEnv is the simulator behind httptest and a clean AWS environment, so
// the command line is tested exactly as an operator runs it against
// `rdsbg sim`.
type cliEnv struct {
	sim      *sim.Simulator
	endpoint string
	stateDir string
}

func newCLIEnv(t *testing.T, scenario string) *cliEnv {
	t.Helper()
	simtest.IsolateAWSEnv(t)
	s := simtest.NewServer(t, sim.Options{Scenario: scenario})
	return &cliEnv{sim: s.Sim, endpoint: s.URL, stateDir: filepath.Join(t.TempDir(), "state")}
}

// rdsbg runs the command line with the simulator's endpoint and returns the
// exit code, stdout and stderr.
func (e *cliEnv) rdsbg(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	full := append([]string{}, args...)
	// A row that names its own endpoint or state directory keeps it.
	if !slices.Contains(args, "--endpoint-url") {
		full = append(full, "--endpoint-url", e.endpoint)
	}
	if !slices.Contains(args, "--state-dir") {
		full = append(full, "--state-dir", e.stateDir)
	}
	full = append(full, "--region", "us-east-1")
	var out, errOut bytes.Buffer
	code := run(full, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// badInputRow is one row of docs/bad-input.md's command-line table.
type badInputRow struct {
	args     []string
	locked   bool
	mentions string
	exit     int
}

// readBadInputTable parses the command-line table of docs/bad-input.md, so
// the document a user reads is exactly what the test runs.
func readBadInputTable(t *testing.T) []badInputRow {
	t.Helper()
	doc, err := os.ReadFile("docs/bad-input.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Command-line cases")
	if !ok {
		t.Fatal("docs/bad-input.md has no '## Command-line cases' section")
	}
	var rows []badInputRow
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 {
			t.Fatalf("malformed row %q", line)
		}
		command, rest, _ := strings.Cut(strings.TrimPrefix(cells[0], "`"), "`")
		exit, err := strconv.Atoi(strings.TrimSpace(cells[2]))
		if err != nil {
			t.Fatalf("row %q: exit code: %v", line, err)
		}
		rows = append(rows, badInputRow{args: strings.Fields(command), locked: strings.Contains(rest, "{locked}"),
			mentions: strings.TrimSpace(cells[1]), exit: exit})
	}
	if len(rows) < 15 {
		t.Fatalf("only %d command-line rows in docs/bad-input.md", len(rows))
	}
	return rows
}

func TestCLIBadInputTable(t *testing.T) {
	for _, row := range readBadInputTable(t) {
		t.Run(strings.Join(row.args, " "), func(t *testing.T) {
			env := newCLIEnv(t, "rds-postgres-native-proxy")
			args := append([]string{}, row.args...)
			for i, a := range args {
				if a == "{unwritable}" {
					blocker := filepath.Join(t.TempDir(), "file")
					if err := os.WriteFile(blocker, nil, 0o600); err != nil {
						t.Fatal(err)
					}
					args[i] = filepath.Join(blocker, "state") // nothing can be created under a file
				}
			}
			if row.locked {
				if err := os.MkdirAll(env.stateDir, 0o700); err != nil {
					t.Fatal(err)
				}
				f, err := os.OpenFile(steps.JournalPath(env.stateDir, "orders-db")+".lock", os.O_CREATE|os.O_RDWR, 0o600)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errOut := env.rdsbg(t, args...)
			if code != row.exit {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, row.exit, out, errOut)
			}
			if !strings.Contains(out+errOut, row.mentions) {
				t.Fatalf("the message does not contain %q:\nstdout: %s\nstderr: %s", row.mentions, out, errOut)
			}
			if m := env.sim.Mutations(); len(m) != 0 {
				t.Fatalf("bad input changed AWS: %+v", m)
			}
		})
	}
}

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
	if code != steps.ExitUsage {
		t.Fatalf("exit %d, want %d: %s", code, steps.ExitUsage, errOut)
	}
	if !strings.Contains(errOut, env.stateDir) || !strings.Contains(errOut, "--state-dir") {
		t.Fatalf("message does not name the directory and the flag: %s", errOut)
	}
	if m := env.sim.Mutations(); len(m) != 0 {
		t.Fatalf("AWS was changed before the state directory was checked: %+v", m)
	}
}

func TestCLIPlanPrintsRunbookAndChangesNothing(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	code, out, errOut := env.rdsbg(t, "plan", "--source", "orders-db", "--proxy-mode", "detach", "--output", "markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"aws rds deregister-db-proxy-targets", "aws rds create-blue-green-deployment",
		"aws rds switchover-blue-green-deployment", "aws rds register-db-proxy-targets", "## Preflight"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown runbook lacks %q", want)
		}
	}
	if m := env.sim.Mutations(); len(m) != 0 {
		t.Fatalf("plan changed AWS: %+v", m)
	}
}

func TestLoopbackEndpointsNeedNoCredentials(t *testing.T) {
	for endpoint, want := range map[string]bool{
		"http://127.0.0.1:8765":     true,
		"http://localhost:4566":     true,
		"http://[::1]:5000":         true,
		"https://rds.amazonaws.com": false,
		"":                          false,
	} {
		if got := isLoopbackEndpoint(endpoint); got != want {
			t.Errorf("isLoopbackEndpoint(%q) = %v, want %v", endpoint, got, want)
		}
	}
}

// Hostile text from the command line never reaches the terminal raw
// (issue 20, B3): an OSC 52 clipboard write, a screen clear, a forged
// "rdsbg: done" line and a right-to-left override in --source are refused
// with their escapes shown, before any AWS call.
func TestCLIControlCharactersInSourceAreRefusedQuoted(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-legacy-proxy")
	for _, src := range []string{"\x1b]52;c;cm0gLXJmIH4=\a\x1b[2Jorders-db", "orders-db\nrdsbg: done; the proxy targets the new primary", "\u202eorders-db", "orders-db\x9b2J"} {
		for _, cmd := range [][]string{{"plan", "--source", src}, {"run", "--source", src, "--yes"}, {"status", "--source", src}, {"abort", "--source", src, "--yes", "--confirm", src}} {
			code, out, errOut := env.rdsbg(t, cmd...)
			if code != steps.ExitUsage || !strings.Contains(errOut, "carries control or direction characters") {
				t.Errorf("%s %q: exit %d, %q", cmd[0], src, code, errOut)
			}
			for _, raw := range []string{"\x1b", "\a", "\u202e", "\u009b", "\nrdsbg: done"} {
				if strings.Contains(out+errOut, raw) {
					t.Errorf("%s %q printed %q raw: %q", cmd[0], src, raw, errOut)
				}
			}
		}
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls for a refused --source", n)
	}
}
