package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// The lost-journal case of issue 12 at process level: a real `rdsbg run`
// against a real `rdsbg sim` is killed (SIGKILL) after it emptied the
// proxy and created the deployment, and its state directory is deleted.
// AWS refuses blue's registration while green is provisioning, so the
// proxy stays empty until then whatever rdsbg does. Then, with no journal anywhere:
//   - `rdsbg status` without --source finds the proxy through its
//     rdsbg:detached tag and reports it EMPTY (no change made);
//   - `rdsbg resume` without --source finds it the same way and names the
//     command; with --source and --confirm it registers blue again once
//     AWS accepts it (never "done" with the proxy empty);
//   - `rdsbg run` then adopts the tagged deployment and completes, with
//     one deployment ever created and the proxy on the new primary.
func TestProcessLostJournalFoundThroughTheTag(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	bin := simtest.Rdsbg(t)
	dir := t.TempDir()
	env := simtest.ProcessEnv(filepath.Join(dir, "home"))
	faults := filepath.Join(dir, "faults.json")
	if err := os.WriteFile(faults, []byte(`[{"refuse_register_while_provisioning":true}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := startSimProcess(bin, "rds-postgres-legacy-proxy", env, "--faults", faults)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	stateDir := filepath.Join(dir, "state")
	journalPath := journal.Path(stateDir, "orders-db")

	cmd, out := rdsbgCommand(bin, s.URL, stateDir, env, "run", "--source", "orders-db", "--proxy-mode", "detach", "--yes", "--confirm", "orders-db", "--output", "json")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	found, exited, waitErr := waitForRecord(journalPath, func(r journal.Record) bool {
		return r.Kind == journal.RecordStep && r.Step == contract.StepAttachProxyBlue && r.State == journal.StepStateStarted
	}, done)
	if !found {
		if !exited {
			_ = cmd.Process.Kill()
			waitErr = <-done
		}
		t.Fatalf("the run never reached attach-proxy-blue (exit %d):\n%s", simtest.ExitCode(waitErr), out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	if code := simtest.ExitCode(<-done); code != -int(syscall.SIGKILL) {
		t.Fatalf("the run ended by itself (exit %d) before the kill:\n%s", code, out.String())
	}
	ctx := context.Background()
	api, err := awsclient.New(ctx, awsclient.Options{EndpointURL: s.URL, Region: "us-east-1", Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	sc := reliabilityScenario{source: "orders-db", kind: contract.KindInstance, proxies: []string{"orders-proxy"}}
	if healthy, _, detail := proxyHealth(ctx, api, sc); healthy {
		t.Fatalf("the proxy serves after the kill (%s): the case needs it empty", detail)
	}
	if err := os.RemoveAll(stateDir); err != nil {
		t.Fatal(err)
	}

	before, err := simtest.Stats(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	st, sout := rdsbgCommand(bin, s.URL, stateDir, env, "status")
	code, err := runToExit(st)
	if err != nil || code != contract.ExitOK {
		t.Fatalf("status without --source and journal: exit %d, %v\n%s", code, err, sout.String())
	}
	for _, want := range []string{"orders-proxy was emptied by rdsbg run", "NO target", "proxy:      none"} {
		if !strings.Contains(sout.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, sout.String())
		}
	}
	if after, err := simtest.Stats(s.URL); err != nil || after.Mutations != before.Mutations {
		t.Errorf("status changed AWS: %d mutations, was %d (%v)", after.Mutations, before.Mutations, err)
	}

	// Without --source, resume names the proxy and the command but does
	// not act on a tag alone (issue 20); with --source and --confirm it
	// registers blue again.
	before, _ = simtest.Stats(s.URL)
	bare, bout := rdsbgCommand(bin, s.URL, stateDir, env, "resume", "--yes", "--output", "json")
	if code, err := runToExit(bare); err != nil || code != contract.ExitUsage || !strings.Contains(bout.String(), "resume --source orders-db --yes --confirm orders-db") {
		t.Errorf("resume without --source: exit %d, %v, want 2 naming the command\n%s", code, err, bout.String())
	}
	if after, err := simtest.Stats(s.URL); err != nil || after.Mutations != before.Mutations {
		t.Errorf("resume without --source changed AWS: %d mutations, was %d (%v)", after.Mutations, before.Mutations, err)
	}
	rs, rout := rdsbgCommand(bin, s.URL, stateDir, env, "resume", "--source", "orders-db", "--yes", "--confirm", "orders-db", "--output", "json")
	code, err = runToExit(rs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rout.String(), `"done;`) || !strings.Contains(rout.String(), "registered it again") {
		t.Errorf("resume without --source and journal: exit %d, want the proxy registered again and no 'done'\n%s", code, rout.String())
	}
	if healthy, _, detail := proxyHealth(ctx, api, sc); !healthy {
		t.Fatalf("after resume the proxy is not serving blue: %s\n%s", detail, rout.String())
	}
	if tags := detachedTagOn(ctx, t, api, "orders-proxy"); tags != "" {
		t.Errorf("the proxy serves blue again but keeps %s=%q", contract.TagDetached, tags)
	}

	// The deployment is the lost run's: `run` refuses it without --adopt
	// and names it; with --adopt and --take-over (its lease was never
	// released) it carries on with it (issue 20).
	deps, err := api.ListDeployments(ctx, "")
	if err != nil || len(deps) != 1 {
		t.Fatalf("deployments: %+v %v", deps, err)
	}
	refused, fout := rdsbgCommand(bin, s.URL, stateDir, env, "run", "--source", "orders-db", "--proxy-mode", "detach", "--yes", "--confirm", "orders-db", "--output", "json")
	if code, err := runToExit(refused); err != nil || code != contract.ExitUsage || !strings.Contains(fout.String(), "--adopt "+deps[0].ID) {
		t.Fatalf("run without --adopt: exit %d, %v, want 2 naming --adopt %s\n%s", code, err, deps[0].ID, fout.String())
	}
	rn, nout := rdsbgCommand(bin, s.URL, stateDir, env, "run", "--source", "orders-db", "--proxy-mode", "detach", "--adopt", deps[0].ID, "--take-over", "--yes", "--confirm", "orders-db", "--output", "json")
	code, err = runToExit(rn)
	if err != nil || code != contract.ExitOK || !strings.Contains(nout.String(), "done; the proxy targets the new primary") {
		t.Fatalf("run after the restore: exit %d, %v\n%s", code, err, nout.String())
	}
	if healthy, _, detail := proxyHealth(ctx, api, sc); !healthy {
		t.Errorf("after the run the proxy is not serving the new primary: %s", detail)
	}
	if stats, err := simtest.Stats(s.URL); err != nil || stats.DeploymentsCreated != 1 {
		t.Errorf("deployments created %d (%v), want the one the killed run made, adopted", stats.DeploymentsCreated, err)
	}
}

// waitForRecord polls the journal (every 250 µs, bounded by
// processTimeout) until a logical record satisfies want. If the process
// ends first, exited is true and waitErr is what Wait returned.
func waitForRecord(jpath string, want func(journal.Record) bool, done <-chan error) (found, exited bool, waitErr error) {
	return waitForJournal(func() bool {
		for _, r := range logicalRecords(jpath) {
			if want(r) {
				return true
			}
		}
		return false
	}, done)
}

// detachedTagOn is the proxy's rdsbg:detached tag value, "" without one.
func detachedTagOn(ctx context.Context, t *testing.T, api *awsclient.Client, proxy string) string {
	t.Helper()
	proxies, err := api.ListProxies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range proxies {
		if p.Name == proxy {
			tags, err := api.ListTagsForResource(ctx, p.ARN)
			if err != nil {
				t.Fatal(err)
			}
			return tags[contract.TagDetached]
		}
	}
	t.Fatalf("no proxy %s", proxy)
	return ""
}
