// Command rdsbg takes an operator through an Amazon RDS / Aurora blue/green
// deployment, engine upgrade and switchover when an RDS Proxy fronts the
// database. This file only wires things: flags, AWS configuration, the
// journal directory, the choice between wizard, plain and headless modes,
// and exit codes. The work happens in steps/ (engine), ui/ (screens),
// awsclient/ (AWS) and awsclient/sim (the simulator).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/probe"
	"github.com/rdsbg/rdsbg/ui"
)

// defaultDemoSpeed makes the default scenario's journey (rds-postgres-
// native-proxy: about 17 minutes of AWS time with the simulator's AWS
// timings, 16 of them provisioning, a switchover of 3 s, cleanup) take
// about a minute and a half to watch; the legacy scenarios' detach
// procedure (two proxy registrations of 5 minutes more) about two.
const defaultDemoSpeed = 15

// globalFlags are accepted by every subcommand (design.md §4).
type globalFlags struct {
	profile     string
	region      string
	endpointURL string
	stateDir    string
	noColor     bool
	plain       bool
	// timeScale runs the engine's clock faster than the wall clock. It is
	// hidden: only tests that drive real processes against `rdsbg sim
	// --speed X` use it, so that polling keeps pace with the simulator.
	timeScale float64
	// noMetrics turns off the CloudWatch reads (proxy connections, lag)
	// for accounts whose role may not call cloudwatch:GetMetricData.
	noMetrics bool
	// probeDSN (or RDSBG_PROBE_DSN) is the applications' connection string
	// for the SQL probe. It holds a password: never print or journal it.
	probeDSN string
	// db are the database checks' flags (steps/dbchecks.go); db.DSN (or
	// RDSBG_DB_DSN) holds a password: never print or journal it.
	db steps.DBOptions
	// hooks run at every step transition (steps/hooks.go).
	hooks       []string
	hookTimeout time.Duration
	// debug lets the AWS SDK's own log lines through to stderr.
	debug bool
	// highlight is the database the wizard's list opens on (the demo's).
	highlight string
	// demoRerun is set by `rdsbg demo` only: the command that reruns it,
	// for the epilogue (the demo's simulator dies with the process).
	demoRerun string
	// takeOver (--take-over) and adopt (--adopt bgd-…): run, resume and
	// abort may act on what another run holds or made (steps/lease.go,
	// steps/ownership.go).
	takeOver bool
	adopt    string
}

// probe is --probe-dsn, else RDSBG_PROBE_DSN.
func (g globalFlags) probe() string {
	if g.probeDSN != "" {
		return g.probeDSN
	}
	return os.Getenv(probe.EnvDSN)
}

// dbOptions are the database checks' flags, the DSN from --db-dsn or else
// RDSBG_DB_DSN.
func (g globalFlags) dbOptions() steps.DBOptions {
	d := g.db
	if d.DSN == "" {
		d.DSN = os.Getenv(steps.EnvDBDSN)
	}
	return d
}

// metrics is the CloudWatch reader the engine samples, nil with
// --no-metrics.
func (env *environment) metrics(g globalFlags) awsclient.Metrics {
	if g.noMetrics {
		return nil
	}
	return env.api
}

// createFlags are the plan/run/wizard options; they fill steps.Options.
type createFlags struct {
	source            string
	deploymentName    string
	targetVersion     string
	targetParamGroup  string
	targetClusterPG   string
	targetClass       string
	upgradeStorage    bool
	switchoverTimeout int
	proxyMode         string
	upgradeVia        string
	cleanup           string
	maxProxyOutage    time.Duration
	storage           storageFlags // completion.go
}

func (c createFlags) options() steps.Options {
	return steps.Options{
		Source:                            c.source,
		DeploymentName:                    c.deploymentName,
		TargetEngineVersion:               c.targetVersion,
		TargetDBParameterGroupName:        c.targetParamGroup,
		TargetDBClusterParameterGroupName: c.targetClusterPG,
		TargetDBInstanceClass:             c.targetClass,
		UpgradeTargetStorageConfig:        c.upgradeStorage,
		SwitchoverTimeout:                 time.Duration(c.switchoverTimeout) * time.Second,
		ProxyMode:                         steps.ProxyMode(c.proxyMode),
		UpgradeVia:                        steps.UpgradeVia(c.upgradeVia),
		Cleanup:                           steps.Cleanup(c.cleanup),
		MaxProxyOutage:                    c.maxProxyOutage,
		TargetIops:                        c.storage.iops,
		TargetStorageType:                 c.storage.storageType,
		TargetAllocatedStorage:            c.storage.allocated,
		TargetStorageThroughput:           c.storage.throughput,
	}
}

func addCreateFlags(cmd *cobra.Command, c *createFlags) {
	f := cmd.Flags()
	f.StringVar(&c.source, "source", "", "source DB instance or Aurora cluster (identifier or ARN)")
	f.StringVar(&c.deploymentName, "blue-green-deployment-name", "", "blue/green deployment name, AWS's BlueGreenDeploymentName (default rdsbg-<source>-<date>; alias --deployment-name)")
	f.StringVar(&c.deploymentName, "deployment-name", "", "alias of --blue-green-deployment-name")
	f.MarkHidden("deployment-name")
	f.StringVar(&c.targetVersion, "target-engine-version", "", "engine version for green (a valid upgrade target of the source)")
	f.StringVar(&c.targetParamGroup, "target-db-parameter-group-name", "", "DB parameter group for green (Aurora: the instance-level group)")
	f.StringVar(&c.targetClusterPG, "target-db-cluster-parameter-group-name", "", "DB cluster parameter group for green (Aurora only)")
	f.StringVar(&c.targetClass, "target-db-instance-class", "", "instance class for green's primary (RDS only)")
	f.BoolVar(&c.upgradeStorage, "upgrade-target-storage-config", false, "move green to the latest storage configuration (RDS only)")
	f.Var((*secondsValue)(&c.switchoverTimeout), "switchover-timeout", "switchover timeout in seconds (30-3600), or a duration such as 5m")
	c.switchoverTimeout = int(steps.DefaultSwitchoverTimeout / time.Second)
	f.StringVar(&c.proxyMode, "proxy-mode", string(steps.ProxyModeAuto), "proxy handling: auto, native or detach")
	f.StringVar(&c.upgradeVia, "upgrade-via", "", "how green gets the target version: create (at creation) or modify (after creation); default chosen by the engine rules")
	f.StringVar(&c.cleanup, "cleanup", string(steps.CleanupDeployment), "after switchover: none, deployment, or old-blue (snapshot then delete the -oldN resources)")
	addStorageFlags(f, &c.storage) // completion.go
	f.DurationVar(&c.maxProxyOutage, "max-proxy-outage", steps.DefaultMaxProxyOutage, "detach procedure: longest the proxy may stay empty before the critical section (blue's registration refused while green provisions); then roll back (the wizard asks)")
}

// addApprovalFlags adds --yes, --confirm and --output, the headless
// approval rules of design.md §4, to run, resume and abort. prefix marks
// them headless-only on commands that otherwise open the wizard.
func addApprovalFlags(cmd *cobra.Command, yes *bool, confirm, output *string, prefix string) {
	cmd.Flags().BoolVar(yes, "yes", false, prefix+"approve reversible steps without asking")
	cmd.Flags().StringVar(confirm, "confirm", "", prefix+"the source identifier, to approve severe steps (critical section, switchover, deletions)")
	cmd.Flags().StringVar(output, "output", "text", prefix+"text or json (NDJSON events, see docs/events.md)")
}

// addOwnershipFlags adds --take-over (run, resume, abort) and, when adopt
// is not nil, --adopt (run): the operator's explicit word to act on what
// another run holds or made (design.md §8).
func addOwnershipFlags(cmd *cobra.Command, g *globalFlags, adopt bool) {
	cmd.Flags().BoolVar(&g.takeOver, "take-over", false, "take over the deployment (or proxy) whose owner lease another rdsbg run holds, live or expired (severe: needs --confirm, or the typed identifier in the wizard)")
	if adopt {
		cmd.Flags().StringVar(&g.adopt, "adopt", "", "carry on with blue/green deployment bgd-… that this run did not create, once its settings match the request (shown side by side when refused)")
	}
}

// checkTakeOver: --take-over is severe, so headless it needs --confirm.
func checkTakeOver(g globalFlags, yes bool, confirm, source string) error {
	if g.takeOver && yes && confirm == "" {
		return usageError("--take-over is severe: also pass --confirm %s; nothing was changed", source)
	}
	return nil
}

// exitError carries an exit code out of a cobra RunE.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func usageError(format string, a ...any) error {
	return &exitError{code: steps.ExitUsage, err: fmt.Errorf(format, a...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without os.Exit, so tests can drive the whole command line.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := watchSignals(context.Background(), stderr)
	defer stop()

	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return steps.ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "rdsbg:", sanitizeLines(ee.err.Error()))
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags, commands, missing arguments.
	fmt.Fprintln(stderr, "rdsbg:", sanitizeLines(err.Error()))
	fmt.Fprintln(stderr, "Run 'rdsbg --help' for usage.")
	return steps.ExitUsage
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var g globalFlags
	var wiz createFlags
	root := &cobra.Command{
		Use:   "rdsbg",
		Short: "Blue/green deployments for RDS and Aurora behind RDS Proxy, from preflight to cleanup",
		Long: `rdsbg walks you through an Amazon RDS / Aurora blue/green deployment, engine
upgrade and switchover when an RDS Proxy fronts the database. It shows every
step and its AWS CLI equivalent before doing it, keeps a journal so that a
crash or a dropped SSH session can be resumed, and never leaves production
without its proxy.

Without a subcommand it opens the interactive wizard (a terminal is needed).

Exit codes: 0 done (or ready: paused before the critical section), 1 a step
failed (state consistent, see the journal; for status: AWS could not be
read), 2 bad usage or input, 3 preflight blocked (nothing changed), 4 cancelled,
5 interrupted (continue with 'rdsbg resume').`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := newEnvironment(cmd.Context(), g, nil)
			if err != nil {
				return err
			}
			return runInteractive(cmd.Context(), env, g, wiz.options(), "run", "", stdin, stderr)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.profile, "profile", "", "AWS profile (as in the AWS CLI; SSO profiles work)")
	pf.StringVar(&g.region, "region", "", "AWS region (default from AWS_REGION or the profile)")
	pf.StringVar(&g.endpointURL, "endpoint-url", "", "AWS-compatible endpoint for every client (the simulator, moto, LocalStack)")
	pf.StringVar(&g.stateDir, "state-dir", "", "journal directory (default $XDG_STATE_HOME/rdsbg, else ~/.local/state/rdsbg)")
	pf.BoolVar(&g.noColor, "no-color", false, "no colours (also NO_COLOR)")
	pf.BoolVar(&g.plain, "plain", false, "plain line mode: every prompt a plain line, no full-screen UI")
	pf.Float64Var(&g.timeScale, "time-scale", 1, "run the engine's clock this many times faster (tests against rdsbg sim --speed)")
	pf.MarkHidden("time-scale")
	pf.BoolVar(&g.noMetrics, "no-metrics", false, "do not read the proxy's connections and green's lag from CloudWatch")
	pf.StringArrayVar(&g.hooks, "hook", nil, "shell command run at every step transition: event JSON on stdin, RDSBG_STEP and RDSBG_PHASE (pre, post, failed) set; a failing pre hook stops before the step (repeatable)")
	pf.DurationVar(&g.hookTimeout, "hook-timeout", steps.DefaultHookTimeout, "how long one hook may run")
	pf.BoolVar(&g.debug, "debug", false, "show the AWS SDK's own log lines (retries, credential warnings) on stderr")
	pf.StringVar(&g.probeDSN, "probe-dsn", "", "connection string through the proxy for a SELECT 1 every 500 ms during the critical section (never echoed; prefer "+probe.EnvDSN+": a flag is visible to other users in ps)")
	addDBFlags(pf, &g.db) // db_flags.go
	addCreateFlags(root, &wiz)
	addOwnershipFlags(root, &g, true) // the wizard asks --take-over's typed identifier itself
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v (see --help)", err) })
	// Hostile text never reaches a terminal raw (issue 20, B3): a --source
	// carrying control or bidi characters is refused before anything else,
	// quoted with its escapes shown.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if f := cmd.Flags().Lookup("source"); f != nil {
			if err := checkSourceText(f.Value.String()); err != nil {
				return err
			}
		}
		return checkFlagValues(cmd) // flag_checks.go: the same refusals for every command (D21)
	}

	root.AddCommand(
		newDemoCommand(&g, stdin, stderr),
		newSimCommand(stdout),
		newPlanCommand(&g, stdout),
		newIAMPolicyCommand(&g, stdout),
		newRunCommand(&g, stdout, stderr),
		newResumeCommand(&g, stdin, stdout, stderr),
		newStatusCommand(&g, stdout),
		newAbortCommand(&g, stdin, stdout, stderr),
		newFleetCommand(&g, stdin, stdout, stderr), // cmd_fleet.go
	)
	addCompletion(root, &g, stdout) // completion.go: the completion command, --source and enum values
	decorateHelp(root)              // examples, --version, flags where they apply, wrapped help
	return root
}

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
		clk = clock.Real{}
		if g.timeScale > 0 && g.timeScale != 1 {
			clk = clock.NewScaled(g.timeScale)
		}
	}
	if g.endpointURL != "" {
		if u, err := url.Parse(g.endpointURL); err != nil || u.Scheme == "" || u.Host == "" {
			return nil, usageError("--endpoint-url %q is not a URL: give one like http://127.0.0.1:4566", g.endpointURL)
		}
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

// isTerminal reports whether both ends are a terminal, which the wizard needs.
func isTerminal(in io.Reader, out io.Writer) bool {
	fi, ok := in.(*os.File)
	if !ok {
		return false
	}
	fo, ok := out.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(fi.Fd()) && term.IsTerminal(fo.Fd())
}

// runInteractive opens the wizard on a terminal, or plain line mode with
// --plain or without one. The UI renders on stderr so stdout stays for data.
func runInteractive(ctx context.Context, env *environment, g globalFlags, opts steps.Options, mode, title string, stdin io.Reader, stderr io.Writer) error {
	opts.DB = g.dbOptions()
	cfg := ui.Config{
		Backend:   env.backend(g, ""),
		Clock:     env.clock,
		Options:   opts,
		NoColor:   g.noColor || os.Getenv("NO_COLOR") != "",
		Title:     title,
		Mode:      mode,
		Profile:   g.profile,
		Region:    env.api.Region(),
		Highlight: g.highlight,
		NextFlags: nextFlags(g),
		DemoRerun: g.demoRerun,
	}
	var code int
	var err error
	if !g.plain && isTerminal(stdin, stderr) {
		var epilogue string
		code, epilogue, err = ui.RunWizardWithEpilogue(ctx, cfg, stdin, stderr)
		// On the normal screen, once the alternate screen is gone: what
		// to know and do next stays in the scrollback.
		fmt.Fprint(stderr, epilogue)
	} else {
		code, err = ui.RunPlain(ctx, cfg, stdin, stderr)
	}
	if err != nil || code != 0 {
		return &exitError{code: code, err: err}
	}
	return nil
}

func newDemoCommand(g *globalFlags, stdin io.Reader, stderr io.Writer) *cobra.Command {
	var scenario, timings string
	var speed float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the wizard against the embedded simulator (no AWS account needed)",
		Long: `demo starts the RDS simulator in-process on a loopback port and runs the wizard
against it through the real AWS SDK. Nothing leaves this machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if speed <= 0 {
				return usageError("--speed %v must be above 0 (1 is real time)", speed)
			}
			if err := checkScenario("demo", scenario); err != nil {
				return err
			}
			clk := clock.NewScaled(speed)
			tm, err := sim.TimingsNamed(timings)
			if err != nil {
				return usageError("--timings: %v", err)
			}
			simulator, err := sim.New(sim.Options{Scenario: scenario, Clock: clk, Timings: &tm})
			if err != nil {
				return usageError("%v", err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return &exitError{code: steps.ExitStepFailed, err: fmt.Errorf("cannot open a loopback port for the simulator: %w", err)}
			}
			srv := &http.Server{Handler: simulator, ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(ln)
			defer srv.Close()

			dg := *g
			dg.highlight = demoSource(scenario)
			dg.endpointURL = "http://" + ln.Addr().String()
			dg.profile = ""
			if dg.region == "" {
				dg.region = "us-east-1"
			}
			if dg.stateDir == "" {
				// A demo journal must never collide with a real one.
				dir, err := os.MkdirTemp("", "rdsbg-demo-")
				if err != nil {
					return &exitError{code: steps.ExitStepFailed, err: err}
				}
				dg.stateDir = dir
			}
			env, err := newEnvironment(cmd.Context(), dg, clk)
			if err != nil {
				return err
			}
			title := fmt.Sprintf("rdsbg demo · simulator %s · ×%g", scenario, speed)
			dg.demoRerun = fmt.Sprintf("rdsbg demo --scenario %s --speed %g", scenario, speed)
			return runInteractive(cmd.Context(), env, dg, steps.Options{}, "run", title, stdin, stderr)
		},
	}
	cmd.Flags().StringVar(&scenario, "scenario", sim.ScenarioRDSPostgresNative, "simulator scenario: "+scenarioNames())
	cmd.Flags().Float64Var(&speed, "speed", defaultDemoSpeed, "how many times faster than real AWS the simulator runs")
	cmd.Flags().StringVar(&timings, "timings", sim.TimingsAWS, "the simulator's durations: aws (AWS's documented or measured figures), aws-2025 (the same with the minute-long switchover AWS documented before 2026) or fast (compressed, for tests)")
	return cmd
}

func scenarioNames() string {
	var names []string
	for _, s := range sim.Scenarios() {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

func newSimCommand(stdout io.Writer) *cobra.Command {
	var listen, scenario, faultsFile, timings string
	var speed float64
	var forward map[string]string
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve the RDS API simulator (point any AWS client at it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if speed <= 0 {
				return usageError("--speed %v must be above 0 (1 is real time)", speed)
			}
			if err := checkScenario("sim", scenario); err != nil {
				return err
			}
			var faults []sim.Fault
			if faultsFile != "" {
				f, err := os.Open(faultsFile)
				if err != nil {
					return usageError("--faults %s cannot be read: %v", faultsFile, err)
				}
				faults, err = sim.ParseFaults(f)
				f.Close()
				if err != nil {
					return usageError("--faults %s: %v", faultsFile, err)
				}
			}
			tm, err := sim.TimingsNamed(timings)
			if err != nil {
				return usageError("--timings: %v", err)
			}
			// Callers: a wizard on the wall clock asks CloudWatch for windows
			// by it; the model answers them in its faster time (walkthrough D28).
			clk := clock.NewScaled(speed)
			simulator, err := sim.New(sim.Options{Scenario: scenario, Clock: clk, Callers: clk.Wall(), Faults: faults, ProxyForwardTo: forward, Timings: &tm})
			if err != nil {
				return usageError("%v", err)
			}
			defer simulator.Close()
			for _, line := range simulator.ForwardLines() {
				fmt.Fprintln(stdout, line)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usageError("--listen %s: %v", listen, err)
			}
			endpoint := "http://" + ln.Addr().String()
			fmt.Fprintf(stdout, "rdsbg simulator listening on %s (scenario %s, speed ×%g)\n", endpoint, scenario, speed)
			fmt.Fprintf(stdout, "try: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws rds describe-db-instances --region us-east-1 --endpoint-url %s\n", endpoint)
			fmt.Fprintf(stdout, "Ctrl+C stops it.\n")
			srv := &http.Server{Handler: simulator, ReadHeaderTimeout: 10 * time.Second}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case <-cmd.Context().Done():
				shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				srv.Shutdown(shutdown)
				fmt.Fprintln(stdout, "simulator stopped")
				return nil
			case err := <-errc:
				return &exitError{code: steps.ExitStepFailed, err: err}
			}
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8765", "address to listen on (port 0 picks a free one)")
	cmd.Flags().StringToStringVar(&forward, "forward", nil, "NAME=HOST:PORT: a proxy's endpoint relays to a real database while the proxy has a healthy target (for --probe-dsn); a DB instance or cluster is bound to it: its endpoint is the real server, and its proxies relay there (for the database checks)")
	cmd.Flags().StringVar(&scenario, "scenario", sim.ScenarioRDSPostgresNative, "scenario: "+scenarioNames())
	cmd.Flags().Float64Var(&speed, "speed", 1, "how many times faster than real AWS the simulator runs")
	cmd.Flags().StringVar(&faultsFile, "faults", "", "JSON file of faults to inject (format: docs/simulator.md)")
	cmd.Flags().StringVar(&timings, "timings", sim.TimingsAWS, "durations: aws (AWS's documented or measured figures, sources in docs/simulator.md), aws-2025 (the same with the minute-long switchover AWS documented before 2026) or fast (compressed, for tests)")
	return cmd
}

func newPlanCommand(g *globalFlags, stdout io.Writer) *cobra.Command {
	var c createFlags
	var output string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print the plan and the equivalent AWS CLI runbook; changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.source == "" {
				return usageError("--source is required: the DB instance or Aurora cluster identifier (or ARN) to deploy")
			}
			if output != "text" && output != "markdown" && output != "json" {
				return usageError("--output %q is not one of text, markdown, json", output)
			}
			prep, env, err := prepareCommand(cmd.Context(), *g, c, steps.WithPreflight)
			if err != nil {
				return err
			}
			plan, checks, d := prep.Plan, prep.Checks, prep.Discovery
			switch output {
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					Plan   steps.Plan          `json:"plan"`
					Checks []steps.CheckResult `json:"preflight"`
				}{plan, checks}); err != nil {
					return &exitError{code: steps.ExitStepFailed, err: err}
				}
			case "markdown":
				in, err := steps.ReadPolicyInputs(cmd.Context(), env.api, d, g.noMetrics)
				if err != nil {
					return exitFor(err)
				}
				fmt.Fprint(stdout, steps.RenderMarkdown(plan))
				fmt.Fprint(stdout, steps.RenderIAMPolicyMarkdown(plan, in))
				fmt.Fprint(stdout, steps.CheckLines(checks, steps.LayoutMarkdown))
			default:
				fmt.Fprint(stdout, steps.CheckLines(checks, steps.LayoutPlan))
				fmt.Fprint(stdout, steps.RenderText(plan))
			}
			if steps.Blocked(checks) {
				return &exitError{code: steps.ExitPreflight, err: errors.New("preflight blocked: fix the failed checks above, nothing was changed")}
			}
			return nil
		},
	}
	addCreateFlags(cmd, &c)
	cmd.Flags().StringVar(&output, "output", "text", "text, markdown (a runbook for a change ticket) or json")
	return cmd
}

// exitFor turns an engine error into the documented exit code.
func exitFor(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: steps.ExitCode(err), err: err}
}

// headlessSink picks the event writer for --output.
func headlessSink(output string, stdout io.Writer) (steps.Sink, error) {
	switch output {
	case "json":
		return steps.NewNDJSONSink(stdout), nil
	case "text":
		return steps.NewTextSink(stdout), nil
	}
	return nil, usageError("--output %q is not one of text, json", output)
}

// runHeadless runs the engine in mode (run, resume, abort) with the
// --yes/--confirm approver.
func runHeadless(ctx context.Context, g globalFlags, opts steps.Options, yes bool, confirm, output, until, mode string, stdout io.Writer) error {
	opts.DB = g.dbOptions()
	sink, err := headlessSink(output, stdout)
	if err != nil {
		return err
	}
	env, err := newEnvironment(ctx, g, nil)
	if err != nil {
		return err
	}
	approver := &steps.HeadlessApprover{Yes: yes, Confirm: confirm, Sink: sink}
	fin, err := env.backend(g, until).Run(ctx, mode, opts, approver, sink)
	if err != nil && fin.ExitCode == 0 {
		return exitFor(err)
	}
	var empty *steps.ProxyEmptyError
	if errors.As(err, &empty) {
		return &exitError{code: fin.ExitCode, err: err}
	}
	if fin.ExitCode == steps.ExitInterrupted {
		// The engine's summary already said where the proxy is; the bare
		// "context canceled" would only confuse.
		return &exitError{code: fin.ExitCode, err: fmt.Errorf("interrupted: the journal is complete; continue with 'rdsbg resume --source %s'", opts.Source)}
	}
	if fin.ExitCode != 0 {
		return &exitError{code: fin.ExitCode, err: err}
	}
	return nil
}

func newRunCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	var c createFlags
	var yes bool
	var confirm, output, until string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Headless execution for automation (--yes, and --confirm ID for severe steps)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.source == "" {
				return usageError("--source is required: the DB instance or Aurora cluster identifier (or ARN) to deploy")
			}
			if !yes {
				return usageError("run is headless and never prompts: pass --yes to approve the steps (and --confirm %s for the severe ones), or use the wizard: rdsbg --source %s", c.source, c.source)
			}
			if err := checkHeadlessApproval(c.source, confirm, until); err != nil {
				return err
			}
			if err := checkTakeOver(*g, yes, confirm, c.source); err != nil {
				return err
			}
			opts := c.options()
			if err := steps.ValidateOptions(opts); err != nil {
				return exitFor(err)
			}
			return runHeadless(cmd.Context(), *g, opts, yes, confirm, output, until, "run", stdout)
		},
	}
	addCreateFlags(cmd, &c)
	addApprovalFlags(cmd, &yes, &confirm, &output, "")
	addOwnershipFlags(cmd, g, true)
	cmd.Flags().StringVar(&until, "until", "", "ready: prepare green and stop before the critical section (exit 0, state ready); `rdsbg resume` switches over later")
	return cmd
}

func newResumeCommand(g *globalFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var source, confirm, output string
	var yes bool
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Continue an interrupted run from its journal and the live AWS state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if source == "" {
				found, err := unfinishedSource(g.stateDir, stderr)
				var several *severalRunsError
				if errors.As(err, &several) && !yes && isTerminal(stdin, stderr) {
					found, err = chooseRun(stdin, stderr, several)
				} else if err != nil {
					found, _, err = taggedSource(cmd.Context(), *g, stderr, output, "resume", err) // detached_cli.go
				}
				if err != nil {
					return err
				}
				source = found
			}
			if err := checkHeadlessApproval(source, confirm, ""); err != nil {
				return err
			}
			if err := checkTakeOver(*g, yes, confirm, source); err != nil {
				return err
			}
			return headlessOrInteractive(cmd.Context(), *g, steps.Options{Source: source}, yes, confirm, output, "resume", stdin, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "source of the run to resume (default: the only unfinished journal)")
	addApprovalFlags(cmd, &yes, &confirm, &output, "headless: ")
	addOwnershipFlags(cmd, g, false)
	return cmd
}

// headlessOrInteractive runs resume or abort: headless with --yes, else in
// the wizard (or plain mode) so the operator answers each approval.
func headlessOrInteractive(ctx context.Context, g globalFlags, opts steps.Options, yes bool, confirm, output, mode string, stdin io.Reader, stdout, stderr io.Writer) error {
	if yes {
		return runHeadless(ctx, g, opts, yes, confirm, output, "", mode, stdout)
	}
	env, err := newEnvironment(ctx, g, nil)
	if err != nil {
		return err
	}
	return runInteractive(ctx, env, g, opts, mode, "", stdin, stderr)
}

// unfinishedSource finds the one journal that resume can continue; the
// runs waiting for the operator are listed on w first (paused ready, with
// age, lag and green's classes), so a choice is an informed one.
func unfinishedSource(stateDirFlag string, w io.Writer) (string, error) {
	dir, err := stateDirPath(stateDirFlag)
	if err != nil {
		return "", err
	}
	sources, err := steps.FindJournals(dir)
	if err != nil {
		return "", exitFor(err)
	}
	if runs, err := steps.PausedRuns(dir); err == nil && w != nil {
		fmt.Fprint(w, steps.RenderPausedRuns(runs, time.Now()))
	}
	switch len(sources) {
	case 0:
		return "", usageError("no unfinished run in %s: nothing to resume (pass --state-dir if the journal is elsewhere)", dir)
	case 1:
		return sources[0], nil
	}
	return "", &severalRunsError{sources: sources, err: usageError("%d unfinished runs in %s (%s): pass --source to choose one", len(sources), dir, strings.Join(sources, ", "))}
}

// severalRunsError: more than one unfinished run, and no --source.
type severalRunsError struct {
	sources []string
	err     error
}

func (e *severalRunsError) Error() string { return e.err.Error() }
func (e *severalRunsError) Unwrap() error { return e.err }

// chooseRun asks, at a terminal, which of several unfinished runs to
// resume (walkthrough D24: it exited 2 right under the list it printed).
// The answer is a number or a source's name; anything else, or the end of
// the input, keeps the refusal.
func chooseRun(in io.Reader, out io.Writer, several *severalRunsError) (string, error) {
	for i, s := range several.sources {
		fmt.Fprintf(out, "  %d) %s\n", i+1, s)
	}
	fmt.Fprintf(out, "Resume which run (1-%d, or its source)? ", len(several.sources))
	line, err := bufio.NewReader(in).ReadString('\n')
	answer := strings.TrimSpace(line)
	if answer == "" && err != nil {
		fmt.Fprintln(out)
		return "", several.err
	}
	if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(several.sources) {
		return several.sources[n-1], nil
	}
	for _, s := range several.sources {
		if strings.EqualFold(s, answer) {
			return s, nil
		}
	}
	return "", usageError("%q is not one of the unfinished runs (%s): pass --source to choose one", answer, strings.Join(several.sources, ", "))
}

func newStatusCommand(g *globalFlags, stdout io.Writer) *cobra.Command {
	var source, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a run's journal and the live state in AWS",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if source == "" {
				found, listed, err := statusSource(g.stateDir, output, stdout)
				if err != nil {
					found, listed, err = taggedSource(cmd.Context(), *g, stdout, output, "status", err) // detached_cli.go
				}
				if err != nil || listed {
					return err
				}
				source = found
			}
			env, err := newEnvironment(cmd.Context(), *g, nil)
			if err != nil {
				return statusWithoutAWS(source, g.stateDir, output, stdout, err)
			}
			report, err := steps.Status(cmd.Context(), env.api, env.stateDir, source)
			if err != nil {
				return exitFor(err)
			}
			if output == "json" {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(report); err != nil {
					return err
				}
			} else {
				fmt.Fprint(stdout, report.Text())
			}
			return statusExit(report)
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "source of the run (default: the only unfinished journal)")
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	return cmd
}

func newAbortCommand(g *globalFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var source, confirm, output string
	var yes bool
	cmd := &cobra.Command{
		Use:   "abort",
		Short: "Before switchover: delete the deployment and its green, restore the original proxy targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if source == "" {
				return usageError("--source is required: the source whose run to abort")
			}
			if err := checkHeadlessApproval(source, confirm, ""); err != nil {
				return err
			}
			if yes && confirm == "" {
				// abort's one approval deletes: it is always severe.
				return usageError("abort deletes the deployment and its green: --yes is not enough, also pass --confirm %s; nothing was changed", source)
			}
			return headlessOrInteractive(cmd.Context(), *g, steps.Options{Source: source}, yes, confirm, output, "abort", stdin, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "source DB instance or Aurora cluster (identifier or ARN)")
	addApprovalFlags(cmd, &yes, &confirm, &output, "headless: ")
	addOwnershipFlags(cmd, g, false)
	return cmd
}

// checkSourceText refuses a --source that carries terminal control: C0
// and C1 controls, DEL and the bidi overrides and isolates no RDS
// identifier or ARN can hold. The message shows it with its escapes.
func checkSourceText(source string) error {
	if awsclient.Sanitize(source) == source {
		return nil
	}
	return usageError("--source %q carries control or direction characters that no RDS identifier or ARN holds: pass the DB instance or cluster identifier (e.g. orders-db); nothing was changed", source)
}

// sanitizeLines makes a message safe for the terminal line by line: the
// newlines rdsbg writes itself (lists of commands) stay, anything else
// that could move the cursor or forge a line is escaped.
func sanitizeLines(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = awsclient.Sanitize(l)
	}
	return strings.Join(lines, "\n")
}
