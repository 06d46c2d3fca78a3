package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/fleet"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/ui"
)

// newFleetCommand is `rdsbg fleet`: many databases across accounts and
// Regions in waves (issue 25). The engine is fleet/; each database is
// an ordinary rdsbg run.
func newFleetCommand(g *globalFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Plan, run, watch and export blue/green deployments of many databases across accounts and Regions, in waves",
		Long: `fleet runs rdsbg over tens to hundreds of databases: 'fleet plan' selects them
across AWS profiles (one per account; a profile with role_arn assumes a role) and
Regions and writes a plan with each database's own plan, regime and preflight
verdict, grouped into waves; 'fleet run' runs each database as an ordinary rdsbg
run (same journal, tags and approvals: 'rdsbg status', 'resume' and 'abort' work on
any of them), within one API budget per account and Region; 'fleet status' reads
the fleet back from AWS on any machine; 'fleet export' hands the plan to GitHub
Actions.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newFleetPlanCommand(g, stdout), newFleetRunCommand(g, stdin, stdout, stderr),
		newFleetStatusCommand(g, stdout), newFleetExportCommand(stdout))
	return cmd
}

// fleetConnect makes clients for each profile and Region from the global
// flags (endpoint, debug log).
func fleetConnect(g globalFlags, clk clock.Clock) (fleet.Connect, error) {
	if err := checkEndpointURL(g.endpointURL); err != nil { // environment.go
		return nil, err
	}
	return fleet.Connector(awsclient.Options{EndpointURL: g.endpointURL, Simulator: isLoopbackEndpoint(g.endpointURL),
		Clock: clk, SDKLog: sdkLog(g.debug)}), nil
}

func newFleetPlanCommand(g *globalFlags, stdout io.Writer) *cobra.Command {
	var profiles, regions, engines, sources, waves []string
	var tags, targets map[string]string
	var sel fleet.Selection
	var pol fleet.Policy
	var output, proxyMode, cleanup, id string
	var switchoverTimeout int
	var maxOutage time.Duration
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Select databases across accounts and Regions and plan them in waves; changes nothing",
		Example: `  rdsbg fleet plan --profiles prod-a,prod-b --regions us-east-1,eu-west-1 \
      --tag env=prod --engine postgres --version-to 15 --upgrade minor \
      --canary-tag wave=canary --waves 20,30,50 --output json > fleet.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "markdown" && output != "json" {
				return usageError("--output %q is not one of text, markdown, json", output)
			}
			if len(profiles) == 0 {
				profiles = []string{g.profile}
			}
			if len(regions) == 0 && g.region != "" {
				regions = []string{g.region}
			}
			if len(regions) == 0 {
				return usageError("--regions is required: the Regions to look for databases in (or --region for one)")
			}
			sel.Profiles, sel.Regions, sel.Engines, sel.Sources, sel.Tags, sel.Target = profiles, regions, engines, sources, tags, targets
			// The database checks (--db-iam-user, --db-credentials
			// proxy-secret) apply to every database: each run resolves its
			// own endpoint and credentials. A DSN names one database.
			db := g.dbOptions()
			if db.DSN != "" {
				return usageError("--db-dsn (or %s) names one database; for a fleet give --db-credentials proxy-secret or --db-iam-user USER, which each database resolves for itself; nothing was changed", contract.EnvDBDSN)
			}
			sel.Options = contract.Options{ProxyMode: contract.ProxyMode(proxyMode), Cleanup: contract.Cleanup(cleanup),
				SwitchoverTimeout: time.Duration(switchoverTimeout) * time.Second, MaxProxyOutage: maxOutage, DB: db}
			if err := contract.ValidateOptions(withProbeSource(sel.Options)); err != nil {
				return exitFor(err)
			}
			if len(waves) > 0 {
				pol.WavePercents = nil
				for _, w := range waves {
					n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(w), "%"))
					if err != nil {
						return usageError("--waves %q: give percentages such as 20,30,50", strings.Join(waves, ","))
					}
					pol.WavePercents = append(pol.WavePercents, n)
				}
			} else if pol.WaveTag == "" {
				pol.WavePercents = []int{20, 30, 50}
			}
			clk := engineClock(*g)
			connect, err := fleetConnect(*g, clk)
			if err != nil {
				return err
			}
			plan, err := fleet.BuildPlan(cmd.Context(), fleet.PlanConfig{Connect: connect, Clock: clk, ID: id}, sel, pol)
			if err != nil {
				return usageError("fleet plan: %v; nothing was changed", err)
			}
			switch output {
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(plan); err != nil {
					return &exitError{code: contract.ExitStepFailed, err: err}
				}
			case "markdown":
				fmt.Fprint(stdout, fleet.RenderMarkdown(plan))
			default:
				fmt.Fprint(stdout, fleet.RenderText(plan))
			}
			if plan.Runnable() == 0 {
				return &exitError{code: contract.ExitPreflight, err: errors.New("fleet plan: no database can run (see the blocked list); nothing was changed")}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&profiles, "profiles", nil, "AWS profiles, one per account (default: --profile, or the default credentials)")
	f.StringSliceVar(&regions, "regions", nil, "Regions to select from (default: --region)")
	f.StringToStringVar(&tags, "tag", nil, "select databases with this tag KEY=VALUE (repeatable; all must match)")
	f.StringSliceVar(&engines, "engine", nil, "select these engines only (postgres, mysql, mariadb, aurora-postgresql, aurora-mysql)")
	f.StringVar(&sel.VersionFrom, "version-from", "", "lowest engine version to select (inclusive, e.g. 15)")
	f.StringVar(&sel.VersionTo, "version-to", "", "highest engine version to select (inclusive: 15 selects every 15.x)")
	f.StringSliceVar(&sources, "source", nil, "select these databases only: ID, REGION/ID or ACCOUNT/REGION/ID (repeatable)")
	f.StringVar(&sel.Upgrade, "upgrade", fleet.UpgradeMinor, "green's version: minor (newest of the same major), major (newest offered) or none")
	f.StringToStringVar(&targets, "target-version", nil, "ENGINE=VERSION: this engine's target instead of --upgrade (repeatable)")
	f.StringVar(&proxyMode, "proxy-mode", string(contract.ProxyModeAuto), "proxy handling for every run: auto, native or detach")
	f.StringVar(&cleanup, "cleanup", string(contract.CleanupDeployment), "after each switchover: none, deployment or old-blue")
	f.IntVar(&switchoverTimeout, "switchover-timeout", int(contract.DefaultSwitchoverTimeout/time.Second), "switchover timeout in seconds (30-3600)")
	f.DurationVar(&maxOutage, "max-proxy-outage", contract.DefaultMaxProxyOutage, "detach procedure: longest a proxy may stay empty before the critical section")
	f.IntVar(&pol.Canaries, "canaries", 1, "databases in the first wave (without --canary-tag)")
	f.StringVar(&pol.CanaryTag, "canary-tag", "", "KEY=VALUE: the databases with this tag form the first wave")
	f.StringSliceVar(&waves, "waves", nil, "the rest in waves of these percentages, adding up to 100 (default 20,30,50)")
	f.StringVar(&pol.WaveTag, "wave-tag", "", "instead of --waves: one wave per value of this tag key, in sorted order")
	f.DurationVar(&pol.Bake, "bake", fleet.DefaultBake, "wait after each wave's switchovers before the next wave's")
	f.IntVar(&pol.MaxConcurrency, "max-concurrency", fleet.DefaultMaxConcurrency, "runs at once per account and Region")
	f.IntVar(&pol.StopAfterFailures, "stop-after-failures", fleet.DefaultStopAfterFailures, "stop the fleet (no further waves) once this many runs failed")
	f.IntVar(&pol.Budget, "budget", fleet.DefaultBudget, "RDS requests per second per account and Region for the whole fleet (AWS allows 12, shared with everyone)")
	f.StringVar(&output, "output", "text", "text, markdown (a change ticket) or json (the input of fleet run)")
	f.StringVar(&id, "fleet-id", "", "the fleet id (default fleet-<date>-<random>)")
	return cmd
}

// withProbeSource gives fleet-wide options a stand-in source so that
// steps.ValidateOptions checks the rest (each database adds its own).
func withProbeSource(o contract.Options) contract.Options {
	o.Source = "fleet"
	return o
}

// fleetStateDir is the journals' directory, proven writable before the
// first run starts: a fleet must not start two hundred runs that each
// refuse it.
func fleetStateDir(flag string) (string, error) {
	dir, err := stateDirPath(flag)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", usageError("state directory %s cannot be created (%v): pass a writable --state-dir; nothing was changed", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return "", usageError("state directory %s is not writable (%v): pass a writable --state-dir; nothing was changed", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return dir, nil
}

// readFleetPlan reads and checks a plan file.
func readFleetPlan(path string) (*fleet.Plan, error) {
	if path == "" {
		return nil, usageError("--plan is required: the JSON of `rdsbg fleet plan --output json`")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("--plan %s cannot be read: %v", path, err)
	}
	var p fleet.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, usageError("--plan %s is not a fleet plan (%v): make one with `rdsbg fleet plan --output json`", path, err)
	}
	if err := p.Validate(); err != nil {
		return nil, usageError("--plan %s: %v", path, err)
	}
	return &p, nil
}

func newFleetRunCommand(g *globalFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var planPath, until, confirm, output string
	var yes, confirmWave bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a fleet plan wave by wave: prepare with --until ready, then switch over",
		Example: `  rdsbg fleet run --plan fleet.json --until ready --yes --confirm fleet-20261121-a1b2c3
  rdsbg fleet run --plan fleet.json --confirm-wave
  rdsbg fleet run --plan fleet.json --yes --confirm fleet-20261121-a1b2c3 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := readFleetPlan(planPath)
			if err != nil {
				return err
			}
			if until != "" && until != contract.UntilReady {
				return usageError("--until %q: the only stop is ready", until)
			}
			if output != "text" && output != "json" {
				return usageError("--output %q is not one of text, json", output)
			}
			switch {
			case yes && confirm == "":
				return usageError("fleet run approves severe steps (switchovers, the detach procedure's proxy deregistrations) for every database: --yes is not enough, also pass --confirm %s; nothing was changed", plan.ID)
			case yes && confirm != plan.ID:
				return usageError("--confirm %q does not name this fleet: pass --confirm %s; nothing was changed", confirm, plan.ID)
			case !yes && confirm != "":
				return usageError("--confirm is set but --yes is missing; nothing was changed")
			case !yes && !confirmWave:
				return usageError("fleet run needs --confirm-wave (type each wave's confirmation) or --yes --confirm %s; nothing was changed", plan.ID)
			}
			stateDir, err := fleetStateDir(g.stateDir)
			if err != nil {
				return err
			}
			clk := engineClock(*g)
			connect, err := fleetConnect(*g, clk)
			if err != nil {
				return err
			}
			cfg := fleet.RunConfig{Connect: connect, Clock: clk, StateDir: stateDir, Poll: poll.DefaultPolicy(),
				Metrics: !g.noMetrics, Until: until, GiveUp: giveUpFrom(cmd.Context())}
			screen := !g.plain && output == "text" && isTerminal(stdin, stderr)
			if screen {
				code, err := ui.RunFleet(cmd.Context(), ui.FleetConfig{Plan: plan, Run: cfg, Clock: clk, ConfirmWaves: confirmWave,
					NoColor: g.noColor || os.Getenv("NO_COLOR") != ""}, stdin, stderr)
				if err != nil || code != 0 {
					return &exitError{code: code, err: err}
				}
				return nil
			}
			if output == "json" {
				cfg.Sink = fleet.NDJSONSink(stdout)
			} else {
				cfg.Sink = fleet.TextSink(stdout)
			}
			if confirmWave {
				cfg.Confirm = linePrompt(plan, stdin, stderr)
			}
			runner, err := fleet.NewRunner(plan, cfg)
			if err != nil {
				return usageError("%v", err)
			}
			res := runner.Run(cmd.Context())
			if code := res.ExitCode(); code != 0 {
				return &exitError{code: code, err: fmt.Errorf("fleet %s: %s", plan.ID, res.Line())}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&planPath, "plan", "", "the fleet plan: the JSON of rdsbg fleet plan --output json")
	f.StringVar(&until, "until", "", "ready: prepare every database and stop each before its switchover")
	f.BoolVar(&confirmWave, "confirm-wave", false, "ask for a typed confirmation before each wave")
	f.BoolVar(&yes, "yes", false, "headless: approve every run's steps (with --confirm <fleet id>)")
	f.StringVar(&confirm, "confirm", "", "headless: the fleet id, to approve the severe steps of every run")
	f.StringVar(&output, "output", "text", "text or json (NDJSON events with source and fleet, see docs/events.md)")
	return cmd
}

// linePrompt asks for each wave's typed confirmation on plain lines.
func linePrompt(plan *fleet.Plan, stdin io.Reader, stderr io.Writer) fleet.WaveConfirm {
	in := bufio.NewReader(stdin)
	return func(ctx context.Context, w fleet.Wave, phase string) (bool, error) {
		want := ui.WaveToken(w)
		fmt.Fprintf(stderr, "%s\nType %s to start it (anything else stops the fleet): ", ui.WaveQuestion(plan, w, phase), want)
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return false, err
		}
		return strings.TrimSpace(line) == want, nil
	}
}

func newFleetStatusCommand(g *globalFlags, stdout io.Writer) *cobra.Command {
	var planPath, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every database of a fleet as AWS shows it now (any machine, any state directory)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := readFleetPlan(planPath)
			if err != nil {
				return err
			}
			if output != "text" && output != "json" {
				return usageError("--output %q is not one of text, json", output)
			}
			clk := engineClock(*g)
			connect, err := fleetConnect(*g, clk)
			if err != nil {
				return err
			}
			st := fleet.ReadStatus(cmd.Context(), plan, connect, clk, nil)
			if output == "json" {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(st); err != nil {
					return err
				}
			} else {
				fmt.Fprint(stdout, st.Text())
			}
			if st.Unreadable() {
				return &exitError{code: contract.ExitStepFailed, err: errors.New("fleet status: some databases could not be read from AWS (see above)")}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&planPath, "plan", "", "the fleet plan: the JSON of rdsbg fleet plan --output json")
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	return cmd
}

func newFleetExportCommand(stdout io.Writer) *cobra.Command {
	var planPath, to, repoPath, out string
	cmd := &cobra.Command{
		Use:     "export",
		Short:   "Write the fleet plan as a workflow for an existing orchestrator (GitHub Actions)",
		Example: `  rdsbg fleet export --plan fleet.json --to github-actions --out .github/workflows/fleet.yml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := readFleetPlan(planPath)
			if err != nil {
				return err
			}
			if to != fleet.ExportGitHubActions {
				return usageError("--to %q: the one target is %s", to, fleet.ExportGitHubActions)
			}
			if repoPath == "" {
				repoPath = planPath
			}
			wf := fleet.GitHubActions(plan, fleet.ExportOptions{PlanPath: repoPath})
			if out == "" || out == "-" {
				_, err = io.WriteString(stdout, wf)
				return err
			}
			if err := os.WriteFile(out, []byte(wf), 0o644); err != nil {
				return usageError("--out %s: %v", out, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&planPath, "plan", "", "the fleet plan: the JSON of rdsbg fleet plan --output json")
	cmd.Flags().StringVar(&to, "to", fleet.ExportGitHubActions, "the orchestrator: github-actions")
	cmd.Flags().StringVar(&repoPath, "plan-path", "", "the plan's path in the repository (default: --plan)")
	cmd.Flags().StringVar(&out, "out", "", "write the workflow to this file (default: stdout)")
	return cmd
}
