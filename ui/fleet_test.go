package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/fleet"
	"github.com/rdsbg/rdsbg/steps/contract"
)

var fleetT0 = time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC)

// syntheticFleet is a plan of n databases over 2 accounts × 3 Regions in
// 4 waves, each with its own plan (so that the rail can be drawn).
func syntheticFleet(n int) *fleet.Plan {
	p := &fleet.Plan{Version: fleet.PlanVersion, ID: "fleet-test-ui", Policy: fleet.Policy{Budget: 8, MaxConcurrency: 10, StopAfterFailures: 1}}
	accounts := []string{"111111111111", "222222222222"}
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	for i := 0; i < n; i++ {
		src := fmt.Sprintf("pg-%03d", i+1)
		plan := &contract.Plan{Source: contract.Source{ID: src, Kind: contract.KindInstance, Engine: "postgres", EngineVersion: "15.7"}, Regime: contract.RegimeNative,
			Steps: []contract.PlannedStep{{ID: contract.StepPreflight}, {ID: contract.StepCreateDeployment}, {ID: contract.StepProvisionGreen}, {ID: contract.StepReadyCheck}, {ID: contract.StepSwitchover}, {ID: contract.StepVerify}, {ID: contract.StepCleanup}}}
		p.Databases = append(p.Databases, fleet.Database{Account: accounts[i%2], Region: regions[(i/2)%3], Source: src, Kind: contract.KindInstance,
			Engine: "postgres", Version: "15.7", TargetVersion: "15.10", Proxies: []string{src + "-proxy"}, Regime: contract.RegimeNative,
			Expected: 15 * time.Minute, Wave: 1 + i*4/n, Plan: plan})
	}
	return p
}

func trafficEvent(src string, at time.Time, empty bool) contract.Event {
	s := contract.ProxyServing{Proxy: src + "-proxy", Target: src, Serves: contract.ServesBlue, Health: "AVAILABLE"}
	if empty {
		s.Target, s.Health, s.EmptySince = "", "", &at
	}
	return contract.Event{Time: at, Type: contract.EventProxyTraffic, Source: src, Traffic: &contract.ProxyTraffic{Proxies: []contract.ProxyServing{s}}}
}

func progressEvent(src string, at time.Time, lag float64) contract.Event {
	return contract.Event{Time: at, Type: contract.EventProgress, Source: src, Step: contract.StepProvisionGreen, Progress: &contract.Progress{
		DeploymentStatus: "PROVISIONING", Waiting: "green to be available", Polls: 3,
		Tasks: []contract.TaskRow{{Name: "CREATING_READ_REPLICA_OF_SOURCE", Status: "IN_PROGRESS"}, {Name: "DB_ENGINE_VERSION_UPGRADE", Status: "PENDING"}},
		Metrics: &contract.MetricsSample{Time: at, Lines: []contract.MetricLine{{Metric: awsclient.MetricReplicaLag, Subject: src + "-green", Last: lag,
			Points: []contract.MetricValue{{Time: at, Value: lag}}}}},
	}}
}

// runningFleet is the screen with every database of wave 1 running and
// the rest pending, as two hundred runs look mid-wave.
func runningFleet(n int) *fleetModel {
	p := syntheticFleet(n)
	m := newFleetModel(FleetConfig{Plan: p, NoColor: true}, nil, newFleetFeed())
	m.common.Width, m.common.Height = 160, 50
	var batch []fleet.Update
	for i, d := range p.Databases {
		if d.Wave != 1 {
			continue
		}
		batch = append(batch,
			fleet.Update{Index: i, Event: contract.Event{Time: fleetT0, Type: fleet.EventDatabase, Source: d.Source, Message: fleet.StateRunning}},
			fleet.Update{Index: i, Event: contract.Event{Time: fleetT0, Type: contract.EventRunStarted, Source: d.Source}},
			fleet.Update{Index: i, Event: contract.Event{Time: fleetT0, Type: contract.EventStepStarted, Source: d.Source, Step: contract.StepProvisionGreen}},
			fleet.Update{Index: i, Event: trafficEvent(d.Source, fleetT0, false)},
			fleet.Update{Index: i, Event: progressEvent(d.Source, fleetT0.Add(time.Minute), 4.5)})
	}
	m.applyUpdates(batch)
	m.now = fleetT0.Add(5 * time.Minute)
	return m
}

func TestFleetScreenRowsHeaderFilterSortAndDetail(t *testing.T) {
	m := runningFleet(12)
	// One proxy empty for 40 s: the row says so in the traffic line's
	// words, and the header counts the outage.
	m.applyUpdates([]fleet.Update{{Index: 1, Event: trafficEvent("pg-002", fleetT0.Add(4*time.Minute+20*time.Second), true)}})
	out := ansi.Strip(m.render())
	for _, want := range []string{"3 running", "9 pending", "outage 00:40", "API 0.0/s of 8/s", "EMPTY 00:40", "blue AVAILABLE", "provision-green", "4.5 s", "~10m"} {
		if !strings.Contains(out, want) {
			t.Errorf("fleet screen lacks %q:\n%s", want, out)
		}
	}
	// The filter keeps the matching rows only.
	m.Update(press("/"))
	for _, r := range "pg-01" {
		m.Update(press(string(r)))
	}
	m.Update(press("enter"))
	out = ansi.Strip(m.render())
	if strings.Contains(out, "pg-002") || !strings.Contains(out, "pg-010") {
		t.Fatalf("filter pg-01 shows:\n%s", out)
	}
	m.Update(press("esc"))
	// Sort by state: the running ones first.
	m.Update(press("s"))
	m.Update(press("s"))
	m.refreshOrder()
	if r := m.rows[m.order[0]]; r.state != fleet.StateRunning {
		t.Fatalf("sorted by %s, first row is %s", fleetSorts[m.sortBy], r.state)
	}
	// Enter opens the database's own run screen, Esc comes back.
	m.Update(press("enter"))
	out = ansi.Strip(m.render())
	first := m.rows[m.order[0]].db
	if !strings.Contains(out, first.Name()) || !strings.Contains(out, "STEPS") || !strings.Contains(out, "Esc back to the fleet") || !strings.Contains(out, "PROVISIONING") {
		t.Fatalf("detail of %s:\n%s", first.Name(), out)
	}
	m.Update(press("esc"))
	if m.detail != -1 || !strings.Contains(ansi.Strip(m.render()), "ACCOUNT") {
		t.Fatal("Esc did not come back to the fleet")
	}
}

func TestFleetScreenWaveConfirmationIsTyped(t *testing.T) {
	m := runningFleet(8)
	reply := make(chan bool, 1)
	m.Update(waveAskMsg{wave: fleet.Wave{Number: 1, Name: "canary", Databases: []int{0}}, phase: "switchover", reply: reply})
	if out := ansi.Strip(m.render()); !strings.Contains(out, "Type wave-1") {
		t.Fatalf("no typed confirmation:\n%s", out)
	}
	for _, r := range "wave-1" {
		m.Update(press(string(r)))
	}
	m.Update(press("enter"))
	if ok := <-reply; !ok {
		t.Fatal("typing wave-1 did not confirm wave 1")
	}
	m.Update(waveAskMsg{wave: fleet.Wave{Number: 1, Name: "canary", Databases: []int{0}}, phase: "switchover", reply: reply})
	for _, r := range "wave-2" {
		m.Update(press(string(r)))
	}
	m.Update(press("enter"))
	if ok := <-reply; ok {
		t.Fatal("typing the wrong wave confirmed it")
	}
}

// BenchmarkFleetFrame200 is the frame after a poll at 200 rows: one run's
// progress and traffic arrive, then the screen redraws
// (docs/performance.md).
func BenchmarkFleetFrame200(b *testing.B) {
	for _, noColor := range []bool{false, true} {
		b.Run(fmt.Sprintf("no-color=%v", noColor), func(b *testing.B) {
			m := runningFleet(200)
			m.common = newCommon(noColor)
			m.common.Width, m.common.Height = 160, 50
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				at := fleetT0.Add(time.Duration(i) * time.Second)
				m.applyUpdates([]fleet.Update{{Index: i % 50, Event: progressEvent(m.rows[i%50].db.Source, at, float64(i%7))},
					{Index: i % 50, Event: trafficEvent(m.rows[i%50].db.Source, at, false)}})
				_ = m.render()
			}
		})
	}
}
