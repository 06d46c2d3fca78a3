package steps

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
	"github.com/rdsbg/rdsbg/steps/status"
)

func TestDetachedTagRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 21, 22, 3, 10, 0, time.UTC)
	long := strings.Repeat("a", 63)
	for _, tag := range []preflight.DetachedTag{
		{TargetKind: contract.KindInstance, Target: "orders-db", Source: "orders-db", Run: "20261121T220000Z", At: at},
		{TargetKind: contract.KindCluster, Target: long, Source: long, Run: "20261121T220000Z", At: at},
	} {
		v := tag.Value()
		if len(v) > maxTagValue || strings.ContainsAny(v, ";,|\"'") {
			t.Errorf("value %q: %d characters or a character AWS refuses", v, len(v))
		}
		got, ok := preflight.ParseDetachedTag(v)
		if !ok || got != tag {
			t.Errorf("ParseDetachedTag(%q) = %+v %v, want %+v", v, got, ok, tag)
		}
	}
	if v := (preflight.DetachedTag{TargetKind: contract.KindInstance, Target: "orders-db", Source: "orders-db", Run: "20261121T220000Z", At: at}).Value(); v != "target=instance:orders-db source=orders-db run=20261121T220000Z at=2026-11-21T22:03:10Z" {
		t.Errorf("format changed: %q", v)
	}
	for _, bad := range []string{"", "source=x", "target=db:x source=x", "garbage"} {
		if _, ok := preflight.ParseDetachedTag(bad); ok {
			t.Errorf("ParseDetachedTag(%q) accepted", bad)
		}
	}
	var regs []contract.ProxyRegistration
	for i := 0; i < 40; i++ {
		regs = append(regs, contract.ProxyRegistration{Proxy: "proxy-" + strings.Repeat("x", 10) + string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	if v := proxiesTagValue(regs); len(v) > maxTagValue || !strings.Contains(v, " +") {
		t.Errorf("proxies tag %q (%d characters)", v, len(v))
	}
}

// proxyTags reads a proxy's tags from the simulator.
func (e *engineEnv) proxyTags(t *testing.T, proxy string) map[string]string {
	t.Helper()
	ps, err := e.api.ListProxies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Name == proxy {
			tags, err := e.api.ListTagsForResource(context.Background(), p.ARN)
			if err != nil {
				t.Fatal(err)
			}
			return tags
		}
	}
	t.Fatalf("no proxy %s", proxy)
	return nil
}

// killWhileDetached runs the legacy detach plan and kills it (a panic, as
// a SIGKILL would) once the deployment exists and the proxy is empty, then
// drops the journal: the state directory is replaced by an empty one, as a
// run from another machine or another --state-dir would see it.
func killWhileDetached(t *testing.T, env *engineEnv) awsclient.Deployment {
	t.Helper()
	killAtStep(t, env, contract.StepAttachProxyBlue)
	if ts := (contract.Source{Kind: contract.KindInstance, ID: "orders-db"}).Entries(env.proxyTargetsOf(t, "orders-proxy")); len(ts) != 0 {
		t.Fatalf("the proxy is not empty at the kill: %+v", ts)
	}
	tag, ok := preflight.ParseDetachedTag(env.proxyTags(t, "orders-proxy")[contract.TagDetached])
	if !ok || tag.Source != "orders-db" || tag.Target != "orders-db" || tag.TargetKind != contract.KindInstance || tag.Run == "" || tag.At.IsZero() {
		t.Fatalf("proxy tag at the kill: %+v %v", tag, ok)
	}
	deps, err := env.api.ListDeployments(context.Background(), "")
	if err != nil || len(deps) != 1 {
		t.Fatalf("deployments at the kill: %+v %v", deps, err)
	}
	dep := deps[0]
	if dep.Tags[contract.TagSource] != "orders-db" || dep.Tags[contract.TagRegime] != string(contract.RegimeDetach) || dep.Tags[contract.TagProxies] != "orders-proxy" || dep.Tags[contract.TagRun] != tag.Run {
		t.Fatalf("deployment tags: %v (proxy tag run %s)", dep.Tags, tag.Run)
	}
	env.stateDir = t.TempDir() // the journal is gone
	// A day later: the default deployment name (it carries the date) no
	// longer matches the orphan's.
	env.clock.Advance(26 * time.Hour)
	return dep
}

func TestLostJournalWhileDetachedStatusReportsTheProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	dep := killWhileDetached(t, env)
	before := len(env.sim.Mutations())
	rep, err := status.Read(context.Background(), env.api, env.stateDir, "orders-db")
	if err != nil {
		t.Fatalf("status without a journal: %v", err)
	}
	if rep.ProxyState != contract.ProxyEmpty || len(rep.Detached) != 1 || rep.Detached[0].Proxy != "orders-proxy" || rep.DeploymentID != dep.ID || !rep.Unfinished {
		t.Errorf("status: %+v", rep)
	}
	text := rep.Text()
	for _, want := range []string{"orders-proxy", "NO target", "rdsbg resume --source orders-db", "proxy:      none"} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
	if after := len(env.sim.Mutations()); after != before {
		t.Errorf("status changed AWS")
	}
}

func TestLostJournalWhileDetachedRunFindsAndRestoresTheProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	dep := killWhileDetached(t, env)
	// auto mode, no --deployment-name: everything must come from AWS. The
	// deployment is another run's (the lost one): --adopt names it, and
	// --take-over its lease, which that run never released (issue 20).
	f, err := env.engineCfg(t, contract.Options{Source: "orders-db", TargetEngineVersion: "16.4", Cleanup: contract.CleanupDeployment}, func(c *Config) { c.Adopt, c.TakeOver = dep.ID, true }).Run(context.Background())
	if err != nil {
		t.Fatalf("run after the journal was lost: %v", err)
	}
	assertLegacyEndState(t, env, f)
	var plans []contract.Event
	for _, ev := range env.events.ofType(contract.EventPlanReady) {
		plans = append(plans, ev)
	}
	if len(plans) == 0 || plans[0].Plan.Regime != contract.RegimeDetach || plans[0].Plan.Deployment != dep.ID {
		t.Fatalf("plan: %+v", plans)
	}
	if !strings.Contains(plans[0].Plan.RegimeReason, "orders-proxy was emptied by rdsbg run") {
		t.Errorf("the regime does not say what was found: %s", plans[0].Plan.RegimeReason)
	}
	var notices []string
	for _, ev := range env.events.ofType(contract.EventNotice) {
		notices = append(notices, ev.Message)
	}
	all := strings.Join(notices, "\n")
	for _, want := range []string{"orders-proxy was emptied", "adopting deployment " + dep.ID} {
		if !strings.Contains(all, want) {
			t.Errorf("no notice %q in:\n%s", want, all)
		}
	}
	for _, ev := range env.events.ofType(contract.EventRunFinished) {
		if strings.Contains(ev.Message, "no proxy is involved") {
			t.Errorf("finished with %q", ev.Message)
		}
	}
	if v, ok := env.proxyTags(t, "orders-proxy")[contract.TagDetached]; ok {
		t.Errorf("the proxy serves the new primary but still carries %s=%s", contract.TagDetached, v)
	}
}

func TestLostJournalWhileDetachedAbortRestoresTheProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	killWhileDetached(t, env)
	// The lost run never released its lease: abort refuses, then takes it
	// over with --take-over.
	if f, err := env.engine(t, contract.Options{Source: "orders-db"}).Abort(context.Background()); ExitCode(err) != contract.ExitUsage || !strings.Contains(err.Error(), "--take-over") {
		t.Fatalf("abort without --take-over: %+v %v", f, err)
	}
	f, err := env.engineCfg(t, contract.Options{Source: "orders-db"}, func(c *Config) { c.TakeOver = true }).Abort(context.Background())
	if err != nil || f.Outcome != contract.OutcomeRolledBack || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("abort: %+v %v", f, err)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	if deps, err := env.api.ListDeployments(context.Background(), ""); err != nil || len(deps) != 0 {
		t.Errorf("deployments after abort: %+v %v", deps, err)
	}
	if _, ok := env.proxyTags(t, "orders-proxy")[contract.TagDetached]; ok {
		t.Errorf("tag left after abort")
	}
}

func TestLostJournalWhileDetachedResumeRestoresTheProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	dep := killWhileDetached(t, env)
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if ExitCode(err) != contract.ExitUsage || f.ProxyState != contract.ProxyOnBlue {
		t.Fatalf("resume: %+v %v", f, err)
	}
	for _, want := range []string{"orders-proxy was emptied", "registered it again", "rdsbg run --source orders-db", dep.ID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	if _, ok := env.proxyTags(t, "orders-proxy")[contract.TagDetached]; ok {
		t.Errorf("tag left after the restore")
	}
	// Nothing to resume now, and the journal holds no plan to mistake.
	if st := journal.Fold(env.journal(t, "orders-db")); st.Plan != nil {
		t.Errorf("the restore journalled a plan: %+v", st.Plan)
	}
}

// A proxy is never emptied without its record: a refused tag means no
// deregistration.
func TestTagRefusedMeansNoDeregistration(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{Operation: "AddTagsToResource", Nth: 2, Code: "AccessDenied"}}}) // the 1st is the permission probe
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not deregister") || !strings.Contains(err.Error(), contract.TagDetached) {
		t.Fatalf("run: %+v %v", f, err)
	}
	for _, m := range env.sim.Mutations() {
		if m.Operation == "DeregisterDBProxyTargets" {
			t.Errorf("deregistered without the tag: %+v", m)
		}
	}
	if f.ProxyState != contract.ProxyOnBlue {
		t.Errorf("proxy %s", f.ProxyState)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
}

// Refusals tell the truth: an early stop reads the proxy state from AWS
// (the tag included) and its advice never sends the operator to a second
// run on another state directory while a proxy is empty.
func TestEarlyStopsReportTheEmptyProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	killWhileDetached(t, env)
	fresh := env.stateDir

	// State directory not writable.
	blocker := t.TempDir() + "/not-a-dir"
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	env.stateDir = blocker + "/rdsbg"
	for name, call := range map[string]func(*Engine, context.Context) (contract.Finished, error){"run": (*Engine).Run, "resume": (*Engine).Resume, "abort": (*Engine).Abort} {
		o := contract.Options{Source: "orders-db"}
		if name == "run" {
			o = legacyOpts
		}
		f, err := call(env.engine(t, o), context.Background())
		var dirErr *journal.StateDirError
		if !errors.As(err, &dirErr) || f.ExitCode != contract.ExitUsage || f.ProxyState != contract.ProxyEmpty {
			t.Errorf("%s with an unwritable state dir: %+v %v, want exit 2 and proxy none", name, f, err)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "pass --state-dir") || !strings.Contains(msg, "Do not start a run elsewhere") ||
			!strings.Contains(msg, "aws rds register-db-proxy-targets --db-proxy-name orders-proxy --db-instance-identifiers orders-db") {
			t.Errorf("%s: advice %q", name, msg)
		}
	}

	// Lock held by another run.
	env.stateDir = fresh
	held, err := journal.Acquire(env.stateDir, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	held.Release()
	var lockErr *journal.LockError
	if !errors.As(err, &lockErr) || f.ProxyState != contract.ProxyEmpty || !strings.Contains(err.Error(), "orders-proxy was emptied by rdsbg run") {
		t.Errorf("lock held: %+v %v", f, err)
	}
	env.assertProxyEmptyStill(t)
}

func (e *engineEnv) assertProxyEmptyStill(t *testing.T) {
	t.Helper()
	if ts := (contract.Source{Kind: contract.KindInstance, ID: "orders-db"}).Entries(e.proxyTargetsOf(t, "orders-proxy")); len(ts) != 0 {
		t.Errorf("a refusal changed the proxy: %+v", ts)
	}
}

// A plan declined on resume is a stop like any other after a
// deregistration: killed while the proxy is empty, the journal's plan no
// longer matches a fresh one: compensation puts blue back before the
// question (no question waits while the proxy is empty), the operator
// declines, and the run stops cancelled with the proxy on blue. Without
// the operator's explicit stop the proxy is never left empty (issue 12's
// closing note: this path used to leave it).
func TestResumeDeclinedCompensates(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	crashWithChangedPlan(t, env)
	env.approver.answers["plan"] = contract.DecisionDecline
	env.approver.onAsk = func(a contract.Approval) {
		if a.Kind == "plan" {
			env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy") // at the question
		}
	}
	f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
	if !errors.Is(err, contract.ErrDeclined) || f.Outcome != contract.OutcomeCancelled || f.ExitCode != contract.ExitCancelled {
		t.Fatalf("resume: %s exit %d, %v: want the changed plan declined (cancelled, exit 4)", f.Outcome, f.ExitCode, err)
	}
	if f.ProxyState != contract.ProxyOnBlue {
		t.Errorf("declined resume ends with proxy %s, want blue (compensated)", f.ProxyState)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	asked := false
	for _, a := range env.approver.seen {
		asked = asked || (a.Kind == "plan" && strings.Contains(a.Title, "no: stop here; orders-proxy keeps its target"))
	}
	if !asked {
		t.Errorf("the changed plan's question does not say what declining does now that the proxy serves: %+v", env.approver.seen)
	}
	restored := false
	for _, ev := range env.events.ofType(contract.EventCompensation) {
		restored = restored || strings.Contains(ev.Message, "proxy restored")
	}
	if !restored {
		t.Errorf("no compensation event says the proxy was restored")
	}
	if v, ok := env.proxyTags(t, "orders-proxy")[contract.TagDetached]; ok {
		t.Errorf("the proxy serves blue again but keeps %s=%q", contract.TagDetached, v)
	}
}

// No question waits while a proxy is empty (design.md §2): a resume whose
// plan changed, run when AWS shows the proxy empty — killed after
// detach-proxy (no deployment yet) or with the deployment created and blue
// not registered again — restores the proxy first and asks with it
// serving; the approved new plan then runs to the end (detach-proxy
// deregisters again where the new plan still needs it).
func TestResumeChangedPlanRestoresTheProxyBeforeAsking(t *testing.T) {
	for _, at := range []contract.StepID{contract.StepCreateDeployment, contract.StepAttachProxyBlue} {
		t.Run(string(at), func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
			crashWithChangedPlanAt(t, env, at)
			asked := false
			env.approver.onAsk = func(a contract.Approval) {
				if a.Kind != "plan" {
					return
				}
				asked = true
				env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
				if !strings.Contains(a.Title, "no: stop here") {
					t.Errorf("question %q", a.Title)
				}
				if strings.Contains(a.Text, "has no target") {
					t.Errorf("the new plan, shown with the proxy serving, still says it has no target:\n%s", a.Text)
				}
			}
			f, err := env.engine(t, contract.Options{Source: "orders-db"}).Resume(context.Background())
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			if !asked {
				t.Fatal("the changed plan was not put to the operator")
			}
			assertLegacyEndState(t, env, f)
			ids := map[string]bool{}
			for _, rec := range env.journal(t, "orders-db") {
				if rec.Plan != nil {
					ids[contract.RunID(*rec.Plan)] = true
				}
			}
			if len(ids) != 1 {
				t.Errorf("the changed plan took a new run id: %v (the run's lease and tags carry the first)", ids)
			}
			restored := false
			for _, ev := range env.events.ofType(contract.EventCompensation) {
				restored = restored || strings.Contains(ev.Message, "no question waits while the proxy is empty")
			}
			if !restored {
				t.Error("no compensation event says why the proxy was restored before the question")
			}
		})
	}
}

// The operator's explicit word is the one way out of that compensation
// with the proxy empty (headless: a second SIGINT/SIGTERM, Config.GiveUp):
// exit 5, proxy none, the restore command; the proxy stays untouched.
func TestResumeDeclinedThenStoppedByTheOperatorLeavesItEmpty(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	crashWithChangedPlan(t, env)
	env.approver.answers["plan"] = contract.DecisionDecline
	giveUp := make(chan struct{})
	var once sync.Once
	env.sim.AddFault(unavailable("RegisterDBProxyTargets"))
	env.events.hook = func(ev contract.Event) {
		if ev.Type == contract.EventCompensation && strings.HasPrefix(ev.Message, "attempt 2 ") {
			once.Do(func() { close(giveUp) })
		}
	}
	eng, err := New(Config{API: env.client, Calls: env.calls, Clock: env.clock, StateDir: env.stateDir, Approver: env.approver,
		Sink: env.events.sink, Options: contract.Options{Source: "orders-db"}, GiveUp: giveUp})
	if err != nil {
		t.Fatal(err)
	}
	f, err := eng.Resume(context.Background())
	var pe *ProxyEmptyError
	if !errors.As(err, &pe) || f.ExitCode != contract.ExitInterrupted || f.ProxyState != contract.ProxyEmpty || len(f.RestoreCommands) != 1 {
		t.Fatalf("resume: %s exit %d proxy %s restore %q, %v: want the operator's stop, exit 5, proxy none", f.Outcome, f.ExitCode, f.ProxyState, f.RestoreCommands, err)
	}
	env.assertProxyEmptyStill(t)
}

// crashWithChangedPlan kills a detach run right after blue's
// deregistration (the proxy empty) and edits its journal so that the plan
// resume rebuilds differs from the journal's.
func crashWithChangedPlan(t *testing.T, env *engineEnv) {
	t.Helper()
	crashWithChangedPlanAt(t, env, contract.StepAttachProxyBlue)
}

// crashWithChangedPlanAt is crashWithChangedPlan killed when step starts.
func crashWithChangedPlanAt(t *testing.T, env *engineEnv, step contract.StepID) {
	t.Helper()
	killAtStep(t, env, step)
	// Make the journal's plan differ from the one resume rebuilds.
	path := journal.Path(env.stateDir, "orders-db")
	recs := env.journal(t, "orders-db")
	var out []byte
	for _, r := range recs {
		if r.Plan != nil && len(r.Plan.Steps) > 1 {
			r.Plan.Steps = r.Plan.Steps[:len(r.Plan.Steps)-1]
		}
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, line...), '\n')
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	env.assertProxyEmptyStill(t)
}

// A stop before the plan (the lock held) on a healthy topology reports
// "blue" because AWS shows it, not because it is the default.
func TestEarlyStopOnAHealthyProxyReadsBlue(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	held, err := journal.Acquire(env.stateDir, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	before := env.sim.CallCounts()["DescribeDBProxyTargets"]
	f, _ := env.engine(t, legacyOpts).Run(context.Background())
	if f.ProxyState != contract.ProxyOnBlue {
		t.Errorf("proxy %s, want blue", f.ProxyState)
	}
	if env.sim.CallCounts()["DescribeDBProxyTargets"] <= before+1 {
		t.Errorf("the proxy state was not read from AWS after the refusal")
	}
	env.assertNoMutations(t)
}

// The wizard's source list shows a proxy that rdsbg emptied next to its
// source, from the tag alone.
func TestListSourcesShowsADetachedProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	killWhileDetached(t, env)
	srcs, err := preflight.ListSources(context.Background(), env.api)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if s.ID == "orders-db" {
			if strings.Join(s.Proxies, ",") != "orders-proxy (detached)" {
				t.Errorf("orders-db proxies %v", s.Proxies)
			}
			return
		}
	}
	t.Fatalf("orders-db not listed: %+v", srcs)
}

// A run does not carry on with a deployment whose tags say it belongs to
// another procedure than the one the operator asked for: it names what it
// found and changes nothing. (In auto mode the deployment's regime wins:
// TestLostJournalAfterReattachFollowsTheDeploymentsRegime.)
func TestRunRefusesADeploymentTaggedForAnotherRegime(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	ctx := context.Background()
	inst, err := env.api.DescribeInstance(ctx, "shop-db")
	if err != nil {
		t.Fatal(err)
	}
	name := contract.DefaultDeploymentName("shop-db", env.clock.Now())
	dep, err := env.api.CreateDeployment(ctx, awsclient.CreateDeploymentInput{Name: name, SourceARN: inst.ARN,
		Tags: map[string]string{contract.TagSource: "shop-db", contract.TagRegime: string(contract.RegimeDetach), contract.TagRun: "20261120T100000Z", contract.TagProxies: "shop-proxy"}})
	if err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Minute) // green exists: its settings are compared with the request
	before := len(env.sim.Mutations())
	// The operator asks for native; the deployment says detach.
	f, err := env.engineCfg(t, contract.Options{Source: "shop-db", ProxyMode: contract.ProxyModeNative}, func(c *Config) { c.Adopt = dep.ID }).Run(ctx)
	if ExitCode(err) != contract.ExitUsage || f.ExitCode != contract.ExitUsage {
		t.Fatalf("run: %+v %v, want exit 2", f, err)
	}
	for _, want := range []string{dep.ID, "run 20261120T100000Z", "detach regime", "--proxy-mode detach", "rdsbg abort --source shop-db"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q: %v", want, err)
		}
	}
	if after := len(env.sim.Mutations()); after != before {
		t.Errorf("the refused run changed AWS: %+v", env.sim.Mutations()[before:])
	}
}

// Journal lost after blue was registered again (no proxy tag left): the
// deployment's own tags make auto mode carry on in the detach regime
// rather than take the registered proxy for native support.
func TestLostJournalAfterReattachFollowsTheDeploymentsRegime(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	killAtStep(t, env, contract.StepReadyCheck)
	if _, ok := env.proxyTags(t, "orders-proxy")[contract.TagDetached]; ok {
		t.Fatal("blue was registered again but the proxy still carries the tag")
	}
	env.stateDir = t.TempDir()
	env.clock.Advance(26 * time.Hour)
	deps, err := env.api.ListDeployments(context.Background(), "")
	if err != nil || len(deps) != 1 {
		t.Fatalf("deployments: %+v %v", deps, err)
	}
	f, err := env.engineCfg(t, contract.Options{Source: "orders-db", TargetEngineVersion: "16.4", Cleanup: contract.CleanupDeployment}, func(c *Config) { c.Adopt, c.TakeOver = deps[0].ID, true }).Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	assertLegacyEndState(t, env, f)
	plans := env.events.ofType(contract.EventPlanReady)
	if len(plans) == 0 || plans[0].Plan.Regime != contract.RegimeDetach || plans[0].Plan.Options.ProxyMode != contract.ProxyModeDetach {
		t.Errorf("plan: %+v", plans)
	}
}

func TestDetachedProxiesListsEmptiedProxiesWithoutASource(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	if got, err := preflight.DetachedProxies(context.Background(), env.api); err != nil || len(got) != 0 {
		t.Fatalf("before: %+v %v", got, err)
	}
	killWhileDetached(t, env)
	got, err := preflight.DetachedProxies(context.Background(), env.api)
	if err != nil || len(got) != 1 || got[0].Proxy != "orders-proxy" || got[0].Tag.Source != "orders-db" || got[0].Registered {
		t.Fatalf("after the kill: %+v %v", got, err)
	}
}
