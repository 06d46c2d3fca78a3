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
	"github.com/rdsbg/rdsbg/steps/journal"
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
	if !slices.Contains(args, "--time-scale") {
		// The API pacer (8 requests a second, awsclient/pace.go) waits on
		// the engine's clock: discovery's burst cost each command a wall
		// second here. The simulator answers at once, so nothing else
		// depends on the clock's pace.
		full = append(full, "--time-scale", "50")
	}
	var out, errOut bytes.Buffer
	code := runCLI(full, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func runHelp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runCLI(args, strings.NewReader(""), &out, &errOut)
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
				f, err := os.OpenFile(journal.Path(env.stateDir, "orders-db")+".lock", os.O_CREATE|os.O_RDWR, 0o600)
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
