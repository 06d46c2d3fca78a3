package steps

import (
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// BuildPlan turns a discovery and the options into the ordered steps. It
// is pure: same inputs, same plan. Options are completed with their
// defaults (dated by now); they have passed ValidateOptions where the run
// was entered (Prepare, Engine.Run), or come from a journal that did. It
// refuses, with an *InputError, option combinations that only the
// discovered source makes impossible.
func BuildPlan(d preflight.Discovery, o contract.Options, upgrade *awsclient.UpgradeTarget, now time.Time) (contract.Plan, error) {
	return stepTable().buildPlan(d, o, upgrade, now)
}

// buildPlan is BuildPlan over the rows t.
func (t stepRows) buildPlan(d preflight.Discovery, o contract.Options, upgrade *awsclient.UpgradeTarget, now time.Time) (contract.Plan, error) {
	if o.Source == "" {
		o.Source = d.Source.ID
	}
	o = o.WithDefaultsAt(now)
	if d.Source.Kind == contract.KindInstance && o.TargetDBClusterParameterGroupName != "" {
		return contract.Plan{}, contract.UsageError("--target-db-cluster-parameter-group-name", "--target-db-cluster-parameter-group-name applies to Aurora clusters only, and %s is an RDS DB instance: use --target-db-parameter-group-name", d.Source.ID)
	}
	if d.Source.Kind == contract.KindCluster && o.TargetDBInstanceClass != "" {
		return contract.Plan{}, contract.UsageError("--target-db-instance-class", "--target-db-instance-class applies to RDS DB instances only, and %s is an Aurora cluster: change member classes after switchover", d.Source.ID)
	}
	if d.Source.Kind == contract.KindCluster && o.UpgradeTargetStorageConfig {
		return contract.Plan{}, contract.UsageError("--upgrade-target-storage-config", "--upgrade-target-storage-config applies to RDS DB instances only, and %s is an Aurora cluster", d.Source.ID)
	}
	if err := checkStorageOptionsApply(d, o); err != nil {
		return contract.Plan{}, err
	}
	if err := preflight.CheckProxyMode(d, o.ProxyMode); err != nil {
		return contract.Plan{}, err
	}
	o = preflight.ResolveUpgradeVia(d, o, upgrade)
	regime, reason := preflight.ChooseRegime(d, o.ProxyMode)
	p := contract.Plan{
		Source:       d.Source,
		Options:      o,
		Regime:       regime,
		RegimeReason: reason,
		Proxies:      d.Proxies,
		MajorUpgrade: upgrade != nil && upgrade.Major,
		GeneratedAt:  now.UTC(),
	}
	if dep, ok := preflight.AdoptableDeployment(d, o.DeploymentName); ok {
		p.Deployment = dep.ID
	}
	b := planBuilder{d: d, o: o, upgrade: upgrade, regime: regime, cli: cliBuilder{region: d.Source.Region}, adopted: p.Deployment}
	p.Steps = t.steps(b)
	if regime == contract.RegimeDetach {
		p.ProxylessNote = proxylessNote(o.SwitchoverTimeout, o.ProxyOutageLimit())
	}
	if regime == contract.RegimeNative && o.ProxyMode == contract.ProxyModeAuto {
		fo := o
		fo.ProxyMode = contract.ProxyModeDetach
		if fb, err := t.buildPlan(d, fo, upgrade, now); err == nil {
			p.Fallback = &contract.FallbackPlan{Note: fallbackNote(o.SwitchoverTimeout, o.ProxyOutageLimit())}
			for _, s := range fb.Steps {
				if s.ID != contract.StepPreflight { // done before either plan
					p.Fallback.Steps = append(p.Fallback.Steps, s)
				}
			}
		}
	}
	return p, nil
}

// planBuilder is what a step's plan facet (step_<id>.go) reads: the
// discovery, the completed options and the regime. BuildPlan walks the step
// table with it.
type planBuilder struct {
	d       preflight.Discovery
	o       contract.Options
	upgrade *awsclient.UpgradeTarget
	regime  contract.Regime
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
		return []string{"BGD=" + contract.ShellQuote(b.adopted)}
	}
	return nil
}

// proxies names the proxies for a sentence: "proxy a", "proxies a and b".
func (b planBuilder) proxies() string { return contract.ProxyList(b.d.Proxies) }

// verb agrees with the number of proxies: "proxy a routes", "proxies a and b route".
func (b planBuilder) verb(one, many string) string {
	if len(b.d.Proxies) == 1 {
		return one
	}
	return many
}

// hasProxy: a proxy fronts the source, so the proxy steps are in the plan.
func (b planBuilder) hasProxy() bool { return b.regime != contract.RegimeNone }

// native: the proxy steps are checks; AWS moves the proxy itself.
func (b planBuilder) native() bool { return b.regime == contract.RegimeNative }

// critical: steps 5–7 form the critical section (detach regime).
func (b planBuilder) critical() bool { return b.regime == contract.RegimeDetach }

// upgradeAtCreate: the target engine version goes into the creation call.
func (b planBuilder) upgradeAtCreate() bool {
	return b.o.TargetEngineVersion != "" && b.o.UpgradeVia == contract.UpgradeViaCreate
}

// describeSource is the runbook line that reads the source.
func (b planBuilder) describeSource() string {
	src := b.d.Source
	return b.cli.rds("describe-db-"+src.KindPlural(), src.IdentifierFlag(), contract.ShellQuote(src.ID))
}

// membersPhrase is " with its 2 member instances" or "" when there are none.
func membersPhrase(src contract.Source) string {
	n := len(src.Members)
	switch {
	case n == 0:
		return ""
	case src.Kind == contract.KindCluster && n == 1:
		return " with its member instance"
	case src.Kind == contract.KindCluster:
		return fmt.Sprintf(" with its %d member instances", n)
	case n == 1:
		return " with its read replica"
	}
	return fmt.Sprintf(" with its %d read replicas", n)
}

// proxyCheck is a proxy step in the native regime: nothing changes, the
// proxy targets are read.
func (b planBuilder) proxyCheck(id contract.StepID, title, why, effect string) contract.PlannedStep {
	return contract.PlannedStep{ID: id, Title: title, Severity: contract.SeverityReadOnly, CheckOnly: true, Why: why, Effect: effect, CLI: b.each(b.cli.describeTargets)}
}

// withTargets adds the reads of every proxy's targets, when a proxy is in
// the plan.
func (b planBuilder) withTargets(lines []string) []string {
	if b.hasProxy() {
		lines = append(lines, b.each(b.cli.describeTargets)...)
	}
	return lines
}

// The order of the detach procedure (design.md §1, issue 11): detach-proxy
// → create-deployment (done once AWS accepted the creation) →
// attach-proxy-blue at once (blue serves production again while green is
// provisioning) → provision-green (the long wait) → … . Production's proxy
// is empty before the critical section only for the create call plus one
// registration, never for the whole provisioning.

// How long steps take on AWS, each with its source (rds-facts.md): the
// rows' onAWS trait (step.go), which the plan's notes and the
// wizard's rail both read. Operator text names public sources or none
// (walkthrough D17).

// registrationOnAWS: registering a proxy target to AVAILABLE, about 5
// minutes (SHINYAZ, an Aurora PostgreSQL cluster, April 2026) to 7 minutes
// (CNLAB, a new proxy); rds-facts §1.10, §4.7 and §5.5.
func registrationOnAWS() onAWS {
	return onAWS{short: "~5–7 min", lo: 5 * time.Minute, hi: 7 * time.Minute, cite: "measured twice, in public write-ups",
		source: "proxy target registration: about 5–7 min to AVAILABLE, measured twice (public write-ups)"}
}

// provisioningOnAWS: rds-facts §4.1: RDS MySQL ~12 min (CNLAB), Aurora
// PostgreSQL 16.9→17.6 ~30–32 min (SHINYAZ), create→delete gap of the API
// sample ~30 min.
func provisioningOnAWS() onAWS {
	return onAWS{short: "12–35+ min", lo: 12 * time.Minute, hi: 35 * time.Minute, cite: "public measurements",
		source: "green provisioning: ~12 min for a small RDS for MySQL instance, ~30–32 min for Aurora PostgreSQL with a major upgrade (public measurements)"}
}

// switchoverOnAWS: rds-facts §4.7: "typically under five seconds"
// single-Region since 2026-01-20 (AWS); 1.6 s and ~2 s measured; "under a
// minute" before.
func switchoverOnAWS() onAWS {
	return onAWS{short: "< 5 s", hi: 5 * time.Second, cite: "AWS, since January 2026",
		source: "switchover: typically under five seconds in one Region (AWS, since January 2026; measured 1.6–2 s), under a minute before"}
}

// detachOutageNote is the expected outage of detach-proxy, stated in its
// approval, in the plan's note and on the fallback to detach.
func detachOutageNote(proxies string, limit time.Duration) string {
	reg := registrationOnAWS()
	return fmt.Sprintf("The %s %s EMPTY from the deregistration until blue's target is AVAILABLE again: the create call plus proxy registration, about %s on AWS (%s). Green's provisioning (typically 12–35 minutes) happens afterwards, with the proxy serving blue. If AWS refuses to register blue while green is provisioning, rdsbg keeps retrying and, after --max-proxy-outage %s, deletes the deployment with its green and restores the proxy on blue.",
		proxies, isAre(proxies), minuteRange(reg.lo, reg.hi), reg.cite, limit)
}

// criticalOutageNote is the expected outage of the critical section.
func criticalOutageNote(timeout time.Duration) string {
	reg := registrationOnAWS()
	return fmt.Sprintf("Expected outage: the switchover up to its %s timeout, plus proxy registration of the new primary: up to about %s on AWS (registration %s, %s).",
		timeout, minuteRange(timeout+reg.lo, timeout+reg.hi), minuteRange(reg.lo, reg.hi), reg.cite)
}

// proxylessNote is Plan.ProxylessNote for the detach regime.
func proxylessNote(timeout, limit time.Duration) string {
	reg := registrationOnAWS()
	return fmt.Sprintf("In the detach regime applications that connect through the proxy lose it twice. First from detach-proxy until attach-proxy-blue's target is AVAILABLE, right after the creation call and before green's provisioning: the create call plus proxy registration, about %s on AWS (%s), bounded by --max-proxy-outage %s (then rdsbg rolls back). Second in the critical section, from detach-proxy-blue until attach-proxy-primary's target is AVAILABLE: the switchover (up to %s) plus proxy registration, up to about %s on AWS. Connect directly to the DB endpoint meanwhile, or use --proxy-mode native where AWS supports it.",
		minuteRange(reg.lo, reg.hi), reg.cite, limit,
		timeout, minuteRange(timeout+reg.lo, timeout+reg.hi))
}

// fallbackNote is the outage that comes if AWS refuses auto mode's native
// plan and the run falls back to the detach procedure.
func fallbackNote(timeout, limit time.Duration) string {
	reg := registrationOnAWS()
	return fmt.Sprintf("No API tells in advance whether AWS accepts the native regime. If it refuses the creation (before anything has changed), rdsbg offers the detach procedure (headless: --yes takes it, and its severe steps need --confirm): +2 proxy outage windows, about %s on AWS for the first and up to about %s for the critical section. %s",
		minuteRange(reg.lo, reg.hi), minuteRange(timeout+reg.lo, timeout+reg.hi), proxylessNote(timeout, limit))
}

func isAre(proxies string) string {
	for _, c := range proxies {
		if c == ',' {
			return "are"
		}
	}
	return "is"
}

// minuteRange is an estimate in whole minutes: "5–7 min".
func minuteRange(lo, hi time.Duration) string {
	m := func(d time.Duration) int { return int((d + 30*time.Second) / time.Minute) }
	if m(lo) == m(hi) {
		return fmt.Sprintf("%d min", m(lo))
	}
	return fmt.Sprintf("%d–%d min", m(lo), m(hi))
}

// The AWS CLI lines of the plan. They form a runbook an operator can paste
// into a POSIX shell: the deployment id travels in $BGD (set by the create
// line, or fixed for an adopted deployment) and green's identifier in
// $GREEN, because neither exists when the plan is made. The lines only
// one step uses live in its file (step_<id>.go); here are those several
// steps, compensation and abort share.

type cliBuilder struct {
	region string
}

func (c cliBuilder) rds(op string, args ...string) string {
	parts := append([]string{"aws", "rds", op, "--region", contract.ShellQuote(c.region)}, args...)
	return strings.Join(parts, " ")
}

// targetFlag is the identifier flag for a proxy target of this source.
func targetFlag(src contract.Source) string {
	if src.Kind == contract.KindCluster {
		return "--db-cluster-identifiers " + contract.ShellQuote(src.ID)
	}
	return "--db-instance-identifiers " + contract.ShellQuote(src.ID)
}

func (c cliBuilder) deregister(proxy string, src contract.Source) string {
	return c.rds("deregister-db-proxy-targets", "--db-proxy-name", contract.ShellQuote(proxy), "--target-group-name default", targetFlag(src))
}

func (c cliBuilder) register(proxy string, src contract.Source) string {
	return c.rds("register-db-proxy-targets", "--db-proxy-name", contract.ShellQuote(proxy), "--target-group-name default", targetFlag(src))
}

func (c cliBuilder) describeTargets(proxy string) string {
	return c.rds("describe-db-proxy-targets", "--db-proxy-name", contract.ShellQuote(proxy),
		"--query", contract.ShellQuote("Targets[].[RdsResourceId,Type,TargetHealth.State,TargetHealth.Reason]"), "--output text")
}

func (c cliBuilder) describeDeployment(query string) string {
	return c.rds("describe-blue-green-deployments", "--blue-green-deployment-identifier \"$BGD\"",
		"--query", contract.ShellQuote("BlueGreenDeployments[0]."+query), "--output text")
}

func (c cliBuilder) greenVar() string {
	return "GREEN=$(" + c.describeDeployment("Target") + ")"
}

// The newer storage options of CreateBlueGreenDeployment (SDK v1.91.0,
// rds-facts §1.1): TargetIops, TargetStorageType, TargetAllocatedStorage,
// TargetStorageThroughput. They change the green primary's storage and
// apply to RDS DB instances only ("This setting doesn't apply to Amazon
// Aurora blue/green deployments", SDK docs). rdsbg checks here only what
// the model and the SDK documentation state; sizes and IOPS ratios are
// AWS's to judge at creation.

// checkStorageOptionsApply refuses the options where they mean nothing:
// on an Aurora cluster, whose storage is the cluster volume.
func checkStorageOptionsApply(d preflight.Discovery, o contract.Options) error {
	if d.Source.Kind != contract.KindCluster || !o.HasStorageOptions() {
		return nil
	}
	flag := contract.StorageFlagValues(o)[0][0] // the first set, in flag order
	return contract.UsageError(flag, "%s applies to RDS DB instances only, and %s is an Aurora cluster (its storage is the cluster volume): leave the storage flags out", flag, d.Source.ID)
}

// withStorageOptions copies the four options into the create call.
func withStorageOptions(in awsclient.CreateDeploymentInput, o contract.Options) awsclient.CreateDeploymentInput {
	in.TargetStorageType = o.TargetStorageType
	in.TargetAllocatedStorage = o.TargetAllocatedStorage
	in.TargetIops = o.TargetIops
	in.TargetStorageThroughput = o.TargetStorageThroughput
	return in
}

// storageCLIArgs are the options as create-blue-green-deployment flags
// (the AWS CLI's names are rdsbg's).
func storageCLIArgs(o contract.Options) []string {
	var args []string
	for _, fv := range contract.StorageFlagValues(o) {
		args = append(args, fv[0], contract.ShellQuote(fv[1]))
	}
	return args
}

// saveRunbook writes the plan as a markdown runbook beside the journal, so
// the summary can say where the change ticket's text is. It is rewritten
// whenever the plan changes (regime fallback, resume) and at the finish.
// A failure to write it is not a reason to stop a run: it returns "".
func (r *run) saveRunbook() string {
	if r.journal == nil || len(r.plan.Steps) == 0 {
		return ""
	}
	path := strings.TrimSuffix(r.journal.Path(), ".journal.jsonl") + ".runbook.md"
	if err := journal.WriteFileAtomic(path, []byte(RenderMarkdown(r.plan))); err != nil {
		return ""
	}
	return path
}

// rollbackNotes say how to undo each phase by hand: one note for each way
// the plan's changes are undone (the rows' undo trait): the deletion that
// undoes everything before the switchover, the registration that ends an
// outage, then what AWS does with the switchover.
func rollbackNotes(p contract.Plan) []string {
	c := cliBuilder{region: p.Source.Region}
	undone := map[undo]bool{}
	for _, def := range stepTable() {
		if ps, ok := p.Step(def.id); ok && !ps.CheckOnly {
			undone[def.undo] = true
		}
	}
	var notes []string
	for _, u := range []undo{undoneByDeleting, undoneByRegistering, undoneByAWS} {
		if !undone[u] {
			continue
		}
		switch u {
		case undoneByDeleting:
			notes = append(notes, "Before switchover blue is still the production database: delete the deployment and its green resources with `"+
				c.rds("delete-blue-green-deployment", "--blue-green-deployment-identifier \"$BGD\"", "--delete-target")+"` (or `rdsbg abort --source "+p.Source.ID+"`).")
		case undoneByRegistering:
			var regs []string
			for _, r := range p.Proxies {
				regs = append(regs, "`"+c.register(r.Proxy, p.Source)+"`")
			}
			notes = append(notes, "If the run stops while a proxy has no target, register the original target again: "+strings.Join(regs, "; ")+".")
		case undoneByAWS:
			notes = append(notes, fmt.Sprintf("A switchover that fails or exceeds %d s is rolled back by AWS: blue keeps its names and stays primary.", int64(p.Options.SwitchoverTimeout/time.Second)))
			notes = append(notes, "After a completed switchover there is no switch back: the old blue (`-old1`) stops replicating. Recovery means a new blue/green from the new primary, or restoring from the old blue or its snapshot.")
		}
	}
	return notes
}

// RenderMarkdown is the plan as a markdown runbook, with the rollback notes
// its steps' rows give.
func RenderMarkdown(p contract.Plan) string { return contract.MarkdownRunbook(p, rollbackNotes(p)) }
