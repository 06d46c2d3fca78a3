package steps

import (
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
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
	if err := checkStorageOptionsApply(d, o); err != nil { // storage_options.go
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
