package steps

import (
	"context"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
)

// StepID is a stable step identifier (design.md §1). Step ids appear in the
// journal, in --output json events and in tests: never rename one.
type StepID string

const (
	StepPreflight          StepID = "preflight"
	StepDetachProxy        StepID = "detach-proxy"
	StepCreateDeployment   StepID = "create-deployment"
	StepAttachProxyBlue    StepID = "attach-proxy-blue"
	StepUpgradeGreen       StepID = "upgrade-green"
	StepReadyCheck         StepID = "ready-check"
	StepDetachProxyBlue    StepID = "detach-proxy-blue"
	StepSwitchover         StepID = "switchover"
	StepAttachProxyPrimary StepID = "attach-proxy-primary"
	StepVerify             StepID = "verify"
	StepCleanup            StepID = "cleanup"
)

// StepProvisionGreen waits for the deployment and every green member to be
// AVAILABLE; in the detach regime the proxy serves blue again all along
// (attach-proxy-blue runs before it).
const StepProvisionGreen StepID = "provision-green"

// Severity says how an operator must confirm a step.
type Severity string

const (
	SeverityReadOnly   Severity = "read-only"  // no confirmation
	SeverityReversible Severity = "reversible" // y/n, or --yes
	SeveritySevere     Severity = "severe"     // typed source identifier, or --yes --confirm ID
)

// Regime is how the proxy is handled (design.md §2).
type Regime string

const (
	RegimeNone   Regime = "none"
	RegimeNative Regime = "native"
	RegimeDetach Regime = "detach"
)

// ProxyMode is the --proxy-mode flag.
type ProxyMode string

const (
	ProxyModeAuto   ProxyMode = "auto"
	ProxyModeNative ProxyMode = "native"
	ProxyModeDetach ProxyMode = "detach"
)

// UpgradeVia is the --upgrade-via flag.
type UpgradeVia string

const (
	UpgradeViaCreate UpgradeVia = "create" // TargetEngineVersion at creation
	UpgradeViaModify UpgradeVia = "modify" // step 4: modify green after creation
)

// Cleanup is the --cleanup flag.
type Cleanup string

const (
	CleanupNone       Cleanup = "none"
	CleanupDeployment Cleanup = "deployment"
	CleanupOldBlue    Cleanup = "old-blue"
)

// Options are the create flags of design.md §4: one value drives the plan,
// the wizard's options screen and execution.
type Options struct {
	Source                            string        `json:"source"` // identifier or ARN as typed
	DeploymentName                    string        `json:"deployment_name,omitempty"`
	TargetEngineVersion               string        `json:"target_engine_version,omitempty"`
	TargetDBParameterGroupName        string        `json:"target_db_parameter_group_name,omitempty"`
	TargetDBClusterParameterGroupName string        `json:"target_db_cluster_parameter_group_name,omitempty"`
	TargetDBInstanceClass             string        `json:"target_db_instance_class,omitempty"`
	UpgradeTargetStorageConfig        bool          `json:"upgrade_target_storage_config,omitempty"`
	SwitchoverTimeout                 time.Duration `json:"switchover_timeout_ns"`
	ProxyMode                         ProxyMode     `json:"proxy_mode"`
	UpgradeVia                        UpgradeVia    `json:"upgrade_via"`
	Cleanup                           Cleanup       `json:"cleanup"`
	// MaxProxyOutage bounds the outage before the critical section (detach
	// regime: from detach-proxy until blue's target is AVAILABLE again);
	// 0 ⇒ DefaultMaxProxyOutage. See --max-proxy-outage.
	MaxProxyOutage time.Duration `json:"max_proxy_outage_ns,omitempty"`
	// The green primary's storage (CreateBlueGreenDeployment's TargetIops,
	// TargetStorageType, TargetAllocatedStorage, TargetStorageThroughput;
	// RDS only): 0 or "" keeps blue's. Checked in storage_options.go.
	TargetIops              int32  `json:"target_iops,omitempty"`
	TargetStorageType       string `json:"target_storage_type,omitempty"`
	TargetAllocatedStorage  int32  `json:"target_allocated_storage,omitempty"`
	TargetStorageThroughput int32  `json:"target_storage_throughput,omitempty"`
	// DB are the database checks' settings (dbchecks.go); its DSN is
	// never journalled.
	DB DBOptions `json:"db,omitzero"`
	// Fleet is the id of the fleet this run belongs to (`rdsbg fleet
	// run`): the deployment is tagged rdsbg:fleet with it (TagFleet), so
	// that `rdsbg fleet status` finds the fleet's runs in AWS.
	Fleet string `json:"fleet,omitempty"`
}

// DefaultMaxProxyOutage is --max-proxy-outage's default: the create call
// plus a proxy registration take about 5–7 minutes on AWS (rds-facts §1.10,
// §5.5); beyond 10 minutes rdsbg stops waiting for blue and rolls back.
const DefaultMaxProxyOutage = 10 * time.Minute

// maxProxyOutage is MaxProxyOutage with its default (journals written
// before the option existed carry 0).
func (o Options) maxProxyOutage() time.Duration {
	if o.MaxProxyOutage > 0 {
		return o.MaxProxyOutage
	}
	return DefaultMaxProxyOutage
}

// DefaultSwitchoverTimeout is SwitchoverBlueGreenDeployment's own default
// (rds-facts.md §1.3).
const DefaultSwitchoverTimeout = 300 * time.Second

// Source is the discovered database the run acts on.
type Source struct {
	Kind          string `json:"kind"` // "instance" or "cluster"
	ID            string `json:"id"`
	ARN           string `json:"arn"`
	Engine        string `json:"engine"`
	EngineVersion string `json:"engine_version"`
	Region        string `json:"region"`
	Account       string `json:"account,omitempty"`
	// Replicas (RDS) or member instances (Aurora), writer first.
	Members []string `json:"members,omitempty"`
	// GlobalClusterID is set for an Aurora global database member.
	GlobalClusterID string `json:"global_cluster_id,omitempty"`
	// ResourceID is blue's DbiResourceId (DbClusterResourceId): it survives
	// the switchover's renames, so once the deployment object is gone AWS
	// still tells blue from the new primary (world.Query.BlueResourceID).
	ResourceID string `json:"resource_id,omitempty"`
	// Created is blue's InstanceCreateTime (ClusterCreateTime): green is
	// created later, so it tells them apart where a resource id does not
	// (moto gives every instance the same DbiResourceId).
	Created time.Time `json:"created,omitzero"`
}

// Target returns the proxy target reference for this source.
func (s Source) Target() awsclient.TargetRef {
	if s.Kind == "cluster" {
		return awsclient.TargetRef{ClusterID: s.ID}
	}
	return awsclient.TargetRef{InstanceID: s.ID}
}

// ProxyRegistration is one proxy that targets the source: the rollback
// record that compensation restores.
type ProxyRegistration struct {
	Proxy       string                  `json:"proxy"`
	TargetGroup string                  `json:"target_group"`
	Target      awsclient.TargetRef     `json:"target"`
	Targets     []awsclient.ProxyTarget `json:"targets,omitempty"` // as seen at discovery
}

// PlannedStep is one step of the plan: what it does, why, and the exact
// AWS CLI commands an operator would type to do it by hand.
type PlannedStep struct {
	ID       StepID   `json:"id"`
	Title    string   `json:"title"`
	Why      string   `json:"why"`
	Severity Severity `json:"severity"`
	CLI      []string `json:"cli,omitempty"`
	Effect   string   `json:"effect"`
	// CheckOnly marks a step that only verifies (native regime's proxy
	// steps): it makes no change.
	CheckOnly bool `json:"check_only,omitempty"`
	// Critical marks steps 5–7 of the detach procedure: one approval, no
	// prompt inside, the proxy-less window measured across them.
	Critical bool `json:"critical,omitempty"`
}

// Plan is the one value that drives the plan output, the runbook, the
// wizard's screens and execution.
type Plan struct {
	Source        Source              `json:"source"`
	Options       Options             `json:"options"`
	Regime        Regime              `json:"regime"`
	RegimeReason  string              `json:"regime_reason"` // one sentence
	Proxies       []ProxyRegistration `json:"proxies,omitempty"`
	Deployment    string              `json:"existing_deployment,omitempty"` // adopted bgd- id
	MajorUpgrade  bool                `json:"major_upgrade,omitempty"`
	Steps         []PlannedStep       `json:"steps"`
	GeneratedAt   time.Time           `json:"generated_at"`
	ProxylessNote string              `json:"proxyless_note,omitempty"`
	// RunID names the run in AWS (the deployment's rdsbg:run, the owner
	// lease, rdsbg:detached) and its archived journal; set when a run
	// journals its plan (lease.go). Journals from before it name the run
	// by GeneratedAt (RunID).
	RunID string `json:"run_id,omitempty"`
	// Fallback is what happens if AWS refuses the native regime, which
	// no API reveals in advance (auto mode's native plan only): the detach
	// procedure's steps and their outage, so a runbook never says "no
	// outage" where one may come (issue 21 item 5).
	Fallback *FallbackPlan `json:"fallback,omitempty"`
}

// FallbackPlan is the detach procedure a native plan falls back to.
type FallbackPlan struct {
	Note  string        `json:"note"` // the expected outage, in one paragraph
	Steps []PlannedStep `json:"steps"`
}

// Step returns the planned step with id, and whether it is in the plan.
func (p Plan) Step(id StepID) (PlannedStep, bool) {
	for _, s := range p.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return PlannedStep{}, false
}

// Decision is an operator's answer to an approval.
type Decision string

const (
	DecisionApprove  Decision = "approve"
	DecisionDecline  Decision = "decline"  // stop here; exit 4
	DecisionRollback Decision = "rollback" // undo what can be undone
	DecisionRetry    Decision = "retry"
	DecisionWait     Decision = "wait"
)

// Approval is a question the engine asks before a change. The text shown to
// the operator is exactly Title + Text + CLI: tests assert on it before
// approving.
type Approval struct {
	Kind     string      `json:"kind"` // "step", "critical-section", "fallback-detach", "continue-without-proxy", "error", "ready-gate"
	Step     StepID      `json:"step,omitempty"`
	Title    string      `json:"title"`
	Text     string      `json:"text"`
	Severity Severity    `json:"severity"`
	CLI      []string    `json:"cli,omitempty"`
	Confirm  string      `json:"confirm,omitempty"` // the identifier a severe approval must type
	Choices  []Decision  `json:"choices"`
	Error    *ErrorInfo  `json:"error,omitempty"`
	Steps    []StepID    `json:"steps,omitempty"` // for the critical section: the steps it covers
	Extra    interface{} `json:"-"`
}

// Approver answers approvals: the wizard, plain line mode, or the headless
// --yes/--confirm rules. Approve blocks until the operator answers or ctx ends.
type Approver interface {
	Approve(ctx context.Context, a Approval) (Decision, error)
}

// ErrorInfo is an AWS or engine error in the words the operator sees.
type ErrorInfo struct {
	Operation string `json:"operation,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
	Meaning   string `json:"meaning,omitempty"` // plain words: what it means, what to do
}
