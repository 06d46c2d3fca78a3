package steps

import (
	"fmt"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

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
