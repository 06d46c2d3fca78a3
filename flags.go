package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
	"github.com/rdsbg/rdsbg/steps/observe"
	"github.com/rdsbg/rdsbg/steps/probe"
)

// The flags the commands share: the global ones (every command), the
// create options (the wizard, plan, iam-policy, run) with the storage and
// database ones, and the approval and ownership flags (run, resume, abort).

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
	db contract.DBOptions
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
	// abort may act on what another run holds or made (steps/ownership.go).
	takeOver bool
	adopt    string
}

// secondsValue is --switchover-timeout: whole seconds, as AWS takes them,
// or a Go duration ("5m"): "5m" once leaked strconv's own words.
type secondsValue int

func (s *secondsValue) String() string { return strconv.Itoa(int(*s)) }
func (s *secondsValue) Type() string   { return "seconds" }

func (s *secondsValue) Set(v string) error {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		*s = secondsValue(n)
		return nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d%time.Second != 0 {
		return fmt.Errorf("%q is not whole seconds (such as 300) nor a duration in whole seconds (such as 5m)", v)
	}
	*s = secondsValue(d / time.Second)
	return nil
}

// addGlobalFlags adds the flags every command accepts (design.md §4) to
// the root's persistent flags.
func addGlobalFlags(pf *pflag.FlagSet, g *globalFlags) {
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
	pf.DurationVar(&g.hookTimeout, "hook-timeout", observe.DefaultHookTimeout, "how long one hook may run")
	pf.BoolVar(&g.debug, "debug", false, "show the AWS SDK's own log lines (retries, credential warnings) on stderr")
	pf.StringVar(&g.probeDSN, "probe-dsn", "", "connection string through the proxy for a SELECT 1 every 500 ms during the critical section (never echoed; prefer "+probe.EnvDSN+": a flag is visible to other users in ps)")
	addDBFlags(pf, &g.db)
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
func (g globalFlags) dbOptions() contract.DBOptions {
	d := g.db
	if d.DSN != "" {
		d.DSNFrom = "--db-dsn"
	} else if d.DSN = os.Getenv(contract.EnvDBDSN); d.DSN != "" {
		d.DSNFrom = contract.EnvDBDSN
	}
	return d
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
	storage           storageFlags
}

func (c createFlags) options() contract.Options {
	return contract.Options{
		Source:                            c.source,
		DeploymentName:                    c.deploymentName,
		TargetEngineVersion:               c.targetVersion,
		TargetDBParameterGroupName:        c.targetParamGroup,
		TargetDBClusterParameterGroupName: c.targetClusterPG,
		TargetDBInstanceClass:             c.targetClass,
		UpgradeTargetStorageConfig:        c.upgradeStorage,
		SwitchoverTimeout:                 time.Duration(c.switchoverTimeout) * time.Second,
		ProxyMode:                         contract.ProxyMode(c.proxyMode),
		UpgradeVia:                        contract.UpgradeVia(c.upgradeVia),
		Cleanup:                           contract.Cleanup(c.cleanup),
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
	c.switchoverTimeout = int(contract.DefaultSwitchoverTimeout / time.Second)
	f.StringVar(&c.proxyMode, "proxy-mode", string(contract.ProxyModeAuto), "proxy handling: auto, native or detach")
	f.StringVar(&c.upgradeVia, "upgrade-via", "", "how green gets the target version: create (at creation) or modify (after creation); default chosen by the engine rules")
	f.StringVar(&c.cleanup, "cleanup", string(contract.CleanupDeployment), "after switchover: none, deployment, or old-blue (snapshot then delete the -oldN resources)")
	addStorageFlags(f, &c.storage)
	f.DurationVar(&c.maxProxyOutage, "max-proxy-outage", contract.DefaultMaxProxyOutage, "detach procedure: longest the proxy may stay empty before the critical section (blue's registration refused while green provisions); then roll back (the wizard asks)")
}

// storageFlags are the newer create options (steps/storage_options.go).
type storageFlags struct {
	storageType                 string
	iops, allocated, throughput int32
}

func addStorageFlags(f *pflag.FlagSet, s *storageFlags) {
	f.StringVar(&s.storageType, "target-storage-type", "", "green primary's storage type: gp2, gp3, io1 or io2 (RDS only; default blue's)")
	f.Int32Var(&s.allocated, "target-allocated-storage", 0, "green primary's allocated storage in GiB, larger or smaller than blue's (RDS only; default blue's)")
	f.Int32Var(&s.iops, "target-iops", 0, "green primary's provisioned IOPS (RDS only, not gp2; default blue's)")
	f.Int32Var(&s.throughput, "target-storage-throughput", 0, "green primary's storage throughput in MiB/s (RDS gp3 only; default blue's)")
}

// addDBFlags adds the database checks' flags (issue 22, steps/dbchecks.go)
// to every command that prepares or runs a plan.
func addDBFlags(f *pflag.FlagSet, d *contract.DBOptions) {
	f.StringVar(&d.DSN, "db-dsn", "", "connection string for the read-only database checks (never echoed; prefer "+contract.EnvDBDSN+": a flag is visible to other users in ps)")
	f.StringVar(&d.IAMUser, "db-iam-user", "", "database user for the checks, logging in with an IAM authentication token (needs rds-db:connect)")
	f.StringVar(&d.Credentials, "db-credentials", "", "proxy-secret: the checks log in with the Secrets Manager secret the proxy itself uses (needs secretsmanager:GetSecretValue)")
	f.StringVar(&d.Endpoint, "db-endpoint", "", "where the checks connect: proxy (the default when a proxy targets the source) or blue (its own endpoint)")
	f.BoolVar(&d.Require, "require-db-checks", false, "block the run when the database checks cannot run (no credentials, no connection)")
	f.DurationVar(&d.MaxTransactionAge, "max-transaction-age", dbcheck.DefaultMaxTransactionAge, "the ready-check waits while a transaction on blue is open longer than this")
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
