package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Start-up and memory benchmarks of issue 7 (docs/performance.md). The
// process-level ones build the binary once and exec it, as an operator
// would run it; nothing leaves loopback (the demo's simulator listens on
// 127.0.0.1).

// BenchmarkHelpInProcess is `rdsbg --help` without process start-up: the
// command tree and the help text.
func BenchmarkHelpInProcess(b *testing.B) {
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if code := runCLI([]string{"--help"}, strings.NewReader(""), &out, io.Discard); code != 0 {
			b.Fatalf("--help exited %d", code)
		}
	}
	if !strings.Contains(out.String(), "demo") {
		b.Fatalf("--help does not list the demo command:\n%s", out.String())
	}
}

// buildBinary compiles rdsbg once per benchmark into a temp directory.
func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "rdsbg")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// demoEnv keeps the machine's AWS settings and NO_COLOR out of the child.
func demoEnv(b *testing.B) []string {
	dir := b.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"XDG_STATE_HOME="+filepath.Join(dir, "state"))
}

// BenchmarkHelpProcess execs `rdsbg --help`: process start to exit.
func BenchmarkHelpProcess(b *testing.B) {
	bin := buildBinary(b)
	env := demoEnv(b)
	for b.Loop() {
		cmd := exec.Command(bin, "--help")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil || !bytes.Contains(out, []byte("demo")) {
			b.Fatalf("rdsbg --help: %v\n%s", err, out)
		}
	}
}

// BenchmarkDemoFirstFrame execs `rdsbg demo --plain` and measures the time
// from exec to its first screen: the list of databases, which needs the
// simulator up and the first discovery calls answered. The full-screen
// wizard needs a terminal; plain mode draws the same first screen as lines.
func BenchmarkDemoFirstFrame(b *testing.B) {
	bin := buildBinary(b)
	env := demoEnv(b)
	var total time.Duration
	for b.Loop() {
		cmd := exec.Command(bin, "demo", "--plain")
		cmd.Env = env
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		lines := bufio.NewScanner(stderr)
		listed := false
		for lines.Scan() {
			if strings.Contains(lines.Text(), "orders-db") {
				listed = true
				break
			}
		}
		total += time.Since(began)
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if !listed {
			b.Fatal("the demo never listed orders-db")
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-first-frame")
}

// BenchmarkDemoPeakMemory execs a whole demo run in plain mode (the default
// scenario at speed 3000, every question answered through stdin) and
// reports the process's peak resident set size from the kernel's rusage.
func BenchmarkDemoPeakMemory(b *testing.B) {
	bin := buildBinary(b)
	env := demoEnv(b)
	var peak int64
	for b.Loop() {
		// The source, then for every question both answers: a refused one
		// is asked again, so "y" answers the y/n questions and the typed
		// identifier the severe ones.
		answers := strings.Repeat("orders-db\ny\n", 40)
		cmd := exec.Command(bin, "demo", "--plain", "--speed", "3000")
		cmd.Env = env
		cmd.Stdin = strings.NewReader(answers)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Run(); err != nil {
			b.Fatalf("demo: %v\n%s", err, errOut.String())
		}
		if !strings.Contains(errOut.String(), "renamed orders-db → orders-db-old1") {
			b.Fatalf("the demo did not finish the switchover:\n%s", errOut.String())
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = max(peak, ru.Maxrss) // kilobytes on Linux
		}
	}
	if peak > 50*1024 {
		b.Errorf("peak RSS %d KB, target < 50 MB", peak)
	}
	b.ReportMetric(float64(peak)/1024, "peak-rss-MB")
}
