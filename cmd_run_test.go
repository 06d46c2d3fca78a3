package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps"
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
