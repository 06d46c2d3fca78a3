package preflight

import (
	"fmt"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// nativeProxyEngines are the engines for which AWS (since April 2026) keeps
// a registered RDS Proxy through blue/green and moves it at switchover
// (rds-facts.md §5.4). Aurora MySQL is an inference from the Aurora
// overview; Aurora Global Database is excluded whatever the engine.
var nativeProxyEngines = map[string]bool{
	"postgres":          true,
	"mysql":             true,
	"mariadb":           true,
	"aurora-postgresql": true,
	"aurora-mysql":      true,
}

// NativeProxySupported reports whether native proxy handling applies to the
// discovered source, and if not, why.
func NativeProxySupported(d Discovery) (bool, string) {
	if d.Source.GlobalClusterID != "" {
		return false, fmt.Sprintf("%s is a member of global database %s, and native RDS Proxy support in blue/green does not cover Aurora Global Database", d.Source.ID, d.Source.GlobalClusterID)
	}
	if !nativeProxyEngines[d.Source.Engine] {
		return false, fmt.Sprintf("native RDS Proxy support in blue/green does not cover engine %s", d.Source.Engine)
	}
	return true, ""
}

// ChooseRegime picks how the proxy is handled (design.md §2) and explains
// the choice in one sentence. With no proxy in front the regime is none
// whatever the mode. An explicit --proxy-mode native on a source that
// cannot use it yields detach here; BuildPlan refuses that combination
// through CheckProxyMode before it gets this far, so the operator is never
// silently given a different procedure than the one asked for.
func ChooseRegime(d Discovery, mode contract.ProxyMode) (contract.Regime, string) {
	if len(d.Proxies) == 0 {
		return contract.RegimeNone, fmt.Sprintf("No RDS Proxy targets %s, so this is a plain blue/green deployment.", d.Source.ID)
	}
	proxies := contract.ProxyList(d.Proxies)
	if regime, why, ok := detachedRegime(d); ok {
		return regime, why // a proxy rdsbg emptied (proxy_tags.go)
	}
	if mode == contract.ProxyModeDetach {
		return contract.RegimeDetach, fmt.Sprintf("--proxy-mode detach: %s will be deregistered from %s before the deployment is created and registered again around the switchover.", d.Source.ID, proxies)
	}
	ok, why := NativeProxySupported(d)
	if !ok {
		return contract.RegimeDetach, fmt.Sprintf("%s, so %s must be deregistered before the deployment and registered with the new primary after switchover.", why, proxies)
	}
	sentence := fmt.Sprintf("%s stays registered with %s; AWS carries the proxy over to the new primary at switchover (%s engine, single Region)", d.Source.ID, proxies, d.Source.Engine)
	if mode != contract.ProxyModeNative {
		// No API reveals whether the account has native support
		// (rds-facts.md §5.4): auto mode learns it from the creation call.
		sentence += "; if AWS refuses the creation because of the proxy, rdsbg offers the detach procedure before anything has changed"
	}
	return contract.RegimeNative, sentence + "."
}

// CheckProxyMode refuses --proxy-mode native when native support cannot
// apply: the operator asked for something impossible, so rdsbg stops with
// exit 2 rather than quietly running the detach procedure.
func CheckProxyMode(d Discovery, mode contract.ProxyMode) error {
	if mode != contract.ProxyModeNative || len(d.Proxies) == 0 {
		return nil
	}
	if ok, why := NativeProxySupported(d); !ok {
		return contract.UsageError("--proxy-mode", "--proxy-mode native is not possible for %s: %s; use --proxy-mode detach (or auto)", d.Source.ID, why)
	}
	return nil
}
