package steps

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func TestDetachedTagRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 21, 22, 3, 10, 0, time.UTC)
	long := strings.Repeat("a", 63)
	for _, tag := range []DetachedTag{
		{TargetKind: KindInstance, Target: "orders-db", Source: "orders-db", Run: "20261121T220000Z", At: at},
		{TargetKind: KindCluster, Target: long, Source: long, Run: "20261121T220000Z", At: at},
	} {
		v := tag.Value()
		if len(v) > maxTagValue || strings.ContainsAny(v, ";,|\"'") {
			t.Errorf("value %q: %d characters or a character AWS refuses", v, len(v))
		}
		got, ok := ParseDetachedTag(v)
		if !ok || got != tag {
			t.Errorf("ParseDetachedTag(%q) = %+v %v, want %+v", v, got, ok, tag)
		}
	}
	if v := (DetachedTag{TargetKind: KindInstance, Target: "orders-db", Source: "orders-db", Run: "20261121T220000Z", At: at}).Value(); v != "target=instance:orders-db source=orders-db run=20261121T220000Z at=2026-11-21T22:03:10Z" {
		t.Errorf("format changed: %q", v)
	}
	for _, bad := range []string{"", "source=x", "target=db:x source=x", "garbage"} {
		if _, ok := ParseDetachedTag(bad); ok {
			t.Errorf("ParseDetachedTag(%q) accepted", bad)
		}
	}
	var regs []ProxyRegistration
	for i := 0; i < 40; i++ {
		regs = append(regs, ProxyRegistration{Proxy: "proxy-" + strings.Repeat("x", 10) + string(rune('a'+i%26)) + string(rune('a'+i/26))})
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
	env.events.hook = func(ev Event) {
		if ev.Type == EventStepStarted && ev.Step == StepAttachProxyBlue {
			panic(crashSignal{})
		}
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(crashSignal); !ok {
					panic(p)
				}
			}
		}()
		_, _ = env.engine(t, legacyOpts).Run(context.Background())
		t.Fatal("the run was not killed")
	}()
	env.events = &eventLog{} // the next command's events only
	if ts := targetsOf(env.proxyTargetsOf(t, "orders-proxy"), Source{Kind: KindInstance, ID: "orders-db"}); len(ts) != 0 {
		t.Fatalf("the proxy is not empty at the kill: %+v", ts)
	}
	tag, ok := ParseDetachedTag(env.proxyTags(t, "orders-proxy")[TagDetached])
	if !ok || tag.Source != "orders-db" || tag.Target != "orders-db" || tag.TargetKind != KindInstance || tag.Run == "" || tag.At.IsZero() {
		t.Fatalf("proxy tag at the kill: %+v %v", tag, ok)
	}
	deps, err := env.api.ListDeployments(context.Background(), "")
	if err != nil || len(deps) != 1 {
		t.Fatalf("deployments at the kill: %+v %v", deps, err)
	}
	dep := deps[0]
	if dep.Tags[TagSource] != "orders-db" || dep.Tags[TagRegime] != string(RegimeDetach) || dep.Tags[TagProxies] != "orders-proxy" || dep.Tags[TagRun] != tag.Run {
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
	rep, err := Status(context.Background(), env.api, env.stateDir, "orders-db")
	if err != nil {
		t.Fatalf("status without a journal: %v", err)
	}
	if rep.ProxyState != ProxyEmpty || len(rep.Detached) != 1 || rep.Detached[0].Proxy != "orders-proxy" || rep.DeploymentID != dep.ID || !rep.Unfinished {
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
	// auto mode, no --deployment-name: everything must come from AWS.
	f, err := env.engine(t, Options{Source: "orders-db", TargetEngineVersion: "16.4", Cleanup: CleanupDeployment}).Run(context.Background())
	if err != nil {
		t.Fatalf("run after the journal was lost: %v", err)
	}
	assertLegacyEndState(t, env, f)
	var plans []Event
	for _, ev := range env.events.ofType(EventPlanReady) {
		plans = append(plans, ev)
	}
	if len(plans) == 0 || plans[0].Plan.Regime != RegimeDetach || plans[0].Plan.Deployment != dep.ID {
		t.Fatalf("plan: %+v", plans)
	}
	if !strings.Contains(plans[0].Plan.RegimeReason, "orders-proxy was emptied by rdsbg run") {
		t.Errorf("the regime does not say what was found: %s", plans[0].Plan.RegimeReason)
	}
	var notices []string
	for _, ev := range env.events.ofType(EventNotice) {
		notices = append(notices, ev.Message)
	}
	all := strings.Join(notices, "\n")
	for _, want := range []string{"orders-proxy was emptied", "adopting deployment " + dep.ID} {
		if !strings.Contains(all, want) {
			t.Errorf("no notice %q in:\n%s", want, all)
		}
	}
	for _, ev := range env.events.ofType(EventRunFinished) {
		if strings.Contains(ev.Message, "no proxy is involved") {
			t.Errorf("finished with %q", ev.Message)
		}
	}
	if v, ok := env.proxyTags(t, "orders-proxy")[TagDetached]; ok {
		t.Errorf("the proxy serves the new primary but still carries %s=%s", TagDetached, v)
	}
}

func TestLostJournalWhileDetachedAbortRestoresTheProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	killWhileDetached(t, env)
	f, err := env.engine(t, Options{Source: "orders-db"}).Abort(context.Background())
	if err != nil || f.Outcome != OutcomeRolledBack || f.ProxyState != ProxyOnBlue {
		t.Fatalf("abort: %+v %v", f, err)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	if deps, err := env.api.ListDeployments(context.Background(), ""); err != nil || len(deps) != 0 {
		t.Errorf("deployments after abort: %+v %v", deps, err)
	}
	if _, ok := env.proxyTags(t, "orders-proxy")[TagDetached]; ok {
		t.Errorf("tag left after abort")
	}
}

func TestLostJournalWhileDetachedResumeRestoresTheProxy(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy})
	dep := killWhileDetached(t, env)
	f, err := env.engine(t, Options{Source: "orders-db"}).Resume(context.Background())
	if ExitCode(err) != ExitUsage || f.ProxyState != ProxyOnBlue {
		t.Fatalf("resume: %+v %v", f, err)
	}
	for _, want := range []string{"orders-proxy was emptied", "registered it again", "rdsbg run --source orders-db", dep.ID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
	if _, ok := env.proxyTags(t, "orders-proxy")[TagDetached]; ok {
		t.Errorf("tag left after the restore")
	}
	// Nothing to resume now, and the journal holds no plan to mistake.
	if st := FoldJournal(env.journal(t, "orders-db")); st.Plan != nil {
		t.Errorf("the restore journalled a plan: %+v", st.Plan)
	}
}

// A proxy is never emptied without its record: a refused tag means no
// deregistration.
func TestTagRefusedMeansNoDeregistration(t *testing.T) {
	env := newEngineEnv(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{Operation: "AddTagsToResource", Code: "AccessDenied"}}})
	f, err := env.engine(t, legacyOpts).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not deregister") || !strings.Contains(err.Error(), TagDetached) {
		t.Fatalf("run: %+v %v", f, err)
	}
	for _, m := range env.sim.Mutations() {
		if m.Operation == "DeregisterDBProxyTargets" {
			t.Errorf("deregistered without the tag: %+v", m)
		}
	}
	if f.ProxyState != ProxyOnBlue {
		t.Errorf("proxy %s", f.ProxyState)
	}
	env.assertProxyHealthy(t, env.discoverRetry(t, "orders-db").Source, "orders-proxy")
}
