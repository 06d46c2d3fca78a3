package main

import (
	"errors"
	"strings"

	"github.com/rdsbg/rdsbg/steps"
)

// This file holds the command line's share of issue 13: the headless
// confirmation checked before any AWS call, and the exit code of a status
// that could not read AWS.

// checkHeadlessApproval refuses, before any AWS call, a --confirm that does
// not name --source and an unknown --until. Whether --yes without
// --confirm is enough depends on the plan's severities: the engine checks
// that once the plan is known, before anything changes.
func checkHeadlessApproval(source, confirm, until string) error {
	if until != "" && until != steps.UntilReady {
		return usageError("--until %q is unknown: use --until ready (prepare green and stop before the critical section)", until)
	}
	if err := steps.CheckConfirm(confirm, source); err != nil {
		return exitFor(err)
	}
	return nil
}

// statusExit is status's exit code: 1 when a live field is UNKNOWN
// because AWS could not be read (no credentials, no connection), so a
// script never takes an unread state for a known one.
func statusExit(report steps.StatusReport) error {
	if len(report.Unreadable) == 0 {
		return nil
	}
	return &exitError{code: steps.ExitStepFailed, err: errors.New("AWS could not be read (" + strings.Join(report.Unreadable, "; ") + "): the live fields above are UNKNOWN")}
}
