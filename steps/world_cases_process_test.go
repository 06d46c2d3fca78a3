package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// The bodies of TestProcessWorldCases (world_process_test.go). Each names
// the case of /work/shared/evidence/hostile-cases-2026-12-07.md it
// reproduces; docs/reliability.md has the figures before and after.

const src = "orders-db"

var expiredToken = sim.Fault{Code: "ExpiredToken", HTTPStatus: 403, Message: "The security token included in the request is expired"}

// compensationWords are the compensation messages of a run's output.
func compensationWords(out string) []string {
	var msgs []string
	for _, ev := range eventsOf(out, contract.EventCompensation) {
		msgs = append(msgs, ev.Message)
	}
	return msgs
}

// C2: ExpiredToken for longer than the error budget during provisioning.
// The proxy serves blue all along: compensation must never call it empty,
// the meaning must send the operator to refresh the credentials, not to
// IAM, and once they are back the run ends with the proxy on blue.
func caseExpiredTokenDuringProvisioning(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs()...)
	h.until(p, st, src, stepRecord(contract.StepProvisionGreen, journal.StepStateStarted))
	h.faults(expiredToken)
	h.until(p, st, src, func(r journal.Record) bool {
		return r.Kind == journal.RecordCompensation && strings.HasPrefix(r.Message, "attempt 2 ")
	})
	h.clear() // the operator refreshed the credentials
	code := p.wait(t)
	out := p.out.String()
	fin, ok := finishedOf(out)
	if code != contract.ExitStepFailed || !ok || fin.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("exit %d, finished %v %+v, want 1 with the proxy on blue\n%s", code, ok, fin.Finished, tail(out))
	}
	for _, m := range compensationWords(out) {
		if strings.Contains(m, "empty for") || strings.Contains(m, "EMPTY") {
			t.Errorf("compensation called the serving proxy empty: %s", m)
		}
	}
	unknown := 0
	for _, m := range compensationWords(out) {
		if strings.Contains(m, "UNKNOWN") && strings.Contains(m, "aws sso login") {
			unknown++
		}
	}
	if unknown == 0 {
		t.Errorf("no compensation message says the state is unknown and how to refresh the credentials:\n%s", strings.Join(compensationWords(out), "\n"))
	}
	failed := eventsOf(out, contract.EventStepFailed)
	if len(failed) == 0 || failed[0].Error == nil || !strings.Contains(failed[0].Error.Meaning, "aws sso login") || strings.Contains(failed[0].Error.Meaning, "IAM permission for this call") {
		t.Errorf("the failure's meaning does not send the operator to refresh the credentials: %+v", failed)
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v, want blue AVAILABLE", got)
	}
	t.Logf("C2: exit %d, proxy %s, %d compensation messages, %d saying UNKNOWN with the refresh, 0 saying empty", code, fin.ProxyState, len(compensationWords(out)), unknown)
}

// C4: an SSO session (credential_process) that fails for longer than the
// error budget during provisioning, then comes back; then resume. The
// advice names `aws sso login --profile rel3`; the run picks the fresh
// credentials up without a restart; resume completes.
func caseSSOExpiryThenResume(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	home := filepath.Join(h.dir, "home")
	flag := filepath.Join(h.dir, "sso-expired")
	script := filepath.Join(h.dir, "sso-credentials.sh")
	body := "#!/bin/sh\nif [ -e " + flag + " ]; then echo 'The SSO session associated with this profile has expired' >&2; exit 1; fi\n" +
		"exp=$(date -u -d '+1 seconds' +%Y-%m-%dT%H:%M:%SZ)\n" +
		`echo "{\"Version\":1,\"AccessKeyId\":\"AKIDSSO\",\"SecretAccessKey\":\"sso-secret\",\"SessionToken\":\"sso-token\",\"Expiration\":\"$exp\"}"` + "\n"
	mustOK(t, os.MkdirAll(home, 0o700))
	mustOK(t, os.WriteFile(script, []byte(body), 0o700))
	mustOK(t, os.WriteFile(filepath.Join(home, "config"), []byte("[profile rel3]\nregion = us-east-1\ncredential_process = "+script+"\n"), 0o600))
	st := h.state("a")
	p := h.start(st, runArgs("--profile", "rel3")...)
	h.until(p, st, src, stepRecord(contract.StepProvisionGreen, journal.StepStateStarted))
	mustOK(t, os.WriteFile(flag, nil, 0o600))
	h.until(p, st, src, func(r journal.Record) bool {
		return r.Kind == journal.RecordCompensation && strings.HasPrefix(r.Message, "attempt 2 ")
	})
	mustOK(t, os.Remove(flag)) // `aws sso login`
	code := p.wait(t)
	out := p.out.String()
	for _, m := range compensationWords(out) {
		if strings.Contains(m, "empty for") || strings.Contains(m, "EMPTY") {
			t.Errorf("compensation called the serving proxy empty: %s", m)
		}
	}
	if !strings.Contains(out, "aws sso login --profile rel3") {
		t.Errorf("nothing names `aws sso login --profile rel3`:\n%s", tail(out))
	}
	fin, _ := finishedOf(out)
	if code != contract.ExitStepFailed || fin.Finished == nil || fin.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("run: exit %d %+v, want 1 with the proxy on blue\n%s", code, fin.Finished, tail(out))
	}
	code, out = h.run(st, resumeArgs("--profile", "rel3")...)
	if fin, _ := finishedOf(out); code != contract.ExitOK || fin.Finished == nil || fin.Outcome != contract.OutcomeDone {
		t.Fatalf("resume: exit %d\n%s", code, tail(out))
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v", got)
	}
	t.Logf("C4: run exit 1 with the proxy on blue, resume exit %d done, 0 messages calling the proxy empty", code)
}

// C6: ExpiredToken from the moment blue's registration is accepted, then
// the operator's two Ctrl+C. AWS has blue registered (and soon AVAILABLE):
// the summary must say UNKNOWN, not EMPTY, offer no registration that AWS
// would refuse, and book no outage it did not see.
func caseExpiredWhileRegisteringThenStop(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs()...)
	// From blue's accepted registration on (its REGISTERING lasts seconds).
	h.until(p, st, src, func(r journal.Record) bool {
		return r.Kind == journal.RecordMutation && r.Operation == "RegisterDBProxyTargets" && r.Step == contract.StepAttachProxyBlue && r.Message == ""
	})
	h.faults(expiredToken)
	h.untilOutput(p, "AWS refused the credentials")
	mustOK(t, p.cmd.Process.Signal(syscall.SIGINT))
	h.until(p, st, src, func(r journal.Record) bool {
		return r.Kind == journal.RecordCompensation && strings.HasPrefix(r.Message, "attempt 1 ")
	})
	mustOK(t, p.cmd.Process.Signal(syscall.SIGINT)) // the operator's explicit stop
	code := p.wait(t)
	out := p.out.String()
	fin, ok := finishedOf(out)
	if code != contract.ExitInterrupted || !ok || fin.ProxyState != contract.ProxyUnknown || len(fin.RestoreCommands) != 0 {
		t.Fatalf("exit %d, finished %+v, want 5 with the proxy unknown and no restore command\n%s", code, fin.Finished, tail(out))
	}
	if !strings.Contains(fin.Message, "UNKNOWN, not empty") || !strings.Contains(fin.Message, "no registration is needed") {
		t.Errorf("the last word: %s", fin.Message)
	}
	h.clear()
	h.waitAWS("blue AVAILABLE on orders-proxy", func(ctx context.Context) bool {
		ts, err := h.api.DescribeProxyTargets(ctx, "orders-proxy")
		return err == nil && len(ts) == 1 && ts[0].RdsResourceID == src && ts[0].Health.State == "AVAILABLE"
	})
	t.Logf("C6: exit %d, proxy_state %s, %d restore commands, outage total %d ms", code, fin.ProxyState, len(fin.RestoreCommands), fin.ProxyOutageTotalMS)
}

// O2: a second operator (another state directory) starts while the first
// run provisions. It is refused at once, exit 2, naming the first run, and
// changes nothing; the first finishes; one deployment ever.
func caseSecondOperatorWhileProvisioning(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	a, b := h.state("a"), h.state("b")
	pa := h.start(a, runArgs()...)
	h.until(pa, a, src, stepRecord(contract.StepProvisionGreen, journal.StepStateStarted))
	code, out := h.run(b, runArgs()...)
	if code != contract.ExitUsage || !strings.Contains(out, "not created by this run") || !strings.Contains(out, fmt.Sprintf("pid %d", pa.cmd.Process.Pid)) {
		t.Errorf("second operator: exit %d, want 2 naming the first run (pid %d)\n%s", code, pa.cmd.Process.Pid, tail(out))
	}
	if _, err := os.Stat(journal.Path(b, src)); err == nil {
		t.Errorf("the refused run left a journal")
	}
	if code := pa.wait(t); code != contract.ExitOK {
		t.Fatalf("first run: exit %d\n%s", code, tail(pa.out.String()))
	}
	if st := h.stats(); st.DeploymentsCreated != 1 {
		t.Errorf("deployments created %d", st.DeploymentsCreated)
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v", got)
	}
	t.Logf("O2: second operator exit %d, first run done, deployments created %d", code, h.stats().DeploymentsCreated)
}

// O3: the first operator prepared a major upgrade and paused ready; a
// second with no upgrade flag must not adopt it (its green is 16.4, the
// request keeps 15.7): exit 2, the settings side by side, production stays
// 15.7 until the first resumes.
func caseSecondOperatorWithoutUpgradeWhileReady(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	a, b := h.state("a"), h.state("b")
	if code, out := h.run(a, runArgs("--until", "ready", "--target-engine-version", "16.4")...); code != contract.ExitOK {
		t.Fatalf("first run: exit %d\n%s", code, tail(out))
	}
	muts := h.stats().Mutations
	code, out := h.run(b, runArgs()...)
	if code != contract.ExitUsage || !strings.Contains(out, "differs") || !strings.Contains(out, "16.4") {
		t.Errorf("second operator: exit %d, want 2 with the settings side by side\n%s", code, tail(out))
	}
	if st := h.stats(); st.Mutations != muts {
		t.Errorf("the refused run changed AWS: %d mutations, was %d", st.Mutations, muts)
	}
	if v := h.version(src); v != "15.7" {
		t.Errorf("production runs %s after the refusal, want 15.7", v)
	}
	if code, out := h.run(a, resumeArgs()...); code != contract.ExitOK {
		t.Fatalf("the first operator's resume: exit %d\n%s", code, tail(out))
	}
	if v := h.version(src); v != "16.4" {
		t.Errorf("production runs %s after the first operator's switchover, want 16.4", v)
	}
	t.Logf("O3: second operator exit %d, 0 mutations, production 15.7 until the first resumed", code)
}

// O4: the first run stalls inside the critical section (SIGSTOP: its
// network gone). A second operator is refused (exit 2) while the first
// lives; with --adopt and --take-over it finishes the job. The first, when
// it wakes, stops without touching anything, and its abort refuses: the
// switchover happened.
func caseStalledOperatorTakenOver(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	a, b := h.state("a"), h.state("b")
	pa := h.start(a, runArgs()...)
	h.until(pa, a, src, stepRecord(contract.StepDetachProxyBlue, journal.StepStateDone))
	mustOK(t, pa.cmd.Process.Signal(syscall.SIGSTOP))
	stopped := true
	defer func() {
		if stopped {
			_ = pa.cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	code, out := h.run(b, runArgs()...)
	if code != contract.ExitUsage || !strings.Contains(out, fmt.Sprintf("pid %d", pa.cmd.Process.Pid)) || !strings.Contains(out, "--take-over") {
		t.Fatalf("second operator: exit %d, want 2 naming the stalled run\n%s", code, tail(out))
	}
	deps := h.deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v", deps)
	}
	code, out = h.run(b, runArgs("--adopt", deps[0].ID, "--take-over")...)
	if code != contract.ExitOK {
		t.Fatalf("take-over: exit %d\n%s", code, tail(out))
	}
	mustOK(t, pa.cmd.Process.Signal(syscall.SIGCONT))
	stopped = false
	codeA := pa.wait(t)
	outA := pa.out.String()
	fin, _ := finishedOf(outA)
	// Where it wakes decides what it still had to do (the switchover call,
	// its wait, or only checks); whatever it does, it says the truth: the
	// switchover was made outside it, the proxy is on the new primary.
	if fin.Finished == nil || fin.ProxyState != contract.ProxyOnNewPrimary || !strings.Contains(outA, "outside this run") {
		t.Errorf("the stalled run: exit %d %+v, want the proxy on the new primary and the switchover said to be made outside it\n%s", codeA, fin.Finished, tail(outA))
	}
	code, out = h.run(a, "abort", "--source", src, "--yes", "--confirm", src, "--output", "json")
	if code != contract.ExitUsage || !strings.Contains(out, "switchover has happened") {
		t.Errorf("the stalled run's abort: exit %d\n%s", code, tail(out))
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v, want the new primary alone", got)
	}
	if st := h.stats(); st.DeploymentsCreated != 1 {
		t.Errorf("deployments created %d", st.DeploymentsCreated)
	}
	t.Logf("O4: second operator exit 2 while the first lived, take-over exit 0, stalled run exit %d (%s), its abort exit %d", codeA, fin.ProxyState, code)
}

// X2: the deployment is deleted outside rdsbg during provisioning; the
// operator runs `resume` as advised. It must not deregister anything:
// nothing to resume, exit 2, the proxy stays on blue.
func caseResumeAfterOutsideDeletion(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs()...)
	h.until(p, st, src, stepRecord(contract.StepProvisionGreen, journal.StepStateStarted))
	deps := h.deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v", deps)
	}
	if _, err := h.api.DeleteDeployment(context.Background(), deps[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != contract.ExitStepFailed {
		t.Fatalf("run: exit %d\n%s", code, tail(p.out.String()))
	}
	muts := h.stats().Mutations
	code, out := h.run(st, resumeArgs()...)
	if code != contract.ExitUsage || !strings.Contains(out, "Nothing to resume") {
		t.Errorf("resume: exit %d, want 2 nothing to resume\n%s", code, tail(out))
	}
	if n := h.stats().Mutations; n != muts {
		t.Errorf("resume changed AWS: %d mutations (a deregistration would make the outage of X2)", n-muts)
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v", got)
	}
	// And a fresh run starts over: the abandoned journal is archived.
	if code, out := h.run(st, runArgs()...); code != contract.ExitOK {
		t.Errorf("run after the outside deletion: exit %d\n%s", code, tail(out))
	}
	t.Logf("X2: resume exit %d, %d mutations, the next run done", contract.ExitUsage, h.stats().Mutations-h.stats().Mutations)
}

// X3: someone switches over by hand while the run is paused ready. status
// tells the truth; resume ends with the proxy on the new primary and
// nothing on -old1, in bounded time.
func caseManualSwitchoverWhileReady(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	if code, out := h.run(st, runArgs("--until", "ready", "--target-engine-version", "16.4")...); code != contract.ExitOK {
		t.Fatalf("run --until ready: exit %d\n%s", code, tail(out))
	}
	deps := h.deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v", deps)
	}
	if _, err := h.api.SwitchoverDeployment(context.Background(), deps[0].ID, 300*time.Second); err != nil {
		t.Fatal(err)
	}
	h.waitAWS("SWITCHOVER_COMPLETED", func(ctx context.Context) bool {
		d, err := h.api.DescribeDeployment(ctx, deps[0].ID)
		return err == nil && d.Status == "SWITCHOVER_COMPLETED"
	})
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db-old1:AVAILABLE" {
		t.Fatalf("the case needs the proxy on the old blue: %v", got)
	}
	code, out := h.run(st, "status", "--source", src)
	if code != contract.ExitOK || !strings.Contains(out, "switched over outside rdsbg") || !strings.Contains(out, "proxy:      "+contract.ProxyOnOldBlue) || !strings.Contains(out, "orders-db-old1 (old-blue)") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	code, out = h.run(st, resumeArgs()...)
	if fin, _ := finishedOf(out); code != contract.ExitOK || fin.Finished == nil || fin.ProxyState != contract.ProxyOnNewPrimary {
		t.Fatalf("resume: exit %d\n%s", code, tail(out))
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v, want the new primary alone", got)
	}
	if v := h.version(src); v != "16.4" {
		t.Errorf("production runs %s", v)
	}
	t.Logf("X3: resume exit %d, orders-proxy → %v", code, h.targets("orders-proxy"))
}

// X4: someone deregisters blue while green provisions. The run sees it
// within two minutes (its watch), registers blue again at once and goes on;
// the outage it measures is bounded by the watch and the registration.
func caseOutsideDeregistrationDuringProvisioning(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs()...)
	h.until(p, st, src, stepRecord(contract.StepProvisionGreen, journal.StepStateStarted))
	h.waitAWS("blue AVAILABLE again", func(ctx context.Context) bool {
		ts, err := h.api.DescribeProxyTargets(ctx, "orders-proxy")
		return err == nil && len(ts) == 1 && ts[0].Health.State == "AVAILABLE"
	})
	if err := h.api.DeregisterTargets(context.Background(), "orders-proxy", awsclient.TargetRef{InstanceID: src}); err != nil {
		t.Fatal(err)
	}
	code := p.wait(t)
	out := p.out.String()
	fin, _ := finishedOf(out)
	if code != contract.ExitOK || fin.Finished == nil || fin.Outcome != contract.OutcomeDone {
		t.Fatalf("run: exit %d\n%s", code, tail(out))
	}
	if !strings.Contains(out, "PROXY orders-proxy EMPTY") || !strings.Contains(out, "registers orders-db again now") {
		t.Errorf("the outside deregistration was not reported and answered:\n%s", tail(out))
	}
	var outside time.Duration
	for _, w := range fin.ProxyOutages {
		if w.Cause != contract.OutageDetachBeforeCreate && w.Cause != contract.OutageCriticalSection {
			outside += w.Duration()
		}
	}
	if outside == 0 || outside > 4*time.Minute {
		t.Errorf("the outside outage lasted %s, want above 0 and within the watch's two minutes plus a registration", outside)
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v", got)
	}
	t.Logf("X4: outside outage %s", outside)
}

// X9: the run dies with the proxy empty, its rdsbg tags are removed and
// the journal is lost. The deployment's own rdsbg:proxies tag still names
// the proxy: status reports it, resume (with --source and --confirm)
// registers blue again, and run --adopt --take-over finishes.
func caseTagRemovedAndJournalLost(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs()...)
	h.until(p, st, src, stepRecord(contract.StepDetachProxyBlue, journal.StepStateDone))
	mustOK(t, p.cmd.Process.Signal(syscall.SIGKILL))
	p.wait(t)
	proxies, err := h.api.ListProxies(context.Background())
	mustOK(t, err)
	for _, px := range proxies {
		if px.Name == "orders-proxy" {
			mustOK(t, h.api.RemoveTagsFromResource(context.Background(), px.ARN, contract.TagDetached, contract.TagOwner))
		}
	}
	mustOK(t, os.RemoveAll(st))
	code, out := h.run(st, "status", "--source", src)
	if code != contract.ExitOK || !strings.Contains(out, "listed by deployment") || !strings.Contains(out, "proxy:      "+contract.ProxyEmpty) {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	code, out = h.run(st, resumeArgs()...)
	if !strings.Contains(out, "registered it again") {
		t.Fatalf("resume: exit %d\n%s", code, tail(out))
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Fatalf("after resume AWS shows orders-proxy → %v", got)
	}
	deps := h.deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v", deps)
	}
	code, out = h.run(st, runArgs("--adopt", deps[0].ID, "--take-over")...)
	if fin, _ := finishedOf(out); code != contract.ExitOK || fin.Finished == nil || fin.ProxyState != contract.ProxyOnNewPrimary {
		t.Fatalf("run --adopt: exit %d\n%s", code, tail(out))
	}
	if st := h.stats(); st.DeploymentsCreated != 1 {
		t.Errorf("deployments created %d", st.DeploymentsCreated)
	}
	t.Logf("X9: status names the proxy, resume registers blue, run --adopt --take-over exit %d", code)
}

// X10: a forged rdsbg:detached tag on another application's emptied
// proxy. resume without --source and --confirm acts on no tag; with a
// deployment of orders-db that lists its own proxy, the tag is not
// trusted even with --source and --confirm.
func caseForgedTagOnAnotherProxy(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	ctx := context.Background()
	mustOK(t, h.api.DeregisterTargets(ctx, "billing-proxy", awsclient.TargetRef{InstanceID: "billing-db"}))
	proxies, err := h.api.ListProxies(ctx)
	mustOK(t, err)
	forge := func() {
		for _, px := range proxies {
			if px.Name == "billing-proxy" {
				mustOK(t, h.api.AddTagsToResource(ctx, px.ARN, map[string]string{contract.TagDetached: "target=instance:orders-db source=orders-db run=20261207T100000Z at=2026-12-07T10:00:00Z"}))
			}
		}
	}
	forge()
	muts := h.stats().Mutations
	code, out := h.run(h.state("c"), "resume", "--yes", "--output", "json")
	if code != contract.ExitUsage || !strings.Contains(out, "--source orders-db") {
		t.Errorf("resume --yes: exit %d, want 2 naming --source\n%s", code, tail(out))
	}
	if n := h.stats().Mutations; n != muts {
		t.Errorf("resume --yes changed AWS")
	}
	if got := h.targets("billing-proxy"); len(got) != 0 {
		t.Fatalf("billing-proxy now → %v", got)
	}
	// A run of orders-db does not take the forged proxy for its own: no
	// deployment of orders-db lists it. It refuses, naming the tag.
	code, out = h.run(h.state("a"), runArgs()...)
	if code != contract.ExitUsage || !strings.Contains(out, "billing-proxy") || h.stats().Mutations != muts {
		t.Errorf("run with the forged tag: exit %d, mutations %d → %d\n%s", code, muts, h.stats().Mutations, tail(out))
	}
	// orders-db's own run, the tag out of the way: its deployment lists
	// orders-proxy; then the tag is forged again.
	for _, px := range proxies {
		if px.Name == "billing-proxy" {
			mustOK(t, h.api.RemoveTagsFromResource(ctx, px.ARN, contract.TagDetached))
		}
	}
	if code, out := h.run(h.state("a"), runArgs("--until", "ready")...); code != contract.ExitOK {
		t.Fatalf("run --until ready: exit %d\n%s", code, tail(out))
	}
	forge()
	code, out = h.run(h.state("c"), "status", "--source", src)
	if !strings.Contains(out, "billing-proxy carries rdsbg:detached naming orders-db, but deployment") {
		t.Errorf("status does not say the tag disagrees with AWS: exit %d\n%s", code, out)
	}
	muts = h.stats().Mutations
	code, out = h.run(h.state("c"), resumeArgs()...)
	if code != contract.ExitUsage {
		t.Errorf("resume --source --confirm with the forged tag: exit %d\n%s", code, tail(out))
	}
	if got := h.targets("billing-proxy"); len(got) != 0 || h.stats().Mutations != muts {
		t.Errorf("billing-proxy → %v, mutations %d → %d: the forged tag was acted on", got, muts, h.stats().Mutations)
	}
}

// X11: the proxy is deleted while the critical section runs (AWS answers
// DBProxyNotFoundFault for it). The run says the proxy is gone, where
// production is, and ends, instead of trying for ever.
func caseProxyDeletedInTheCriticalSection(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	// Armed before the run starts: each fault waits for the switchover's
	// acceptance, so the proxy is "deleted" inside the critical section
	// however fast the run gets there (arming it once the section had
	// started lost the race on a loaded machine).
	var fs []sim.Fault
	for _, op := range []string{"DescribeDBProxyTargets", "RegisterDBProxyTargets", "DeregisterDBProxyTargets", "DescribeDBProxies", "DescribeDBProxyTargetGroups"} {
		fs = append(fs, sim.Fault{Operation: op, Code: "DBProxyNotFoundFault", HTTPStatus: 404, Message: "DBProxy orders-proxy not found.", After: "SwitchoverBlueGreenDeployment"})
	}
	h.faults(fs...)
	p := h.start(st, runArgs()...)
	code := p.wait(t)
	out := p.out.String()
	fin, _ := finishedOf(out)
	if code != contract.ExitStepFailed || fin.Finished == nil || fin.ProxyState != contract.ProxyGone || !strings.Contains(out, "orders-proxy no longer exists") || !strings.Contains(out, "the new primary") {
		t.Fatalf("exit %d %+v, want 1 with the proxy gone and production named\n%s", code, fin.Finished, tail(out))
	}
	h.clear()
	if _, err := h.api.DescribeInstance(context.Background(), "orders-db-old1"); err != nil {
		t.Errorf("the switchover did not happen: %v", err)
	}
	t.Logf("X11: exit %d, proxy_state %s, %d compensation messages", code, fin.ProxyState, len(compensationWords(out)))
}

// A4: blue is registered again but never becomes AVAILABLE (the proxy
// cannot authenticate). TargetHealth's reason is shown, --max-proxy-outage
// bounds it like a refused registration: rolled back, stopped with the
// reason, in bounded time.
func caseTargetNeverAvailable(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs("--max-proxy-outage", "4m")...)
	h.until(p, st, src, stepRecord(contract.StepDetachProxy, journal.StepStateStarted))
	h.faults(sim.Fault{TargetUnavailable: "AUTH_FAILURE"})
	code := p.wait(t)
	out := p.out.String()
	fin, _ := finishedOf(out)
	if code != contract.ExitStepFailed || fin.Finished == nil || fin.ProxyState != contract.ProxyUnhealthy || !strings.Contains(out, "AUTH_FAILURE") || !strings.Contains(out, "rolled back") {
		t.Fatalf("exit %d %+v, want 1, rolled back, the proxy unhealthy with AUTH_FAILURE\n%s", code, fin.Finished, tail(out))
	}
	h.waitAWS("the deployment deleted", func(ctx context.Context) bool {
		deps, err := h.api.ListDeployments(ctx, "")
		return err == nil && len(deps) == 0
	})
	h.clear()
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v once the proxy can authenticate", got)
	}
	var span time.Duration
	for _, e := range fin.Timeline {
		span += e.Duration
	}
	t.Logf("A4: exit %d, proxy_state %s, steps' time %s, outage total %d ms", code, fin.ProxyState, span, fin.ProxyOutageTotalMS)
}

// B3: control characters in --source never reach the terminal raw.
func caseControlCharactersInSource(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	for _, s := range []string{"\x1b]52;c;cm0gLXJmIH4=\a\x1b[2Jorders-db", "orders-db\nrdsbg: done; the proxy targets the new primary", "\u202eorders-db"} {
		code, out := h.run(h.state("a"), "plan", "--source", s)
		if code != contract.ExitUsage || strings.ContainsAny(out, "\x1b\a\u202e") || strings.Contains(out, "\nrdsbg: done") {
			t.Errorf("--source %q: exit %d, output %q", s, code, out)
		}
	}
	if st := h.stats(); st.TotalCalls != 0 {
		t.Errorf("%d AWS calls for refused sources", st.TotalCalls)
	}
}

// B7: a journal copied under another source's name (its records edited to
// say billing-db). abort --source billing-db is refused before any call:
// orders-db's deployment and green stay.
func caseJournalNamingAnotherSource(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs()...)
	h.until(p, st, src, stepRecord(contract.StepProvisionGreen, journal.StepStateStarted))
	mustOK(t, p.cmd.Process.Signal(syscall.SIGKILL))
	p.wait(t)
	b, err := os.ReadFile(journal.Path(st, src))
	mustOK(t, err)
	edited := strings.ReplaceAll(string(b), `"kind":"run-started","source":"orders-db"`, `"kind":"run-started","source":"billing-db"`)
	if edited == string(b) {
		t.Fatal("no run-started record to edit")
	}
	mustOK(t, os.WriteFile(journal.Path(st, "billing-db"), []byte(edited), 0o600))
	calls := h.stats().TotalCalls
	code, out := h.run(st, "abort", "--source", "billing-db", "--yes", "--confirm", "billing-db", "--output", "json")
	if code != contract.ExitUsage || !strings.Contains(out, "names source orders-db") {
		t.Errorf("abort: exit %d\n%s", code, tail(out))
	}
	if n := h.stats().TotalCalls; n != calls {
		t.Errorf("the refused abort made %d AWS calls, want none", n-calls)
	}
	if deps := h.deployments(); len(deps) != 1 || deps[0].Status == "DELETING" {
		t.Errorf("orders-db's deployment: %+v", deps)
	}
}

// B8 (and the done-when): run → done → run with a new target
// version in the same state directory. A new run (the finished journal is
// archived), a new deployment, the proxy empty only where AWS forces.
func caseRunDoneThenRunWithUpgrade(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	if code, out := h.run(st, runArgs()...); code != contract.ExitOK {
		t.Fatalf("first run: exit %d\n%s", code, tail(out))
	}
	code, out := h.run(st, runArgs("--target-engine-version", "16.4")...)
	fin, _ := finishedOf(out)
	if code != contract.ExitOK || fin.Finished == nil || fin.Outcome != contract.OutcomeDone {
		t.Fatalf("second run: exit %d\n%s", code, tail(out))
	}
	if v := h.version(src); v != "16.4" {
		t.Errorf("production runs %s", v)
	}
	if st := h.stats(); st.DeploymentsCreated != 2 {
		t.Errorf("deployments created %d, want 2", st.DeploymentsCreated)
	}
	if fin.ProxylessWindowMS == 0 {
		t.Errorf("the critical section's window is 0 ms")
	}
	for _, w := range fin.ProxyOutages {
		if w.Cause != contract.OutageDetachBeforeCreate && w.Cause != contract.OutageCriticalSection {
			t.Errorf("an outage AWS did not force: %+v", w)
		}
		if w.Cause == contract.OutageDetachBeforeCreate && w.Duration() > 10*time.Minute {
			t.Errorf("the proxy was empty %s before the creation (the whole provisioning?)", w.Duration())
		}
	}
	archives, _ := filepath.Glob(filepath.Join(st, "orders-db.*.journal.jsonl"))
	if len(archives) != 2 {
		t.Errorf("archived journals %v, want both runs'", archives)
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v", got)
	}
	t.Logf("B8: second run exit %d, deployments created %d, proxyless %d ms, outage total %d ms", code, h.stats().DeploymentsCreated, fin.ProxylessWindowMS, fin.ProxyOutageTotalMS)
}

// B10: the state directory cannot be written while the proxy is empty
// (the run was killed in the critical section): exit 2, the proxy state
// read from AWS, the exact restore command, "Do not start a run
// elsewhere", and the run-finished event on stdout; nothing changed.
func caseUnwritableStateDirWhileEmpty(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs()...)
	h.until(p, st, src, stepRecord(contract.StepDetachProxyBlue, journal.StepStateDone))
	mustOK(t, p.cmd.Process.Signal(syscall.SIGKILL))
	p.wait(t)
	blocker := filepath.Join(h.dir, "file")
	mustOK(t, os.WriteFile(blocker, nil, 0o600))
	muts := h.stats().Mutations
	code, out := h.run(filepath.Join(blocker, "state"), resumeArgs()...)
	fin, ok := finishedOf(out)
	if code != contract.ExitUsage || !ok || fin.ProxyState != contract.ProxyEmpty || !strings.Contains(out, "aws rds register-db-proxy-targets --db-proxy-name orders-proxy") || !strings.Contains(out, "Do not start a run elsewhere") {
		t.Errorf("exit %d, finished %v %+v\n%s", code, ok, fin.Finished, tail(out))
	}
	if strings.Contains(out, "pass --state-dir") {
		t.Errorf("the answer sends the operator to another state directory:\n%s", tail(out))
	}
	if n := h.stats().Mutations; n != muts {
		t.Errorf("the refusal changed AWS")
	}
	t.Logf("B10: exit %d, proxy_state %s, restore command named", code, fin.ProxyState)
}

// The done-when: two `rdsbg run` processes with different state
// directories against one source, started together. Exactly one goes on;
// the other exits 2 naming the first before any change of its own; one
// deployment is created.
func caseTwoOperatorsAtOnce(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	a, b := h.state("a"), h.state("b")
	pa := h.start(a, runArgs()...)
	pb := h.start(b, runArgs()...)
	ca, cb := pa.wait(t), pb.wait(t)
	winner, loser, loserDir := pa, pb, b
	if cb == contract.ExitOK {
		winner, loser, loserDir = pb, pa, a
	}
	if (ca == contract.ExitOK) == (cb == contract.ExitOK) || loser.code != contract.ExitUsage {
		t.Fatalf("exits %d and %d, want one 0 and one 2\nA:\n%s\nB:\n%s", ca, cb, tail(pa.out.String()), tail(pb.out.String()))
	}
	if !strings.Contains(loser.out.String(), fmt.Sprintf("pid %d", winner.cmd.Process.Pid)) {
		t.Errorf("the refused run does not name the other (pid %d):\n%s", winner.cmd.Process.Pid, tail(loser.out.String()))
	}
	recs, _ := journal.Read(journal.Path(loserDir, src))
	for _, r := range recs {
		// A refused call changed nothing (the permission probe's).
		if r.Kind == journal.RecordMutation && r.Message == "" && r.Operation != "AddTagsToResource" {
			t.Errorf("the refused run changed AWS: %s", r.Operation)
		}
	}
	if st := h.stats(); st.DeploymentsCreated != 1 {
		t.Errorf("deployments created %d", st.DeploymentsCreated)
	}
	if got := h.targets("orders-proxy"); strings.Join(got, ",") != "orders-db:AVAILABLE" {
		t.Errorf("AWS shows orders-proxy → %v", got)
	}
	t.Logf("two operators: exits %d and %d, deployments created %d", ca, cb, h.stats().DeploymentsCreated)
}

// T1: the process that resumes runs on a clock behind the killed one's
// journal (every --time-scale process starts its clock at the wall's
// time: the killed one's had run ahead). The critical section's window
// must not be booked as 0 s, nor the total miss it.
func caseResumeOnAClockBehindTheJournal(t *testing.T) {
	h := newHostileEnv(t, sim.ScenarioRDSPostgresLegacy)
	st := h.state("a")
	p := h.start(st, runArgs()...)
	h.until(p, st, src, stepRecord(contract.StepDetachProxyBlue, journal.StepStateDone))
	mustOK(t, p.cmd.Process.Signal(syscall.SIGKILL))
	p.wait(t)
	code, out := h.run(st, resumeArgs()...)
	fin, _ := finishedOf(out)
	if code != contract.ExitOK || fin.Finished == nil || fin.Outcome != contract.OutcomeDone {
		t.Fatalf("resume: exit %d\n%s", code, tail(out))
	}
	var critical time.Duration
	for _, w := range fin.ProxyOutages {
		if w.Cause == contract.OutageCriticalSection {
			critical += w.Duration()
		}
	}
	if critical == 0 || fin.ProxylessWindowMS == 0 || fin.ProxyOutageTotalMS < fin.ProxylessWindowMS {
		t.Errorf("critical-section windows %s, proxyless_window_ms %d, proxy_outage_total_ms %d: the window was lost to the clock", critical, fin.ProxylessWindowMS, fin.ProxyOutageTotalMS)
	}
	t.Logf("T1: critical section %s, proxyless %d ms, total %d ms", critical, fin.ProxylessWindowMS, fin.ProxyOutageTotalMS)
}
