package simtest

import (
	"bufio"
	"bytes"
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

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// The process half: `rdsbg` built once, `rdsbg sim` started on a free
// loopback port, children kept away from the machine's AWS settings.

// ModuleRoot is the directory of this module's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Build builds the rdsbg command into dir and returns the binary's path.
func Build(dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "rdsbg")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// built is the binary of this test process: every test that runs the
// command shares one build (a build is seconds of CPU on two cores).
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

// Rdsbg builds the command once per test process and returns its path.
// TestMain removes it with RemoveBuilt.
func Rdsbg(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "rdsbg-bin-"); built.err == nil {
			built.bin, built.err = Build(built.dir)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// RemoveBuilt removes what Rdsbg built; TestMain calls it after m.Run.
func RemoveBuilt() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// ProcessEnv is the environment of every child: no AWS settings of the
// machine, a private HOME.
func ProcessEnv(home string) []string {
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

// SimProcess is a running `rdsbg sim`.
type SimProcess struct {
	Cmd *exec.Cmd
	URL string
}

// StartSim starts `rdsbg sim --listen 127.0.0.1:0 <args>` with env (and
// attr, when not nil) and waits, at most limit, for the line in which it
// names its URL. The caller stops it.
func StartSim(bin string, args, env []string, attr *syscall.SysProcAttr, limit time.Duration) (*SimProcess, error) {
	cmd := exec.Command(bin, append([]string{"sim", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	cmd.SysProcAttr = attr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sp := &SimProcess{Cmd: cmd}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u := loopbackURL(sc.Text()); u != "" {
				urls <- u
				break
			}
		}
		close(urls)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u, ok := <-urls:
		if ok {
			sp.URL = u
			return sp, nil
		}
		sp.Stop()
		return nil, errors.New("rdsbg sim ended without naming its URL")
	case <-time.After(limit):
		sp.Stop()
		return nil, fmt.Errorf("rdsbg sim did not start within %s", limit)
	}
}

func loopbackURL(line string) string {
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "http://127.0.0.1:") {
			return f
		}
	}
	return ""
}

// Stop kills the simulator and reaps it.
func (sp *SimProcess) Stop() {
	_ = sp.Cmd.Process.Kill()
	_ = sp.Cmd.Wait()
}

// Stats reads GET /_sim/stats of a simulator process.
func Stats(url string) (sim.Stats, error) {
	var st sim.Stats
	resp, err := http.Get(url + sim.StatsPath)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// SyncBuffer lets a child's stdout and stderr share one buffer.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ExitCode turns Wait's error into an exit code; a signal gives -signal.
func ExitCode(err error) int {
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

// WaitExit waits for a started cmd, at most limit (then kills it).
func WaitExit(cmd *exec.Cmd, limit time.Duration) (int, error) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return ExitCode(err), nil
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		return -1, fmt.Errorf("%s did not finish within %s", strings.Join(cmd.Args[:min(2, len(cmd.Args))], " "), limit)
	}
}
