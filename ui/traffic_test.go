package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps"
)

func servingTraffic() *steps.ProxyTraffic {
	n := 43.0
	at := t0.Add(-time.Minute) // the end of the CloudWatch minute it measures
	return &steps.ProxyTraffic{Proxies: []steps.ProxyServing{{Proxy: "orders-proxy", Target: "orders-db", Serves: steps.ServesBlue, Health: "AVAILABLE", Clients: &n, ClientsAt: &at}}}
}

func emptyTraffic(since time.Time) *steps.ProxyTraffic {
	return &steps.ProxyTraffic{Proxies: []steps.ProxyServing{{Proxy: "orders-proxy", EmptySince: &since}}}
}

// The traffic line is a pure function of state and width: golden lines at
// 80 and 120 columns, colour stripped.
func TestRenderTrafficGoldenLines(t *testing.T) {
	st := newStyles(true)
	since := t0
	registering := &steps.ProxyTraffic{Proxies: []steps.ProxyServing{{Proxy: "orders-proxy", Target: "orders-db", Serves: steps.ServesBlue, Health: "REGISTERING", EmptySince: &since}}}
	two := &steps.ProxyTraffic{Proxies: []steps.ProxyServing{
		{Proxy: "orders-proxy", Target: "orders-db", Serves: steps.ServesNewPrimary, Health: "AVAILABLE"},
		{Proxy: "orders-ro-proxy", EmptySince: &since},
	}}
	cases := []struct {
		name  string
		t     *steps.ProxyTraffic
		now   time.Time
		width int
		want  string
	}{
		{"serving 80", servingTraffic(), t0, 80, "PROXY orders-proxy → orders-db (blue) AVAILABLE · 43 clients 1m ago"},
		{"serving 120", servingTraffic(), t0.Add(3 * time.Minute), 120, "PROXY orders-proxy → orders-db (blue) AVAILABLE · 43 clients 4m ago"},
		{"empty 80", emptyTraffic(t0), t0.Add(4*time.Minute + 12*time.Second), 80, " PROXY EMPTY 04:12  orders-proxy has no target"},
		{"empty 120", emptyTraffic(t0), t0.Add(4*time.Minute + 12*time.Second), 120, " PROXY EMPTY 04:12  orders-proxy has no target"},
		{"registering 80", registering, t0.Add(9 * time.Second), 80, " PROXY EMPTY 00:09  orders-proxy → orders-db (blue) REGISTERING"},
		{"hour 120", emptyTraffic(t0), t0.Add(75 * time.Minute), 120, " PROXY EMPTY 1:15:00  orders-proxy has no target"},
		{"two proxies 120", two, t0.Add(3 * time.Second), 120, " PROXY EMPTY 00:03  orders-ro-proxy has no target  PROXY orders-proxy → orders-db (new primary) AVAILABLE"},
		{"two proxies 80", two, t0.Add(3 * time.Second), 80, "PROXY EMPTY 00:03 orders-ro-proxy: no target  PROXY orders-proxy → orders-db (n…"},
		{"registering 60", registering, t0.Add(83 * time.Second), 60, "PROXY EMPTY 01:23 orders-proxy → orders-db REGISTERING"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ansi.Strip(renderTraffic(st, c.width, c.t, nil, c.now))
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			if w := ansi.StringWidth(got); w > c.width {
				t.Errorf("%d columns wide at width %d", w, c.width)
			}
		})
	}
	if got := renderTraffic(st, 80, nil, nil, t0); got != "" {
		t.Errorf("no proxy drew %q", got)
	}
}

// The clients count follows the latest CloudWatch read rather than the
// event's (which is only sent when the serving state changes), always with
// the age of the minute it measures; a proxy with no serving target shows
// no count at all, however recent (walkthrough D5: "PROXY EMPTY 00:41 ·
// 45 clients" while CloudWatch's minimum was 0).
func TestRenderTrafficTakesClientsFromTheLatestMetrics(t *testing.T) {
	m := &steps.MetricsSample{Time: t0, Period: time.Minute, Lines: []steps.MetricLine{{Metric: awsclient.MetricClientConnections, Subject: "orders-proxy", Points: []steps.MetricValue{{Time: t0.Add(-3 * time.Minute), Value: 7}}, Last: 7}}}
	got := ansi.Strip(renderTraffic(newStyles(true), 120, servingTraffic(), m, t0))
	if !strings.HasSuffix(got, "AVAILABLE · 7 clients 2m ago") {
		t.Errorf("line %q", got)
	}
	since := t0
	for _, tr := range []*steps.ProxyTraffic{emptyTraffic(t0), {Proxies: []steps.ProxyServing{{Proxy: "orders-proxy", Target: "orders-db", Serves: steps.ServesBlue, Health: "REGISTERING", EmptySince: &since, Clients: &m.Lines[0].Last}}}} {
		for _, width := range []int{60, 120} {
			if got := ansi.Strip(renderTraffic(newStyles(true), width, tr, m, t0.Add(time.Minute))); strings.Contains(got, "clients") {
				t.Errorf("an empty proxy shows a client count: %q", got)
			}
		}
	}
	if ansi.Strip(renderTraffic(newStyles(false), 120, emptyTraffic(t0), nil, t0)) == renderTraffic(newStyles(false), 120, emptyTraffic(t0), nil, t0) {
		t.Errorf("the empty proxy is not styled (red) in colour mode")
	}
}

// On every run screen the wizard shows the line under its title bar; it
// turns into PROXY EMPTY with a clock that runs on the tick alone, and the
// step screen no longer says blue keeps serving production beside it.
func TestWizardShowsTrafficOnEveryScreenWithARunningClock(t *testing.T) {
	h, _ := runHarness(t, 80, 30)
	tr := ev(steps.EventProxyTraffic, 0)
	tr.Traffic = servingTraffic()
	h.send(eventMsg{event: tr})
	h.mustShow("PROXY orders-proxy → orders-db (blue) AVAILABLE · 43 clients 1m ago")
	if first := strings.Split(h.view(), "\n")[1]; !strings.Contains(first, "PROXY orders-proxy") {
		t.Errorf("the traffic line is not under the title bar: %q", first)
	}

	start := ev(steps.EventStepStarted, time.Second)
	start.Step = steps.StepCreateDeployment
	h.w.run.plan.Steps[2].Why = "The green environment is where the change happens while blue keeps serving production."
	h.send(eventMsg{event: start})
	h.mustShow("blue keeps serving production") // true while the proxy serves blue

	empty := ev(steps.EventProxyTraffic, 2*time.Second)
	empty.Traffic = emptyTraffic(t0.Add(2 * time.Second))
	h.send(eventMsg{event: empty})
	h.send(tickMsg{now: t0.Add(4*time.Minute + 14*time.Second)})
	h.mustShow("PROXY EMPTY 04:12", "orders-proxy has no target")
	h.mustNotShow("blue keeps serving production", "AVAILABLE · 43 clients")
	h.send(tickMsg{now: t0.Add(4*time.Minute + 15*time.Second)})
	h.mustShow("PROXY EMPTY 04:13")

	for _, scr := range []runScreen{screenStep, screenCritical, screenSummary, screenPlan} {
		h.w.front = scr
		h.mustShow("PROXY EMPTY 04:13")
		if n := len(strings.Split(h.view(), "\n")); n > 30 {
			t.Errorf("screen %d is %d lines tall on a 30-line terminal", scr, n)
		}
	}
	back := ev(steps.EventProxyTraffic, 5*time.Minute)
	back.Traffic = servingTraffic()
	h.send(eventMsg{event: back})
	h.mustNotShow("PROXY EMPTY")
	h.mustShow("PROXY orders-proxy → orders-db (blue) AVAILABLE")
}

// Before the first proxy-traffic event the line shows the proxies as
// discovery saw them (the plan's), and none for a proxy-less plan.
func TestTrafficLineFromThePlanBeforeTheFirstEvent(t *testing.T) {
	h, _ := runHarness(t, 120, 30)
	h.mustNotShow("PROXY ")
	p := fixturePlan()
	p.Proxies = []steps.ProxyRegistration{{Proxy: "orders-proxy", Targets: []awsclient.ProxyTarget{{ProxyName: "orders-proxy", RdsResourceID: "orders-db", Type: "RDS_INSTANCE", Health: awsclient.TargetHealth{State: "AVAILABLE"}}}}}
	e := ev(steps.EventPlanReady, time.Second)
	e.Plan = p
	h.send(eventMsg{event: e})
	h.mustShow("PROXY orders-proxy → orders-db (blue) AVAILABLE")
}

// The summary lists every window with its step, cause and duration, and
// the total.
func TestSummaryListsEveryOutageWindow(t *testing.T) {
	h, _ := runHarness(t, 120, 40)
	f := finishedEvent()
	down := int64(61_500)
	f.Finished.ProxyOutages = []steps.OutageWindow{
		{Step: steps.StepDetachProxy, Start: t0, DurationMS: 71_000, Cause: steps.OutageDetachBeforeCreate, Proxies: []string{"orders-proxy"}},
		{Step: steps.StepDetachProxyBlue, Start: t0.Add(time.Hour), DurationMS: 65_000, Cause: steps.OutageCriticalSection, Proxies: []string{"orders-proxy"}, AppDowntimeMS: &down},
	}
	f.Finished.ProxyOutageTotalMS = 136_000
	h.send(eventMsg{event: f})
	h.mustShow("Proxy outages", "1m11s", "detach-proxy", "deregistered before the deployment's creation",
		"1m05s", "detach-proxy-blue", "critical section", "applications cut off for about 1m02s", "proxy outage 2m16s in 2 windows (critical section 1m05s)")
}

// Plain mode prints one line at each change of what a proxy serves, and
// every window with the total in its closing summary.
func TestPlainPrintsTrafficChangesAndOutageWindows(t *testing.T) {
	cfg := simConfig(t, sim.ScenarioRDSPostgresLegacy)
	cfg.Options = steps.Options{Source: "orders-db", ProxyMode: steps.ProxyModeDetach}
	op := &operator{}
	code, err := runPlain(context.Background(), cfg, engineBackend(cfg), op, op)
	out := op.out.String()
	if err != nil || code != steps.ExitOK {
		t.Fatalf("exit %d, err %v:\n%s", code, err, out)
	}
	var traffic []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " PROXY orders-proxy ") {
			traffic = append(traffic, l)
		}
	}
	if len(traffic) < 6 || len(traffic) > 10 {
		t.Errorf("%d traffic lines, want one per change:\n%s", len(traffic), strings.Join(traffic, "\n"))
	}
	for _, want := range []string{"PROXY orders-proxy EMPTY: no target since", "PROXY orders-proxy → orders-db (blue) AVAILABLE", "PROXY orders-proxy → orders-db (new-primary) AVAILABLE",
		"Proxy outage ", "in 2 windows (critical section ", "during detach-proxy from", "during detach-proxy-blue from"} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}
