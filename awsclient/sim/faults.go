package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Fault injects misbehaviour. Its JSON form is what `rdsbg sim --faults
// FILE` reads (a JSON array).
type Fault struct {
	Operation    string  `json:"operation,omitempty"`     // "" = any operation
	Nth          int     `json:"nth,omitempty"`           // 1-based n-th matching call since the fault was added; 0 = every call
	Code         string  `json:"code,omitempty"`          // wire error code to answer with
	Message      string  `json:"message,omitempty"`       // error message ("" ⇒ a generic one)
	HTTPStatus   int     `json:"http_status,omitempty"`   // 0 ⇒ the code's status (rds-facts §3), else 400
	ThrottleRate float64 `json:"throttle_rate,omitempty"` // fraction of matching calls answered Throttling (deterministic by Seed)
	LatencyMS    int     `json:"latency_ms,omitempty"`    // added latency, slept on Options.Clock
	After        string  `json:"after,omitempty"`         // active only once this operation has been accepted (since the fault was added)
	Until        string  `json:"until,omitempty"`         // inactive again once this operation has been accepted (since the fault was added)
	// Switchover "fail" or "timeout" makes the next switchover roll back
	// (one shot).
	Switchover string `json:"switchover,omitempty"`
	// GreenInvalidAfterMS turns the next created deployment
	// INVALID_CONFIGURATION this long after its creation (one shot).
	GreenInvalidAfterMS int `json:"green_invalid_after_ms,omitempty"`
	// RefuseRegisterWhileProvisioning makes RegisterDBProxyTargets refuse
	// a DB whose blue/green deployment is PROVISIONING, in any regime, for
	// as long as the fault is armed (and its After/Until window open).
	// Whether legacy AWS does this is undocumented (design.md §2); without
	// the fault the simulator accepts the registration.
	RefuseRegisterWhileProvisioning bool `json:"refuse_register_while_provisioning,omitempty"`

	// CreationFail makes the next created deployment fail during
	// provisioning with this reason (one shot): the task in progress turns
	// FAILED, the deployment INVALID_CONFIGURATION, and RDS-EVENT-0245
	// carries the reason. CreationFailAfterMS is when, after the creation
	// (0 ⇒ halfway through the first task).
	CreationFail        string `json:"creation_fail,omitempty"`
	CreationFailAfterMS int    `json:"creation_fail_after_ms,omitempty"`
	// ProxyUnreachable (native regime) fails the switchover guardrail that
	// the proxy can reach both environments: while the fault is active a
	// switchover of a deployment whose blue is a proxy target is refused.
	ProxyUnreachable bool `json:"proxy_unreachable,omitempty"`
	// AllowOnly enforces an IAM policy: any RDS action (or CloudWatch
	// GetMetricData, "cloudwatch:GetMetricData") not in the list
	// ("rds:CreateBlueGreenDeployment" or the bare action name) is
	// answered AccessDenied (HTTP 403), as IAM does. STS
	// GetCallerIdentity needs no permission and is never refused.
	AllowOnly []string `json:"allow_only,omitempty"`
	// Policy enforces an IAM identity policy document (JSON, as IAM takes
	// it) with its resources and conditions, on each request and on the
	// actions AWS performs as the caller for a blue/green deployment
	// (iam.go). A refusal is AccessDenied (403); IAMDenials lists them.
	Policy json.RawMessage `json:"policy,omitempty"`
	// ClientsStayAway makes the applications not reconnect after the next
	// time a proxy drops its clients (a native switchover, a
	// deregistration) in the fault's window: ClientConnections stay 0 with
	// the target healthy, as when a security group or credentials keep
	// them out.
	ClientsStayAway bool `json:"clients_stay_away,omitempty"`
	// TargetUnavailable makes every proxy target that would be AVAILABLE
	// report UNAVAILABLE with this TargetHealth reason (AUTH_FAILURE,
	// CONNECTION_FAILED…), as a proxy whose secret or security groups are
	// wrong does, for as long as the fault's window is open.
	TargetUnavailable string `json:"target_unavailable,omitempty"`
	// AcceptDuplicateRegistration models an endpoint that is not AWS
	// (moto): RegisterDBProxyTargets of a DB already registered with the
	// proxy adds a second entry instead of answering
	// DBProxyTargetAlreadyRegisteredFault; a deregistration removes both.
	// It lets the permission probe's read-back and undo be tested.
	AcceptDuplicateRegistration bool `json:"accept_duplicate_registration,omitempty"`
}

// activeFault is a Fault with its own call counter.
type activeFault struct {
	Fault
	seen     int
	consumed bool       // one-shot model faults (Switchover, GreenInvalidAfterMS) once used
	policy   *iamPolicy // Policy, parsed (iam.go)
	// acceptedAtAdd holds the After/Until operations' accepted counts when
	// the fault was added, so that a fault added mid-run (the second
	// DeregisterDBProxyTargets of a detach run opens the critical section)
	// waits for the next such call rather than an earlier one.
	acceptedAtAdd map[string]int
}

// newActiveFault arms f; accepted is the simulator's count so far.
func newActiveFault(f Fault, accepted map[string]int) *activeFault {
	a := &activeFault{Fault: f, acceptedAtAdd: map[string]int{}}
	if f.Policy != nil {
		// A policy that does not parse enforces nothing but denies
		// everything: ParseFaults refuses it first.
		if p, err := parseIAMPolicy(f.Policy); err == nil {
			a.policy = p
		} else {
			a.policy = &iamPolicy{}
		}
	}
	for _, op := range []string{f.After, f.Until} {
		if op != "" {
			a.acceptedAtAdd[op] = accepted[op]
		}
	}
	return a
}

// ParseFaults reads a JSON array of faults and checks each one, e.g.
//
//	[{"operation":"RegisterDBProxyTargets","nth":1,"code":"InvalidDBInstanceState"},
//	 {"throttle_rate":0.05},
//	 {"switchover":"timeout"}]
func ParseFaults(r io.Reader) ([]Fault, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var faults []Fault
	if err := dec.Decode(&faults); err != nil {
		return nil, fmt.Errorf("sim: faults must be a JSON array of fault objects: %w", err)
	}
	for i, f := range faults {
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("sim: fault #%d: %w", i+1, err)
		}
	}
	return faults, nil
}

func (f Fault) validate() error {
	switch {
	case f.Nth < 0:
		return fmt.Errorf("nth must be 0 (every call) or a positive call number, got %d", f.Nth)
	case f.ThrottleRate < 0 || f.ThrottleRate > 1:
		return fmt.Errorf("throttle_rate must be between 0 and 1, got %v", f.ThrottleRate)
	case f.LatencyMS < 0:
		return fmt.Errorf("latency_ms must not be negative, got %d", f.LatencyMS)
	case f.GreenInvalidAfterMS < 0:
		return fmt.Errorf("green_invalid_after_ms must not be negative, got %d", f.GreenInvalidAfterMS)
	case f.Switchover != "" && f.Switchover != "fail" && f.Switchover != "timeout":
		return fmt.Errorf(`switchover must be "fail" or "timeout", got %q`, f.Switchover)
	case f.HTTPStatus != 0 && (f.HTTPStatus < 400 || f.HTTPStatus > 599):
		return fmt.Errorf("http_status must be an error status (400–599), got %d", f.HTTPStatus)
	case f.GreenInvalidAfterMS < 0 || f.CreationFailAfterMS < 0:
		return fmt.Errorf("creation_fail_after_ms must not be negative, got %d", f.CreationFailAfterMS)
	case f.Code == "" && f.ThrottleRate == 0 && f.LatencyMS == 0 && f.Switchover == "" && f.GreenInvalidAfterMS == 0 &&
		f.CreationFail == "" && !f.ProxyUnreachable && f.AllowOnly == nil && f.Policy == nil && !f.RefuseRegisterWhileProvisioning && !f.ClientsStayAway && f.TargetUnavailable == "":
		return fmt.Errorf("fault does nothing: set code, throttle_rate, latency_ms, switchover, green_invalid_after_ms, creation_fail, proxy_unreachable, allow_only, policy, refuse_register_while_provisioning, clients_stay_away or target_unavailable")
	}
	if f.Policy != nil {
		if _, err := parseIAMPolicy(f.Policy); err != nil {
			return err
		}
	}
	return nil
}

// faultWindowOpen says whether the fault's After/Until window is open.
func (s *Simulator) faultWindowOpen(f *activeFault) bool {
	if f.After != "" && s.accepted[f.After] <= f.acceptedAtAdd[f.After] {
		return false
	}
	if f.Until != "" && s.accepted[f.Until] > f.acceptedAtAdd[f.Until] {
		return false
	}
	return true
}

// callFaultsLocked applies the per-call faults to one call of op: the
// latency to add and, when the call must fail, the error to answer.
func (s *Simulator) callFaultsLocked(op string) (time.Duration, *apiError) {
	var latency time.Duration
	var failure *apiError
	for _, f := range s.faults {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.AllowOnly != nil {
			if failure == nil && s.faultWindowOpen(f) {
				if denied := s.policyDenies(f.AllowOnly, op); denied != nil {
					failure = denied
					s.stats.FailedCalls++
				}
			}
			continue
		}
		if f.Code == "" && f.ThrottleRate == 0 && f.LatencyMS == 0 {
			continue // a model fault, or a Policy (checked once the call is read: iam.go)
		}
		if !s.faultWindowOpen(f) {
			continue
		}
		f.seen++
		if f.Nth != 0 && f.seen != f.Nth {
			continue
		}
		latency += time.Duration(f.LatencyMS) * time.Millisecond
		if f.LatencyMS > 0 {
			s.stats.DelayedCalls++
		}
		if failure != nil {
			continue
		}
		if f.ThrottleRate > 0 && s.throttle.Float64() < f.ThrottleRate {
			failure = &apiError{Code: codeThrottling, Message: "Rate exceeded", Status: 400}
			s.stats.ThrottledCalls++
			continue
		}
		if f.Code != "" {
			msg := f.Message
			if msg == "" {
				msg = "Injected fault " + f.Code + " for " + op
			}
			status := f.HTTPStatus
			if status == 0 {
				status = statusFor(f.Code)
			}
			failure = &apiError{Code: f.Code, Message: msg, Status: status}
			s.stats.FailedCalls++
		}
	}
	return latency, failure
}

// takeModelFault consumes the first open one-shot fault that pick selects.
func (s *Simulator) takeModelFault(pick func(f Fault) bool) (Fault, bool) {
	for _, f := range s.faults {
		if f.consumed || !pick(f.Fault) || !s.faultWindowOpen(f) {
			continue
		}
		f.consumed = true
		s.stats.ModelFaults++
		return f.Fault, true
	}
	return Fault{}, false
}

// acceptsDuplicateRegistration says whether an armed fault makes a second
// registration of the same DB succeed (moto's behaviour).
func (s *Simulator) acceptsDuplicateRegistration() bool {
	for _, f := range s.faults {
		if f.AcceptDuplicateRegistration && s.faultWindowOpen(f) {
			s.stats.ModelFaults++
			return true
		}
	}
	return false
}

// refusesRegisterWhileProvisioning says whether an armed fault refuses
// proxy registrations during provisioning; each refusal counts as a model
// fault that fired.
func (s *Simulator) refusesRegisterWhileProvisioning() bool {
	for _, f := range s.faults {
		if f.RefuseRegisterWhileProvisioning && s.faultWindowOpen(f) {
			s.stats.ModelFaults++
			return true
		}
	}
	return false
}
