package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps"
)

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

// A proxy rdsbg emptied on another machine (or whose journal is lost):
// `rdsbg status` without --source and with an empty state directory finds
// it through its rdsbg:detached tag and reports it EMPTY, in text and in
// JSON, instead of "no unfinished run".
func TestCLIStatusWithoutSourceFindsTheTaggedProxy(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-legacy-proxy")
	code, out, errOut := env.rdsbg(t, "status")
	// Nothing pending is an answer (exit 0) that says so (walkthrough
	// D11), not misuse.
	if code != 0 || !strings.Contains(out, "AWS shows no proxy tagged rdsbg:detached") || !strings.Contains(out, "No rdsbg run is recorded in") {
		t.Errorf("status with nothing anywhere: exit %d\n%s%s", code, out, errOut)
	}

	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: env.endpoint, Region: "us-east-1", Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	empty := func(proxy, db string) {
		t.Helper()
		proxies, err := api.ListProxies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range proxies {
			if p.Name != proxy {
				continue
			}
			tag := steps.DetachedTag{TargetKind: steps.KindInstance, Target: db, Source: db, Run: "20261121T220000Z", At: time.Date(2026, 11, 21, 22, 0, 5, 0, time.UTC)}
			if err := api.AddTagsToResource(ctx, p.ARN, map[string]string{steps.TagDetached: tag.Value()}); err != nil {
				t.Fatal(err)
			}
			if err := api.DeregisterTargets(ctx, proxy, awsclient.TargetRef{InstanceID: db}); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("no proxy %s in %+v", proxy, proxies)
	}
	empty("orders-proxy", "orders-db")

	code, out, errOut = env.rdsbg(t, "status")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"orders-proxy was emptied by rdsbg run 20261121T220000Z", "NO target", "orders-db", "read from AWS alone"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = env.rdsbg(t, "status", "--output", "json")
	var rep steps.StatusReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("status --output json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if rep.Source != "orders-db" || rep.ProxyState != steps.ProxyEmpty || len(rep.Detached) != 1 || rep.Detached[0].Proxy != "orders-proxy" || !rep.Unfinished {
		t.Errorf("status report %+v: want orders-db, proxy none, orders-proxy detached, unfinished", rep)
	}
	if m := env.sim.Mutations(); len(m) != 2 {
		t.Errorf("status changed AWS: %+v", m)
	}

	// Two sources emptied: status lists both, resume asks which.
	empty("billing-proxy", "billing-db")
	code, out, errOut = env.rdsbg(t, "status")
	if code != 0 || !strings.Contains(out, "billing-proxy was emptied") || !strings.Contains(out, "orders-proxy was emptied") || !strings.Contains(out, "--source") {
		t.Errorf("status with two sources emptied: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = env.rdsbg(t, "resume", "--yes")
	if code != steps.ExitUsage || !strings.Contains(errOut, "billing-db, orders-db") || !strings.Contains(errOut, "pass --source") {
		t.Errorf("resume with two sources emptied: exit %d\n%s%s", code, out, errOut)
	}
	if m := env.sim.Mutations(); len(m) != 4 {
		t.Errorf("status and a refused resume changed AWS: %+v", m)
	}
}

// writeReadyJournal writes the journal of a run paused ready, as the
// engine writes it, with green on class.
func writeReadyJournal(t *testing.T, stateDir, source, class string) {
	t.Helper()
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := steps.OpenJournal(steps.JournalPath(stateDir, source), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	plan := steps.Plan{Source: steps.Source{Kind: "instance", ID: source}, Regime: steps.RegimeNative,
		Proxies: []steps.ProxyRegistration{{Proxy: "shop-proxy", TargetGroup: "default"}}}
	green := &steps.GreenInfo{DeploymentID: "bgd-0123456789abcdef", Members: []steps.GreenMember{{ID: source + "-green-abcdef", Class: class}}}
	for _, rec := range []steps.Record{
		{Kind: steps.RecordRunStarted, Source: source, Plan: &plan, DeploymentID: "bgd-0123456789abcdef"},
		{Kind: steps.RecordFinish, Time: time.Now().Add(-3 * time.Hour), Finished: &steps.Finished{Outcome: steps.OutcomeReady, ProxyState: steps.ProxyOnBlue, Green: green}},
	} {
		if err := j.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
}

// Declined or paused runs vanished from status and resume; now both list
// the runs waiting for the operator with age and green's classes.
func TestCLIStatusAndResumeListPausedRuns(t *testing.T) {
	env := newCLIEnv(t, "rds-mysql-native-proxy")
	writeReadyJournal(t, env.stateDir, "shop-db", "db.r6g.large")
	writeReadyJournal(t, env.stateDir, "orders-db", "db.m6g.xlarge")
	code, out, errOut := env.rdsbg(t, "status")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"shop-db", "orders-db", "ready for the switchover", "db.r6g.large", "db.m6g.xlarge", "3h00m ago", "--source"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = env.rdsbg(t, "resume")
	if code != steps.ExitUsage || !strings.Contains(errOut, "db.m6g.xlarge") || !strings.Contains(errOut, "pass --source") {
		t.Errorf("resume with two paused runs: exit %d\n%s%s", code, out, errOut)
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Errorf("listing made %d AWS calls", n)
	}
}

// A required --source that is missing or blank is refused in one message,
// steps.SourceRequired's, whichever command misses it (plan, iam-policy,
// run and abort wrote three others before), on stderr alone, exit 2, with
// no AWS call.
func TestCLISourceRequiredIsOneMessage(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	want := "rdsbg: " + steps.SourceRequired().Error() + "\n"
	for _, args := range [][]string{
		{"plan"}, {"iam-policy"}, {"run"}, {"run", "--yes"}, {"abort"}, {"abort", "--yes", "--confirm", "orders-db"},
		{"plan", "--source", ""}, {"run", "--source", " ", "--yes"}, {"iam-policy", "--source", "  "}, {"abort", "--source", ""},
	} {
		code, out, errOut := env.rdsbg(t, args...)
		if code != steps.ExitUsage || errOut != want || out != "" {
			t.Errorf("%q: exit %d\nstdout: %q\nstderr: %q\nwant stderr %q", args, code, out, errOut, want)
		}
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls for a missing --source", n)
	}
}

// The prologue resume, status and abort share: resume and status find the
// source in the state directory's one unfinished journal, abort never
// guesses what it deletes: without --source it is refused even then.
func TestCLIResumeStatusAndAbortFindTheSourceTheSameWay(t *testing.T) {
	env := newCLIEnv(t, "rds-mysql-native-proxy")
	writeReadyJournal(t, env.stateDir, "shop-db", "db.r6g.large")
	// A --confirm naming another source shows which one each command took,
	// before any AWS call.
	for _, cmd := range []string{"resume", "abort"} {
		code, out, errOut := env.rdsbg(t, cmd, "--yes", "--confirm", "other-db")
		if cmd == "resume" && (code != steps.ExitUsage || !strings.Contains(errOut, "--confirm other-db does not name the source shop-db")) {
			t.Errorf("resume took another source: exit %d\n%s%s", code, out, errOut)
		}
		if cmd == "abort" && (code != steps.ExitUsage || errOut != "rdsbg: "+steps.SourceRequired().Error()+"\n") {
			t.Errorf("abort guessed its source: exit %d\n%s%s", code, out, errOut)
		}
	}
	if n := env.sim.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls before the confirmation was checked", n)
	}
	code, out, errOut := env.rdsbg(t, "status")
	if code != 0 || !strings.Contains(out, "shop-db") {
		t.Errorf("status without --source: exit %d\n%s%s", code, out, errOut)
	}
}

// Walkthrough D24: several unfinished runs at a terminal offer the list to
// choose from (by number or name); at the end of the input, the refusal.
func TestResumeOffersTheUnfinishedRunsToChooseFrom(t *testing.T) {
	several := &severalRunsError{sources: []string{"orders-db", "shop-db"}, err: usageError("2 unfinished runs")}
	var out strings.Builder
	for answer, want := range map[string]string{"2\n": "shop-db", "orders-db\n": "orders-db", " 1 \n": "orders-db"} {
		got, err := chooseRun(strings.NewReader(answer), &out, several)
		if err != nil || got != want {
			t.Errorf("answer %q: %q, %v; want %s", answer, got, err, want)
		}
	}
	if !strings.Contains(out.String(), "2) shop-db") || !strings.Contains(out.String(), "Resume which run (1-2") {
		t.Errorf("the list: %q", out.String())
	}
	if _, err := chooseRun(strings.NewReader(""), &out, several); err == nil {
		t.Error("no answer chose a run")
	}
	if _, err := chooseRun(strings.NewReader("3\n"), &out, several); err == nil || !strings.Contains(err.Error(), "not one of the unfinished runs") {
		t.Errorf("a wrong answer: %v", err)
	}
}
