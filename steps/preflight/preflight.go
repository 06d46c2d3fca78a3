package preflight

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Check ids: stable, they appear in --output json and in tests.
const (
	CheckIdentity             = "identity"
	CheckSourceAvailable      = "source-available"
	CheckEngineVersion        = "engine-version"
	CheckMultiAZCluster       = "multi-az-cluster"
	CheckManagedPassword      = "managed-master-password"
	CheckBackups              = "backups"
	CheckParameterGroupSync   = "parameter-groups-in-sync"
	CheckUpgradeTarget        = "upgrade-target"
	CheckUpgradePath          = "upgrade-path"
	CheckTargetParameterGroup = "target-parameter-group"
	CheckReplication          = "replication-prerequisites"
	CheckExistingDeployment   = "existing-deployment"
	CheckDeploymentName       = "deployment-name"
	CheckProxyHealth          = "proxy-health"
	CheckRegime               = "proxy-regime"
	CheckGlobalCluster        = "global-cluster"
	CheckSwitchoverTimeout    = "switchover-timeout"
	CheckDeletionProtection   = "deletion-protection"
)

// Blocked is true when any check failed: the run must not start.
func Blocked(checks []contract.CheckResult) bool {
	for _, c := range checks {
		if c.Status == contract.CheckFail {
			return true
		}
	}
	return false
}

// UpgradeTargets lists the versions engine/version can be upgraded to,
// as the engine version catalogue says.
func UpgradeTargets(ctx context.Context, api awsclient.EngineVersions, engine, version string) ([]awsclient.UpgradeTarget, error) {
	ev, err := api.DescribeEngineVersion(ctx, engine, version)
	if err != nil {
		return nil, fmt.Errorf("describe engine version %s %s: %w", engine, version, err)
	}
	return ev.UpgradeTargets, nil
}

// ResolveUpgrade checks --target-engine-version against the catalogue. It
// returns nil when no target version was asked for, and an *InputError
// (exit 3) listing the valid targets when the version is not one of them.
func ResolveUpgrade(ctx context.Context, api awsclient.EngineVersions, d Discovery, o contract.Options) (*awsclient.UpgradeTarget, error) {
	want := o.TargetEngineVersion
	if want == "" {
		return nil, nil
	}
	src := d.Source
	if want == src.EngineVersion {
		return nil, contract.PreflightError("--target-engine-version", "--target-engine-version %s: %s already runs %s %s; leave the flag out for a blue/green without upgrade", want, src.ID, src.Engine, want)
	}
	targets, err := UpgradeTargets(ctx, api, src.Engine, src.EngineVersion)
	if awsclient.IsNotFound(err) {
		return nil, contract.PreflightError("--target-engine-version", "the engine catalogue has no %s %s (the version of %s), so no upgrade target can be checked", src.Engine, src.EngineVersion, src.ID)
	}
	if _, ok := awsclient.Unavailable(err); ok {
		// Degrade: CreateBlueGreenDeployment checks the target itself
		// (degrade.go); the preflight row says so.
		return unverifiedUpgrade(src.Engine, src.EngineVersion, want, err), nil
	}
	if err != nil && ctx.Err() == nil {
		return nil, contract.PreflightError("--target-engine-version", "could not read the engine catalogue to check --target-engine-version %s: %v; nothing was changed", want, err)
	}
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if t.Version == want {
			t := t
			return &t, nil
		}
	}
	var valid []string
	for _, t := range targets {
		valid = append(valid, t.Version)
	}
	list := "none"
	if len(valid) > 0 {
		list = strings.Join(valid, ", ")
	}
	return nil, contract.PreflightError("--target-engine-version", "--target-engine-version %s is not a valid upgrade target for %s %s (%s); valid targets: %s", want, src.Engine, src.EngineVersion, src.ID, list)
}

// version is a dotted engine version's leading numbers.
type version []int

func parseVersion(s string) version {
	var v version
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			break
		}
		v = append(v, n)
	}
	return v
}

func (v version) at(i int) int {
	if i < len(v) {
		return v[i]
	}
	return 0
}

// atLeast compares major.minor[.patch] with the minimum for the same major.
func (v version) atLeast(major, minor int) bool {
	return v.at(0) > major || (v.at(0) == major && v.at(1) >= minor)
}

// pgLogicalMinimum: per PostgreSQL major, the first minor that supports
// logical replication in blue/green: RDS for PostgreSQL needs it for a
// major upgrade through blue/green, Aurora PostgreSQL for blue/green at
// all. Source: the RDS user guide, "Replication types" of blue/green
// (16.1, 15.4, 14.9, 13.12, 12.16, 11.21) and the Aurora user guide's
// blue/green feature page (17.4 and the same list), rds-facts §4.1, §5.1.
// Majors above the table are newer than the rule and need no minimum;
// below it, unsupported.
var pgLogicalMinimum = map[int]int{11: 21, 12: 16, 13: 12, 14: 9, 15: 4, 16: 1, 17: 4}

func pgLogicalOK(v version) (bool, string) {
	m, ok := pgLogicalMinimum[v.at(0)]
	if !ok {
		return v.at(0) > 17, "11.21, 12.16, 13.12, 14.9, 15.4, 16.1 or 17.4"
	}
	return v.at(1) >= m, fmt.Sprintf("%d.%d", v.at(0), m)
}

// Which versions exist, and what they upgrade to, is the engine catalogue's
// (DescribeDBEngineVersions), read at every preflight: no list of versions
// is kept here. What stays in code are the blue/green rules AWS states per
// engine, each with its source (the user guides' "Supported Regions and DB
// engines for Blue/Green Deployments" pages, read 2026-12; rds-facts §5.1):
//
//   - RDS for MySQL from 5.7, except 8.0.11–8.0.13;
//   - RDS for MariaDB from 10.2;
//   - RDS for PostgreSQL from 11.1;
//   - Aurora MySQL, every version;
//   - Aurora PostgreSQL from the minimums of pgLogicalMinimum;
//   - no other engine (SQL Server, Oracle, Db2, RDS Custom).
//
// newestDocumentedMajor is the newest major those pages list per engine. It
// decides nothing while the catalogue can be read; when it cannot (a
// denied permission, an endpoint without the action), a newer major is
// not refused but warned about, since AWS validates the source when the
// deployment is created.
var newestDocumentedMajor = map[string]string{
	"mysql":             "8.4",
	"mariadb":           "12.3",
	"postgres":          "18",
	"aurora-mysql":      "8.0",
	"aurora-postgresql": "17",
}

// majorOf is the engine's major version of v: two numbers for MySQL,
// MariaDB and Aurora MySQL (8.0, 10.11, 12.3), one for PostgreSQL.
func majorOf(engine string, v version) version {
	switch engine {
	case "mysql", "mariadb", "aurora-mysql":
		return version{v.at(0), v.at(1)}
	}
	return version{v.at(0)}
}

// newerThan compares two majors of the same shape.
func (v version) newerThan(o version) bool {
	for i := 0; i < len(v) || i < len(o); i++ {
		if v.at(i) != o.at(i) {
			return v.at(i) > o.at(i)
		}
	}
	return false
}

// blueGreenRules applies the rules above to engine and version; why says
// what fails.
func blueGreenRules(engine, ver string) (bool, string) {
	v := parseVersion(ver)
	switch engine {
	case "mysql":
		switch {
		case v.at(0) == 8 && v.at(1) == 0 && v.at(2) >= 11 && v.at(2) <= 13:
			return false, "MySQL 8.0.11–8.0.13 are excluded from blue/green; upgrade blue to a later 8.0 minor first"
		case v.atLeast(5, 7):
			return true, ""
		}
		return false, "blue/green supports RDS for MySQL from 5.7"
	case "mariadb":
		if v.atLeast(10, 2) {
			return true, ""
		}
		return false, "blue/green supports RDS for MariaDB from 10.2"
	case "postgres":
		if v.atLeast(11, 1) {
			return true, ""
		}
		return false, "blue/green supports RDS for PostgreSQL from 11.1"
	case "aurora-mysql":
		return true, ""
	case "aurora-postgresql":
		if ok, min := pgLogicalOK(v); !ok {
			return false, "blue/green supports Aurora PostgreSQL from " + min
		}
		return true, ""
	}
	for _, p := range []string{"sqlserver", "oracle", "db2", "custom-"} {
		if strings.HasPrefix(engine, p) {
			return false, "blue/green does not support " + engine
		}
	}
	return false, "blue/green does not list engine " + engine
}

type preflight struct {
	api     awsclient.API
	d       Discovery
	o       contract.Options
	upgrade *awsclient.UpgradeTarget
	checks  []contract.CheckResult
}

func (p *preflight) add(id, title string, status contract.CheckStatus, explanation, remediation string) {
	p.checks = append(p.checks, contract.CheckResult{ID: id, Title: title, Status: status, Explanation: explanation, Remediation: remediation})
}

// Preflight runs every read-only check of issue 5 and returns one row per
// check, in a fixed order. It never changes anything. Options are taken
// with their defaults.
func Preflight(ctx context.Context, api awsclient.API, d Discovery, o contract.Options, upgrade *awsclient.UpgradeTarget) []contract.CheckResult {
	if o.Source == "" {
		o.Source = d.Source.ID
	}
	o = o.WithDefaults()
	if o.UpgradeVia == "" && upgrade == nil && o.TargetEngineVersion != "" {
		// Resolve the target here so the engine rules can pick the
		// method; a bad version is reported by the upgrade-target row.
		upgrade, _ = ResolveUpgrade(ctx, api, d, o)
	}
	o = ResolveUpgradeVia(d, o, upgrade)
	p := &preflight{api: api, d: d, o: o, upgrade: upgrade}
	p.identity()
	p.sourceAvailable()
	p.engineVersion(ctx)
	p.multiAZCluster()
	p.managedPassword()
	p.backups()
	p.parameterGroupsInSync()
	p.upgradeTarget(ctx)
	p.upgradePath()
	p.targetParameterGroups(ctx)
	p.replication(ctx)
	p.existingDeployment()
	p.deploymentName(ctx)
	p.proxyHealth()
	p.regime()
	p.switchoverTimeout()
	p.deletionProtection()
	return p.checks
}

func (p *preflight) identity() {
	const title = "AWS identity"
	if p.d.Identity.Account == "" {
		p.add(CheckIdentity, title, contract.CheckFail, "The caller identity could not be resolved.", "aws sts get-caller-identity --profile <profile>")
		return
	}
	p.add(CheckIdentity, title, contract.CheckPass, fmt.Sprintf("Account %s as %s, Region %s.", p.d.Identity.Account, p.d.Identity.ARN, p.d.Source.Region), "")
}

func (p *preflight) sourceStatus() string {
	if p.d.Cluster != nil {
		return p.d.Cluster.Status
	}
	if p.d.Instance != nil {
		return p.d.Instance.Status
	}
	return ""
}

func (p *preflight) sourceAvailable() {
	const title = "Source is a primary and available"
	src := p.d.Source
	if st := p.sourceStatus(); st != "available" {
		p.add(CheckSourceAvailable, title, contract.CheckFail, fmt.Sprintf("%s is %q; blue/green needs it available.", src.ID, st), fmt.Sprintf("wait until %s is available (aws rds describe-db-%s %s %s)", src.ID, src.KindPlural(), src.IdentifierFlag(), src.ID))
		return
	}
	var busy []string
	for _, m := range p.d.Members {
		if m.Status != "available" {
			busy = append(busy, fmt.Sprintf("%s is %s", m.ID, m.Status))
		}
	}
	if len(busy) > 0 {
		p.add(CheckSourceAvailable, title, contract.CheckFail, fmt.Sprintf("%s is available but %s.", src.ID, strings.Join(busy, ", ")), "wait until every replica or member is available")
		return
	}
	p.add(CheckSourceAvailable, title, contract.CheckPass, fmt.Sprintf("%s %s is available with %d replicas or members.", src.Kind, src.ID, len(p.d.Members)), "")
}

func (p *preflight) engineVersion(ctx context.Context) {
	const title = "Engine version supports blue/green"
	src := p.d.Source
	if ok, why := blueGreenRules(src.Engine, src.EngineVersion); !ok {
		p.add(CheckEngineVersion, title, contract.CheckFail, fmt.Sprintf("%s runs %s %s: %s.", src.ID, src.Engine, src.EngineVersion, why), "upgrade blue to a supported version first, or use another upgrade method")
		return
	}
	ev, err := p.api.DescribeEngineVersion(ctx, src.Engine, src.EngineVersion)
	switch {
	case err == nil:
		status := ""
		if ev.Status != "" && ev.Status != "available" {
			status = " (" + ev.Status + ")"
		}
		p.add(CheckEngineVersion, title, contract.CheckPass, fmt.Sprintf("%s %s supports blue/green; AWS's engine catalogue lists it%s.", src.Engine, src.EngineVersion, status), "")
		return
	case awsclient.IsNotFound(err):
		p.add(CheckEngineVersion, title, contract.CheckWarn, fmt.Sprintf("AWS's engine catalogue in %s does not list %s %s, the version %s runs; AWS checks the source when the deployment is created, and a refusal there changes nothing.", src.Region, src.Engine, src.EngineVersion, src.ID),
			fmt.Sprintf("aws rds describe-db-engine-versions --region %s --engine %s --engine-version %s --include-all", src.Region, src.Engine, src.EngineVersion))
		return
	}
	// The catalogue cannot be read: the rules above still hold, and a major
	// newer than any AWS documented is a warning, not a block.
	msg, unavailable := unavailableRead(err, "rds:DescribeDBEngineVersions", "")
	if !unavailable {
		msg = fmt.Sprintf("Could not read the engine catalogue (%v).", err)
	}
	if newest, ok := newestDocumentedMajor[src.Engine]; ok {
		major := majorOf(src.Engine, parseVersion(src.EngineVersion))
		if major.newerThan(parseVersion(newest)) {
			p.add(CheckEngineVersion, title, contract.CheckWarn, fmt.Sprintf("%s %s is newer than the newest major AWS documented for blue/green (%s, December 2026). %s AWS validates the source when the deployment is created, and a refusal there changes nothing.", src.Engine, src.EngineVersion, newest, strings.TrimSpace(msg)),
				"grant rds:DescribeDBEngineVersions to check it here")
			return
		}
	}
	p.add(CheckEngineVersion, title, contract.CheckPass, fmt.Sprintf("%s %s supports blue/green (the engine catalogue could not be read; the version is within what AWS documents).", src.Engine, src.EngineVersion), "")
}

func (p *preflight) multiAZCluster() {
	const title = "Not a Multi-AZ DB cluster"
	if c := p.d.Cluster; c != nil && (c.Engine == "mysql" || c.Engine == "postgres") {
		p.add(CheckMultiAZCluster, title, contract.CheckFail, fmt.Sprintf("%s is a Multi-AZ DB cluster (%s), which blue/green does not support.", c.ID, c.Engine), "upgrade the Multi-AZ DB cluster in place (modify-db-cluster)")
		return
	}
	p.add(CheckMultiAZCluster, title, contract.CheckPass, "The source is not a Multi-AZ DB cluster.", "")
}

func (p *preflight) managedPassword() {
	const title = "No Secrets Manager managed master password"
	managed := (p.d.Cluster != nil && p.d.Cluster.ManagedMasterSecret) || (p.d.Instance != nil && p.d.Instance.ManagedMasterSecret)
	if managed {
		flag := "--db-instance-identifier"
		cmd := "modify-db-instance"
		if p.d.Cluster != nil {
			flag, cmd = "--db-cluster-identifier", "modify-db-cluster"
		}
		p.add(CheckManagedPassword, title, contract.CheckFail, fmt.Sprintf("%s manages its master password in Secrets Manager; blue/green does not support that.", p.d.Source.ID),
			fmt.Sprintf("aws rds %s --region %s %s %s --no-manage-master-user-password --master-user-password <new password> --apply-immediately", cmd, p.d.Source.Region, flag, p.d.Source.ID))
		return
	}
	p.add(CheckManagedPassword, title, contract.CheckPass, "The master password is not managed by Secrets Manager.", "")
}

func (p *preflight) backups() {
	const title = "Automated backups on"
	days := 0
	if p.d.Cluster != nil {
		days = p.d.Cluster.BackupRetentionDays
	} else if p.d.Instance != nil {
		days = p.d.Instance.BackupRetentionDays
	}
	if days <= 0 {
		p.add(CheckBackups, title, contract.CheckFail, fmt.Sprintf("%s has automated backups off (retention 0); blue/green needs them.", p.d.Source.ID),
			fmt.Sprintf("aws rds modify-db-%s --region %s %s %s --backup-retention-period 7 --apply-immediately", strings.TrimSuffix(p.d.Source.KindPlural(), "s"), p.d.Source.Region, p.d.Source.IdentifierFlag(), p.d.Source.ID))
		return
	}
	p.add(CheckBackups, title, contract.CheckPass, fmt.Sprintf("Backup retention is %d days.", days), "")
}

func (p *preflight) parameterGroupsInSync() {
	const title = "Parameter groups in-sync"
	var instances []awsclient.Instance
	if p.d.Instance != nil {
		instances = append(instances, *p.d.Instance)
	}
	instances = append(instances, p.d.Members...)
	var stale []string
	var fix []string
	for _, in := range instances {
		for _, g := range in.ParameterGroups {
			if g.ApplyStatus != "" && g.ApplyStatus != "in-sync" {
				stale = append(stale, fmt.Sprintf("%s (%s: %s)", in.ID, g.Name, g.ApplyStatus))
				fix = append(fix, fmt.Sprintf("aws rds reboot-db-instance --region %s --db-instance-identifier %s", p.d.Source.Region, in.ID))
			}
		}
	}
	if len(stale) > 0 {
		p.add(CheckParameterGroupSync, title, contract.CheckFail, "Blue/green creation fails while a parameter group change is pending: "+strings.Join(stale, ", ")+".", strings.Join(fix, "; "))
		return
	}
	p.add(CheckParameterGroupSync, title, contract.CheckPass, "Every instance's parameter group is in-sync.", "")
}

func (p *preflight) upgradeTarget(ctx context.Context) {
	const title = "Target engine version"
	if p.o.TargetEngineVersion == "" {
		p.add(CheckUpgradeTarget, title, contract.CheckPass, "No engine upgrade: green gets blue's version.", "")
		return
	}
	if p.upgrade == nil {
		up, err := ResolveUpgrade(ctx, p.api, p.d, p.o)
		if err != nil {
			p.add(CheckUpgradeTarget, title, contract.CheckFail, err.Error(), "pass one of the valid targets to --target-engine-version")
			return
		}
		p.upgrade = up
	}
	src := p.d.Source
	if upgradeUnverified(p.upgrade) {
		kind := "minor"
		if p.upgrade.Major {
			kind = "major"
		}
		msg := strings.TrimPrefix(p.upgrade.Description, unverifiedMark) // the reason, read once
		p.add(CheckUpgradeTarget, title, contract.CheckWarn, msg+fmt.Sprintf("%s → %s is taken as a %s upgrade without checking it: AWS validates the target version itself when the deployment is created, and a refusal there changes nothing.", src.EngineVersion, p.upgrade.Version, kind), "grant rds:DescribeDBEngineVersions to check it here")
		return
	}
	if p.upgrade.Major {
		p.add(CheckUpgradeTarget, title, contract.CheckWarn, fmt.Sprintf("%s → %s is a MAJOR version upgrade: test the application against %s on green before switching over; there is no downgrade after switchover.", src.EngineVersion, p.upgrade.Version, p.upgrade.Version), "")
		return
	}
	p.add(CheckUpgradeTarget, title, contract.CheckPass, fmt.Sprintf("%s → %s is a valid minor upgrade.", src.EngineVersion, p.upgrade.Version), "")
}

// upgradePath applies the engine rules on how a major upgrade may be asked.
func (p *preflight) upgradePath() {
	const title = "Upgrade method"
	src := p.d.Source
	if p.upgrade == nil || !p.upgrade.Major {
		p.add(CheckUpgradePath, title, contract.CheckPass, fmt.Sprintf("Upgrade via %s is allowed.", p.o.UpgradeVia), "")
		return
	}
	switch {
	case src.Engine == "postgres" && p.o.UpgradeVia == contract.UpgradeViaModify:
		p.add(CheckUpgradePath, title, contract.CheckFail, "--upgrade-via modify is not possible here: RDS for PostgreSQL forbids a manual major upgrade of green, so the major upgrade must be requested when the deployment is created.", "--upgrade-via create")
		return
	case src.Engine == "postgres":
		if ok, min := pgLogicalOK(parseVersion(src.EngineVersion)); !ok {
			p.add(CheckUpgradePath, title, contract.CheckFail, fmt.Sprintf("A major upgrade through blue/green needs logical replication, available from PostgreSQL %s; %s runs %s.", min, src.ID, src.EngineVersion), fmt.Sprintf("minor-upgrade %s to %s or later first", src.ID, min))
			return
		}
	case src.Engine == "mysql" && p.d.Instance != nil && hasCustomOptionGroup(*p.d.Instance) && p.o.UpgradeVia == contract.UpgradeViaCreate:
		p.add(CheckUpgradePath, title, contract.CheckFail, fmt.Sprintf("--upgrade-via create is not possible here: %s uses custom option group %s, and RDS for MySQL refuses a major upgrade at creation; create first, then upgrade green.", src.ID, strings.Join(p.d.Instance.OptionGroups, ", ")), "--upgrade-via modify")
		return
	}
	p.add(CheckUpgradePath, title, contract.CheckPass, fmt.Sprintf("Major upgrade via %s is allowed for %s.", p.o.UpgradeVia, src.Engine), "")
}

func (p *preflight) targetParameterGroups(ctx context.Context) {
	const title = "Target parameter groups exist"
	var found []string
	check := func(kind, flag, name string, describe func(context.Context, string, ...string) ([]awsclient.Parameter, error)) bool {
		if name == "" {
			return true
		}
		_, err := describe(ctx, name)
		switch {
		case awsclient.IsNotFound(err):
			p.add(CheckTargetParameterGroup, title, contract.CheckFail, fmt.Sprintf("%s %s (%s) does not exist in %s.", kind, name, flag, p.d.Source.Region), fmt.Sprintf("create it in the target version's family, or fix %s", flag))
			return false
		case err != nil:
			action := "rds:DescribeDBParameters"
			if strings.Contains(kind, "cluster") {
				action = "rds:DescribeDBClusterParameters"
			}
			if msg, ok := unavailableRead(err, action, fmt.Sprintf("AWS checks that %s %s exists and fits the target version when the deployment is created.", kind, name)); ok {
				p.add(CheckTargetParameterGroup, title, contract.CheckWarn, msg, "grant "+action)
				return false
			}
			p.add(CheckTargetParameterGroup, title, contract.CheckFail, fmt.Sprintf("Could not read %s %s: %v", kind, name, err), "")
			return false
		}
		found = append(found, name)
		return true
	}
	if !check("DB parameter group", "--target-db-parameter-group-name", p.o.TargetDBParameterGroupName, p.api.DescribeDBParameters) {
		return
	}
	if p.d.Source.Kind == contract.KindInstance && p.o.TargetDBClusterParameterGroupName != "" {
		p.add(CheckTargetParameterGroup, title, contract.CheckFail, fmt.Sprintf("--target-db-cluster-parameter-group-name applies to Aurora clusters only; %s is a DB instance.", p.d.Source.ID), "use --target-db-parameter-group-name")
		return
	}
	if !check("DB cluster parameter group", "--target-db-cluster-parameter-group-name", p.o.TargetDBClusterParameterGroupName, p.api.DescribeClusterParameters) {
		return
	}
	if len(found) > 0 {
		if msg := p.defaultGroupFamilyMismatch(ctx, found); msg != "" {
			p.add(CheckTargetParameterGroup, title, contract.CheckFail, msg, "pass a parameter group of the target version's family")
			return
		}
		p.add(CheckTargetParameterGroup, title, contract.CheckPass, "Found "+strings.Join(found, ", ")+"; their family fits the target version where rdsbg may list the groups (rds:DescribeDBParameterGroups, rds:DescribeDBClusterParameterGroups).", "")
		return
	}
	if p.upgrade != nil && p.upgrade.Major {
		// Same words as the wizard's form (parameter_groups.go).
		p.add(CheckTargetParameterGroup, title, contract.CheckWarn, "--target-db-parameter-group-name: "+EmptyGroupMeaning(false, true, ""), "--target-db-parameter-group-name <group in the new family>")
		return
	}
	p.add(CheckTargetParameterGroup, title, contract.CheckPass, "Green keeps blue's parameter groups.", "")
}

// replication checks the engine's replication prerequisites (rds-facts §5.2).
func (p *preflight) replication(ctx context.Context) {
	const title = "Replication prerequisites"
	src := p.d.Source
	type want struct {
		name, value, dflt string // dflt: the engine default when the group leaves it unset
		not               bool   // value must differ from value
	}
	var group, kind string
	var wants []want
	var read func(context.Context, string, ...string) ([]awsclient.Parameter, error)
	switch {
	case src.Engine == "postgres" && p.upgrade != nil && p.upgrade.Major && p.d.Instance != nil && len(p.d.Instance.ParameterGroups) > 0:
		group, kind, read = p.d.Instance.ParameterGroups[0].Name, "DB parameter group", p.api.DescribeDBParameters
		wants = []want{{name: "rds.logical_replication", value: "1", dflt: "0"}}
	case src.Engine == "aurora-mysql" && p.d.Cluster != nil:
		group, kind, read = p.d.Cluster.ParameterGroup, "DB cluster parameter group", p.api.DescribeClusterParameters
		wants = []want{{name: "binlog_format", value: "OFF", dflt: "OFF", not: true}}
	case src.Engine == "aurora-postgresql" && p.d.Cluster != nil:
		group, kind, read = p.d.Cluster.ParameterGroup, "DB cluster parameter group", p.api.DescribeClusterParameters
		wants = []want{{name: "rds.logical_replication", value: "1", dflt: "0"}, {name: "synchronous_commit", value: "on", dflt: "on"}}
	default:
		p.add(CheckReplication, title, contract.CheckPass, fmt.Sprintf("No parameter prerequisite for %s with this upgrade.", src.Engine), "")
		return
	}
	if group == "" {
		p.add(CheckReplication, title, contract.CheckWarn, "The source reports no parameter group; replication settings could not be checked.", "")
		return
	}
	var names []string
	for _, w := range wants {
		names = append(names, w.name)
	}
	params, err := read(ctx, group, names...)
	if err != nil {
		action := "rds:DescribeDBParameters"
		if kind == "DB cluster parameter group" {
			action = "rds:DescribeDBClusterParameters"
		}
		if msg, ok := unavailableRead(err, action, fmt.Sprintf("AWS checks the replication prerequisites (%s) itself: a creation that fails on them is reported and rolled back.", strings.Join(names, ", "))); ok {
			p.add(CheckReplication, title, contract.CheckWarn, msg, "grant "+action)
			return
		}
		p.add(CheckReplication, title, contract.CheckFail, fmt.Sprintf("Could not read %s %s: %v", kind, group, err), "")
		return
	}
	values := map[string]string{}
	for _, prm := range params {
		values[prm.Name] = prm.Value
	}
	var bad, fix []string
	for _, w := range wants {
		v, ok := values[w.name]
		if !ok || v == "" {
			v = w.dflt
		}
		wrong := !strings.EqualFold(v, w.value)
		if w.not {
			wrong = strings.EqualFold(v, w.value)
		}
		if !wrong {
			continue
		}
		if w.not {
			bad = append(bad, fmt.Sprintf("%s is %s (binary logging off)", w.name, v))
			fix = append(fix, fmt.Sprintf("ParameterName=%s,ParameterValue=ROW,ApplyMethod=pending-reboot", w.name))
		} else {
			bad = append(bad, fmt.Sprintf("%s is %s, needs %s", w.name, v, w.value))
			fix = append(fix, fmt.Sprintf("ParameterName=%s,ParameterValue=%s,ApplyMethod=pending-reboot", w.name, w.value))
		}
	}
	if len(bad) > 0 {
		cmd := "modify-db-parameter-group --db-parameter-group-name"
		if kind == "DB cluster parameter group" {
			cmd = "modify-db-cluster-parameter-group --db-cluster-parameter-group-name"
		}
		p.add(CheckReplication, title, contract.CheckFail, fmt.Sprintf("In %s %s: %s.", kind, group, strings.Join(bad, "; ")),
			fmt.Sprintf("aws rds %s --region %s %s --parameters %s, then reboot the writer", cmd, src.Region, group, strings.Join(fix, " ")))
		return
	}
	p.add(CheckReplication, title, contract.CheckPass, fmt.Sprintf("%s %s has %s as blue/green needs.", kind, group, strings.Join(names, ", ")), "")
}

func (p *preflight) existingDeployment() {
	const title = "No other deployment for the source"
	if dep, ok := AdoptableDeployment(p.d, p.o.DeploymentName); ok {
		p.add(CheckExistingDeployment, title, contract.CheckPass, fmt.Sprintf("Deployment %s (%s, %s) has this run's name: rdsbg will adopt it and carry on.", dep.Name, dep.ID, dep.Status), "")
		return
	}
	for _, dep := range p.d.Deployments {
		if dep.Status == "DELETING" {
			p.add(CheckExistingDeployment, title, contract.CheckFail, fmt.Sprintf("Deployment %s (%s) is still being deleted.", dep.Name, dep.ID), "wait until it is gone, then run again")
			return
		}
		p.add(CheckExistingDeployment, title, contract.CheckFail, fmt.Sprintf("Deployment %s (%s, %s) already exists for %s; a source can have only one.", dep.Name, dep.ID, dep.Status, p.d.Source.ID),
			fmt.Sprintf("pass --blue-green-deployment-name %s to carry on with it, or delete it: aws rds delete-blue-green-deployment --region %s --blue-green-deployment-identifier %s", dep.Name, p.d.Source.Region, dep.ID))
		return
	}
	p.add(CheckExistingDeployment, title, contract.CheckPass, fmt.Sprintf("No blue/green deployment exists for %s.", p.d.Source.ID), "")
}

func (p *preflight) deploymentName(ctx context.Context) {
	const title = "Deployment name valid and free"
	name := p.o.DeploymentName
	if !contract.ValidDeploymentName(name) {
		p.add(CheckDeploymentName, title, contract.CheckFail, fmt.Sprintf("%q is not a valid deployment name (1–60 characters, a letter first, letters, digits and single hyphens).", name), "--blue-green-deployment-name <valid name>")
		return
	}
	all, err := p.api.ListDeployments(ctx, "")
	if err != nil {
		p.add(CheckDeploymentName, title, contract.CheckFail, fmt.Sprintf("Could not list deployments: %v", err), "")
		return
	}
	for _, dep := range all {
		if !strings.EqualFold(dep.Name, name) {
			continue
		}
		if strings.EqualFold(dep.Source, p.d.Source.ARN) || strings.EqualFold(dep.Target, p.d.Source.ARN) {
			continue // ours: adopted (see existing-deployment)
		}
		p.add(CheckDeploymentName, title, contract.CheckFail, fmt.Sprintf("Deployment name %s is taken by %s (source %s); names are unique per account and Region.", name, dep.ID, dep.Source), "--blue-green-deployment-name <another name>")
		return
	}
	p.add(CheckDeploymentName, title, contract.CheckPass, fmt.Sprintf("%s is valid and free.", name), "")
}

func (p *preflight) proxyHealth() {
	const title = "Proxies healthy"
	if len(p.d.Proxies) == 0 {
		p.add(CheckProxyHealth, title, contract.CheckPass, "No proxy targets the source.", "")
		return
	}
	var bad []string
	for _, px := range p.d.ProxyInfo {
		if px.Status != "available" {
			bad = append(bad, fmt.Sprintf("proxy %s is %s", px.Name, px.Status))
		}
	}
	for _, reg := range p.d.Proxies {
		for _, t := range reg.Targets {
			if t.Health.State == "" || t.Health.State == "AVAILABLE" {
				continue // TRACKED_CLUSTER entries carry no health
			}
			why := t.Health.State
			if t.Health.Reason != "" {
				why += " (" + t.Health.Reason + ")"
			}
			bad = append(bad, fmt.Sprintf("%s target %s is %s", reg.Proxy, t.RdsResourceID, why))
		}
	}
	if len(bad) > 0 {
		p.add(CheckProxyHealth, title, contract.CheckFail, strings.Join(bad, "; ")+": rdsbg must be able to tell a healthy proxy from a broken one before it moves it.", "fix the proxy first: aws rds describe-db-proxy-targets --db-proxy-name <proxy>")
		return
	}
	var names []string
	for _, r := range p.d.Proxies {
		names = append(names, r.Proxy)
	}
	sort.Strings(names)
	p.add(CheckProxyHealth, title, contract.CheckPass, fmt.Sprintf("%s available with every target AVAILABLE.", strings.Join(names, ", ")), "")
}

func (p *preflight) regime() {
	r, why := ChooseRegime(p.d, p.o.ProxyMode)
	if err := CheckProxyMode(p.d, p.o.ProxyMode); err != nil {
		p.add(CheckRegime, "Proxy regime", contract.CheckFail, err.Error(), "--proxy-mode detach")
		return
	}
	p.add(CheckRegime, "Proxy regime: "+string(r), contract.CheckPass, why, "")
}

func (p *preflight) globalCluster() bool { return p.d.Source.GlobalClusterID != "" }

func (p *preflight) switchoverTimeout() {
	const title = "Switchover timeout"
	t := p.o.SwitchoverTimeout
	if t < contract.MinSwitchoverTimeout || t > contract.MaxSwitchoverTimeout {
		p.add(CheckSwitchoverTimeout, title, contract.CheckFail, fmt.Sprintf("%d s is outside 30–3600 s.", int64(t/time.Second)), "--switchover-timeout 300")
		return
	}
	p.add(CheckSwitchoverTimeout, title, contract.CheckPass, fmt.Sprintf("%d s; AWS rolls the switchover back if it takes longer.", int64(t/time.Second)), "")
	if p.globalCluster() {
		p.add(CheckGlobalCluster, "Global database member", contract.CheckWarn, fmt.Sprintf("%s belongs to global database %s: native proxy support does not apply, so proxies are detached around the switchover.", p.d.Source.ID, p.d.Source.GlobalClusterID), "")
	}
}

// deletionProtection warns when cleanup=old-blue will have to turn off
// deletion protection on the -old1 resources: rdsbg does that itself in the
// cleanup step, after the operator's severe confirmation, so it is a warning
// and not a failure.
func (p *preflight) deletionProtection() {
	const title = "Deletion protection"
	if p.o.Cleanup != contract.CleanupOldBlue {
		p.add(CheckDeletionProtection, title, contract.CheckPass, fmt.Sprintf("Cleanup %s deletes no database.", p.o.Cleanup), "")
		return
	}
	protected := (p.d.Cluster != nil && p.d.Cluster.DeletionProtection) || (p.d.Instance != nil && p.d.Instance.DeletionProtection)
	if protected {
		p.add(CheckDeletionProtection, title, contract.CheckWarn, fmt.Sprintf("%s has deletion protection; after switchover the cleanup step turns it off on %s-old1 before deleting it (with a final snapshot).", p.d.Source.ID, p.d.Source.ID), "--cleanup deployment keeps the old resources")
		return
	}
	p.add(CheckDeletionProtection, title, contract.CheckPass, "Old blue has no deletion protection; cleanup deletes it with a final snapshot.", "")
}

// defaultGroupFamilyMismatch checks what can be checked of a target group's
// family: a default group is named "default.<family>", and the catalogue
// gives the family of the version green will run. Custom groups would need
// DescribeDBParameterGroups, which the API interface does not carry.
func (p *preflight) defaultGroupFamilyMismatch(ctx context.Context, groups []string) string {
	version := p.d.Source.EngineVersion
	if p.upgrade != nil {
		version = p.upgrade.Version
	}
	ev, err := p.api.DescribeEngineVersion(ctx, p.d.Source.Engine, version)
	if err != nil || ev.Family == "" {
		return ""
	}
	for _, g := range groups {
		family, ok := strings.CutPrefix(g, "default.")
		if ok && family != ev.Family {
			return fmt.Sprintf("%s is the default group of family %s, but green runs %s %s (family %s).", g, family, p.d.Source.Engine, version, ev.Family)
		}
	}
	return customGroupFamilyMismatch(ctx, p.api, p.o, ev.Family, groupsApplied(p.o, p.upgrade != nil && p.upgrade.Major)) // parameter_groups.go
}

// ChooseUpgradeVia is the --upgrade-via an operator who left the flag
// unset should get: create, except for RDS MySQL with a custom option
// group and a major upgrade, which AWS only allows by modifying green after
// creation (rds-facts §1.12). BuildPlan and Preflight apply it when the
// flag was not given.
func ChooseUpgradeVia(d Discovery, upgrade *awsclient.UpgradeTarget) contract.UpgradeVia {
	if upgrade != nil && upgrade.Major && d.Instance != nil && d.Source.Engine == "mysql" && hasCustomOptionGroup(*d.Instance) {
		return contract.UpgradeViaModify
	}
	return contract.UpgradeViaCreate
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
func ResolveUpgradeVia(d Discovery, o contract.Options, upgrade *awsclient.UpgradeTarget) contract.Options {
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
