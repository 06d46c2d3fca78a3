package steps

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// The process-level network and signal half of the reliability suite
// (issue 12): a real `rdsbg run` talks to a real `rdsbg sim` through a
// loopback TCP relay that the test makes refuse or black-hole connections
// on command, or the run is sent SIGHUP, or its --output json reader goes
// away. For each case the proxy must end with its target once the network
// is back, with no operator action, and the run must end in a state its
// summary names. One representative case runs in every `go test ./...`;
// the whole table with RDSBG_LONG=1 (.ci/run).

// netCase is one row of the table.
type netCase struct {
	name   string
	scen   string
	faults string              // JSON for `rdsbg sim --faults`
	when   func(ev Event) bool // the trigger, on the run's NDJSON
	action string              // refuse, blackhole, sighup, close-stdout, none
	down   time.Duration       // simulated time the network stays down
	long   bool                // only with RDSBG_LONG=1
}

func stepStarted(id StepID) func(Event) bool {
	return func(ev Event) bool { return ev.Type == EventStepStarted && ev.Step == id }
}

func netCases() []netCase {
	return []netCase{
		{name: "refused 10 min during the switchover", scen: sim.ScenarioRDSPostgresLegacy, when: stepStarted(StepSwitchover), action: "refuse", down: 10 * time.Minute},
		{name: "refused 10 min during creation, proxy detached", scen: sim.ScenarioRDSPostgresLegacy, when: stepStarted(StepCreateDeployment), action: "refuse", down: 10 * time.Minute, long: true},
		{name: "network black-holed 30 min inside the critical section", scen: sim.ScenarioRDSPostgresLegacy, when: stepStarted(StepSwitchover), action: "blackhole", down: 30 * time.Minute, long: true},
		{name: "refused 30 min inside the critical section", scen: sim.ScenarioAuroraPostgres, when: stepStarted(StepSwitchover), action: "refuse", down: 30 * time.Minute, long: true},
		{name: "90 % throttling from blue's re-registration on (before the critical section)", scen: sim.ScenarioRDSPostgresLegacy,
			faults: `[{"throttle_rate":0.9,"after":"RegisterDBProxyTargets","until":"DeleteBlueGreenDeployment"}]`, action: "none", long: true},
		{name: "90 % throttling from the switchover call on (inside the critical section)", scen: sim.ScenarioRDSPostgresLegacy,
			faults: `[{"throttle_rate":0.9,"after":"SwitchoverBlueGreenDeployment","until":"DeleteBlueGreenDeployment"}]`, action: "none", long: true},
		{name: "faults file: throttle 0.9 after DeregisterDBProxyTargets", scen: sim.ScenarioRDSPostgresLegacy,
			faults: `[{"throttle_rate":0.9,"after":"DeregisterDBProxyTargets"}]`, action: "none", long: true},
		{name: "SIGHUP inside the critical section", scen: sim.ScenarioRDSPostgresLegacy, when: stepStarted(StepSwitchover), action: "sighup", long: true},
		{name: "network refused in the switchover, then SIGINT twice: the operator leaves the proxy EMPTY", scen: sim.ScenarioRDSPostgresLegacy, when: stepStarted(StepSwitchover), action: "giveup", long: true},
		{name: "SIGPIPE (the --output json reader exits) at the switchover", scen: sim.ScenarioRDSPostgresLegacy, when: stepStarted(StepSwitchover), action: "close-stdout", long: true},
	}
}

// netFigures is one case's result, for docs/reliability.md.
type netFigures struct {
	Case        string
	Exit        int
	Outcome     string
	ProxyState  string
	ProxyHealth bool
	Proxyless   time.Duration // simulated
	Wall        time.Duration
	Throttled   int
}

// networkRun keeps this test's figures for renderReliability (the report
// is written by TestReliability, which runs after this file's tests).
var networkRun struct {
	sync.Mutex
	figs []netFigures
}

// renderNetworkSection is docs/reliability.md's section on networks and
// signals.
func renderNetworkSection(figs []netFigures) string {
	var b strings.Builder
	b.WriteString("## Networks and signals (process level)\n\n")
	b.WriteString("`TestReliabilityNetworkAndSignals` in `steps/reliability_network_test.go` runs a real `rdsbg run\n")
	b.WriteString("--output json` against a real `rdsbg sim` (both at ×500) through a loopback TCP relay that the\n")
	b.WriteString("test makes refuse connections (the port closed, open connections reset) or black-hole them\n")
	b.WriteString("(accepted, never answered), or sends the run SIGHUP, or closes the reader of its stdout. Times\n")
	b.WriteString("are simulated (×500); wall is this machine's. Every case must end with the proxy healthy on the\n")
	b.WriteString("source with no operator action, exit 0 or 1, and a summary naming the proxy state; except the\n")
	b.WriteString("case where the operator stops compensation with a second SIGINT: exit 5, proxy state `none`, and\n")
	b.WriteString("stderr saying the proxy is EMPTY, since when, and the command that restores it.\n\n")
	b.WriteString("| case | exit | outcome | proxy state in the summary | proxy healthy after | proxy-less window | wall | throttled calls |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %d |\n", f.Case, f.Exit, f.Outcome, f.ProxyState, yesNo(f.ProxyHealth),
			f.Proxyless.Round(time.Second), f.Wall.Round(100*time.Millisecond), f.Throttled)
	}
	if len(figs) == 0 {
		b.WriteString("| (not run: set RDSBG_LONG=1) | | | | | | | |\n")
	}
	b.WriteString("\nIn-process counterparts on the virtual clock (`steps/compensate_test.go`): compensation facing\n")
	b.WriteString("45 minutes of 503 on every RegisterDBProxyTargets after a failed switchover keeps trying (about\n")
	b.WriteString("one attempt a minute and a half: the SDK's own retries plus a backoff capped at 30 s) and restores\n")
	b.WriteString("blue once AWS answers; the operator's explicit stop (a second SIGINT) ends with exit 5, the proxy\n")
	b.WriteString("named EMPTY since when, and the `aws rds register-db-proxy-targets` command that restores it, on\n")
	b.WriteString("stderr, in the summary and in the journal; 90 % throttling for 5 minutes from the critical\n")
	b.WriteString("deregistration completes the run; for good from the first DeregisterDBProxyTargets, it ends it\n")
	b.WriteString("`failed` with the proxy on blue (never empty), as explained next.\n")
	b.WriteString("Under 90 % throttling for good (the faults-file rows above) a wait outside an empty-proxy period\n")
	b.WriteString("stops once its reads have failed for its error budget (15 min of AWS time): before the critical\n")
	b.WriteString("section the run ends `failed` with the proxy on blue (it does not open the section against an API\n")
	b.WriteString("that answers one call in ten); inside it, the section completes (no budget while the proxy is\n")
	b.WriteString("empty, throttling backoff capped at 30 s) and the run ends with the proxy on the new primary.\n\n")
	b.WriteString("Shared state directories (symlinks or hard links planted as the journal, the lock or the\n")
	b.WriteString("runbook; directories writable by others; unreadable journals; 17 MiB journal lines) are the\n")
	b.WriteString("\"State directory cases\" of `docs/bad-input.md`, each run by `TestStateDirDocIsTrue`. Text from\n")
	b.WriteString("AWS never drives the terminal: `awsclient.Sanitize` neutralises control characters, C1 codes,\n")
	b.WriteString("bidi overrides and line breaks in every AWS error and name where it enters the program\n")
	b.WriteString("(`awsclient/sanitize_test.go`: an RDS error carrying `\\n\\rrdsbg: done` and ESC sequences, a\n")
	b.WriteString("CloudWatch error carrying an OSC 52 sequence).\n")
	b.WriteString("\n")
	return b.String()
}

func TestReliabilityNetworkAndSignals(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests (TestMain isolates the AWS settings)
	bin := simtest.Rdsbg(t)
	var figs []netFigures
	var mu sync.Mutex
	for _, c := range netCases() {
		if c.long && !longMatrices() {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			f := runNetCase(t, bin, c)
			mu.Lock()
			figs = append(figs, f)
			mu.Unlock()
			networkRun.Lock()
			networkRun.figs = append(networkRun.figs, f)
			networkRun.Unlock()
		})
	}
	for _, f := range figs {
		t.Logf("| %s | %d | %s | %s | %v | %s | %s | %d |", f.Case, f.Exit, f.Outcome, f.ProxyState, f.ProxyHealth,
			f.Proxyless.Round(time.Second), f.Wall.Round(100*time.Millisecond), f.Throttled)
	}
}

func runNetCase(t *testing.T, bin string, c netCase) netFigures {
	home := t.TempDir()
	env := simtest.ProcessEnv(home)
	var sc reliabilityScenario
	for _, s := range reliabilityScenarios() {
		if s.scenario == c.scen {
			sc = s
		}
	}
	simArgs := []string{"--scenario", c.scen, "--speed", fmt.Sprint(processSpeed)}
	if c.faults != "" {
		path := filepath.Join(home, "faults.json")
		if err := os.WriteFile(path, []byte(c.faults), 0o600); err != nil {
			t.Fatal(err)
		}
		simArgs = append(simArgs, "--faults", path)
	}
	sp, err := simtest.StartSim(bin, simArgs, env, nil, processTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Stop()
	rl := newRelay(t, strings.TrimPrefix(sp.URL, "http://"))
	stateDir := filepath.Join(home, "state")
	args := []string{"run", "--source", sc.source, "--proxy-mode", string(sc.opts.ProxyMode), "--cleanup", string(sc.opts.Cleanup),
		"--yes", "--confirm", sc.source, "--output", "json"}
	if sc.opts.TargetEngineVersion != "" {
		args = append(args, "--target-engine-version", sc.opts.TargetEngineVersion)
	}
	args = append(args, "--endpoint-url", "http://"+rl.addr, "--region", "us-east-1", "--state-dir", stateDir, "--time-scale", fmt.Sprint(processSpeed))
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr simtest.SyncBuffer
	cmd.Stderr = &stderr
	// A pipe of our own, not StdoutPipe: closing its read end is the
	// reader going away, and Wait never closes it under the scanner.
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	cmd.Stdout = w
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// The faults follow the run's own events, on its own (scaled) clock:
	// the network comes back once the run stamps an event c.down after
	// the trigger (its calls keep failing meanwhile, each an api-call
	// event); in "giveup" the operator's first SIGINT answers the first
	// call that fails on the refused network, the second answers the
	// compensation that the first started.
	var finished *Finished
	var triggered, outage bool
	var downSince, last time.Time
	var restoreErr error
	signals := 0
	restore := func() {
		if outage {
			outage = false
			restoreErr = rl.set("pass")
		}
	}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer restore() // the run ended first
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 1<<16), 64<<20)
		for sc.Scan() {
			var ev Event
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			if ev.Time.After(last) {
				last = ev.Time
			}
			if !triggered && c.when != nil && c.when(ev) {
				triggered = true
				switch c.action {
				case "refuse", "blackhole":
					_ = rl.set(c.action)
					outage, downSince = true, last
				case "sighup":
					_ = cmd.Process.Signal(syscall.SIGHUP)
				case "close-stdout":
					stdout.Close()
				case "giveup":
					_ = rl.set("refuse")
				}
			}
			if outage && !last.Before(downSince.Add(c.down)) {
				restore()
			}
			if triggered && c.action == "giveup" {
				switch {
				case signals == 0 && ev.Type == EventAPICall && ev.Call != nil && !ev.Call.OK(),
					signals == 1 && ev.Type == EventCompensation:
					_ = cmd.Process.Signal(syscall.SIGINT)
					signals++
				}
			}
			if ev.Type == EventRunFinished && ev.Finished != nil {
				f := *ev.Finished
				finished = &f
			}
		}
	}()
	code, werr := simtest.WaitExit(cmd, 3*time.Minute)
	<-readDone
	if c.when != nil && !triggered {
		t.Errorf("the fault was never triggered")
	}
	if restoreErr != nil {
		t.Errorf("the relay could not open its port again: %v", restoreErr)
	}
	if c.action == "giveup" && signals != 2 {
		t.Errorf("%d SIGINT sent, want 2: no failed call or no compensation seen", signals)
	}
	fig := netFigures{Case: c.name, Exit: code, Wall: time.Since(start)}
	if werr != nil {
		t.Fatalf("%v\nstderr:\n%s", werr, stderr.String())
	}
	if finished == nil {
		// stdout was closed by the case: the journal has the summary (the
		// archive of a run that ended for good, else the journal itself).
		path := JournalPath(stateDir, sc.source)
		if archives, _ := filepath.Glob(filepath.Join(stateDir, sc.source+".*.journal.jsonl")); len(archives) == 1 {
			path = archives[0]
		}
		recs, err := ReadJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		finished = FoldJournal(recs).Finished
	}
	if finished == nil {
		t.Fatalf("no summary (exit %d); stderr:\n%s", code, stderr.String())
	}
	fig.Outcome, fig.ProxyState = finished.Outcome, finished.ProxyState
	fig.Proxyless = time.Duration(finished.ProxylessWindowMS) * time.Millisecond
	if c.action == "giveup" {
		// The one way out with a proxy empty: the operator's second
		// signal. stderr says so plainly, with the restoring command.
		rl.set("pass")
		want := "aws rds register-db-proxy-targets --region us-east-1 --db-proxy-name orders-proxy --target-group-name default --db-instance-identifiers orders-db"
		errText := stderr.String()
		t.Logf("stderr:\n%s", errText)
		if code != ExitInterrupted || finished.ProxyState != ProxyEmpty {
			t.Errorf("exit %d, proxy %s; want 5 and none", code, finished.ProxyState)
		}
		if !strings.Contains(errText, "orders-proxy is EMPTY since") || !strings.Contains(errText, want) {
			t.Errorf("stderr does not say the proxy is EMPTY and how to restore it:\n%s", errText)
		}
		if len(finished.RestoreCommands) != 1 || finished.RestoreCommands[0] != want {
			t.Errorf("summary restore_commands %q", finished.RestoreCommands)
		}
		return fig
	}
	t.Logf("run exited %d after %s", code, fig.Wall.Round(100*time.Millisecond))
	// The faults stay armed in the simulator process: read through them
	// with a client whose retry backoff runs on the simulator's speed.
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: sp.URL, Region: "us-east-1", Simulator: true,
		Clock: clock.NewScaled(processSpeed), MaxAttempts: 20})
	if err != nil {
		t.Fatal(err)
	}
	var healthy bool
	var state string
	for i := 0; i < 10 && !healthy; i++ {
		healthy, _, state = proxyHealth(context.Background(), api, sc)
	}
	fig.ProxyHealth = healthy
	if st, err := simtest.Stats(sp.URL); err == nil {
		fig.Throttled = st.ThrottledCalls
	}
	if !healthy {
		t.Errorf("the proxy is not healthy on the source after the run: %s\nstderr:\n%s", state, stderr.String())
	}
	if code != ExitOK && code != ExitStepFailed {
		t.Errorf("exit %d, want 0 or 1 (the run ends by itself, with its proxy)\nstderr:\n%s", code, stderr.String())
	}
	if finished.ProxyState != ProxyOnBlue && finished.ProxyState != ProxyOnNewPrimary {
		t.Errorf("summary names proxy state %q, want blue or new-primary", finished.ProxyState)
	}
	if code != finished.ExitCode {
		t.Errorf("exit %d but the summary says %d", code, finished.ExitCode)
	}
	return fig
}
