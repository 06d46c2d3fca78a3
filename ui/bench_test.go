package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Rendering benchmarks of issue 7: the progress screens of a large Aurora
// cluster (writer + 15 readers, 3 custom endpoints, 3 proxies: 20
// switchover members, 51 proxy target rows) at 160×50. Target: under 1 ms
// per frame. The model is fed synthetic events as the goldens do.

const (
	benchWidth, benchHeight = 160, 50
	benchCluster            = "ledger-cluster"
	benchReaders            = 15
)

var benchProxies = []string{"ledger-proxy", "ledger-reporting-proxy", "ledger-batch-proxy"}

// benchWizard is the root model driven like the harness does, without a
// *testing.T: Update, then every returned command synchronously.
type benchWizard struct{ w *wizard }

func newBenchWizard(b *testing.B) *benchWizard {
	b.Helper()
	w := newWizard(context.Background(), Config{Options: contract.Options{Source: benchCluster}, Clock: clock.NewVirtual(t0)}, backend{})
	w.pumped = true
	w.spawn = func(func() tea.Msg) tea.Cmd { return nil }
	bw := &benchWizard{w: w}
	bw.send(tea.WindowSizeMsg{Width: benchWidth, Height: benchHeight})
	w.phase = phaseRun
	w.engineRunning = true
	e := ev(contract.EventPlanReady, 0)
	e.Plan = auroraBenchPlan()
	bw.send(eventMsg{event: e})
	return bw
}

func (bw *benchWizard) send(msg tea.Msg) {
	_, cmd := bw.w.Update(msg)
	bw.drain(cmd)
}

func (bw *benchWizard) drain(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil, tea.QuitMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			bw.drain(c)
		}
	default:
		bw.send(msg)
	}
}

func clusterARN(id string) string { return "arn:aws:rds:us-east-1:123456789012:cluster:" + id }
func endpointARN(id string) string {
	return "arn:aws:rds:us-east-1:123456789012:cluster-endpoint:" + id
}

// auroraBenchPlan is the detach plan of the large cluster.
func auroraBenchPlan() *contract.Plan {
	p := fixturePlan()
	members := []string{benchCluster + "-writer"}
	for i := 1; i <= benchReaders; i++ {
		members = append(members, fmt.Sprintf("%s-reader-%02d", benchCluster, i))
	}
	p.Source = contract.Source{Kind: "cluster", ID: benchCluster, ARN: clusterARN(benchCluster), Engine: "aurora-postgresql",
		EngineVersion: "14.12", Region: "us-east-1", Members: members}
	p.Options.Source = benchCluster
	for _, px := range benchProxies {
		p.Proxies = append(p.Proxies, contract.ProxyRegistration{Proxy: px, TargetGroup: "default", Target: awsclient.TargetRef{ClusterID: benchCluster}})
	}
	return p
}

// auroraMembers are the 20 SwitchoverDetails of the cluster: the cluster,
// its 16 instances and 3 custom endpoints.
func auroraMembers(status string) []awsclient.SwitchoverMember {
	out := []awsclient.SwitchoverMember{{Source: clusterARN(benchCluster), Target: clusterARN(benchCluster + "-green-k3m9xq"), Status: status}}
	add := func(src, dst string) {
		out = append(out, awsclient.SwitchoverMember{Source: src, Target: dst, Status: status})
	}
	add(arn(benchCluster+"-writer"), arn(benchCluster+"-writer-green-p2v7sd"))
	for i := 1; i <= benchReaders; i++ {
		add(arn(fmt.Sprintf("%s-reader-%02d", benchCluster, i)), arn(fmt.Sprintf("%s-reader-%02d-green-%06d", benchCluster, i, 100000+i*7919)))
	}
	for _, e := range []string{"ledger-analytics", "ledger-reports", "ledger-etl"} {
		add(endpointARN(e), endpointARN(e+"-green-r8t2wz"))
	}
	return out
}

// auroraTargets are the proxy targets of the new primary: per proxy the
// tracked cluster and its 16 instances.
func auroraTargets(health string) []awsclient.ProxyTarget {
	var out []awsclient.ProxyTarget
	for _, px := range benchProxies {
		out = append(out, awsclient.ProxyTarget{ProxyName: px, Type: "TRACKED_CLUSTER", RdsResourceID: benchCluster, Health: awsclient.TargetHealth{State: health}})
		for i := 0; i <= benchReaders; i++ {
			id, role := fmt.Sprintf("%s-reader-%02d", benchCluster, i), "READ_ONLY"
			if i == 0 {
				id, role = benchCluster+"-writer", "READ_WRITE"
			}
			out = append(out, awsclient.ProxyTarget{ProxyName: px, Type: "RDS_INSTANCE", RdsResourceID: id, Role: role,
				Endpoint: id + ".c9akciq32.us-east-1.rds.amazonaws.com", Port: 5432, Health: awsclient.TargetHealth{State: health, Reason: "PENDING_PROXY_CAPACITY"}})
		}
	}
	return out
}

// provisioningFrame is the progress screen while green provisions.
func provisioningFrame(b *testing.B) *benchWizard {
	bw := newBenchWizard(b)
	s := ev(contract.EventStepStarted, 0)
	s.Step = contract.StepCreateDeployment
	bw.send(eventMsg{event: s})
	p := ev(contract.EventProgress, 9*time.Minute)
	p.Progress = &contract.Progress{
		DeploymentID: "bgd-k3m9xq2v7sd", DeploymentStatus: "PROVISIONING",
		Tasks: []contract.TaskRow{
			{Name: "CREATING_READ_REPLICA_OF_SOURCE", Status: "COMPLETED", InStatus: 4 * time.Minute},
			{Name: "DB_ENGINE_VERSION_UPGRADE", Status: "IN_PROGRESS", InStatus: 95 * time.Second},
			{Name: "CREATE_DB_INSTANCES_FOR_CLUSTER", Status: "PENDING", InStatus: 9 * time.Minute},
			{Name: "CREATE_CUSTOM_ENDPOINTS", Status: "PENDING", InStatus: 9 * time.Minute},
		},
		Members: auroraMembers("PROVISIONING"),
		Waiting: "the deployment to be AVAILABLE", Elapsed: 9 * time.Minute, Polls: 36,
	}
	bw.send(eventMsg{event: p})
	bw.send(tickMsg{now: t0.Add(9*time.Minute + 5*time.Second)})
	return bw
}

// criticalFrame is the critical section's screen while the new primary's
// proxy targets turn healthy.
func criticalFrame(b *testing.B) *benchWizard {
	bw := newBenchWizard(b)
	for i, id := range []contract.StepID{contract.StepDetachProxyBlue, contract.StepSwitchover, contract.StepAttachProxyPrimary} {
		s := ev(contract.EventStepStarted, time.Duration(i)*30*time.Second)
		s.Step = id
		bw.send(eventMsg{event: s})
		if id != contract.StepAttachProxyPrimary {
			d := ev(contract.EventStepDone, time.Duration(i)*30*time.Second+time.Second)
			d.Step = id
			bw.send(eventMsg{event: d})
		}
	}
	bw.send(eventMsg{event: criticalProgress(62 * time.Second)})
	bw.send(tickMsg{now: t0.Add(63 * time.Second)})
	return bw
}

// criticalProgress is one poll of the new primary's proxy targets.
func criticalProgress(at time.Duration) contract.Event {
	since := t0.Add(time.Second)
	p := ev(contract.EventProgress, at)
	p.Progress = &contract.Progress{
		DeploymentID: "bgd-k3m9xq2v7sd", DeploymentStatus: "SWITCHOVER_COMPLETED", ProxylessSince: &since,
		Members: auroraMembers("SWITCHOVER_COMPLETED"), ProxyTargets: auroraTargets("REGISTERING"),
		Waiting: "the new primary's proxy targets to be AVAILABLE", Elapsed: at - 60*time.Second, Polls: 2,
	}
	return p
}

func benchmarkFrame(b *testing.B, bw *benchWizard, mustShow string) {
	if v := ansi.Strip(bw.w.render()); !strings.Contains(v, mustShow) {
		b.Fatalf("the frame does not show %q:\n%s", mustShow, v)
	}
	for _, line := range strings.Split(ansi.Strip(bw.w.render()), "\n") {
		if ansi.StringWidth(line) > benchWidth {
			b.Fatalf("a line is wider than %d columns: %q", benchWidth, line)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = bw.w.View()
	}
}

// BenchmarkViewProvisioning: one frame of the progress screen while green
// provisions.
func BenchmarkViewProvisioning(b *testing.B) {
	benchmarkFrame(b, provisioningFrame(b), "DB_ENGINE_VERSION_UPGRADE")
}

// BenchmarkViewCritical: one frame of the critical section with members
// and proxy targets.
func BenchmarkViewCritical(b *testing.B) {
	benchmarkFrame(b, criticalFrame(b), "PROXY-LESS")
}

// BenchmarkViewCriticalNewProgress: the frame after a poll, when the
// tables must be drawn again: the progress event's Update plus View.
func BenchmarkViewCriticalNewProgress(b *testing.B) {
	bw := criticalFrame(b)
	b.ReportAllocs()
	at := 63 * time.Second
	for b.Loop() {
		at += time.Second
		bw.send(eventMsg{event: criticalProgress(at)})
		_ = bw.w.View()
	}
}

// BenchmarkTickAndView: what every second of the critical section costs,
// the clock tick's Update plus the frame it causes.
func BenchmarkTickAndView(b *testing.B) {
	bw := criticalFrame(b)
	b.ReportAllocs()
	at := t0.Add(63 * time.Second)
	for b.Loop() {
		at = at.Add(time.Second)
		bw.send(tickMsg{now: at})
		_ = bw.w.View()
	}
}

// BenchmarkWizardFirstFrame: building the wizard and drawing its first
// frame at 160×50, what `rdsbg demo` does before any AWS answer arrives.
func BenchmarkWizardFirstFrame(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		w := newWizard(context.Background(), Config{Clock: clock.NewVirtual(t0)}, backend{})
		w.Update(tea.WindowSizeMsg{Width: benchWidth, Height: benchHeight})
		if v := w.View(); v.Content == "" {
			b.Fatal("empty first frame")
		}
	}
}
