package steps

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// No question waits while a proxy is empty (issue 21 item 1; walkthrough
// D1: the detach procedure stopped at a plain "Create blue/green
// deployment? y/n" with production's proxy empty, and a decline there cost
// an 8-minute outage for a run that changed nothing).

// questionsWhileEmpty walks plan as the runner does (runSteps, runStep:
// asksFor, coveredBy) with every change still to do, and names each
// question that would wait between a step that empties a proxy and the
// step that fills it again. approved: what this process approved before
// the walk (the native attempt before a fallback to detach).
func questionsWhileEmpty(plan Plan, approved map[StepID]bool) []string {
	r := &run{plan: plan, proxies: plan.Proxies, approved: map[StepID]bool{}}
	for id := range approved {
		r.approved[id] = true
	}
	var bad []string
	empty := StepID("")
	criticalAsked := false
	for _, ps := range plan.Steps {
		def, ok := stepDefOf(ps.ID)
		if !ok || def.bind == nil {
			continue
		}
		if ps.Critical && !criticalAsked {
			// The critical section's one question (runner.go) comes
			// before its first step: nothing is empty yet.
			if empty != "" {
				bad = append(bad, fmt.Sprintf("the critical section's question after %s emptied the proxy", empty))
			}
			criticalAsked = true
		}
		if impl := def.bind(r, ps); r.asksFor(ps, impl) {
			if empty != "" {
				bad = append(bad, fmt.Sprintf("%s asks (%s) while the proxy is empty since %s", ps.ID, ps.Severity, empty))
			}
			for _, c := range r.coveredBy(ps) {
				r.approved[c.ID] = true
			}
		}
		switch {
		case ps.CheckOnly:
		case def.empties:
			empty = ps.ID
		case def.refills:
			empty = ""
		}
	}
	if empty != "" {
		bad = append(bad, fmt.Sprintf("the plan ends with the proxy empty since %s", empty))
	}
	return bad
}

func TestNoQuestionWaitsWhileAProxyIsEmpty(t *testing.T) {
	walked, detachPlans := 0, 0
	for _, sc := range sim.Scenarios() {
		env := newEngineEnv(t, sim.Options{Scenario: sc.Name})
		ctx := context.Background()
		sources, err := ListSources(ctx, env.api)
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range sources {
			d, err := Discover(ctx, env.api, src.ID)
			if err != nil {
				continue // not a source rdsbg can deploy (a replica, an old blue)
			}
			versions := []string{""}
			if ups, err := UpgradeTargets(ctx, env.api, d.Source.Engine, d.Source.EngineVersion); err == nil {
				for _, u := range ups {
					versions = append(versions, u.Version)
					if len(versions) == 3 {
						break
					}
				}
			}
			for _, mode := range []ProxyMode{ProxyModeAuto, ProxyModeNative, ProxyModeDetach} {
				for _, via := range []UpgradeVia{UpgradeViaCreate, UpgradeViaModify} {
					for _, cleanup := range []Cleanup{CleanupNone, CleanupDeployment, CleanupOldBlue} {
						for _, v := range versions {
							o := Options{Source: d.Source.ID, ProxyMode: mode, UpgradeVia: via, Cleanup: cleanup, TargetEngineVersion: v}
							plan, err := BuildPlan(d, o, nil, planTime)
							if err != nil {
								continue // a combination the source refuses (native on a global cluster)
							}
							name := fmt.Sprintf("%s/%s mode=%s via=%s cleanup=%s version=%q", sc.Name, d.Source.ID, mode, via, cleanup, v)
							walked++
							if plan.Regime == RegimeDetach {
								detachPlans++
							}
							for _, b := range questionsWhileEmpty(plan, nil) {
								t.Errorf("%s: %s", name, b)
							}
							if plan.Regime != RegimeNative || mode != ProxyModeAuto {
								continue
							}
							// AWS may refuse the native creation: the fallback's
							// detach plan, after the native attempt approved
							// create-deployment (compensate.go).
							o.ProxyMode = ProxyModeDetach
							fb, err := BuildPlan(d, o, nil, planTime)
							if err != nil {
								t.Errorf("%s: no fallback plan: %v", name, err)
								continue
							}
							walked++
							detachPlans++
							for _, b := range questionsWhileEmpty(fb, map[StepID]bool{StepCreateDeployment: true}) {
								t.Errorf("%s, after the fallback to detach: %s", name, b)
							}
						}
					}
				}
			}
		}
	}
	if walked < 100 || detachPlans < 30 {
		t.Fatalf("walked %d plans (%d in the detach regime): the matrix lost its scenarios", walked, detachPlans)
	}
	t.Logf("walked %d plans, %d of them in the detach regime", walked, detachPlans)
}

// The walk's rule can fail: a plan whose emptying step is confirmed alone,
// as before issue 21, leaves create-deployment's question inside the
// outage.
func TestQuestionWalkCatchesAPromptInsideTheOutage(t *testing.T) {
	plan, err := BuildPlan(fixtureRDSPostgres(), Options{Source: "orders-db", ProxyMode: ProxyModeDetach}, nil, planTime)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{plan: plan, proxies: plan.Proxies}
	ps, _ := plan.Step(StepDetachProxy)
	a, covered := r.stepApproval(ps)
	if len(covered) != 2 || covered[1].ID != StepCreateDeployment || a.Severity != SeveritySevere || a.Confirm != "orders-db" {
		t.Fatalf("detach-proxy's approval covers %v (%s): want detach-proxy and create-deployment, severe", covered, a.Severity)
	}
	for _, want := range []string{"Deregister the database from its proxies, then create blue/green deployment", "at once and without another question, create-deployment: create blue/green deployment", "create-blue-green-deployment", "deregister-db-proxy-targets"} {
		if !strings.Contains(a.Title+"\n"+a.Text+"\n"+strings.Join(a.CLI, "\n"), want) {
			t.Errorf("the covering approval lacks %q:\n%s\n%s", want, a.Title, a.Text)
		}
	}
	// Only detach-proxy approved, as before: the walk must object.
	bad := questionsWhileEmpty(plan, nil)
	if len(bad) != 0 {
		t.Fatalf("the real plan: %v", bad)
	}
	r2 := &run{plan: plan, proxies: plan.Proxies, approved: map[StepID]bool{}}
	create, _ := plan.Step(StepCreateDeployment)
	def, _ := stepDefOf(StepCreateDeployment)
	if !r2.asksFor(create, def.bind(r2, create)) {
		t.Fatal("create-deployment on its own is not asked: the walk would prove nothing")
	}
}

// The walk reads the plan; this runs it. An approver that reads the
// simulator's proxy at each question fails the run if a question other
// than --max-proxy-outage's comes while the proxy does not serve the
// source. A spread sample by default, every scenario and mode with
// RDSBG_LONG=1.
func TestNoQuestionWaitsWhileTheSimulatorsProxyIsEmpty(t *testing.T) {
	type tc struct {
		scenario, source string
		mode             ProxyMode
	}
	all := []tc{
		{sim.ScenarioRDSPostgresLegacy, "orders-db", ProxyModeDetach},
		{sim.ScenarioAuroraGlobal, "payments-cluster", ProxyModeAuto},
		{sim.ScenarioRDSPostgresLegacy, "orders-db", ProxyModeAuto},
		{sim.ScenarioAuroraPostgres, "ledger-cluster", ProxyModeAuto},
		{sim.ScenarioAuroraPostgres, "ledger-cluster", ProxyModeDetach},
		{sim.ScenarioRDSMySQLNative, "shop-db", ProxyModeDetach},
		{sim.ScenarioRDSMySQLNative, "shop-db", ProxyModeAuto},
	}
	cases := all[:2]
	if longMatrices() {
		cases = all
	}
	for _, c := range cases {
		t.Run(c.scenario+"/"+string(c.mode), func(t *testing.T) {
			env := newEngineEnv(t, sim.Options{Scenario: c.scenario})
			var asked []string
			env.approver.onAsk = func(a Approval) {
				asked = append(asked, a.Kind+":"+string(a.Step))
				if a.Kind == "proxy-outage" {
					return
				}
				// Walkthrough D19: the section's question says what the
				// ready-check found and green's lag (or that it is unknown).
				if a.Kind == "critical-section" && (!strings.Contains(a.Text, "Ready-check: passed") || !strings.Contains(a.Text, "replication lag: ")) {
					t.Errorf("the critical section's question does not say the ready-check's result and the lag: %s", a.Text)
				}
				for _, p := range []string{proxyOf(c.scenario)} {
					ts, err := env.api.DescribeProxyTargets(context.Background(), p)
					if err != nil {
						t.Errorf("reading %s at %q: %v", p, a.Title, err)
						continue
					}
					if !servesSource(ts, c.source) {
						t.Errorf("question %q (%s/%s) waits while %s does not serve %s: %+v", a.Title, a.Kind, a.Step, p, c.source, ts)
					}
				}
			}
			f, err := env.engine(t, Options{Source: c.source, ProxyMode: c.mode, Cleanup: CleanupDeployment}).Run(context.Background())
			// A native account refuses blue's registration while green
			// provisions: detach mode then rolls back at --max-proxy-outage
			// (its own question), which is a way to end, not an untruth.
			if f.Outcome != OutcomeDone && !(c.mode == ProxyModeDetach && c.scenario == sim.ScenarioRDSMySQLNative && f.Outcome == OutcomeRolledBack) {
				t.Fatalf("Run = %s, %v", f.Outcome, err)
			}
			if len(asked) < 3 {
				t.Errorf("only %d questions: %v", len(asked), asked)
			}
		})
	}
}

func proxyOf(scenario string) string {
	switch scenario {
	case sim.ScenarioRDSPostgresLegacy:
		return "orders-proxy"
	case sim.ScenarioAuroraGlobal:
		return "payments-proxy"
	case sim.ScenarioAuroraPostgres:
		return "ledger-proxy"
	case sim.ScenarioRDSMySQLNative:
		return "shop-proxy"
	}
	return ""
}

// servesSource: the proxy lists the source (an instance, or a cluster's
// tracked entries) and every entry of it is AVAILABLE.
func servesSource(ts []awsclient.ProxyTarget, source string) bool {
	n := 0
	for _, t := range ts {
		if t.RdsResourceID == source || t.TrackedClusterID == source {
			n++
			if t.Type != "TRACKED_CLUSTER" && t.Health.State != "AVAILABLE" {
				return false
			}
		}
	}
	return n > 0
}
