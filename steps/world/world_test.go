package world_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/world"
)

func TestMain(m *testing.M) {
	cleanup := simtest.IsolateProcess()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// env is the real SDK client against the in-process simulator, on a
// virtual clock; the test plays every person that changes AWS.
type env struct {
	t   *testing.T
	api *awsclient.Client
	s   *simtest.Server
}

func newEnv(t *testing.T, scenario string) *env {
	t.Helper()
	s := simtest.NewServer(t, sim.Options{Scenario: scenario})
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: s.URL, Region: simtest.Region, Simulator: true, Clock: s.Clock, HTTPClient: s.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, api: api, s: s}
}

func (e *env) read(q world.Query) world.World {
	return world.Read(context.Background(), e.api, q, e.s.Clock.Now())
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// waitFor advances the virtual clock until cond holds (at most limit).
func (e *env) waitFor(what string, limit time.Duration, cond func() bool) {
	e.t.Helper()
	for waited := time.Duration(0); !cond(); waited += 15 * time.Second {
		if waited > limit {
			e.t.Fatalf("%s did not happen within %s", what, limit)
		}
		e.s.Clock.Advance(15 * time.Second)
	}
}

var full = world.Query{Source: "orders-db", FindDeployment: true, AllProxies: true, Details: true, Proxies: []string{"orders-proxy"}}

// A legacy-regime journey played by hand, read at each point: the roles,
// what the proxy serves, and what Diff says against the run's
// expectations.
func TestWorldFollowsTheProcedureAndWhatOthersChange(t *testing.T) {
	e := newEnv(t, "rds-postgres-legacy-proxy")
	ctx := context.Background()

	w := e.read(full)
	if !w.Known() {
		t.Fatalf("unknown parts: %v", w.Unknown)
	}
	prod := w.Production()
	if prod == nil || prod.ID != "orders-db" || prod.Role != world.RoleBlue || prod.Version != "15.7" || prod.ResourceID == "" {
		t.Fatalf("production = %+v", prod)
	}
	blueRes, blueCreated := prod.ResourceID, prod.Created
	if blueCreated.IsZero() {
		t.Fatal("blue's creation time is not read")
	}
	p := w.Proxy("orders-proxy")
	if p == nil || !p.ServesProduction() || w.Proxy("billing-proxy") != nil {
		t.Fatalf("proxies = %+v (billing-proxy fronts another database and is not of the topology)", w.Proxies)
	}
	if d := w.Diff(world.Expect{Proxies: map[string]world.ProxyExpect{"orders-proxy": world.ExpectServing}}, w.At); len(d) != 0 {
		t.Fatalf("a healthy start differs: %v", d)
	}

	// The run: detach, create (tagged with its run and lease), attach again.
	lease := world.Lease{Run: "20261121T220000Z-ab12", Host: "bastion", PID: 42, User: "dba", Renewed: e.s.Clock.Now(), Until: e.s.Clock.Now().Add(15 * time.Minute)}
	e.must(e.api.DeregisterTargets(ctx, "orders-proxy", awsclient.TargetRef{InstanceID: "orders-db"}))
	w = e.read(full)
	if diffs := w.Diff(world.Expect{Proxies: map[string]world.ProxyExpect{"orders-proxy": world.ExpectServing}}, w.At); !world.Has(diffs, world.DiffProxyEmpty) || !strings.Contains(diffs[0].Who, "no rdsbg tag") {
		t.Fatalf("an untagged deregistration: %v", diffs)
	}
	src, err := e.api.DescribeInstance(ctx, "orders-db")
	e.must(err)
	dep, err := e.api.CreateDeployment(ctx, awsclient.CreateDeploymentInput{Name: "rdsbg-orders-db-20261121", SourceARN: src.ARN, TargetEngineVersion: "16.4",
		Tags: map[string]string{world.TagRun: lease.Run, world.TagSource: "orders-db", world.TagProxies: "orders-proxy", world.TagOwner: lease.Value()}})
	e.must(err)
	_, err = e.api.RegisterTargets(ctx, "orders-proxy", awsclient.TargetRef{InstanceID: "orders-db"})
	e.must(err)
	e.waitFor("AVAILABLE", 2*time.Hour, func() bool {
		d, err := e.api.DescribeDeployment(ctx, dep.ID)
		return err == nil && d.Status == "AVAILABLE"
	})
	w = e.read(full)
	d := w.Deployment
	if d == nil || d.ID != dep.ID || d.Phase != world.PhaseBefore || d.Owner.Run != lease.Run || d.Owner.Lease == nil || !world.SameHolder(*d.Owner.Lease, lease) {
		t.Fatalf("deployment = %+v", d)
	}
	greens := w.ByRole(world.RoleGreen)
	if len(greens) != 2 || greens[0].Version != "16.4" {
		t.Fatalf("green = %+v, want the primary and its replica on 16.4", greens)
	}
	ours := world.Expect{Owner: lease, Deployment: dep.ID, Phase: world.PhaseBefore, Proxies: map[string]world.ProxyExpect{"orders-proxy": world.ExpectServing}}
	if diffs := w.Diff(ours, w.At); len(diffs) != 0 {
		t.Fatalf("the run's own world differs: %v", diffs)
	}
	other := lease
	other.PID = 43
	if diffs := w.Diff(world.Expect{Owner: other, Deployment: dep.ID}, w.At); !world.Has(diffs, world.DiffLeaseTaken) {
		t.Fatalf("another process's expectation: %v", diffs)
	}
	if diffs := w.Diff(world.Expect{Proxies: ours.Proxies}, w.At); !world.Has(diffs, world.DiffDeploymentForeign) || !strings.Contains(diffs[0].Who, lease.Run) {
		t.Fatalf("a run without a deployment sees this one as: %v", diffs)
	}

	// Someone switches over by hand: the proxy follows the renamed old blue.
	_, err = e.api.SwitchoverDeployment(ctx, dep.ID, 300*time.Second)
	e.must(err)
	e.waitFor("SWITCHOVER_COMPLETED", time.Hour, func() bool {
		d, err := e.api.DescribeDeployment(ctx, dep.ID)
		return err == nil && d.Status == "SWITCHOVER_COMPLETED"
	})
	w = e.read(full)
	if s, known := w.SwitchedOver(); !s || !known {
		t.Fatal("a completed switchover is not seen")
	}
	prod = w.Production()
	if prod.Role != world.RoleNewPrimary || prod.Version != "16.4" || prod.ResourceID == blueRes {
		t.Fatalf("production after the switchover = %+v", prod)
	}
	if old := w.Resource("orders-db-old1"); old == nil || old.Role != world.RoleOldBlue || old.Version != "15.7" {
		t.Fatalf("old blue = %+v", old)
	}
	diffs := w.Diff(ours, w.At)
	if !world.Has(diffs, world.DiffSwitchedOver) || !world.Has(diffs, world.DiffProxyOldBlue) {
		t.Fatalf("a manual switchover against the plan: %v", diffs)
	}

	// The deployment object is deleted: the resource ids still tell.
	_, err = e.api.DeleteDeployment(ctx, dep.ID, false)
	e.must(err)
	e.waitFor("the deployment gone", time.Hour, func() bool {
		_, err := e.api.DescribeDeployment(ctx, dep.ID)
		return awsclient.Classify(err) == awsclient.KindNotFound
	})
	q := full
	q.BlueResourceID, q.DeploymentID, q.FindDeployment = blueRes, dep.ID, false
	w = e.read(q)
	if w.DeploymentGone != dep.ID || w.Deployment != nil {
		t.Fatalf("gone = %q, deployment %+v", w.DeploymentGone, w.Deployment)
	}
	if s, known := w.SwitchedOver(); !s || !known || w.Production().Role != world.RoleNewPrimary {
		t.Fatalf("without the deployment: switched %v known %v, production %+v", s, known, w.Production())
	}
	if diffs := w.Diff(ours, w.At); !world.Has(diffs, world.DiffDeploymentGone) {
		t.Fatalf("a deleted deployment: %v", diffs)
	}
	if reg := w.Proxy("orders-proxy").Registered("orders-db-old1"); reg == nil || reg.Role != world.RoleOldBlue {
		t.Fatalf("orders-proxy: %s", w.Proxy("orders-proxy").Words())
	}

	// Where every resource has the same id (moto), the creation time
	// tells: green was created after blue.
	q.BlueResourceID, q.BlueCreated = w.Production().ResourceID, blueCreated
	if s, known := e.read(q).SwitchedOver(); !s || !known {
		t.Fatalf("same resource id, blue created %s, production created %s: switched %v known %v", blueCreated, w.Production().Created, s, known)
	}
	q.BlueCreated = w.Production().Created
	if s, known := e.read(q).SwitchedOver(); s || !known {
		t.Fatalf("same resource id and creation time: switched %v known %v", s, known)
	}
	// A run that adopted the deployment after its switchover took the new
	// primary for blue; what AWS showed it earlier still tells.
	q.SwitchedSeen = true
	if w := e.read(q); !isSwitched(w) || w.Production().Role != world.RoleNewPrimary {
		t.Fatalf("a switchover seen earlier is forgotten: %+v", w.Production())
	}
}

// A read that fails leaves its part unknown, never empty; a proxy AWS says
// is gone is gone.
func TestWorldUnknownIsNeverEmpty(t *testing.T) {
	e := newEnv(t, "rds-postgres-legacy-proxy")
	e.s.Sim.AddFault(sim.Fault{Operation: "DescribeDBProxyTargets", Code: "ExpiredToken", HTTPStatus: 403})
	q := world.Query{Source: "orders-db", Proxies: []string{"orders-proxy"}}
	w := e.read(q)
	p := w.Proxy("orders-proxy")
	if w.Known() || p == nil || p.Known() || p.Empty() || p.Gone {
		t.Fatalf("an unread proxy: known %v, %+v", w.Known(), p)
	}
	diffs := w.Diff(world.Expect{Proxies: map[string]world.ProxyExpect{"orders-proxy": world.ExpectServing}}, w.At)
	if len(diffs) != 1 || diffs[0].Kind != world.DiffUnknown {
		t.Fatalf("an unread proxy differs as %v, want unknown only", diffs)
	}
	e.s.Sim.ClearFaults()
	e.s.Sim.AddFault(sim.Fault{Operation: "DescribeDBProxyTargets", Code: "DBProxyNotFoundFault", HTTPStatus: 404})
	w = e.read(q)
	if p := w.Proxy("orders-proxy"); !w.Known() || !p.Gone {
		t.Fatalf("a deleted proxy: %+v", p)
	}
	if diffs := w.Diff(world.Expect{Proxies: map[string]world.ProxyExpect{"orders-proxy": world.ExpectServing}}, w.At); !world.Has(diffs, world.DiffProxyGone) {
		t.Fatalf("a deleted proxy differs as %v", diffs)
	}
}

// An Aurora cluster registers as one target: its TRACKED_CLUSTER entry
// and an entry per member, grouped into one registration.
func TestWorldGroupsAClusterRegistration(t *testing.T) {
	e := newEnv(t, "aurora-postgres-proxy")
	w := e.read(world.Query{Source: "ledger-cluster", Kind: world.KindCluster, FindDeployment: true, AllProxies: true, Details: true})
	p := w.Proxy("ledger-proxy")
	if p == nil || len(p.Registrations) != 1 {
		t.Fatalf("ledger-proxy = %+v", p)
	}
	reg := p.Registrations[0]
	if reg.Kind != world.KindCluster || !reg.Production || len(reg.Targets) < 2 || !p.ServesProduction() {
		t.Fatalf("registration = %+v", reg)
	}
	if w.Proxy("ops-proxy") != nil {
		t.Fatal("an empty proxy without an rdsbg tag is not of the topology")
	}
	if prod := w.Production(); prod == nil || prod.Kind != world.KindCluster || prod.Role != world.RoleBlue {
		t.Fatalf("production = %+v", prod)
	}
}

func TestTagValuesRoundTripAndStayInAWSLimits(t *testing.T) {
	now := time.Date(2026, 12, 7, 14, 21, 30, 0, time.UTC)
	l := world.Lease{Run: "20261207T142126Z-9f3c", Host: strings.Repeat("h", 300) + " x=y", PID: 4242, User: "dba\x1b[2J", Renewed: now, Until: now.Add(15 * time.Minute)}
	v := l.Value()
	if len(v) > world.MaxTagValue || strings.ContainsAny(v, "\x1b[") {
		t.Fatalf("lease value %d chars: %q", len(v), v)
	}
	back, ok := world.ParseLease(v)
	if !ok || back.Run != l.Run || back.PID != 4242 || !back.Until.Equal(l.Until) || back.Expired(now) || !back.Expired(now.Add(16*time.Minute)) {
		t.Fatalf("parsed %+v (%v)", back, ok)
	}
	l.Released = now.Add(time.Minute)
	if back, _ := world.ParseLease(l.Value()); !back.Expired(now) {
		t.Fatal("a released lease is not expired")
	}
	d := world.DetachedTag{TargetKind: world.KindInstance, Target: "orders-db", Source: "orders-db", Run: l.Run, At: now}
	if back, ok := world.ParseDetachedTag(d.Value()); !ok || back != d {
		t.Fatalf("detached %+v (%v)", back, ok)
	}
	if _, ok := world.ParseLease("run=x host=y"); ok {
		t.Fatal("a lease without until was accepted")
	}
	o := world.OwnerOf(map[string]string{world.TagRun: "r1", world.TagProxies: "a-proxy b-proxy +2"})
	if !o.ByRdsbg() || len(o.Proxies) != 2 || o.Lease != nil {
		t.Fatalf("owner = %+v", o)
	}
}

func TestNamesTellRoles(t *testing.T) {
	for _, c := range []struct {
		id        string
		old, gree bool
	}{
		{"orders-db-old1", true, false},
		{"orders-db-old12", true, false},
		{"orders-db-older", false, false},
		{"orders-db-green-abc123", false, true},
		{"orders-db-green-abc", false, false},
	} {
		if got := world.IsOldBlueName("orders-db", c.id); got != c.old {
			t.Errorf("IsOldBlueName(%s) = %v", c.id, got)
		}
		if got := world.IsGreenName(c.id); got != c.gree {
			t.Errorf("IsGreenName(%s) = %v", c.id, got)
		}
	}
}

// Diff on views built by hand: the rules that need no simulator.
func TestDiffRules(t *testing.T) {
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	ours := world.Lease{Run: "r1", Host: "h", PID: 1, Until: now.Add(time.Hour)}
	theirs := world.Lease{Run: "r2", Host: "h2", PID: 2, Until: now.Add(time.Hour), Released: now.Add(-time.Minute)}
	gone := world.World{Source: "orders-db", DeploymentGone: "bgd-1"}
	if d := gone.Diff(world.Expect{Deployment: "bgd-1", Gone: true}, now); len(d) != 0 {
		t.Errorf("a deployment the run may find gone (after its switchover): %v", d)
	}
	if d := gone.Diff(world.Expect{Deployment: "bgd-1", Phase: world.PhaseBefore}, now); !world.Has(d, world.DiffDeploymentGone) {
		t.Errorf("a deployment gone before the switchover: %v", d)
	}
	held := world.World{Source: "orders-db", Deployment: &world.Deployment{Deployment: awsclient.Deployment{ID: "bgd-1", Status: "AVAILABLE"}, Phase: world.PhaseBefore, Owner: world.Owner{Run: "r1", Lease: &theirs}}}
	if d := held.Diff(world.Expect{Owner: ours, Deployment: "bgd-1", Phase: world.PhaseBefore}, now); !world.Has(d, world.DiffLeaseTaken) {
		t.Errorf("another run's released lease on the run's deployment (a take-over that ended): %v", d)
	}
	held.Deployment.Owner.Lease = &ours
	if d := held.Diff(world.Expect{Owner: ours, Deployment: "bgd-1", Phase: world.PhaseBefore}, now); len(d) != 0 {
		t.Errorf("the run's own lease: %v", d)
	}
}

func isSwitched(w world.World) bool {
	s, known := w.SwitchedOver()
	return s && known
}
