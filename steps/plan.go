package steps

import (
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// ChooseUpgradeVia is the --upgrade-via an operator who left the flag
// unset should get: create, except for RDS MySQL with a custom option
// group and a major upgrade, which AWS only allows by modifying green after
// creation (rds-facts §1.12). BuildPlan and Preflight apply it when the
// flag was not given.
func ChooseUpgradeVia(d Discovery, upgrade *awsclient.UpgradeTarget) UpgradeVia {
	if upgrade != nil && upgrade.Major && d.Instance != nil && d.Source.Engine == "mysql" && hasCustomOptionGroup(*d.Instance) {
		return UpgradeViaModify
	}
	return UpgradeViaCreate
}

func hasCustomOptionGroup(inst awsclient.Instance) bool {
	for _, g := range inst.OptionGroups {
		if !strings.HasPrefix(g, "default:") {
			return true
		}
	}
	return false
}

// resolveUpgradeVia fills an unset --upgrade-via from the engine rules.
func resolveUpgradeVia(d Discovery, o Options, upgrade *awsclient.UpgradeTarget) Options {
	if o.UpgradeVia == "" {
		o.UpgradeVia = ChooseUpgradeVia(d, upgrade)
	}
	return o
}

// AdoptableDeployment returns the existing deployment rdsbg should carry on
// with: one for this source whose name is the run's deployment name and
// that is not being deleted. Any other deployment blocks the run
// (Preflight reports it).
func AdoptableDeployment(d Discovery, name string) (awsclient.Deployment, bool) {
	for _, dep := range d.Deployments {
		if strings.EqualFold(dep.Name, name) && dep.Status != "DELETING" {
			return dep, true
		}
	}
	return awsclient.Deployment{}, false
}

// BuildPlan turns a discovery and the options into the ordered steps. It
// is pure: same inputs, same plan. Options are completed with their
// defaults (dated by now). It refuses, with an *InputError, option
// combinations that only the discovered source makes impossible.
func BuildPlan(d Discovery, o Options, upgrade *awsclient.UpgradeTarget, now time.Time) (Plan, error) {
	if o.Source == "" {
		o.Source = d.Source.ID
	}
	o = o.WithDefaultsAt(now)
	if err := ValidateOptions(o); err != nil {
		return Plan{}, err
	}
	if d.Source.Kind == KindInstance && o.TargetDBClusterParameterGroupName != "" {
		return Plan{}, usageError("--target-db-cluster-parameter-group-name", "--target-db-cluster-parameter-group-name applies to Aurora clusters only, and %s is an RDS DB instance: use --target-db-parameter-group-name", d.Source.ID)
	}
	if d.Source.Kind == KindCluster && o.TargetDBInstanceClass != "" {
		return Plan{}, usageError("--target-db-instance-class", "--target-db-instance-class applies to RDS DB instances only, and %s is an Aurora cluster: change member classes after switchover", d.Source.ID)
	}
	if d.Source.Kind == KindCluster && o.UpgradeTargetStorageConfig {
		return Plan{}, usageError("--upgrade-target-storage-config", "--upgrade-target-storage-config applies to RDS DB instances only, and %s is an Aurora cluster", d.Source.ID)
	}
	if err := checkStorageOptionsApply(d, o); err != nil { // storage_options.go
		return Plan{}, err
	}
	if err := CheckProxyMode(d, o.ProxyMode); err != nil {
		return Plan{}, err
	}
	o = resolveUpgradeVia(d, o, upgrade)
	regime, reason := ChooseRegime(d, o.ProxyMode)
	p := Plan{
		Source:       d.Source,
		Options:      o,
		Regime:       regime,
		RegimeReason: reason,
		Proxies:      d.Proxies,
		MajorUpgrade: upgrade != nil && upgrade.Major,
		GeneratedAt:  now.UTC(),
	}
	if dep, ok := AdoptableDeployment(d, o.DeploymentName); ok {
		p.Deployment = dep.ID
	}
	b := planBuilder{d: d, o: o, upgrade: upgrade, regime: regime, cli: cliBuilder{region: d.Source.Region}, adopted: p.Deployment}
	p.Steps = b.steps()
	if regime == RegimeDetach {
		p.ProxylessNote = proxylessNote(o.SwitchoverTimeout, o.maxProxyOutage())
	}
	return p, nil
}

type planBuilder struct {
	d       Discovery
	o       Options
	upgrade *awsclient.UpgradeTarget
	regime  Regime
	cli     cliBuilder
	adopted string
}

func (b planBuilder) proxyNames() []string {
	var out []string
	for _, r := range b.d.Proxies {
		out = append(out, r.Proxy)
	}
	return out
}

func (b planBuilder) each(f func(proxy string) string) []string {
	var out []string
	for _, p := range b.proxyNames() {
		out = append(out, f(p))
	}
	return out
}

func (b planBuilder) bgdLine() []string {
	if b.adopted != "" {
		return []string{"BGD=" + shellQuote(b.adopted)}
	}
	return nil
}

func (b planBuilder) steps() []PlannedStep {
	src := b.d.Source
	proxies := proxyList(b.d.Proxies)
	// verb agrees with the number of proxies: "proxy a routes", "proxies a and b route"
	verb := func(one, many string) string {
		if len(b.d.Proxies) == 1 {
			return one
		}
		return many
	}
	hasProxy := b.regime != RegimeNone
	native := b.regime == RegimeNative
	upgradeAtCreate := b.o.TargetEngineVersion != "" && b.o.UpgradeVia == UpgradeViaCreate
	var steps []PlannedStep

	steps = append(steps, PlannedStep{
		ID: StepPreflight, Title: "Preflight checks", Severity: SeverityReadOnly,
		Why:    "Blue/green creation fails late (after minutes of provisioning) on problems that can be seen now: engine version, backups, parameter groups, replication settings, proxy health.",
		Effect: "Nothing changes; every check is a read.",
		CLI: append([]string{
			"aws sts get-caller-identity",
			b.cli.rds("describe-db-"+kindPlural(src), identifierFlag(src), shellQuote(src.ID)),
		}, b.each(b.cli.describeTargets)...),
	})

	if hasProxy {
		if native {
			steps = append(steps, PlannedStep{
				ID: StepDetachProxy, Title: "Check the proxy targets before creation", Severity: SeverityReadOnly, CheckOnly: true,
				Why:    "Native proxy support needs the database registered with the proxy before the deployment is created; it cannot be registered afterwards.",
				Effect: fmt.Sprintf("Nothing changes; the %s must show %s AVAILABLE.", proxies, src.ID),
				CLI:    b.each(b.cli.describeTargets),
			})
		} else {
			steps = append(steps, PlannedStep{
				ID: StepDetachProxy, Title: "Deregister the database from its proxies", Severity: SeveritySevere,
				Why:    "Without native proxy support AWS refuses to create a blue/green deployment for a database that is a proxy target.",
				Effect: fmt.Sprintf("The %s no longer %s to %s until attach-proxy-blue, which registers it again as soon as AWS has accepted the creation, without another prompt; the original registrations are journaled so they can be restored. %s", proxies, verb("routes", "route"), src.ID, detachOutageNote(proxies, b.o.maxProxyOutage())),
				CLI:    b.each(func(p string) string { return b.cli.deregister(p, src) }),
			})
		}
	}

	createCLI := b.bgdLine()
	if b.adopted == "" {
		createCLI = append(createCLI, b.cli.createDeployment(src, b.o, upgradeAtCreate))
	}
	if b.adopted != "" {
		createCLI = append(createCLI, b.cli.describeDeployment("[Status,StatusDetails]"))
	}
	createEffect := fmt.Sprintf("AWS starts building a green copy of %s%s, named %s-green-xxxxxx and kept in sync with blue; production is untouched. The step is done as soon as AWS has accepted the creation; provision-green waits for green.", src.ID, membersPhrase(src), src.ID)
	if upgradeAtCreate {
		createEffect += fmt.Sprintf(" Green is created on %s %s.", src.Engine, b.o.TargetEngineVersion)
	}
	if b.adopted != "" {
		createEffect = fmt.Sprintf("Deployment %s (%s) already exists: rdsbg carries on with it.", b.adopted, b.o.DeploymentName)
	}
	steps = append(steps, PlannedStep{
		ID: StepCreateDeployment, Title: fmt.Sprintf("Create blue/green deployment %s", b.o.DeploymentName), Severity: SeverityReversible,
		Why:    "The green environment is where the change happens while blue keeps serving production.",
		Effect: createEffect,
		CLI:    createCLI,
	})

	if hasProxy {
		if native {
			steps = append(steps, PlannedStep{
				ID: StepAttachProxyBlue, Title: "Check the proxy still serves blue", Severity: SeverityReadOnly, CheckOnly: true,
				Why:    "The proxy must keep its healthy target on blue while green is built.",
				Effect: fmt.Sprintf("Nothing changes; the %s must show %s AVAILABLE.", proxies, src.ID),
				CLI:    b.each(b.cli.describeTargets),
			})
		} else {
			steps = append(steps, PlannedStep{
				ID: StepAttachProxyBlue, Title: "Register the proxies with blue again", Severity: SeverityReversible,
				Why:    "Production traffic through the proxy resumes on blue at once, while green is still provisioning: the proxy is empty only for the create call plus this registration.",
				Effect: fmt.Sprintf("The %s %s to %s again once the target is AVAILABLE. If AWS refuses the registration, rdsbg retries every %s; after --max-proxy-outage %s it deletes the deployment with its green and restores the original targets.", proxies, verb("routes", "route"), src.ID, DefaultPollPolicy().Slow, b.o.maxProxyOutage()),
				CLI: append(b.each(func(p string) string { return b.cli.register(p, src) }),
					b.each(func(p string) string { return b.cli.describeTargets(p) + "   # repeat until AVAILABLE" })...),
			})
		}
	}

	steps = append(steps, provisionGreenStep(src, b.regime, b.adopted, b.cli))

	if b.o.TargetEngineVersion != "" && b.o.UpgradeVia == UpgradeViaModify {
		major := b.upgrade != nil && b.upgrade.Major
		kind := "minor"
		if major {
			kind = "major"
		}
		steps = append(steps, PlannedStep{
			ID: StepUpgradeGreen, Title: fmt.Sprintf("Upgrade green to %s %s", src.Engine, b.o.TargetEngineVersion), Severity: SeverityReversible,
			Why:    "The upgrade could not be requested at creation (--upgrade-via modify), so green is upgraded in place; blue is untouched.",
			Effect: fmt.Sprintf("Green's engine goes from %s to %s (a %s upgrade) with a restart of green only.", src.EngineVersion, b.o.TargetEngineVersion, kind),
			CLI:    append(b.bgdLine(), b.cli.greenVar(), b.cli.modifyGreen(src, b.o, major)),
		})
	}

	readyCLI := append(b.bgdLine(), b.cli.describeDeployment("[Status,Tasks]"))
	if hasProxy {
		readyCLI = append(readyCLI, b.each(b.cli.describeTargets)...)
	}
	steps = append(steps, PlannedStep{
		ID: StepReadyCheck, Title: "Check green is ready for switchover", Severity: SeverityReadOnly,
		Why:    "The last gate before production is touched: the deployment must be AVAILABLE with every task COMPLETED, and the proxy healthy.",
		Effect: "Nothing changes.",
		CLI:    readyCLI,
	})

	critical := b.regime == RegimeDetach
	if hasProxy {
		if native {
			steps = append(steps, PlannedStep{
				ID: StepDetachProxyBlue, Title: "Check the proxy before switchover", Severity: SeverityReadOnly, CheckOnly: true,
				Why:    "AWS checks at switchover that the proxy can reach both environments; a target that is not AVAILABLE now would make it refuse.",
				Effect: "Nothing changes; the proxy stays registered and AWS moves it at switchover.",
				CLI:    b.each(b.cli.describeTargets),
			})
		} else {
			steps = append(steps, PlannedStep{
				ID: StepDetachProxyBlue, Title: "Deregister the proxies from blue", Severity: SeveritySevere, Critical: critical,
				Why:    "Blue loses its name at switchover; the proxy must be moved to the new primary by hand, so it is taken off blue first.",
				Effect: fmt.Sprintf("Start of the proxy-less window: the %s %s no target until attach-proxy-primary.", proxies, verb("has", "have")),
				CLI:    b.each(func(p string) string { return b.cli.deregister(p, src) }),
			})
		}
	}

	swEffect := fmt.Sprintf("Writes stop on both environments, green catches up, green takes the names of %s and its members, blue becomes %s-old1. AWS rolls everything back if it takes longer than %d s.", src.ID, src.ID, int64(b.o.SwitchoverTimeout.Seconds()))
	if native {
		swEffect += " The proxy drops its client connections and follows the new primary."
	}
	steps = append(steps, PlannedStep{
		ID: StepSwitchover, Title: "Switch over to green", Severity: SeveritySevere, Critical: critical,
		Why:    "This is the change itself: production moves to the green environment.",
		Effect: swEffect,
		CLI:    append(b.bgdLine(), b.cli.switchover(b.o), b.cli.describeDeployment("[Status,SwitchoverDetails]")+"   # repeat until SWITCHOVER_COMPLETED"),
	})

	if hasProxy {
		if native {
			steps = append(steps, PlannedStep{
				ID: StepAttachProxyPrimary, Title: "Wait for the proxy on the new primary", Severity: SeverityReadOnly, CheckOnly: true,
				Why:    "AWS moves the proxy itself; the run is not done until the proxy shows the new primary AVAILABLE.",
				Effect: "Nothing changes.",
				CLI:    b.each(b.cli.describeTargets),
			})
		} else {
			steps = append(steps, PlannedStep{
				ID: StepAttachProxyPrimary, Title: "Register the proxies with the new primary", Severity: SeveritySevere, Critical: critical,
				Why:    fmt.Sprintf("After switchover %s is the upgraded green; the proxy must point at it again.", src.ID),
				Effect: fmt.Sprintf("End of the proxy-less window once the %s %s %s AVAILABLE.", proxies, verb("shows", "show"), src.ID),
				CLI: append(b.each(func(p string) string { return b.cli.register(p, src) }),
					b.each(b.cli.describeTargets)...),
			})
		}
	}

	verifyCLI := append(b.bgdLine(), b.cli.describeDeployment("Status"),
		b.cli.rds("describe-db-"+kindPlural(src), identifierFlag(src), shellQuote(src.ID)))
	if hasProxy {
		verifyCLI = append(verifyCLI, b.each(b.cli.describeTargets)...)
	}
	steps = append(steps, PlannedStep{
		ID: StepVerify, Title: "Verify the new primary", Severity: SeverityReadOnly,
		Why:    "Confirms the switchover completed, the production name runs the new engine version and the proxy is healthy on it.",
		Effect: "Nothing changes.",
		CLI:    verifyCLI,
	})

	switch b.o.Cleanup {
	case CleanupDeployment:
		steps = append(steps, PlannedStep{
			ID: StepCleanup, Title: "Delete the deployment object", Severity: SeverityReversible,
			Why:    "The finished deployment is only bookkeeping; deleting it keeps both the new primary and the -old1 resources.",
			Effect: "The deployment disappears; the old blue (-old1) resources keep running (and costing) until you delete them. On Aurora, deleting the deployment lifts old blue's read-only guard.",
			CLI:    append(b.bgdLine(), b.cli.deleteDeployment()),
		})
	case CleanupOldBlue:
		steps = append(steps, PlannedStep{
			ID: StepCleanup, Title: "Delete the deployment and the old blue resources", Severity: SeveritySevere,
			Why:    "The -old1 environment is no longer production and keeps costing money; deleting it (with a final snapshot) finishes the change.",
			Effect: b.oldBlueEffect(),
			CLI:    append(b.bgdLine(), b.cli.deleteOldBlue(src, b.deletionProtection())...),
		})
	}
	return steps
}

func (b planBuilder) deletionProtection() bool {
	if b.d.Cluster != nil {
		return b.d.Cluster.DeletionProtection
	}
	return b.d.Instance != nil && b.d.Instance.DeletionProtection
}

func kindPlural(src Source) string {
	if src.Kind == KindCluster {
		return "clusters"
	}
	return "instances"
}

func identifierFlag(src Source) string {
	if src.Kind == KindCluster {
		return "--db-cluster-identifier"
	}
	return "--db-instance-identifier"
}

// membersPhrase is " with its 2 member instances" or "" when there are none.
func membersPhrase(src Source) string {
	n := len(src.Members)
	switch {
	case n == 0:
		return ""
	case src.Kind == KindCluster && n == 1:
		return " with its member instance"
	case src.Kind == KindCluster:
		return fmt.Sprintf(" with its %d member instances", n)
	case n == 1:
		return " with its read replica"
	}
	return fmt.Sprintf(" with its %d read replicas", n)
}

func (b planBuilder) oldBlueEffect() string {
	src := b.d.Source
	what := fmt.Sprintf("DB instance %s-old1", src.ID)
	if src.Kind == KindCluster {
		what = fmt.Sprintf("DB cluster %s-old1 and its member instances", src.ID)
	} else if len(src.Members) > 0 {
		what += " and its read replicas"
	}
	s := fmt.Sprintf("The deployment and the %s are deleted; a final snapshot %s is kept.", what, FinalSnapshotID(src.ID+"-old1"))
	if b.deletionProtection() {
		s += " Deletion protection on the old blue is turned off first."
	}
	return s
}
