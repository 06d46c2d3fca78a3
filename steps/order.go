package steps

import (
	"fmt"
	"time"
)

// The order of the detach procedure (design.md §1, issue 11): detach-proxy
// → create-deployment (done once AWS accepted the creation) →
// attach-proxy-blue at once (blue serves production again while green is
// provisioning) → provision-green (the long wait) → … . Production's proxy
// is empty before the critical section only for the create call plus one
// registration, never for the whole provisioning.

// Registration to AVAILABLE on AWS: about 5 minutes (SHINYAZ, an Aurora
// PostgreSQL cluster, April 2026) to 7 minutes (CNLAB, a new proxy);
// rds-facts §1.10 and §5.5.
const (
	awsRegistrationLow  = 5 * time.Minute
	awsRegistrationHigh = 7 * time.Minute
	awsRegistrationSrc  = "measured twice, in public write-ups"
)

// detachOutageNote is the expected outage of detach-proxy, stated in its
// approval, in the plan's note and on the fallback to detach.
func detachOutageNote(proxies string, limit time.Duration) string {
	return fmt.Sprintf("The %s %s EMPTY from the deregistration until blue's target is AVAILABLE again: the create call plus proxy registration, about %s on AWS (%s). Green's provisioning (typically 12–35 minutes) happens afterwards, with the proxy serving blue. If AWS refuses to register blue while green is provisioning, rdsbg keeps retrying and, after --max-proxy-outage %s, deletes the deployment with its green and restores the proxy on blue.",
		proxies, isAre(proxies), minuteRange(awsRegistrationLow, awsRegistrationHigh), awsRegistrationSrc, limit)
}

// criticalOutageNote is the expected outage of the critical section.
func criticalOutageNote(timeout time.Duration) string {
	return fmt.Sprintf("Expected outage: the switchover up to its %s timeout, plus proxy registration of the new primary: up to about %s on AWS (registration %s, %s).",
		timeout, minuteRange(timeout+awsRegistrationLow, timeout+awsRegistrationHigh), minuteRange(awsRegistrationLow, awsRegistrationHigh), awsRegistrationSrc)
}

// proxylessNote is Plan.ProxylessNote for the detach regime.
func proxylessNote(timeout, limit time.Duration) string {
	return fmt.Sprintf("In the detach regime applications that connect through the proxy lose it twice. First from detach-proxy until attach-proxy-blue's target is AVAILABLE, right after the creation call and before green's provisioning: the create call plus proxy registration, about %s on AWS (%s), bounded by --max-proxy-outage %s (then rdsbg rolls back). Second in the critical section, from detach-proxy-blue until attach-proxy-primary's target is AVAILABLE: the switchover (up to %s) plus proxy registration, up to about %s on AWS. Connect directly to the DB endpoint meanwhile, or use --proxy-mode native where AWS supports it.",
		minuteRange(awsRegistrationLow, awsRegistrationHigh), awsRegistrationSrc, limit,
		timeout, minuteRange(timeout+awsRegistrationLow, timeout+awsRegistrationHigh))
}

// fallbackNote is the outage that comes if AWS refuses auto mode's native
// plan and the run falls back to the detach procedure.
func fallbackNote(timeout, limit time.Duration) string {
	return fmt.Sprintf("No API tells in advance whether AWS accepts the native regime. If it refuses the creation (before anything has changed), rdsbg offers the detach procedure (headless: --yes takes it, and its severe steps need --confirm): +2 proxy outage windows, about %s on AWS for the first and up to about %s for the critical section. %s",
		minuteRange(awsRegistrationLow, awsRegistrationHigh), minuteRange(timeout+awsRegistrationLow, timeout+awsRegistrationHigh), proxylessNote(timeout, limit))
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
