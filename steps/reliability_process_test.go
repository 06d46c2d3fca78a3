package steps

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// The process-level half of the reliability suite: a real `rdsbg run`
// killed with SIGKILL while a separate `rdsbg sim` process keeps the AWS
// state, then `rdsbg resume`.

// processSpeed runs the simulator and the engine this many times faster
// than real AWS: a whole run (about 25 minutes of AWS time) takes a few
// seconds, and the engine's fastest poll (1 s) is still a millisecond.
const processSpeed = 500

// processTimeout bounds every process the suite starts.
const processTimeout = 90 * time.Second

// killFigures are the SIGKILL results of the report.
type killFigures struct {
	Scenario       string
	RecordsInRun   int      // journal records of an uninterrupted process run (audit records included)
	LogicalRecords int      // of which not per-call audit records: the kill points
	Tried          int      // kill points tried
	Killed         int      // runs actually killed (the others finished first)
	Resumed        int      // killed runs that `rdsbg resume` completed to the reference state
	Duplicates     int      // runs with more than one deployment ever created: must be 0
	ProxyEmpty     int      // runs whose resume left a proxy without target: must be 0
	Points         []string // where each kill landed: the last logical record before it
	ConcurrentOK   bool     // a second `rdsbg run` on the same source was refused (exit 2)
	UnwritableOK   bool     // `rdsbg run` with an unwritable --state-dir was refused (exit 2), no change
}

// rdsbgBinary builds the command once per test binary run.
func rdsbgBinary(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(t.TempDir(), "rdsbg")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

// simProcess is a running `rdsbg sim`.
type simProcess struct {
	cmd *exec.Cmd
	url string
}

func startSimProcess(t *testing.T, bin, scenario string) *simProcess {
	t.Helper()
	cmd := exec.Command(bin, "sim", "--listen", "127.0.0.1:0", "--scenario", scenario, "--speed", fmt.Sprint(processSpeed))
	cmd.Env = processEnv(t)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "http://127.0.0.1:") {
				return &simProcess{cmd: cmd, url: f}
			}
		}
		t.Fatalf("rdsbg sim printed no URL: %q", line)
	case <-time.After(processTimeout):
		t.Fatalf("rdsbg sim did not start")
	}
	return nil
}

// processEnv is the environment of every child: no AWS settings of the
// machine, a private HOME.
func processEnv(t *testing.T) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_STATE_HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "NO_COLOR=1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"))
}

// rdsbgCommand prepares `rdsbg <args> --endpoint-url … --state-dir …`.
func rdsbgCommand(t *testing.T, bin, url, stateDir string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	args = append(args, "--endpoint-url", url, "--region", "us-east-1", "--state-dir", stateDir, "--time-scale", fmt.Sprint(processSpeed))
	cmd := exec.Command(bin, args...)
	cmd.Env = processEnv(t)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// waitExit waits for cmd with a bound and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return -int(ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return 0
	case <-time.After(processTimeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not finish within %s", strings.Join(cmd.Args[:2], " "), processTimeout)
		return -1
	}
}

// logicalRecords reads the journal's records that are not per-call audit
// records (a torn last line is ignored, as resume ignores it).
func logicalRecords(path string) []Record {
	recs, err := ReadJournal(path)
	if err != nil {
		return nil
	}
	var out []Record
	for _, r := range recs {
		if r.Kind != RecordCall {
			out = append(out, r)
		}
	}
	return out
}

func recordLabel(r Record) string {
	label := string(r.Kind)
	if r.Step != "" {
		label += " " + string(r.Step)
	}
	if r.State != "" {
		label += " " + r.State
	}
	if r.Operation != "" {
		label += " " + r.Operation
	}
	return label
}

// simStats reads GET /_sim/stats of a simulator process.
func simStats(t *testing.T, url string) sim.Stats {
	t.Helper()
	resp, err := http.Get(url + sim.StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st sim.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// processAPI is the real SDK client against a simulator process.
func processAPI(t *testing.T, url string) *awsclient.Client {
	t.Helper()
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: url, Region: "us-east-1", Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// finalState describes what a finished run left in AWS, in words that two
// runs can be compared by.
func finalState(t *testing.T, url string, sc reliabilityScenario, old string) (string, bool) {
	t.Helper()
	ctx := context.Background()
	api := processAPI(t, url)
	healthy, _, detail := proxyHealth(ctx, api, sc)
	d, err := Discover(ctx, api, sc.source)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	_, oldErr := api.DescribeInstance(ctx, old)
	deps, err := api.ListDeployments(ctx, "")
	if err != nil {
		t.Fatalf("ListDeployments: %v", err)
	}
	st := simStats(t, url)
	return fmt.Sprintf("%s %s; proxy healthy %v %s; %s exists %v; deployments left %d; deployments ever created %d",
		sc.source, d.Source.EngineVersion, healthy, detail, old, oldErr == nil, len(deps), st.DeploymentsCreated), healthy
}

// killAndResume: the reference process run (with the concurrent-run and
// unwritable-directory guards), then one killed run per kill point.
func killAndResume(t *testing.T, ref reference) *killFigures {
	sc := reliabilityScenarios()[0] // rds-postgres-legacy-proxy: the detach procedure, the riskiest
	bin := rdsbgBinary(t)
	runArgs := []string{"run", "--source", sc.source, "--proxy-mode", string(sc.opts.ProxyMode), "--target-engine-version", sc.opts.TargetEngineVersion,
		"--cleanup", string(sc.opts.Cleanup), "--yes", "--confirm", sc.source, "--output", "json"}
	resumeArgs := []string{"resume", "--source", sc.source, "--yes", "--confirm", sc.source, "--output", "json"}
	kf := &killFigures{Scenario: sc.scenario}

	// Reference: an uninterrupted process run.
	s := startSimProcess(t, bin, sc.scenario)
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, out := rdsbgCommand(t, bin, s.url, filepath.Join(blocker, "rdsbg"), runArgs...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd); code != ExitUsage || simStats(t, s.url).Mutations != 0 || !strings.Contains(out.String(), "not-a-dir") {
		t.Errorf("unwritable --state-dir: exit %d, %d mutations, output %q", code, simStats(t, s.url).Mutations, out.String())
	} else {
		kf.UnwritableOK = true
	}

	stateDir := t.TempDir()
	journal := JournalPath(stateDir, sc.source)
	first, firstOut := rdsbgCommand(t, bin, s.url, stateDir, runArgs...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitForRecords(journal, 3, first) {
		t.Fatalf("the first run wrote no journal: %s", firstOut.String())
	}
	second, secondOut := rdsbgCommand(t, bin, s.url, stateDir, runArgs...)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, second); code != ExitUsage || !strings.Contains(secondOut.String(), sc.source) {
		t.Errorf("second concurrent run: exit %d, output %q", code, secondOut.String())
	} else {
		kf.ConcurrentOK = true
	}
	if code := waitExit(t, first); code != ExitOK {
		t.Fatalf("reference process run: exit %d\n%s", code, firstOut.String())
	}
	want, _ := finalState(t, s.url, sc, ref.old)
	allRecs, err := ReadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	kf.RecordsInRun = len(allRecs)
	kf.LogicalRecords = len(logicalRecords(journal))

	// One kill after each logical record but the last (the finish record:
	// nothing is left to resume).
	var mu sync.Mutex
	t.Run("kill", func(t *testing.T) {
		for k := 1; k < kf.LogicalRecords; k++ {
			k := k
			t.Run(itoa(k), func(t *testing.T) {
				t.Parallel()
				killed, resumed, point, empty, dup := killOnce(t, bin, sc, ref, runArgs, resumeArgs, k, want)
				mu.Lock()
				defer mu.Unlock()
				kf.Tried++
				if killed {
					kf.Killed++
					kf.Points = append(kf.Points, point)
				}
				if resumed {
					kf.Resumed++
				}
				if empty {
					kf.ProxyEmpty++
				}
				if dup {
					kf.Duplicates++
				}
			})
		}
	})
	return kf
}

// waitForRecords polls the journal (every 2 ms, bounded) until it holds n
// logical records; false if the process ended or the bound passed first.
func waitForRecords(journal string, n int, proc *exec.Cmd) bool {
	deadline := time.Now().Add(processTimeout)
	for time.Now().Before(deadline) {
		if len(logicalRecords(journal)) >= n {
			return true
		}
		if proc.ProcessState != nil {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// killOnce runs `rdsbg run`, SIGKILLs it once its journal holds k logical
// records, resumes with `rdsbg resume` and compares the final state with
// the uninterrupted run's.
func killOnce(t *testing.T, bin string, sc reliabilityScenario, ref reference, runArgs, resumeArgs []string, k int, want string) (killed, resumed bool, point string, empty, dup bool) {
	s := startSimProcess(t, bin, sc.scenario)
	stateDir := t.TempDir()
	journal := JournalPath(stateDir, sc.source)
	cmd, out := rdsbgCommand(t, bin, s.url, stateDir, runArgs...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var code int
	go func() {
		defer close(exited)
		code = waitExitNoFail(cmd)
	}()
	deadline := time.Now().Add(processTimeout)
watch:
	for {
		if len(logicalRecords(journal)) >= k {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			t.Fatalf("no kill point %d within %s", k, processTimeout)
		}
		select {
		case <-exited:
			break watch
		case <-time.After(2 * time.Millisecond):
		}
	}
	if code != -int(syscall.SIGKILL) {
		// The run ended by itself first (possible for the last points).
		t.Logf("run ended with exit %d before kill point %d", code, k)
		if code != ExitOK {
			t.Fatalf("unkilled run: exit %d\n%s", code, out.String())
		}
		return false, false, "", false, simStats(t, s.url).DeploymentsCreated > 1
	}
	killed = true
	recs := logicalRecords(journal)
	if len(recs) > 0 {
		point = recordLabel(recs[len(recs)-1])
	}
	rcmd, rout := rdsbgCommand(t, bin, s.url, stateDir, resumeArgs...)
	if err := rcmd.Start(); err != nil {
		t.Fatal(err)
	}
	rcode := waitExit(t, rcmd)
	got, healthy := finalState(t, s.url, sc, ref.old)
	empty = !healthy
	dup = simStats(t, s.url).DeploymentsCreated > 1
	if rcode != ExitOK {
		t.Fatalf("resume after a kill at %q (record %d): exit %d\n%s", point, k, rcode, rout.String())
	}
	if got != want {
		t.Fatalf("after a kill at %q and resume:\n got %s\nwant %s", point, got, want)
	}
	return true, true, point, empty, dup
}

func waitExitNoFail(cmd *exec.Cmd) int {
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
