package steps

// Names that package main still reads from steps while it is reworked in
// parallel (issue 24): each is steps/contract's own (an alias, a copy of a
// constant or error, a wrapper). They go once package main reads them from
// steps/contract.

import (
	"io"

	"github.com/rdsbg/rdsbg/steps/contract"
)

func CheckConfirm(p0 string, p1 string) error { return contract.CheckConfirm(p0, p1) }
func CheckLines(p0 []contract.CheckResult, p1 contract.Layout) string {
	return contract.CheckLines(p0, p1)
}

type CheckResult = contract.CheckResult
type Cleanup = contract.Cleanup

const CleanupDeployment = contract.CleanupDeployment
const CleanupNone = contract.CleanupNone
const CleanupOldBlue = contract.CleanupOldBlue

type DBOptions = contract.DBOptions

const DefaultMaxProxyOutage = contract.DefaultMaxProxyOutage
const DefaultSwitchoverTimeout = contract.DefaultSwitchoverTimeout
const EnvDBDSN = contract.EnvDBDSN
const ExitInterrupted = contract.ExitInterrupted
const ExitOK = contract.ExitOK
const ExitPreflight = contract.ExitPreflight
const ExitStepFailed = contract.ExitStepFailed
const ExitUsage = contract.ExitUsage

type Finished = contract.Finished
type GreenInfo = contract.GreenInfo
type GreenMember = contract.GreenMember
type HeadlessApprover = contract.HeadlessApprover

const KindInstance = contract.KindInstance
const LayoutMarkdown = contract.LayoutMarkdown
const LayoutPlan = contract.LayoutPlan

func NewNDJSONSink(p0 io.Writer) contract.Sink { return contract.NewNDJSONSink(p0) }
func NewTextSink(p0 io.Writer) contract.Sink   { return contract.NewTextSink(p0) }

type Options = contract.Options

const OutcomeReady = contract.OutcomeReady

type Plan = contract.Plan

const ProxyEmpty = contract.ProxyEmpty

type ProxyMode = contract.ProxyMode

const ProxyModeAuto = contract.ProxyModeAuto
const ProxyModeDetach = contract.ProxyModeDetach
const ProxyModeNative = contract.ProxyModeNative
const ProxyOnBlue = contract.ProxyOnBlue

type ProxyRegistration = contract.ProxyRegistration

const RegimeNative = contract.RegimeNative

func RenderText(p0 contract.Plan) string    { return contract.RenderText(p0) }
func ShellLines(p0 string, p1 int) []string { return contract.ShellLines(p0, p1) }

type Sink = contract.Sink
type Source = contract.Source

var StorageTypes = contract.StorageTypes

const TagDetached = contract.TagDetached
const UntilReady = contract.UntilReady

type UpgradeVia = contract.UpgradeVia

const UpgradeViaCreate = contract.UpgradeViaCreate
const UpgradeViaModify = contract.UpgradeViaModify

func ValidateOptions(p0 contract.Options) error { return contract.ValidateOptions(p0) }
