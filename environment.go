package main

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps"
)

// What every command that talks to AWS needs: the AWS client, the clock,
// the state directory and the engine wired from the global flags.

// environment is what every command that talks to AWS needs.
type environment struct {
	giveUp   <-chan struct{} // closed by a second SIGINT/SIGTERM (signals.go)
	api      *awsclient.Client
	calls    *awsclient.CallLog
	clock    clock.Clock
	stateDir string
	poll     steps.PollPolicy
}

// newEnvironment loads the AWS configuration. clk is the simulator's clock
// for the demo (nil: the wall clock).
func newEnvironment(ctx context.Context, g globalFlags, clk clock.Clock) (*environment, error) {
	if clk == nil {
		clk = engineClock(g)
	}
	if err := checkEndpointURL(g.endpointURL); err != nil {
		return nil, err
	}
	stateDir, err := stateDirPath(g.stateDir)
	if err != nil {
		return nil, err
	}
	calls := awsclient.NewCallLog()
	api, err := awsclient.New(ctx, awsclient.Options{
		Profile:     g.profile,
		Region:      g.region,
		EndpointURL: g.endpointURL,
		Simulator:   g.profile == "" && isLoopbackEndpoint(g.endpointURL),
		Clock:       clk,
		Calls:       calls,
		SDKLog:      sdkLog(g.debug),
	})
	if err != nil {
		return nil, usageError("%v", err)
	}
	return &environment{api: api, calls: calls, clock: clk, stateDir: stateDir, poll: steps.DefaultPollPolicy(), giveUp: giveUpFrom(ctx)}, nil
}

// metrics is the CloudWatch reader the engine samples, nil with
// --no-metrics.
func (env *environment) metrics(g globalFlags) awsclient.Metrics {
	if g.noMetrics {
		return nil
	}
	return env.api
}

// engineClock is the engine's clock: the wall clock, or the hidden
// --time-scale's faster one (tests against `rdsbg sim --speed X`).
func engineClock(g globalFlags) clock.Clock {
	if g.timeScale > 0 && g.timeScale != 1 {
		return clock.NewScaled(g.timeScale)
	}
	return clock.Real{}
}

// checkEndpointURL refuses an --endpoint-url that is not a URL with a
// scheme and a host, for a single run and a fleet alike.
func checkEndpointURL(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	if u, err := url.Parse(endpoint); err != nil || u.Scheme == "" || u.Host == "" {
		return usageError("--endpoint-url %q is not a URL: give one like http://127.0.0.1:4566", endpoint)
	}
	return nil
}

// backend is the engine every mode runs (headless, wizard, plain): the
// AWS client, call log, metrics reader, probe, hooks and state directory
// wired once. until is run's --until ("" elsewhere).
func (env *environment) backend(g globalFlags, until string) *steps.Backend {
	return steps.NewBackend(steps.Config{
		API:         env.api,
		Calls:       env.calls,
		Clock:       env.clock,
		StateDir:    env.stateDir,
		Poll:        env.poll,
		Metrics:     env.metrics(g),
		ProbeDSN:    g.probe(),
		Hooks:       g.hooks,
		HookTimeout: g.hookTimeout,
		GiveUp:      env.giveUp,
		Until:       until,
		NextFlags:   nextFlags(g),
		TakeOver:    g.takeOver,
		Adopt:       g.adopt,
	})
}

// isLoopbackEndpoint reports whether endpoint points at this machine: the
// simulator, moto or LocalStack, none of which checks credentials, so
// rdsbg uses dummy static ones and needs no real AWS credentials there.
func isLoopbackEndpoint(endpoint string) bool {
	if endpoint == "" {
		return false
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// stateDirPath applies the default of design.md §5. It does not prove the
// directory writable: the engine does that before any change and, when a
// proxy is empty, answers with the proxy's state read from AWS and the
// command that restores it (docs/bad-input.md) instead of "pass
// --state-dir" (issue 20, B10).
func stateDirPath(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "rdsbg"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", usageError("cannot find a home directory for the journal: pass --state-dir DIR")
	}
	return filepath.Join(home, ".local", "state", "rdsbg"), nil
}

// nextFlags are the global flags a next command must repeat to reach the
// same account, endpoint and journal: those that are not the defaults.
func nextFlags(g globalFlags) string {
	var b strings.Builder
	if g.profile != "" {
		b.WriteString(" --profile " + shellWord(g.profile))
	}
	if g.region != "" {
		b.WriteString(" --region " + shellWord(g.region))
	}
	if g.endpointURL != "" {
		b.WriteString(" --endpoint-url " + shellWord(g.endpointURL))
	}
	if g.stateDir != "" {
		b.WriteString(" --state-dir " + shellWord(g.stateDir))
	}
	return b.String()
}

// shellWord quotes s for a shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sdkLog is where the AWS SDK may log: nowhere unless --debug (its lines
// would land on the wizard's screen).
func sdkLog(debug bool) io.Writer {
	if debug {
		return os.Stderr
	}
	return nil
}
