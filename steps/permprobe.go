package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
)

// The permission probe (issue 15): a detach run empties production's
// proxy, and only rds:RegisterDBProxyTargets brings it back. Without that
// permission the run would deregister and then never restore, so the run
// learns it before its first change. IAM has no dry run for RDS, so each
// action is called in a form that cannot change anything; IAM authorizes
// a request before RDS looks at it, so AccessDenied means "missing" and
// any other answer means "allowed":
//
//   - rds:RegisterDBProxyTargets: blue's own registration again, on the
//     same proxy, target group and DB as the real restore, so the same
//     resources are authorized. RDS answers
//     DBProxyTargetAlreadyRegisteredFault (API reference) and changes
//     nothing.
//   - rds:AddTagsToResource: the proxy with an empty tag list (the
//     rdsbg:detached tag is written before the deregistration).
//
// rds:DeregisterDBProxyTargets is not probed: its only calls that could not
// change anything name no target (what AWS does with no identifier is not
// documented; "all of them" cannot be ruled out) or a DB outside the
// policy's resources. Its absence is safe anyway: the first deregistration
// is refused, the proxy keeps serving blue, the tag is removed again, and
// the run stops naming the permission.
//
// Only a proxy that serves blue now is probed: re-registering an empty
// proxy would be a real change.

// CheckPermissions is the probe's preflight row.
const CheckPermissions = "proxy-permissions"

// permissionProbeNeeded: the plan may deregister production's proxy — the
// detach regime, or auto mode that may fall back to it.
func permissionProbeNeeded(d Discovery, o Options) bool {
	if len(d.Proxies) == 0 {
		return false
	}
	regime, _ := ChooseRegime(d, o.ProxyMode)
	return regime == RegimeDetach || (o.ProxyMode == ProxyModeAuto && regime == RegimeNative)
}

// probePermissions returns the preflight row of the probe, or none when
// the plan does not move proxy targets.
func (r *run) probePermissions(ctx context.Context, o Options) []CheckResult {
	if !permissionProbeNeeded(r.disc, o) {
		return nil
	}
	const title = "Permissions to move and restore the proxy targets"
	var missing, unknown, probed []string
	note := func(action string, err error) {
		switch {
		case err == nil:
			probed = append(probed, action)
		case awsclient.Classify(err) == awsclient.KindAccessDenied:
			missing = append(missing, action)
		case ctx.Err() != nil:
			unknown = append(unknown, action+" (interrupted)")
		default:
			if info, ok := awsclient.Inspect(err); ok && info.HTTPStatus >= 400 && info.HTTPStatus < 500 {
				probed = append(probed, action) // authorized, then refused as expected
				return
			}
			unknown = append(unknown, fmt.Sprintf("%s (%v)", action, err))
		}
	}
	prober, canProbe := r.api.(awsclient.PermissionProber)
	detached := map[string]bool{}
	for _, dp := range r.disc.Detached {
		detached[dp.Proxy] = true
	}
	served := 0
	for _, reg := range r.disc.Proxies {
		if len(reg.Targets) == 0 || detached[reg.Proxy] {
			continue
		}
		served++
		_, err := r.api.RegisterTargets(ctx, reg.Proxy, reg.Target)
		if err == nil {
			// An endpoint that accepts a second registration of the same
			// DB is not AWS (moto adds a duplicate entry); the detach
			// step's deregistration removes both.
			r.e.notice(StepPreflight, "%s accepted a second registration of %s; AWS refuses it with DBProxyTargetAlreadyRegisteredFault", reg.Proxy, targetName(reg.Target))
		}
		note("rds:RegisterDBProxyTargets", err)
		if !canProbe {
			continue
		}
		if arn := r.proxyInfoARN(reg.Proxy); arn != "" {
			note("rds:AddTagsToResource", prober.ProbeAddTags(ctx, arn))
		}
	}
	if served == 0 {
		return nil
	}
	missing, unknown = dedupe(missing), dedupe(unknown)
	switch {
	case len(missing) > 0:
		return []CheckResult{{ID: CheckPermissions, Title: title, Status: CheckFail,
			Explanation: fmt.Sprintf("AWS refused %s (AccessDenied). The detach procedure deregisters production's proxy and needs %s to put it back; rdsbg stops before any change rather than leave the proxy without a target.",
				strings.Join(missing, ", "), strings.Join(missing, " and ")),
			Remediation: fmt.Sprintf("grant %s on the proxies and their target groups (`rdsbg iam-policy` with the same flags prints the whole policy), or use --proxy-mode native where AWS supports it", strings.Join(missing, ", "))}}
	case len(unknown) > 0:
		return []CheckResult{{ID: CheckPermissions, Title: title, Status: CheckWarn,
			Explanation: "The permission probe got no clear answer for " + strings.Join(unknown, "; ") + "; a refusal will show when the step runs, and rdsbg then restores the proxy.",
			Remediation: "check with `aws iam simulate-principal-policy` that rds:RegisterDBProxyTargets is allowed"}}
	}
	return []CheckResult{{ID: CheckPermissions, Title: title, Status: CheckPass,
		Explanation: "AWS authorized " + strings.Join(dedupe(probed), ", ") + " (probed with calls that change nothing)."}}
}

// proxyInfoARN is the proxy's ARN as discovery read it.
func (r *run) proxyInfoARN(name string) string {
	for _, p := range r.disc.ProxyInfo {
		if p.Name == name {
			return p.ARN
		}
	}
	return ""
}

func targetName(t awsclient.TargetRef) string {
	if t.ClusterID != "" {
		return t.ClusterID
	}
	return t.InstanceID
}

// blockedBy is the error of a blocked preflight: ErrBlocked, naming the
// failed checks so the last line says what to fix.
func blockedBy(checks []CheckResult) error {
	var failed []string
	for _, c := range checks {
		if c.Status == CheckFail {
			failed = append(failed, c.Title+": "+c.Explanation)
		}
	}
	if len(failed) == 0 {
		return ErrBlocked
	}
	return fmt.Errorf("%w: %s", ErrBlocked, strings.Join(failed, "; "))
}
