package steps

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// The operator's journey against a real `rdsbg sim` process (issue 13):
// prepare in the afternoon with `rdsbg run --until ready`, switch over in
// the window with `rdsbg resume --yes --confirm`. One deployment, exit 0
// both times; the paused run is listed by status.
func TestProcessPrepareNowSwitchOverLater(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	bin := simtest.Rdsbg(t)
	env := simtest.ProcessEnv(t.TempDir())
	s, err := startSimProcess(bin, "rds-postgres-legacy-proxy", env)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	state := t.TempDir()

	// A missing --confirm costs nothing: refused at once, no mutation.
	cmd, out := rdsbgCommand(bin, s.URL, state, env, "run", "--source", "orders-db", "--proxy-mode", "detach", "--yes")
	code, err := runToExit(cmd)
	if err != nil || code != contract.ExitUsage {
		t.Fatalf("run --yes without --confirm: exit %d (%v), want %d\n%s", code, err, contract.ExitUsage, out)
	}
	for _, want := range []string{"switchover", "--confirm orders-db", "--until ready"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the refusal does not say %q:\n%s", want, out)
		}
	}
	if st, err := simtest.Stats(s.URL); err != nil || st.Mutations != 0 {
		t.Fatalf("a refused run changed AWS: %+v %v", st, err)
	}

	cmd, out = rdsbgCommand(bin, s.URL, state, env, "run", "--source", "orders-db", "--proxy-mode", "detach",
		"--yes", "--confirm", "orders-db", "--until", "ready", "--output", "json")
	code, err = runToExit(cmd)
	if err != nil || code != contract.ExitOK {
		t.Fatalf("run --until ready: exit %d (%v)\n%s", code, err, out)
	}
	fin := lastFinished(t, out.String())
	if fin.Outcome != contract.OutcomeReady || fin.ProxyState != contract.ProxyOnBlue || fin.ExitCode != 0 {
		t.Fatalf("run --until ready ended %s/%s exit %d, want ready/blue exit 0", fin.Outcome, fin.ProxyState, fin.ExitCode)
	}
	if fin.Green == nil || len(fin.Green.Members) == 0 || fin.Green.Members[0].Class == "" {
		t.Fatalf("the ready summary does not name green's members and classes: %+v", fin.Green)
	}

	cmd, out = rdsbgCommand(bin, s.URL, state, env, "status")
	code, err = runToExit(cmd)
	if err != nil || code != contract.ExitOK {
		t.Fatalf("status: exit %d (%v)\n%s", code, err, out)
	}
	for _, want := range []string{"ready for the switchover", "db.r6g.large", "ago", "paused"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status without --source does not show %q:\n%s", want, out)
		}
	}

	cmd, out = rdsbgCommand(bin, s.URL, state, env, "resume", "--yes", "--confirm", "orders-db", "--output", "json")
	code, err = runToExit(cmd)
	if err != nil || code != contract.ExitOK {
		t.Fatalf("resume: exit %d (%v)\n%s", code, err, out)
	}
	fin = lastFinished(t, out.String())
	if fin.Outcome != contract.OutcomeDone || fin.ProxyState != contract.ProxyOnNewPrimary {
		t.Fatalf("resume ended %s/%s, want done/new-primary", fin.Outcome, fin.ProxyState)
	}
	st, err := simtest.Stats(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if st.DeploymentsCreated != 1 {
		t.Fatalf("%d deployments created, want 1", st.DeploymentsCreated)
	}
}

// lastFinished is the run-finished event of an NDJSON stream.
func lastFinished(t *testing.T, stream string) contract.Finished {
	t.Helper()
	var fin *contract.Finished
	for _, line := range strings.Split(stream, "\n") {
		if !strings.Contains(line, `"run-finished"`) {
			continue
		}
		var ev contract.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		fin = ev.Finished
	}
	if fin == nil {
		t.Fatalf("no run-finished event in:\n%s", stream)
	}
	return *fin
}
