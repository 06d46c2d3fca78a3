package steps

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// The hostile cases of issue 20 (the 18 that fell short on 2026-12-07,
// and the issue's own "done when" cases), each with real `rdsbg`
// processes against a real `rdsbg sim`, and the test itself as the second
// person: a second SDK client that changes AWS at chosen moments, and
// POST /_sim/faults for what only AWS does (expired credentials, a deleted
// proxy, a target that never becomes healthy). Every case asserts what
// AWS holds afterwards, the exit codes and the outcome words. By default a
// sample runs; RDSBG_LONG=1 runs them all.

// hostileEnv is one case's simulator, the second person's client and the
// commands.
type hostileEnv struct {
	t   *testing.T
	bin string
	env []string
	s   *simtest.SimProcess
	api *awsclient.Client
	dir string
}

func newHostileEnv(t *testing.T, scenario string) *hostileEnv {
	t.Helper()
	bin := simtest.Rdsbg(t)
	dir := t.TempDir()
	env := simtest.ProcessEnv(filepath.Join(dir, "home"))
	s, err := startSimProcess(bin, scenario, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: s.URL, Region: "us-east-1", Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	return &hostileEnv{t: t, bin: bin, env: env, s: s, api: api, dir: dir}
}

// proc is a started rdsbg process.
type proc struct {
	cmd  *exec.Cmd
	out  *simtest.SyncBuffer
	done chan error
	err  error
	code int
	over bool
}

// state is a state directory of its own: one operator's machine.
func (h *hostileEnv) state(name string) string { return filepath.Join(h.dir, name) }

func (h *hostileEnv) start(stateDir string, args ...string) *proc {
	h.t.Helper()
	cmd, out := rdsbgCommand(h.bin, h.s.URL, stateDir, h.env, args...)
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p
}

// wait waits for the process to end (bounded) and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	if p.over {
		return p.code
	}
	select {
	case p.err = <-p.done:
	case <-time.After(processTimeout):
		_ = p.cmd.Process.Kill()
		p.err = <-p.done
		t.Fatalf("%s did not end within %s:\n%s", strings.Join(p.cmd.Args[:2], " "), processTimeout, tail(p.out.String()))
	}
	p.over, p.code = true, simtest.ExitCode(p.err)
	return p.code
}

// run runs a command to its end.
func (h *hostileEnv) run(stateDir string, args ...string) (int, string) {
	h.t.Helper()
	p := h.start(stateDir, args...)
	return p.wait(h.t), p.out.String()
}

// until waits (bounded) until the process's journal in stateDir holds a
// record that want accepts; the process must still run then.
func (h *hostileEnv) until(p *proc, stateDir, source string, want func(journal.Record) bool) {
	h.t.Helper()
	found, exited, err := waitForRecord(journal.Path(stateDir, source), want, p.done)
	if exited {
		p.over, p.err, p.code = true, err, simtest.ExitCode(err)
	}
	if !found {
		h.t.Fatalf("the journal never showed the awaited record (exit %d):\n%s", p.code, tail(p.out.String()))
	}
}

// untilOutput waits (bounded) until the process printed substr.
func (h *hostileEnv) untilOutput(p *proc, substr string) {
	h.t.Helper()
	found, exited, err := waitForJournal(func() bool { return strings.Contains(p.out.String(), substr) }, p.done)
	if exited {
		p.over, p.err, p.code = true, err, simtest.ExitCode(err)
	}
	if !found {
		h.t.Fatalf("the output never showed %q (exited %v, exit %d):\n%s", substr, exited, p.code, tail(p.out.String()))
	}
}

func stepRecord(step contract.StepID, state string) func(journal.Record) bool {
	return func(r journal.Record) bool { return r.Kind == journal.RecordStep && r.Step == step && r.State == state }
}

// waitAWS polls the simulator (bounded) until cond holds.
func (h *hostileEnv) waitAWS(what string, cond func(context.Context) bool) {
	h.t.Helper()
	deadline := time.After(processTimeout)
	for !cond(context.Background()) {
		select {
		case <-deadline:
			h.t.Fatalf("AWS never showed %s", what)
		case <-time.After(time.Millisecond):
		}
	}
}

// faults arms faults in the simulator process now; clear disarms them.
func (h *hostileEnv) faults(fs ...sim.Fault) {
	h.t.Helper()
	b, _ := json.Marshal(fs)
	resp, err := http.Post(h.s.URL+sim.FaultsPath, "application/json", strings.NewReader(string(b)))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		h.t.Fatalf("arming faults: %v %v", resp, err)
	}
	resp.Body.Close()
}

func (h *hostileEnv) clear() {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, h.s.URL+sim.FaultsPath, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
}

func (h *hostileEnv) stats() sim.Stats {
	h.t.Helper()
	st, err := simtest.Stats(h.s.URL)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// targets is what AWS says a proxy holds now: "resource:STATE" entries.
func (h *hostileEnv) targets(proxy string) []string {
	h.t.Helper()
	ts, err := h.api.DescribeProxyTargets(context.Background(), proxy)
	if err != nil {
		h.t.Fatalf("describe targets of %s: %v", proxy, err)
	}
	var out []string
	for _, t := range ts {
		out = append(out, t.RdsResourceID+":"+t.Health.State)
	}
	return out
}

func (h *hostileEnv) version(id string) string {
	h.t.Helper()
	in, err := h.api.DescribeInstance(context.Background(), id)
	if err != nil {
		h.t.Fatalf("describe %s: %v", id, err)
	}
	return in.EngineVersion
}

func (h *hostileEnv) deployments() []awsclient.Deployment {
	h.t.Helper()
	deps, err := h.api.ListDeployments(context.Background(), "")
	if err != nil {
		h.t.Fatal(err)
	}
	return deps
}

// finishedOf is the run-finished event of an --output json stream.
func finishedOf(out string) (contract.Event, bool) {
	var fin contract.Event
	found := false
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev contract.Event
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == contract.EventRunFinished && ev.Finished != nil {
			fin, found = ev, true
		}
	}
	return fin, found
}

// eventsOf are the events of one type in an --output json stream.
func eventsOf(out string, typ contract.EventType) []contract.Event {
	var evs []contract.Event
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev contract.Event
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == typ {
			evs = append(evs, ev)
		}
	}
	return evs
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var keep []string
	for _, l := range lines {
		if !strings.Contains(l, `"api-call"`) {
			keep = append(keep, l)
		}
	}
	if len(keep) > 25 {
		keep = keep[len(keep)-25:]
	}
	return strings.Join(keep, "\n")
}

// run arguments of the cases: the legacy scenario's detach procedure.
func runArgs(extra ...string) []string {
	return append([]string{"run", "--source", "orders-db", "--proxy-mode", "detach", "--yes", "--confirm", "orders-db", "--output", "json"}, extra...)
}

func resumeArgs(extra ...string) []string {
	return append([]string{"resume", "--source", "orders-db", "--yes", "--confirm", "orders-db", "--output", "json"}, extra...)
}

// hostileCase is one case: its id in the evidence and its body.
type hostileCase struct {
	id  string
	run func(t *testing.T)
}

func TestProcessWorldCases(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests
	cases := []hostileCase{
		{"C2", caseExpiredTokenDuringProvisioning},
		{"C4", caseSSOExpiryThenResume},
		{"C6", caseExpiredWhileRegisteringThenStop},
		{"O2", caseSecondOperatorWhileProvisioning},
		{"O3", caseSecondOperatorWithoutUpgradeWhileReady},
		{"O4", caseStalledOperatorTakenOver},
		{"X2", caseResumeAfterOutsideDeletion},
		{"X3", caseManualSwitchoverWhileReady},
		{"X4", caseOutsideDeregistrationDuringProvisioning},
		{"X9", caseTagRemovedAndJournalLost},
		{"X10", caseForgedTagOnAnotherProxy},
		{"X11", caseProxyDeletedInTheCriticalSection},
		{"A4", caseTargetNeverAvailable},
		{"B3", caseControlCharactersInSource},
		{"B7", caseJournalNamingAnotherSource},
		{"B8", caseRunDoneThenRunWithUpgrade},
		{"B10", caseUnwritableStateDirWhileEmpty},
		{"T1", caseResumeOnAClockBehindTheJournal},
		{"two-operators", caseTwoOperatorsAtOnce},
	}
	if !longMatrices() {
		// The default run keeps the cheap ones and the one no in-process
		// test covers (X3); O3, B8 and the lease rules run in-process too
		// (ownership_test.go).
		var sample []hostileCase
		for _, c := range cases {
			switch c.id {
			case "X3", "B3", "B7":
				sample = append(sample, c)
			}
		}
		cases = sample
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}
