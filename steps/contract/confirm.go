package contract

import (
	"fmt"
	"strings"
)

// This file holds the headless confirmation rules that are checked before
// anything happens (issue 13): a --confirm that does not name the source,
// and --yes without --confirm on a plan whose steps to run include severe
// ones, are refused (exit 2) before any change, so a typo costs nothing.
// The severe steps come from the plan's own severities: one source of truth
// for the prompt, the runbook and this check.

// UntilReady is `rdsbg run --until ready`: run everything before the
// critical section (up to and including ready-check), then stop in the
// named state OutcomeReady; `rdsbg resume` switches over later.
const UntilReady = "ready"

// identifierOf is the identifier an ARN ends with, or s itself.
func identifierOf(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "arn:") {
		if i := strings.LastIndex(s, ":"); i >= 0 {
			return s[i+1:]
		}
	}
	return s
}

// ConfirmNamesSource reports whether a typed --confirm names source: the
// identifier or the ARN, either way round, compared case-insensitively as
// AWS compares identifiers.
func ConfirmNamesSource(confirm, source string) bool {
	c, s := identifierOf(confirm), identifierOf(source)
	return c != "" && strings.EqualFold(c, s)
}

// CheckConfirm is main's check of --confirm against --source, made before
// any AWS call: a confirmation that names another database is a mistake
// that must cost nothing.
func CheckConfirm(confirm, source string) error {
	if confirm == "" || source == "" || ConfirmNamesSource(confirm, source) {
		return nil
	}
	return UsageError("--confirm", "--confirm %s does not name the source %s: pass --confirm %s (the identifier or the ARN) to approve its severe steps; nothing was changed",
		confirm, source, identifierOf(source))
}

// needsConfirm reports whether running ps needs the typed identifier: a
// severe step that changes something. Checks change nothing.
func needsConfirm(ps PlannedStep) bool {
	return ps.Severity == SeveritySevere && !ps.CheckOnly && ps.ID != StepPreflight
}

// stepsToRun are the plan's steps a run will still execute: those not yet
// done (done may be nil), and with until = UntilReady only those up to and
// including ready-check.
func stepsToRun(p Plan, until string, done func(StepID) bool) []PlannedStep {
	var out []PlannedStep
	for _, ps := range p.Steps {
		if done == nil || !done(ps.ID) {
			out = append(out, ps)
		}
		if until == UntilReady && ps.ID == StepReadyCheck {
			break
		}
	}
	return out
}

// SevereSteps are the steps among those a run will execute that need the
// typed identifier (see stepsToRun).
func SevereSteps(p Plan, until string, done func(StepID) bool) []StepID {
	var out []StepID
	for _, ps := range stepsToRun(p, until, done) {
		if needsConfirm(ps) {
			out = append(out, ps.ID)
		}
	}
	return out
}

// PlanChecker is implemented by approvers that can refuse a whole plan
// before it starts: the headless rules. The engine calls it once the plan
// is known and before the journal records the run or anything changes.
type PlanChecker interface {
	CheckPlan(p Plan, until string, done func(StepID) bool) error
}

// CheckPlan implements PlanChecker: --yes without a --confirm that names
// the source is refused at once when a step to run is severe, naming those
// steps and the two ways on.
func (h HeadlessApprover) CheckPlan(p Plan, until string, done func(StepID) bool) error {
	if !h.Yes {
		return nil // without --yes every approval is declined with its own message
	}
	if err := CheckConfirm(h.Confirm, p.Source.ID); err != nil {
		return err
	}
	severe := SevereSteps(p, until, done)
	if len(severe) == 0 || ConfirmNamesSource(h.Confirm, p.Source.ID) {
		return nil
	}
	id := p.Source.ID
	msg := fmt.Sprintf("a severe step needs --confirm: --yes approves reversible steps only, and this plan's severe steps (%s) need the typed identifier: pass --confirm %s", joinIDs(severe), id)
	beforeReady := SevereSteps(p, UntilReady, done)
	switch {
	case until == UntilReady:
		// The steps before the stop point are severe themselves.
	case len(beforeReady) == 0:
		msg += fmt.Sprintf(", or --until ready to prepare green now and stop before the critical section (switch over later with `rdsbg resume --source %s --yes --confirm %s`)", id, id)
	default:
		msg += fmt.Sprintf("; --until ready would still need it, for %s", joinIDs(beforeReady))
	}
	return UsageError("--confirm", "%s; nothing was changed", msg)
}

func joinIDs(ids []StepID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ", ")
}
