package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// victim is a file outside the state directory that a planted symlink
// points at; rdsbg must never write it.
func victim(t *testing.T) (string, func()) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "precious")
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
	var unsafe *UnsafeStateDirError
	if !errors.As(err, &unsafe) {
		t.Fatalf("err = %v, want an UnsafeStateDirError (%s)", err, what)
	}
	if ExitCode(err) != ExitUsage {
		t.Errorf("exit %d, want %d", ExitCode(err), ExitUsage)
	}
	if !strings.Contains(err.Error(), what) {
		t.Errorf("err %q does not say %q", err, what)
	}
}

func TestSymlinkPlantedAsJournalIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	target, unchanged := victim(t)
	if err := os.Symlink(target, JournalPath(env.stateDir, "catalog-db")); err != nil {
		t.Fatal(err)
	}
	_, err := env.engine(t, Options{Source: "catalog-db"}).Run(context.Background())
	wantUnsafe(t, err, "symbolic link")
	unchanged()
	env.assertNoMutations(t)
}

func TestSymlinkPlantedAsLockIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	target, unchanged := victim(t)
	if err := os.Symlink(target, JournalPath(env.stateDir, "catalog-db")+".lock"); err != nil {
		t.Fatal(err)
	}
	_, err := env.engine(t, Options{Source: "catalog-db"}).Run(context.Background())
	wantUnsafe(t, err, "symbolic link")
	unchanged()
	env.assertNoMutations(t)
}

func TestHardLinkedJournalIsRefused(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	target, unchanged := victim(t)
	if err := os.Link(target, JournalPath(env.stateDir, "catalog-db")); err != nil {
		t.Skipf("no hard links across these directories: %v", err)
	}
	_, err := env.engine(t, Options{Source: "catalog-db"}).Run(context.Background())
	wantUnsafe(t, err, "hard links")
	unchanged()
}

// The runbook is written through a fresh O_EXCL temporary file renamed
// over its name: a symlink planted there is replaced, not followed.
func TestSymlinkPlantedAsRunbookIsReplacedNotFollowed(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	target, unchanged := victim(t)
	runbook := strings.TrimSuffix(JournalPath(env.stateDir, "catalog-db"), ".journal.jsonl") + ".runbook.md"
	if err := os.Symlink(target, runbook); err != nil {
		t.Fatal(err)
	}
	f, err := env.engine(t, Options{Source: "catalog-db"}).Run(context.Background())
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
	if err := ensureStateDir(dir); err != nil {
		t.Fatalf("a 0700 directory was refused: %v", err)
	}
	for _, mode := range []os.FileMode{0o777, 0o770, 0o722} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		wantUnsafe(t, ensureStateDir(dir), "writable by other users")
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := ensureStateDir(dir); err != nil {
		t.Errorf("a sticky directory owned by the user was refused: %v", err)
	}
	// Through the engine: refused before any AWS change.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	env.stateDir = dir
	_, err := env.engine(t, Options{Source: "catalog-db"}).Run(context.Background())
	wantUnsafe(t, err, "writable by other users")
	env.assertNoMutations(t)
}

// A journal line longer than any scanner buffer (the old limit was
// 16 MiB) is read back with the records around it.
func TestJournalLinesOfAnyLengthAreRead(t *testing.T) {
	dir := t.TempDir()
	path := JournalPath(dir, "orders-db")
	j, err := OpenJournal(path, func() time.Time { return simStart })
	if err != nil {
		t.Fatal(err)
	}
	plan := Plan{Source: Source{ID: "orders-db"}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(j.Append(Record{Kind: RecordRunStarted, Source: "orders-db", Plan: &plan}))
	must(j.Append(Record{Kind: RecordCompensation, Message: strings.Repeat("x", 17<<20)}))
	must(j.Append(Record{Kind: RecordProxyless, State: "open", Time: simStart}))
	j.Close()
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatalf("ReadJournal: %v", err)
	}
	if len(recs) != 3 || len(recs[1].Message) != 17<<20 || recs[2].Kind != RecordProxyless {
		t.Fatalf("read %d records, want all 3 with the long one intact", len(recs))
	}
	st := FoldJournal(recs)
	if !st.Unfinished() || st.ProxylessAt == nil {
		t.Errorf("folded state lost the records after the long line: %+v", st)
	}
}

// A journal that exists but cannot be read is refused with a clear
// message, never taken for an absent one (which would forget a detached
// proxy).
func TestUnreadableJournalIsRefusedNotTreatedAsAbsent(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	if err := os.Mkdir(JournalPath(env.stateDir, "catalog-db"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := env.engine(t, Options{Source: "catalog-db"}).Run(context.Background())
	if err == nil {
		t.Fatal("a run started over an unreadable journal")
	}
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "catalog-db.journal.jsonl") {
		t.Errorf("err = %v (exit %d), want a refusal naming the journal", err, ExitCode(err))
	}
	env.assertNoMutations(t)
	// resume/status without --source look through every journal: one
	// they cannot read is reported, not skipped.
	other := t.TempDir()
	target, _ := victim(t)
	if err := os.Symlink(target, JournalPath(other, "orders-db")); err != nil {
		t.Fatal(err)
	}
	if _, err := UnfinishedJournals(other); err == nil {
		t.Error("UnfinishedJournals skipped an unreadable journal silently")
	}
}
