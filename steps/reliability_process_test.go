package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
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
	Stride         int            // kill after every Stride-th logical record
	RecordsInRun   int            // journal records of an uninterrupted process run (audit records included)
	LogicalRecords int            // of which not per-call audit records: the kill points
	Tried          int            // kill points tried
	Killed         int            // runs actually killed (the others finished first)
	Resumed        int            // killed runs that `rdsbg resume` completed to the reference state
	Duplicates     int            // runs with more than one deployment ever created: must be 0
	ProxyEmpty     int            // runs whose resume left a proxy without target: must be 0
	Points         map[int]string // kill point k → where the kill landed: the last logical record before it
	FinalState     string         // the uninterrupted run's final state, which every resume must reproduce
	// SIGINT (what Ctrl+C or a dropped SSH session's SIGHUP-turned-INT
	// does) at every third kill point: the run must stop by itself with
	// exit 5 and the proxy on a healthy writer, then resume.
	InterruptTried, Interrupted, InterruptResumed int
	InterruptPoints                               map[int]string
	ConcurrentOK                                  bool // a second `rdsbg run` on the same source was refused (exit 2)
	UnwritableOK                                  bool // `rdsbg run` with an unwritable --state-dir was refused (exit 2), no change
}

// startSimProcess starts `rdsbg sim` for scenario at processSpeed with
// the simulator's compressed timings; extra are further flags (--faults).
// The caller stops it.
func startSimProcess(bin, scenario string, env []string, extra ...string) (*simtest.SimProcess, error) {
	return simtest.StartSim(bin, append([]string{"--scenario", scenario, "--speed", fmt.Sprint(processSpeed), "--timings", "fast"}, extra...), env, nil, processTimeout)
}

// rdsbgCommand prepares `rdsbg <args> --endpoint-url … --state-dir …`.
func rdsbgCommand(bin, url, stateDir string, env []string, args ...string) (*exec.Cmd, *simtest.SyncBuffer) {
	args = append(args, "--endpoint-url", url, "--region", "us-east-1", "--state-dir", stateDir, "--time-scale", fmt.Sprint(processSpeed))
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out := &simtest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

// runToExit starts cmd and waits for it.
func runToExit(cmd *exec.Cmd) (int, error) {
	if err := cmd.Start(); err != nil {
		return -1, err
	}
	return simtest.WaitExit(cmd, processTimeout)
}

// logicalRecords reads the journal's records that are not per-call audit
// records (a torn last line is ignored, as resume ignores it).
func logicalRecords(path string) []journal.Record {
	recs, err := journal.Read(path)
	if err != nil {
		return nil
	}
	var out []journal.Record
	for _, r := range recs {
		if r.Kind != journal.RecordCall {
			out = append(out, r)
		}
	}
	return out
}

func recordLabel(r journal.Record) string {
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

// finalState describes what a finished run left in AWS, read with the
// real SDK, in words that two runs can be compared by; healthy says
// whether every proxy has the source registered and AVAILABLE.
func finalState(url string, sc reliabilityScenario, old string) (state string, healthy bool, err error) {
	ctx := context.Background()
	api, err := awsclient.New(ctx, awsclient.Options{EndpointURL: url, Region: "us-east-1", Simulator: true})
	if err != nil {
		return "", false, err
	}
	healthy, _, detail := proxyHealth(ctx, api, sc)
	d, err := preflight.Discover(ctx, api, sc.source)
	if err != nil {
		return "", false, err
	}
	var oldErr error
	if sc.kind == contract.KindCluster {
		_, oldErr = api.DescribeCluster(ctx, old)
	} else {
		_, oldErr = api.DescribeInstance(ctx, old)
	}
	deps, err := api.ListDeployments(ctx, "")
	if err != nil {
		return "", false, err
	}
	st, err := simtest.Stats(url)
	if err != nil {
		return "", false, err
	}
	proxy := "proxy healthy on the source"
	if !healthy {
		proxy = "proxy NOT healthy: " + strings.TrimSuffix(detail, "; ")
	}
	return fmt.Sprintf("%s runs %s; %s; %s exists %v; deployments left %d; deployments ever created %d",
		sc.source, d.Source.EngineVersion, proxy, old, oldErr == nil, len(deps), st.DeploymentsCreated), healthy, nil
}

// killParallelism is how many kill points run at once: the processes
// mostly wait on their scaled clocks, so this is above the CPU count.
const killParallelism = 6

// killAndResume: the reference process run (with the concurrent-run and
// unwritable-directory guards), then one killed run per kill point.
//
// stride 1 kills after every logical record (and sends SIGINT at every
// third); stride n kills after every n-th record only.
func killAndResume(t *testing.T, bin string, sc reliabilityScenario, ref reference, stride int) *killFigures {
	runArgs := []string{"run", "--source", sc.source, "--proxy-mode", string(sc.opts.ProxyMode),
		"--cleanup", string(sc.opts.Cleanup), "--yes", "--confirm", sc.source, "--output", "json"}
	if sc.opts.TargetEngineVersion != "" {
		runArgs = append(runArgs, "--target-engine-version", sc.opts.TargetEngineVersion)
	}
	resumeArgs := []string{"resume", "--source", sc.source, "--yes", "--confirm", sc.source, "--output", "json"}
	kf := &killFigures{Scenario: sc.scenario, Stride: stride, Points: map[int]string{}, InterruptPoints: map[int]string{}}
	env := simtest.ProcessEnv(t.TempDir())

	// Reference: an uninterrupted process run, and the two guards.
	s, err := startSimProcess(bin, sc.scenario, env)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, out := rdsbgCommand(bin, s.URL, filepath.Join(blocker, "rdsbg"), env, runArgs...)
	code, err := runToExit(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := simtest.Stats(s.URL); err != nil || code != contract.ExitUsage || st.Mutations != 0 || !strings.Contains(out.String(), "not-a-dir") {
		t.Errorf("unwritable --state-dir: exit %d, stats %+v %v, output %q", code, st, err, out.String())
	} else {
		kf.UnwritableOK = true
	}

	stateDir := t.TempDir()
	jpath := journal.Path(stateDir, sc.source)
	first, firstOut := rdsbgCommand(bin, s.URL, stateDir, env, runArgs...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Wait() }()
	if reached, exited, _ := waitForRecords(jpath, 3, firstDone); !reached {
		if !exited {
			_ = first.Process.Kill()
			<-firstDone
		}
		t.Fatalf("the first run wrote no journal: %s", firstOut.String())
	}
	second, secondOut := rdsbgCommand(bin, s.URL, stateDir, env, runArgs...)
	code, err = runToExit(second)
	if err != nil || code != contract.ExitUsage || !strings.Contains(secondOut.String(), sc.source) {
		t.Errorf("second concurrent run: exit %d %v, output %q", code, err, secondOut.String())
	} else {
		kf.ConcurrentOK = true
	}
	select {
	case err := <-firstDone:
		if code := simtest.ExitCode(err); code != contract.ExitOK {
			t.Fatalf("reference process run: exit %d\n%s", code, firstOut.String())
		}
	case <-time.After(processTimeout):
		_ = first.Process.Kill()
		t.Fatalf("reference process run did not finish within %s", processTimeout)
	}
	want, _, err := finalState(s.URL, sc, ref.old)
	if err != nil {
		t.Fatal(err)
	}
	kf.FinalState = want
	allRecs, err := journal.Read(newestJournal(stateDir, sc.source))
	if err != nil {
		t.Fatal(err)
	}
	kf.RecordsInRun = len(allRecs)
	kf.LogicalRecords = len(logicalRecords(newestJournal(stateDir, sc.source)))

	// One kill after each logical record but the last (the finish record:
	// nothing is left to resume), killParallelism at a time.
	type outcome struct {
		k   int
		sig syscall.Signal
		res killResult
		err error
	}
	results := make(chan outcome)
	sem := make(chan struct{}, killParallelism)
	base := t.TempDir()
	launched := 0
	for k := 1; k < kf.LogicalRecords; k++ {
		if k%stride != 0 {
			continue
		}
		sigs := []syscall.Signal{syscall.SIGKILL}
		if stride == 1 && k%3 == 0 {
			sigs = append(sigs, syscall.SIGINT)
		}
		for _, sig := range sigs {
			launched++
			go func(k int, sig syscall.Signal) {
				sem <- struct{}{}
				defer func() { <-sem }()
				res, err := killOnce(bin, base, sc, ref, runArgs, resumeArgs, k, sig, want)
				results <- outcome{k, sig, res, err}
			}(k, sig)
		}
	}
	for i := 0; i < launched; i++ {
		o := <-results
		if o.sig == syscall.SIGINT {
			kf.InterruptTried++
			if o.err != nil {
				t.Errorf("SIGINT point %d: %v", o.k, o.err)
			}
			if o.res.killed {
				kf.Interrupted++
				kf.InterruptPoints[o.k] = o.res.point
			}
			if o.res.resumed {
				kf.InterruptResumed++
			}
			if o.res.proxyEmpty {
				kf.ProxyEmpty++
			}
			if o.res.duplicate {
				kf.Duplicates++
			}
			continue
		}
		kf.Tried++
		if o.err != nil {
			t.Errorf("kill point %d: %v", o.k, o.err)
		}
		if o.res.killed {
			kf.Killed++
			kf.Points[o.k] = o.res.point
		} else {
			t.Logf("kill point %d: the run finished first", o.k)
		}
		if o.res.resumed {
			kf.Resumed++
		}
		if o.res.proxyEmpty {
			kf.ProxyEmpty++
		}
		if o.res.duplicate {
			kf.Duplicates++
		}
	}
	return kf
}

// countLogical counts the complete journal lines that are not per-call
// audit records, without decoding them: the watch loop runs it every
// quarter millisecond, and fsync makes each record take longer than that.
func countLogical(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n := 0
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return n
		}
		if !bytes.Contains(b[:i], []byte(`"kind":"call"`)) {
			n++
		}
		b = b[i+1:]
	}
}

// waitForRecords polls the journal (every 250 µs, bounded) until it holds n
// logical records. If the process ends first, exited is true and waitErr
// is what Wait returned; if the bound passes first, both reached and
// exited are false.
func waitForRecords(jpath string, n int, done <-chan error) (reached, exited bool, waitErr error) {
	return waitForJournal(func() bool { return countLogical(jpath) >= n }, done)
}

// waitForJournal polls cond (every 250 µs, bounded by processTimeout)
// until it holds, or the process ends first (exited, with what Wait
// returned).
func waitForJournal(cond func() bool, done <-chan error) (reached, exited bool, waitErr error) {
	deadline := time.After(processTimeout)
	for {
		if cond() {
			return true, false, nil
		}
		select {
		case err := <-done:
			return false, true, err
		case <-deadline:
			return false, false, nil
		case <-time.After(250 * time.Microsecond):
		}
	}
}

// killResult is what one kill point gave.
type killResult struct {
	killed, resumed       bool
	point                 string // the last logical record when the process died
	proxyEmpty, duplicate bool
}

// killOnce runs `rdsbg run`, SIGKILLs it once its journal holds k logical
// records, resumes with `rdsbg resume` and compares the final state with
// the uninterrupted run's.
func killOnce(bin, base string, sc reliabilityScenario, ref reference, runArgs, resumeArgs []string, k int, sig syscall.Signal, want string) (killResult, error) {
	var res killResult
	dir, err := os.MkdirTemp(base, "kill-"+itoa(k)+"-"+itoa(int(sig))+"-")
	if err != nil {
		return res, err
	}
	env := simtest.ProcessEnv(filepath.Join(dir, "home"))
	s, err := startSimProcess(bin, sc.scenario, env)
	if err != nil {
		return res, err
	}
	defer s.Stop()
	stateDir := filepath.Join(dir, "state")
	jpath := journal.Path(stateDir, sc.source)
	cmd, out := rdsbgCommand(bin, s.URL, stateDir, env, runArgs...)
	if err := cmd.Start(); err != nil {
		return res, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	reached, exited, waitErr := waitForRecords(jpath, k, done)
	atSignal := ""
	switch {
	case reached:
		if recs := logicalRecords(jpath); len(recs) > 0 {
			atSignal = recordLabel(recs[len(recs)-1])
		}
		_ = cmd.Process.Signal(sig)
		select {
		case waitErr = <-done:
		case <-time.After(processTimeout):
			_ = cmd.Process.Kill()
			<-done
			return res, fmt.Errorf("%v at point %d: the run did not stop within %s", sig, k, processTimeout)
		}
	case !exited:
		_ = cmd.Process.Kill()
		<-done
		return res, fmt.Errorf("no kill point %d within %s", k, processTimeout)
	}
	if sig == syscall.SIGINT {
		code := simtest.ExitCode(waitErr)
		if code == contract.ExitOK {
			return res, nil // finished before the signal arrived
		}
		if code != contract.ExitInterrupted {
			return res, fmt.Errorf("SIGINT at point %d: exit %d, want 5\n%s", k, code, out.String())
		}
		// Stopped by itself: the proxy must be on a healthy writer now,
		// before any resume.
		api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: s.URL, Region: "us-east-1", Simulator: true})
		if err != nil {
			return res, err
		}
		if healthy, _, detail := proxyHealth(context.Background(), api, sc); !healthy {
			res.proxyEmpty = true
			return res, fmt.Errorf("SIGINT at point %d left the proxy unhealthy: %s", k, detail)
		}
	} else if code := simtest.ExitCode(waitErr); code != -int(syscall.SIGKILL) {
		// The run ended by itself first (possible for the last points).
		st, err := simtest.Stats(s.URL)
		res.duplicate = err == nil && st.DeploymentsCreated > 1
		if code != contract.ExitOK {
			return res, fmt.Errorf("unkilled run: exit %d\n%s", code, out.String())
		}
		return res, err
	}
	res.killed = true
	recs := logicalRecords(newestJournal(stateDir, sc.source))
	if len(recs) > 0 {
		res.point = recordLabel(recs[len(recs)-1])
	}
	if sig == syscall.SIGINT {
		res.point = atSignal // the run wrote its own finish record since
	}
	// Killed after its finish record, the run is over: resume must say
	// there is nothing to resume (exit 2) and change nothing.
	folded := journal.Fold(recs)
	finished := !folded.Unfinished()
	// Killed before the run wrote its plan (after the permission probe's
	// refused calls, say): nothing was changed, so resume has nothing to
	// resume and AWS must look untouched.
	untouched := folded.Plan == nil
	rcmd, rout := rdsbgCommand(bin, s.URL, stateDir, env, resumeArgs...)
	rcode, err := runToExit(rcmd)
	if err != nil {
		return res, err
	}
	if finished {
		res.point += " (the run had finished: resume refused)"
		if rcode != contract.ExitUsage || !strings.Contains(rout.String(), "nothing to resume") {
			return res, fmt.Errorf("resume of a finished run: exit %d\n%s", rcode, rout.String())
		}
		rcode = contract.ExitOK
	}
	got, healthy, err := finalState(s.URL, sc, ref.old)
	if err != nil {
		return res, err
	}
	res.proxyEmpty = !healthy
	st, err := simtest.Stats(s.URL)
	if err != nil {
		return res, err
	}
	res.duplicate = st.DeploymentsCreated > 1
	if rcode != contract.ExitOK {
		return res, fmt.Errorf("resume after a kill at %q (record %d): exit %d\n%s", res.point, k, rcode, rout.String())
	}
	if w, ok := finishedWindow(rout.String()); !finished && (!ok || w < 0) {
		return res, fmt.Errorf("resume after a kill at %q: run-finished event found %v, proxy-less window %d ms", res.point, ok, w)
	}
	if untouched {
		if !healthy || st.DeploymentsCreated != 0 {
			return res, fmt.Errorf("after a kill at %q, before any plan: AWS changed: %s", res.point, got)
		}
		res.point += " (before the plan: nothing changed)"
		res.resumed = true
		return res, nil
	}
	if got != want {
		return res, fmt.Errorf("after a kill at %q and resume:\n got %s\nwant %s", res.point, got, want)
	}
	res.resumed = true
	return res, nil
}

// finishedWindow reads the proxy-less window from the run-finished event
// of an --output json run.
func finishedWindow(ndjson string) (int64, bool) {
	for _, line := range strings.Split(ndjson, "\n") {
		var ev struct {
			Type              contract.EventType `json:"type"`
			ProxylessWindowMS int64              `json:"proxyless_window_ms"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == contract.EventRunFinished {
			return ev.ProxylessWindowMS, true
		}
	}
	return 0, false
}
