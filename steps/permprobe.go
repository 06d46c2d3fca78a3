package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
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
//     nothing. The probe does not take that on trust: it reads the
//     proxy's targets back after the call. An endpoint that accepted the
//     call and now lists the DB twice (moto does; AWS never) gets the
//     duplicate removed at once — deregister the DB, which removes every
//     entry of it, and register it once — and is read back again. Only a
//     read that shows the proxy as discovery saw it lets the run say that
//     nothing changed; otherwise the probe's row fails and says what the
//     proxy holds, with the command that restores it.
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
func permissionProbeNeeded(d preflight.Discovery, o contract.Options) bool {
	if len(d.Proxies) == 0 {
		return false
	}
	regime, _ := preflight.ChooseRegime(d, o.ProxyMode)
	return regime == contract.RegimeDetach || (o.ProxyMode == contract.ProxyModeAuto && regime == contract.RegimeNative)
}

// probePermissions returns the preflight row of the probe, or none when
// the plan does not move proxy targets.
func (r *run) probePermissions(ctx context.Context, o contract.Options) []contract.CheckResult {
	if !permissionProbeNeeded(r.disc, o) {
		return nil
	}
	const title = "Permissions to move and restore the proxy targets"
	var missing, unknown, probed []string
	var undone []probeUndo
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
		undo, err := r.probeRegistration(ctx, reg)
		if undo != nil {
			undone = append(undone, *undo)
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
	if row, ok := undoneRow(title, undone); ok && (row.Changed || len(missing) == 0) {
		return []contract.CheckResult{row}
	}
	switch {
	case len(missing) > 0:
		return []contract.CheckResult{{ID: CheckPermissions, Title: title, Status: contract.CheckFail,
			Explanation: fmt.Sprintf("AWS refused %s (AccessDenied). The detach procedure deregisters production's proxy and needs %s to put it back; rdsbg stops before any change rather than leave the proxy without a target.",
				strings.Join(missing, ", "), strings.Join(missing, " and ")),
			Remediation: fmt.Sprintf("grant %s on the proxies and their target groups (`rdsbg iam-policy` with the same flags prints the whole policy), or use --proxy-mode native where AWS supports it", strings.Join(missing, ", "))}}
	case len(unknown) > 0:
		return []contract.CheckResult{{ID: CheckPermissions, Title: title, Status: contract.CheckWarn,
			Explanation: "The permission probe got no clear answer for " + strings.Join(unknown, "; ") + "; a refusal will show when the step runs, and rdsbg then restores the proxy.",
			Remediation: "check with `aws iam simulate-principal-policy` that rds:RegisterDBProxyTargets is allowed"}}
	}
	return []contract.CheckResult{{ID: CheckPermissions, Title: title, Status: contract.CheckPass,
		Explanation: "AWS authorized " + strings.Join(dedupe(probed), ", ") + " (probed with calls that change nothing)."}}
}

// probeUndo is what the registration probe changed at an endpoint that
// accepted a second registration, and whether reading it back shows the
// proxy as discovery saw it again.
type probeUndo struct {
	proxy, target string
	restored      bool   // read back: the target listed once, as before
	state         string // what the last read showed, or why it could not
	restore       string // the command that restores the proxy
}

// probeRegistration registers reg's own target again and verifies from a
// read of the proxy's targets that the call changed nothing. When the
// endpoint accepted a duplicate, it undoes it (deregister, register once)
// and reads again; undo is nil when nothing had to be undone.
func (r *run) probeRegistration(ctx context.Context, reg contract.ProxyRegistration) (*probeUndo, error) {
	before := targetEntries(reg.Targets, reg.Target)
	// Marked as a probe: AWS's DBProxyTargetAlreadyRegisteredFault is the
	// answer asked for, and the call log shows it so (awsclient.WithProbe).
	_, err := r.api.RegisterTargets(awsclient.WithProbe(ctx), reg.Proxy, reg.Target)
	after, readErr := r.api.DescribeProxyTargets(ctx, reg.Proxy)
	switch {
	case readErr == nil && targetEntries(after, reg.Target) <= before:
		return nil, err // read back: as discovery saw it
	case readErr != nil && refusedWith4xx(err):
		// Refused before acting (AccessDenied, already registered): the
		// same rule as an exit 3's (runner.go).
		return nil, err
	}
	name := targetName(reg.Target)
	u := &probeUndo{proxy: reg.Proxy, target: name, restore: registerCommand(r.disc.Source.Region, reg)}
	if readErr != nil {
		u.state = fmt.Sprintf("the call was not refused and the targets could not be read back (%v)", readErr)
		return u, err
	}
	r.e.notice(contract.StepPreflight, "%s accepted a second registration of %s (AWS refuses it with DBProxyTargetAlreadyRegisteredFault) and now lists it %d times: rdsbg deregisters %s and registers it once, so that the proxy holds one target again", reg.Proxy, name, targetEntries(after, reg.Target), name)
	if derr := r.api.DeregisterTargets(ctx, reg.Proxy, reg.Target); derr != nil {
		u.state = fmt.Sprintf("it lists %s %d times; removing the duplicate failed (%v)", name, targetEntries(after, reg.Target), derr)
		return u, err
	}
	var rerr error
	for attempt := 0; attempt < 3; attempt++ {
		if _, rerr = r.api.RegisterTargets(ctx, reg.Proxy, reg.Target); rerr == nil || ctx.Err() != nil {
			break
		}
	}
	final, ferr := r.api.DescribeProxyTargets(ctx, reg.Proxy)
	switch n := targetEntries(final, reg.Target); {
	case ferr != nil:
		u.state = fmt.Sprintf("its targets could not be read back after the undo (%v)", ferr)
	case n == 1:
		u.restored = true
		u.state = "it lists " + name + " once again, as before"
	case n == 0:
		u.state = fmt.Sprintf("it has NO target for %s: registering it again failed (%v)", name, rerr)
	default:
		u.state = fmt.Sprintf("it lists %s %d times", name, n)
	}
	return u, err
}

// refusedWith4xx: AWS answered the call with a client error, so it acted on
// nothing.
func refusedWith4xx(err error) bool {
	info, ok := awsclient.Inspect(err)
	return ok && info.HTTPStatus >= 400 && info.HTTPStatus < 500
}

// targetEntries counts the entries that stand for t itself: its
// RDS_INSTANCE entry, or a cluster's TRACKED_CLUSTER entry.
func targetEntries(targets []awsclient.ProxyTarget, t awsclient.TargetRef) int {
	n := 0
	for _, pt := range targets {
		switch {
		case t.ClusterID != "" && pt.Type == "TRACKED_CLUSTER" && strings.EqualFold(pt.RdsResourceID, t.ClusterID):
			n++
		case t.InstanceID != "" && pt.Type != "TRACKED_CLUSTER" && pt.TrackedClusterID == "" && strings.EqualFold(pt.RdsResourceID, t.InstanceID):
			n++
		}
	}
	return n
}

// registerCommand is the AWS CLI command that registers reg's target.
func registerCommand(region string, reg contract.ProxyRegistration) string {
	flag := "--db-instance-identifiers"
	if reg.Target.ClusterID != "" {
		flag = "--db-cluster-identifiers"
	}
	return fmt.Sprintf("aws rds register-db-proxy-targets --region %s --db-proxy-name %s %s %s", region, reg.Proxy, flag, targetName(reg.Target))
}

// undoneRow is the probe's row when its call changed something: a warning
// when reading back shows every proxy as before, else a failure that says
// what the proxy holds (the run must not claim that nothing changed).
func undoneRow(title string, undone []probeUndo) (contract.CheckResult, bool) {
	if len(undone) == 0 {
		return contract.CheckResult{}, false
	}
	var said, fixes []string
	restored := true
	for _, u := range undone {
		said = append(said, fmt.Sprintf("%s: %s", u.proxy, u.state))
		if !u.restored {
			restored = false
			fixes = append(fixes, u.restore)
		}
	}
	if restored {
		return contract.CheckResult{ID: CheckPermissions, Title: title, Status: contract.CheckWarn,
			Explanation: "This endpoint accepted the probe's second registration of a target that is already registered, which AWS refuses; rdsbg removed the duplicate and registered the target once, and reading the proxies back shows them as before (" + strings.Join(said, "; ") + "). rds:RegisterDBProxyTargets is allowed.",
			Remediation: "none needed on AWS; on an emulator, expect a brief deregistration at this check"}, true
	}
	return contract.CheckResult{ID: CheckPermissions, Title: title, Status: contract.CheckFail, Changed: true,
		Explanation: "The permission probe's registration was accepted by this endpoint (AWS refuses it), and the proxies could not be confirmed as before: " + strings.Join(said, "; ") + ". The run stops here.",
		Remediation: strings.Join(fixes, "; ") + " (then check it with aws rds describe-db-proxy-targets)"}, true
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
func blockedBy(checks []contract.CheckResult) error {
	var failed []string
	for _, c := range checks {
		if c.Status == contract.CheckFail {
			failed = append(failed, c.Title+": "+c.Explanation)
		}
	}
	if len(failed) == 0 {
		return contract.ErrBlocked
	}
	if ChecksChanged(checks) {
		// Not ErrBlocked ("nothing was changed"): a check changed AWS and
		// could not show it undone. Exit 1, the failed row says what is left.
		return fmt.Errorf("preflight stopped the run after a check changed AWS: %s", strings.Join(failed, "; "))
	}
	return fmt.Errorf("%w: %s", contract.ErrBlocked, strings.Join(failed, "; "))
}

// ChecksChanged is true when a check changed AWS and reading it back did
// not show it undone: then nobody may say that nothing was changed.
func ChecksChanged(checks []contract.CheckResult) bool {
	for _, c := range checks {
		if c.Changed {
			return true
		}
	}
	return false
}
