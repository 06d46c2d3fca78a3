package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sim refuses what it cannot serve, naming the flag, with exit 2, before
// it listens.
func TestSimRefusesBadFlags(t *testing.T) {
	faults := filepath.Join(t.TempDir(), "faults.json")
	if err := os.WriteFile(faults, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "--speed", "0"}, "--speed 0 must be above 0"},
		{[]string{"sim", "--timings", "slow"}, "--timings:"},
		{[]string{"sim", "--faults", filepath.Join(t.TempDir(), "none.json")}, "cannot be read"},
		{[]string{"sim", "--faults", faults}, "--faults " + faults},
		{[]string{"sim", "--scenario", "fleet:0"}, "sim:"},
		{[]string{"sim", "--listen", "127.0.0.1:99999"}, "--listen 127.0.0.1:99999"},
	} {
		code, out, errOut := runHelp(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Contains(out, "listening") {
			t.Errorf("%v: exit %d, want 2 naming %q\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
}
