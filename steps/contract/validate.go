package contract

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// InputError is a problem with what the operator typed or chose: a flag
// value, a source that is not a primary, an impossible combination. Its
// message names the input and says what to pass instead, and ExitCode is
// ExitUsage (2) for flags and identifiers, or ExitPreflight (3) when AWS
// state makes the request impossible (e.g. not a valid upgrade target).
type InputError struct {
	Input    string `json:"input"`
	Message  string `json:"message"`
	ExitCode int    `json:"exit_code"`
}

func (e *InputError) Error() string { return e.Message }

func UsageError(input, format string, args ...any) *InputError {
	return &InputError{Input: input, Message: fmt.Sprintf(format, args...), ExitCode: ExitUsage}
}

func PreflightError(input, format string, args ...any) *InputError {
	return &InputError{Input: input, Message: fmt.Sprintf(format, args...), ExitCode: ExitPreflight}
}

// Patterns and limits from the RDS API model (rds-facts.md §1.1).
var (
	deploymentNamePattern = regexp.MustCompile(`^[a-zA-Z](?:-?[a-zA-Z0-9]+)*$`)
	instanceClassPattern  = regexp.MustCompile(`^db\.[0-9a-z]{2,6}\.[0-9a-z]{4,9}$`)
	engineVersionPattern  = regexp.MustCompile(`^[0-9A-Za-z_.-]+$`)
	// Parameter group names: a letter first, then letters, digits and
	// single hyphens, no trailing hyphen (the RDS naming rule).
	parameterGroupPattern = regexp.MustCompile(`^[a-zA-Z](?:-?[a-zA-Z0-9.]+)*$`)
)

// Switchover timeout bounds: the API enforces only the minimum; the user
// guides give the 3600 s maximum, which rdsbg enforces too (rds-facts §1.3).
const (
	MinSwitchoverTimeout = 30 * time.Second
	MaxSwitchoverTimeout = 3600 * time.Second
	MaxDeploymentName    = 60
)

// WithDefaults fills every unset option with its default. The default
// deployment name carries today's date (UTC). --upgrade-via stays empty
// when a target version is set: BuildPlan and Preflight pick it from the
// engine rules (ChooseUpgradeVia).
func (o Options) WithDefaults() Options { return o.WithDefaultsAt(time.Now()) }

// WithDefaultsAt is WithDefaults with the date of the default deployment
// name taken from now, so that tests and resumed runs are deterministic.
func (o Options) WithDefaultsAt(now time.Time) Options {
	if o.SwitchoverTimeout == 0 {
		o.SwitchoverTimeout = DefaultSwitchoverTimeout
	}
	if o.ProxyMode == "" {
		o.ProxyMode = ProxyModeAuto
	}
	// With a target version and no --upgrade-via, the engine rules choose
	// (ChooseUpgradeVia, applied by BuildPlan and Preflight once the
	// source is known): create, or modify where AWS refuses the upgrade at
	// creation.
	if o.UpgradeVia == "" && o.TargetEngineVersion == "" {
		o.UpgradeVia = UpgradeViaCreate
	}
	if o.Cleanup == "" {
		o.Cleanup = CleanupDeployment
	}
	if o.DeploymentName == "" {
		o.DeploymentName = DefaultDeploymentName(o.Source, now)
	}
	return o
}

// DefaultDeploymentName is "rdsbg-<source>-<yyyymmdd>" bent into the
// deployment name pattern: the resource name of an ARN, characters outside
// [a-zA-Z0-9] turned into single hyphens, and the source part shortened so
// the whole stays within 60 characters.
func DefaultDeploymentName(source string, now time.Time) string {
	if i := strings.LastIndex(source, ":"); i >= 0 {
		source = source[i+1:]
	}
	var b strings.Builder
	lastHyphen := true // drops leading hyphens
	for _, r := range source {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			lastHyphen = false
		} else if !lastHyphen {
			b.WriteByte('-')
			lastHyphen = true
		}
	}
	id := strings.TrimRight(b.String(), "-")
	suffix := "-" + now.UTC().Format("20060102")
	const prefix = "rdsbg-"
	if room := MaxDeploymentName - len(prefix) - len(suffix); len(id) > room {
		id = strings.TrimRight(id[:room], "-")
	}
	if id == "" {
		return strings.TrimSuffix(prefix, "-") + suffix
	}
	return prefix + id + suffix
}

// SourceRequired is the one refusal of a missing --source, whoever finds
// it missing: the command line's required flag, ValidateOptions, or the
// parsing of the source.
func SourceRequired() error {
	return UsageError("--source", "--source is required: pass the DB instance or Aurora cluster identifier or ARN (`rdsbg` lists them)")
}

// ValidateOptions checks the flags alone, before any AWS call. It runs
// once per run, where the engine is entered: Prepare (plan, iam-policy)
// and Engine.Run; BuildPlan trusts options that passed it. Checks that
// need the source (a cluster parameter group on an RDS instance, the proxy
// mode against the engine) happen in BuildPlan and Preflight.
func ValidateOptions(o Options) error {
	if strings.TrimSpace(o.Source) == "" {
		return SourceRequired()
	}
	if o.MaxProxyOutage < 0 {
		return UsageError("--max-proxy-outage", "--max-proxy-outage %s is negative: pass a duration such as 10m (the default)", o.MaxProxyOutage)
	}
	if o.SwitchoverTimeout != 0 && (o.SwitchoverTimeout < MinSwitchoverTimeout || o.SwitchoverTimeout > MaxSwitchoverTimeout) {
		return UsageError("--switchover-timeout", "--switchover-timeout %d is outside 30–3600 seconds (AWS default: 300)", int64(o.SwitchoverTimeout/time.Second))
	}
	if o.SwitchoverTimeout%time.Second != 0 {
		return UsageError("--switchover-timeout", "--switchover-timeout %s must be a whole number of seconds", o.SwitchoverTimeout)
	}
	if n := o.DeploymentName; n != "" {
		if !ValidDeploymentName(n) {
			return UsageError("--blue-green-deployment-name", "--blue-green-deployment-name %q is not a valid blue/green deployment name: 1–60 characters, a letter first, then letters, digits and single hyphens, no hyphen at the end", n)
		}
	}
	switch o.ProxyMode {
	case "", ProxyModeAuto, ProxyModeNative, ProxyModeDetach:
	default:
		return UsageError("--proxy-mode", "--proxy-mode %q is unknown: use auto, native or detach", o.ProxyMode)
	}
	switch o.UpgradeVia {
	case "", UpgradeViaCreate, UpgradeViaModify:
	default:
		return UsageError("--upgrade-via", "--upgrade-via %q is unknown: use create or modify", o.UpgradeVia)
	}
	switch o.Cleanup {
	case "", CleanupNone, CleanupDeployment, CleanupOldBlue:
	default:
		return UsageError("--cleanup", "--cleanup %q is unknown: use none, deployment or old-blue", o.Cleanup)
	}
	if c := o.TargetDBInstanceClass; c != "" && (len(c) < 5 || len(c) > 20 || !instanceClassPattern.MatchString(c)) {
		return UsageError("--target-db-instance-class", "--target-db-instance-class %q is not an instance class such as db.r6g.large", c)
	}
	if v := o.TargetEngineVersion; v != "" && (len(v) > 64 || !engineVersionPattern.MatchString(v)) {
		return UsageError("--target-engine-version", "--target-engine-version %q is not an engine version such as 16.4 or 8.0.39", v)
	}
	if g := o.TargetDBParameterGroupName; g != "" && (len(g) > 255 || !parameterGroupPattern.MatchString(g)) {
		return UsageError("--target-db-parameter-group-name", "--target-db-parameter-group-name %q is not a valid parameter group name", g)
	}
	if g := o.TargetDBClusterParameterGroupName; g != "" && (len(g) > 255 || !parameterGroupPattern.MatchString(g)) {
		return UsageError("--target-db-cluster-parameter-group-name", "--target-db-cluster-parameter-group-name %q is not a valid parameter group name", g)
	}
	if err := validateStorageOptions(o); err != nil { // storage_flags.go
		return err
	}
	if o.UpgradeVia == UpgradeViaModify && o.TargetEngineVersion == "" {
		return UsageError("--upgrade-via", "--upgrade-via modify needs --target-engine-version: there is nothing to upgrade green to")
	}
	return validateDBOptions(o) // dbchecks.go
}

// ValidDeploymentName: AWS accepts name as a blue/green deployment's name
// (rds-facts §1.1: 1–60 letters, digits and hyphens, a letter first, no
// hyphen at the end or twice in a row).
func ValidDeploymentName(name string) bool {
	return len(name) <= MaxDeploymentName && deploymentNamePattern.MatchString(name)
}
