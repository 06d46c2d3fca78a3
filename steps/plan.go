package steps

import (
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
// defaults (dated by now); they have passed ValidateOptions where the run
// was entered (Prepare, Engine.Run), or come from a journal that did. It
// refuses, with an *InputError, option combinations that only the
// discovered source makes impossible.
func BuildPlan(d Discovery, o Options, upgrade *awsclient.UpgradeTarget, now time.Time) (Plan, error) {
	if o.Source == "" {
		o.Source = d.Source.ID
	}
	o = o.WithDefaultsAt(now)
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
	if regime == RegimeNative && o.ProxyMode == ProxyModeAuto {
		fo := o
		fo.ProxyMode = ProxyModeDetach
		if fb, err := BuildPlan(d, fo, upgrade, now); err == nil {
			p.Fallback = &FallbackPlan{Note: fallbackNote(o.SwitchoverTimeout, o.maxProxyOutage())}
			for _, s := range fb.Steps {
				if s.ID != StepPreflight { // done before either plan
					p.Fallback.Steps = append(p.Fallback.Steps, s)
				}
			}
		}
	}
	return p, nil
}
