package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// victim is a file outside the state directory that a planted symlink
// points at; rdsbg must never write it.
func victim(t *testing.T) (string, func()) {
	t.Helper()
	p := filepath.Join(memoryTempDir(t), "precious") // where the state dirs are: a hard link cannot cross filesystems
	if err := os.WriteFile(p, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, func() {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil || string(b) != "precious\n" {
			t.Errorf("the file behind the symlink changed: %q, %v", b, err)
		}
	}
}

func wantUnsafe(t *testing.T, err error, what string) {
	t.Helper()
	var unsafe *journal.UnsafeStateDirError
	if !errors.As(err, &unsafe) {
		t.Fatalf("err = %v, want an UnsafeStateDirError (%s)", err, what)
	}
	if ExitCode(err) != contract.ExitUsage {
		t.Errorf("exit %d, want %d", ExitCode(err), contract.ExitUsage)
	}
	if !strings.Contains(err.Error(), what) {
		t.Errorf("err %q does not say %q", err, what)
	}
}

func TestSymlinkPlantedAsJournalIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	target, unchanged := victim(t)
	if err := os.Symlink(target, journal.Path(env.stateDir, "catalog-db")); err != nil {
		t.Fatal(err)
	}
	_, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	wantUnsafe(t, err, "symbolic link")
	unchanged()
	env.assertNoMutations(t)
}

func TestSymlinkPlantedAsLockIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	target, unchanged := victim(t)
	if err := os.Symlink(target, journal.Path(env.stateDir, "catalog-db")+".lock"); err != nil {
		t.Fatal(err)
	}
	_, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	wantUnsafe(t, err, "symbolic link")
	unchanged()
	env.assertNoMutations(t)
}

func TestHardLinkedJournalIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	target, unchanged := victim(t)
	if err := os.Link(target, journal.Path(env.stateDir, "catalog-db")); err != nil {
		t.Fatalf("hard link (both directories are under the test's temporary directory, one file system): %v", err)
	}
	_, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	wantUnsafe(t, err, "hard links")
	unchanged()
}

// The runbook is written through a fresh O_EXCL temporary file renamed
// over its name: a symlink planted there is replaced, not followed.
func TestSymlinkPlantedAsRunbookIsReplacedNotFollowed(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	target, unchanged := victim(t)
	runbook := strings.TrimSuffix(journal.Path(env.stateDir, "catalog-db"), ".journal.jsonl") + ".runbook.md"
	if err := os.Symlink(target, runbook); err != nil {
		t.Fatal(err)
	}
	f, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	unchanged()
	fi, err := os.Lstat(runbook)
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("runbook %s is %v (%v), want a regular file", runbook, fi.Mode(), err)
	}
	if f.RunbookPath != runbook {
		t.Errorf("runbook path %q, want %q", f.RunbookPath, runbook)
	}
	left, _ := filepath.Glob(filepath.Join(env.stateDir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestStateDirWritableByOthersIsRefusedUnlessStickyAndOwned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := journal.EnsureDir(dir); err != nil {
		t.Fatalf("a 0700 directory was refused: %v", err)
	}
	for _, mode := range []os.FileMode{0o777, 0o770, 0o722} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		wantUnsafe(t, journal.EnsureDir(dir), "writable by other users")
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := journal.EnsureDir(dir); err != nil {
		t.Errorf("a sticky directory owned by the user was refused: %v", err)
	}
	// Through the engine: refused before any AWS change.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	env.stateDir = dir
	_, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	wantUnsafe(t, err, "writable by other users")
	env.assertNoMutations(t)
}

// A journal line longer than any scanner buffer (the old limit was
// 16 MiB) is read back with the records around it.
func TestJournalLinesOfAnyLengthAreRead(t *testing.T) {
	dir := t.TempDir()
	path := journal.Path(dir, "orders-db")
	j, err := journal.Open(path, func() time.Time { return simStart })
	if err != nil {
		t.Fatal(err)
	}
	plan := contract.Plan{Source: contract.Source{ID: "orders-db"}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(j.Append(journal.Record{Kind: journal.RecordRunStarted, Source: "orders-db", Plan: &plan}))
	must(j.Append(journal.Record{Kind: journal.RecordCompensation, Message: strings.Repeat("x", 17<<20)}))
	must(j.Append(journal.Record{Kind: journal.RecordProxyless, State: "open", Time: simStart}))
	j.Close()
	recs, err := journal.Read(path)
	if err != nil {
		t.Fatalf("ReadJournal: %v", err)
	}
	if len(recs) != 3 || len(recs[1].Message) != 17<<20 || recs[2].Kind != journal.RecordProxyless {
		t.Fatalf("read %d records, want all 3 with the long one intact", len(recs))
	}
	st := journal.Fold(recs)
	if !st.Unfinished() || st.ProxylessAt == nil {
		t.Errorf("folded state lost the records after the long line: %+v", st)
	}
}

// A journal that exists but cannot be read is refused with a clear
// message, never taken for an absent one (which would forget a detached
// proxy).
func TestUnreadableJournalIsRefusedNotTreatedAsAbsent(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	if err := os.Mkdir(journal.Path(env.stateDir, "catalog-db"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
	if err == nil {
		t.Fatal("a run started over an unreadable journal")
	}
	if ExitCode(err) != contract.ExitUsage || !strings.Contains(err.Error(), "catalog-db.journal.jsonl") {
		t.Errorf("err = %v (exit %d), want a refusal naming the journal", err, ExitCode(err))
	}
	env.assertNoMutations(t)
	// resume/status without --source look through every journal: one
	// they cannot read is reported, not skipped.
	other := t.TempDir()
	target, _ := victim(t)
	if err := os.Symlink(target, journal.Path(other, "orders-db")); err != nil {
		t.Fatal(err)
	}
	if _, err := journal.Unfinished(other); err == nil {
		t.Error("UnfinishedJournals skipped an unreadable journal silently")
	}
}

// TestStateDirDocIsTrue runs the rows of docs/bad-input.md's state
// directory table.
func TestStateDirDocIsTrue(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	raw, err := os.ReadFile("../docs/bad-input.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "## State directory cases")
	if !ok {
		t.Fatal("docs/bad-input.md has no state directory section")
	}
	// plant prepares the state directory; it returns a check of the file
	// behind a planted link (nil when there is none).
	plants := map[string]func(t *testing.T, dir string) func(){
		"symlink planted as the journal": func(t *testing.T, dir string) func() {
			v, unchanged := victim(t)
			mustOK(t, os.Symlink(v, journal.Path(dir, "catalog-db")))
			return unchanged
		},
		"symlink planted as the lock": func(t *testing.T, dir string) func() {
			v, unchanged := victim(t)
			mustOK(t, os.Symlink(v, journal.Path(dir, "catalog-db")+".lock"))
			return unchanged
		},
		"hard link planted as the journal": func(t *testing.T, dir string) func() {
			v, unchanged := victim(t)
			mustOK(t, os.Link(v, journal.Path(dir, "catalog-db")))
			return unchanged
		},
		"state directory mode 0777": func(t *testing.T, dir string) func() {
			mustOK(t, os.Chmod(dir, 0o777))
			return nil
		},
		"state directory mode 0770": func(t *testing.T, dir string) func() {
			mustOK(t, os.Chmod(dir, 0o770))
			return nil
		},
		"state directory mode 1777, owned by the user": func(t *testing.T, dir string) func() {
			mustOK(t, os.Chmod(dir, 0o777|os.ModeSticky))
			return nil
		},
		"journal that is a directory": func(t *testing.T, dir string) func() {
			mustOK(t, os.Mkdir(journal.Path(dir, "catalog-db"), 0o700))
			return nil
		},
		"symlink planted as the runbook": func(t *testing.T, dir string) func() {
			v, unchanged := victim(t)
			mustOK(t, os.Symlink(v, filepath.Join(dir, "catalog-db.runbook.md")))
			return unchanged
		},
		"journal with a 17 MiB line": func(t *testing.T, dir string) func() {
			j, err := journal.Open(journal.Path(dir, "catalog-db"), func() time.Time { return simStart })
			mustOK(t, err)
			mustOK(t, j.Append(journal.Record{Kind: journal.RecordCompensation, Message: strings.Repeat("x", 17<<20)}))
			plan := contract.Plan{Source: contract.Source{ID: "catalog-db"}}
			mustOK(t, j.Append(journal.Record{Kind: journal.RecordRunStarted, Source: "catalog-db", Plan: &plan}))
			mustOK(t, j.Append(journal.Record{Kind: journal.RecordFinish, Finished: &contract.Finished{Outcome: contract.OutcomeDone}}))
			j.Close()
			return func() {
				// The run archived the finished journal it found (journal.go).
				recs, err := journal.Read(journal.ArchivePath(dir, "catalog-db", contract.RunID(plan)))
				if err != nil || len(recs) < 3 || len(recs[0].Message) != 17<<20 {
					t.Errorf("the journal with a long line was not read back whole: %d records, %v", len(recs), err)
				}
			}
		},
	}
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| case") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 {
			t.Fatalf("row needs 3 cells: %q", line)
		}
		name, mentions, exit := cells[0], cells[1], cells[2]
		plant, ok := plants[name]
		if !ok {
			t.Errorf("no test for the documented case %q", name)
			continue
		}
		rows++
		t.Run(name, func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
			check := plant(t, env.stateDir)
			_, err := env.engine(t, contract.Options{Source: "catalog-db"}).Run(context.Background())
			if got := strconv.Itoa(ExitCode(err)); got != exit {
				t.Errorf("exit %s, want %s (err %v)", got, exit, err)
			}
			if exit != "0" {
				if err == nil || !strings.Contains(err.Error(), mentions) {
					t.Errorf("message %v does not contain %q", err, mentions)
				}
				env.assertNoMutations(t)
			}
			if check != nil {
				check()
			}
		})
	}
	if rows < len(plants) {
		t.Errorf("%d rows for %d cases", rows, len(plants))
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
