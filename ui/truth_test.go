package ui

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/awsclient/simtest/simtruth"
	"github.com/rdsbg/rdsbg/steps"
)

// The truth oracle in the wizard (docs/truth.md; issue 21): the real
// engine drives the wizard against the simulator, and after every event
// the engine is held until the frame it produced has been checked against
// the simulator, read by a client of the oracle's own. The headless
// events are checked the same way in steps/truth_test.go.

// Claims checked on frames (docs/truth.md lists them in words).
const (
	frameEmpty      = "frame: PROXY EMPTY only while no target serves"
	frameServing    = "frame: a proxy shown serving serves"
	frameClients    = "frame: no client count beside PROXY EMPTY; every count with its age"
	frameRole       = "frame: (blue) before the switchover, (new primary) after"
	frameRail       = "frame: the rail's switchover ✗ only when AWS did not complete it"
	frameQuestion   = "frame: no question on screen while a proxy is empty (but --max-proxy-outage's, stop-restoring's, abort's)"
	frameUntouched  = "frame: \"production is untouched\" never beside an empty proxy"
	frameSummary    = "frame: the summary's proxy words, \"blue is still production\" and \"nothing … in AWS\" match AWS"
	frameEpilogue   = "epilogue: traffic and leftovers match AWS"
	frameOutageLine = "frame: the outage headline adds the windows"
)

type wizardOracle struct {
	t       *testing.T
	h       *harness
	api     *awsclient.Client
	src     steps.Source
	proxies []string
	ack     chan struct{}
	checked map[string]int
	frames  int
}

// newWizardOracle starts the simulator for scenario and a wizard whose
// engine waits for the oracle after every event.
func newWizardOracle(t *testing.T, scenario, source string) (*wizardOracle, Config) {
	t.Helper()
	simtest.IsolateAWSEnv(t)
	s := simtest.NewServer(t, sim.Options{Scenario: scenario, Clock: clock.NewVirtual(t0)})
	cfg := wizardConfig(t, s.URL, s.HTTPClient(), s.Clock)
	// The oracle's own client, on a clock of its own: its pacing must
	// never move the simulator's time between a claim and its check.
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: s.URL, Region: simtest.Region, Simulator: true, HTTPClient: s.HTTPClient(), Clock: clock.NewVirtual(t0)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := steps.Discover(context.Background(), api, source)
	if err != nil {
		t.Fatal(err)
	}
	o := &wizardOracle{t: t, api: api, src: d.Source, ack: make(chan struct{}), checked: map[string]int{}}
	for _, p := range d.Proxies {
		o.proxies = append(o.proxies, p.Proxy)
	}
	return o, cfg
}

// wizard is a harness on cfg whose engine is held after each event.
func (o *wizardOracle) wizard(cfg Config) *harness {
	be := engineBackend(cfg)
	inner := be.run
	be.run = func(ctx context.Context, mode string, opts steps.Options, ap steps.Approver, sink steps.Sink) (steps.Finished, error) {
		return inner(ctx, mode, opts, ap, func(ev steps.Event) {
			sink(ev)
			if ev.Type != steps.EventAPICall {
				<-o.ack // the frame is checked while the engine waits
			}
		})
	}
	o.h = newHarness(o.t, cfg, be, 120, 40)
	return o.h
}

func (o *wizardOracle) truth() simtruth.Truth {
	o.t.Helper()
	tr, err := simtruth.Read(context.Background(), o.api, o.src.ID, o.src.ResourceID, o.proxies)
	if err != nil {
		o.t.Fatalf("oracle: reading the simulator: %v", err)
	}
	return tr
}

func (o *wizardOracle) claim(name string, ok bool, format string, args ...any) {
	o.t.Helper()
	o.checked[name]++
	if !ok {
		o.t.Errorf("UNTRUE (%s): %s\n%s", name, fmt.Sprintf(format, args...), o.h.view())
	}
}

// pump feeds the engine's messages into the wizard, checks the frame after
// each event, and answers each question with answer (which may press any
// keys: approve, esc, Ctrl+C); it returns when the engine returns.
func (o *wizardOracle) pump(answer func(c *confirmation)) {
	o.t.Helper()
	h := o.h
	for {
		select {
		case m := <-h.w.bridge.msgs:
			h.send(m)
			if em, ok := m.(eventMsg); ok && em.event.Type != steps.EventAPICall {
				o.checkFrame(em.event)
				o.ack <- struct{}{}
			}
			if c := h.pending(); c != nil && !c.decided {
				o.checkFrame(steps.Event{Type: steps.EventApproval, Approval: &c.approval})
				answer(c)
			}
		case m := <-h.async:
			for len(h.w.bridge.msgs) > 0 {
				h.send(<-h.w.bridge.msgs)
			}
			h.send(m)
			o.checkFrame(steps.Event{Type: steps.EventRunFinished})
			return
		}
	}
}

// checkFrame checks what the screen says now against the simulator now.
func (o *wizardOracle) checkFrame(ev steps.Event) {
	o.t.Helper()
	o.frames++
	tr := o.truth()
	view := ansi.Strip(o.h.w.render())
	lines := strings.Split(view, "\n")
	traffic := ""
	if len(lines) > 1 && strings.Contains(lines[1], "PROXY ") {
		traffic = lines[1]
	}
	if traffic != "" && len(o.proxies) == 1 {
		if strings.Contains(traffic, "PROXY EMPTY") {
			o.claim(frameEmpty, tr.Empty(), "the line says EMPTY while AWS lists %+v", tr.Proxies)
			o.claim(frameClients, !strings.Contains(traffic, "clients"), "a client count beside PROXY EMPTY: %q", traffic)
		} else {
			o.claim(frameServing, !tr.Empty(), "the line says serving while AWS lists %+v", tr.Proxies)
			o.claim(frameClients, !strings.Contains(traffic, "clients") || strings.Contains(traffic, " ago"), "a client count without its age: %q", traffic)
		}
		if strings.Contains(traffic, "→ "+o.src.ID+" (blue)") {
			o.claim(frameRole, !tr.Switched, "%q while AWS says switched", traffic)
		}
		if strings.Contains(traffic, "→ "+o.src.ID+" (new primary)") {
			o.claim(frameRole, tr.Switched, "%q before the switchover", traffic)
		}
	}
	if o.h.w.phase == phaseRun && o.h.w.run.plan != nil && o.h.w.common.Width >= railMinWidth {
		for _, l := range strings.Split(ansi.Strip(renderRail(o.h.w.common, o.h.w.run, 40)), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[1] == string(steps.StepSwitchover) {
				o.claim(frameRail, f[0] != "✗" || !tr.Switched, "the rail shows the switchover failed while AWS completed it")
			}
		}
	}
	if c := o.h.pending(); c != nil && !c.decided {
		a := c.approval
		if a.Kind != "proxy-outage" && a.Kind != "stop-restoring" && a.Step != "abort" {
			o.claim(frameQuestion, !tr.Empty(), "question %q on screen while AWS lists %+v", a.Title, tr.Proxies)
		}
	}
	if strings.Contains(view, "production is untouched") {
		o.claim(frameUntouched, !tr.Empty(), "\"production is untouched\" while AWS lists %+v", tr.Proxies)
	}
	if f := o.h.w.run.finished; f != nil {
		o.checkFinished(view, f, tr, frameSummary)
		// The outage headline is the windows' total.
		var total int64
		for _, w := range f.ProxyOutages {
			total += w.DurationMS
		}
		o.claim(frameOutageLine, total == f.ProxyOutageTotalMS, "headline total %d ms, windows add to %d", f.ProxyOutageTotalMS, total)
	}
}

// checkFinished checks the words of a summary or epilogue.
func (o *wizardOracle) checkFinished(text string, f *steps.Finished, tr simtruth.Truth, claim string) {
	o.t.Helper()
	flatText := flat(text)
	if strings.Contains(flatText, "blue is still production") {
		o.claim(claim, !tr.Switched, "\"blue is still production\" while AWS says switched")
	}
	if strings.Contains(flatText, "proxy points at blue") || strings.Contains(flatText, "to blue, "+o.src.ID) {
		o.claim(claim, !tr.Empty() && !tr.Switched, "proxy said to point at blue; AWS: empty=%v switched=%v", tr.Empty(), tr.Switched)
	}
	if strings.Contains(flatText, "proxy points at the new primary") || strings.Contains(flatText, "to the new primary, "+o.src.ID) {
		o.claim(claim, !tr.Empty() && tr.Switched, "proxy said to point at the new primary; AWS: empty=%v switched=%v", tr.Empty(), tr.Switched)
	}
	if strings.Contains(flatText, "nothing of this run in AWS") {
		copies := 0
		for id := range tr.Resources {
			if strings.Contains(id, o.src.ID+"-green-") || strings.HasPrefix(id, o.src.ID+"-old") {
				copies++
			}
		}
		o.claim(claim, tr.Deployment == nil && copies == 0, "\"nothing of this run in AWS\" while AWS holds %+v and %d copies", tr.Deployment, copies)
	}
	for _, l := range f.Leftovers {
		if l.Kind == "green" || l.Kind == "old-blue" {
			_, ok := tr.Resources[l.ID]
			o.claim(claim, ok, "leftover %s %s does not exist", l.Kind, l.ID)
		}
	}
	o.checked[claim]++
}

// epilogue checks the lines printed after the wizard, at its width.
func (o *wizardOracle) epilogue() {
	o.t.Helper()
	f := o.h.w.run.finished
	ep := Epilogue(EpilogueInput{Finished: f, Source: o.src.ID, Proxies: strings.Join(o.proxies, ", "), Code: o.h.w.exitCode, Width: 80})
	if f != nil {
		o.checkFinished(ep, f, o.truth(), frameEpilogue)
	}
	for i, l := range strings.Split(ep, "\n") {
		body := strings.TrimSpace(strings.TrimSuffix(l, " \\"))
		if f := strings.Fields(body); len(f) == 2 && strings.HasSuffix(f[0], ":") {
			body = f[1] // a label and one word too long for any line (a path)
		}
		if w := ansi.StringWidth(l); w > 80 && strings.Contains(body, " ") {
			o.t.Errorf("epilogue line %d is %d wide: %q", i, w, l)
		}
	}
}

func (o *wizardOracle) report(must ...string) {
	o.t.Helper()
	var names []string
	for k, n := range o.checked {
		names = append(names, fmt.Sprintf("%d× %s", n, k))
	}
	sort.Strings(names)
	o.t.Logf("%d frames; checked: %s", o.frames, strings.Join(names, "; "))
	for _, m := range must {
		if o.checked[m] == 0 {
			o.t.Errorf("the oracle never checked %q", m)
		}
	}
}

// approveAll answers every question yes, after asserting its text.
func approveAll(h *harness) func(c *confirmation) {
	return func(c *confirmation) {
		h.expectApproval(c.approval.Kind)
		h.approve()
	}
}

type wizardTruthCase struct {
	name, scenario, source string
	opts                   steps.Options
	drive                  func(t *testing.T, o *wizardOracle, cfg Config)
	must                   []string
}

func wizardTruthCases() []wizardTruthCase {
	legacy := steps.Options{Source: "orders-db", ProxyMode: steps.ProxyModeDetach, Cleanup: steps.CleanupDeployment}
	whole := func(opts steps.Options) func(t *testing.T, o *wizardOracle, cfg Config) {
		return func(t *testing.T, o *wizardOracle, cfg Config) {
			h := o.wizard(cfg)
			h.drain(h.w.startRun("run", opts.WithDefaultsAt(t0)))
			o.pump(approveAll(h))
			if f := h.w.run.finished; f == nil || f.Outcome != steps.OutcomeDone {
				t.Fatalf("run ended %+v", f)
			}
			o.epilogue()
		}
	}
	traffic := []string{frameEmpty, frameServing, frameRole, frameQuestion, frameSummary, frameEpilogue, frameOutageLine}
	cases := []wizardTruthCase{
		{name: "legacy detach", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db", drive: whole(legacy), must: traffic},
		{name: "legacy auto falls back to detach", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db", drive: whole(steps.Options{Source: "orders-db"}), must: traffic},
		{name: "native", scenario: sim.ScenarioRDSMySQLNative, source: "shop-db", drive: whole(steps.Options{Source: "shop-db", ProxyMode: steps.ProxyModeNative}),
			must: []string{frameServing, frameRole, frameQuestion, frameSummary, frameEpilogue}},
		{name: "aurora global", scenario: sim.ScenarioAuroraGlobal, source: "payments-cluster", drive: whole(steps.Options{Source: "payments-cluster"}), must: traffic},
		{name: "ctrl+c in the critical section, then resume", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db",
			drive: func(t *testing.T, o *wizardOracle, cfg Config) {
				h := o.wizard(cfg)
				h.drain(h.w.startRun("run", legacy.WithDefaultsAt(t0)))
				quit := false
				o.pump(func(c *confirmation) {
					h.expectApproval(c.approval.Kind)
					h.approve()
					if c.approval.Kind == "critical-section" && !quit {
						quit = true
						h.keys("ctrl+c", "y") // at once inside the section
					}
				})
				o.epilogue()
				cfg.Options = steps.Options{Source: "orders-db"}
				second := o.wizard(cfg)
				second.drain(second.w.Init())
				if second.w.phase == phaseJournal {
					second.keys("r")
				}
				o.pump(approveAll(second))
				if f := second.w.run.finished; f == nil || f.Outcome != steps.OutcomeDone {
					t.Fatalf("resume ended %+v", f)
				}
				o.epilogue()
			},
			must: append(traffic, frameRail)},
		{name: "abort after a ready pause", scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db",
			drive: func(t *testing.T, o *wizardOracle, cfg Config) {
				h := o.wizard(cfg)
				h.drain(h.w.startRun("run", legacy.WithDefaultsAt(t0)))
				o.pump(func(c *confirmation) {
					h.expectApproval(c.approval.Kind)
					if c.approval.Kind == "critical-section" {
						h.keys("esc") // not now: ready
						return
					}
					h.approve()
				})
				cfg.Options = steps.Options{Source: "orders-db"}
				second := o.wizard(cfg)
				second.drain(second.w.Init())
				second.keys("x")
				o.pump(approveAll(second))
				if f := second.w.run.finished; f == nil || f.Outcome != steps.OutcomeRolledBack {
					t.Fatalf("abort ended %+v", f)
				}
				o.epilogue()
			},
			must: []string{frameServing, frameQuestion, frameSummary, frameEpilogue}},
	}
	for k := 1; k <= 4; k++ {
		k := k
		cases = append(cases, wizardTruthCase{name: fmt.Sprintf("decline question %d", k), scenario: sim.ScenarioRDSPostgresLegacy, source: "orders-db",
			drive: func(t *testing.T, o *wizardOracle, cfg Config) {
				h := o.wizard(cfg)
				h.drain(h.w.startRun("run", legacy.WithDefaultsAt(t0)))
				asked := 0
				o.pump(func(c *confirmation) {
					h.expectApproval(c.approval.Kind)
					asked++
					if asked == k {
						if c.typing() {
							h.keys("esc") // typed: esc declines
						} else {
							h.keys("n")
						}
						return
					}
					h.approve()
				})
				o.epilogue()
			},
			must: []string{frameQuestion, frameSummary, frameEpilogue}})
	}
	return cases
}

func TestTruthOracleWizard(t *testing.T) {
	all := wizardTruthCases()
	cases := []wizardTruthCase{all[0], all[4], all[len(all)-2]}
	if os.Getenv("RDSBG_LONG") == "1" {
		cases = all
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, cfg := newWizardOracle(t, c.scenario, c.source)
			c.drive(t, o, cfg)
			o.report(c.must...)
		})
	}
}
