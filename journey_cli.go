package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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
	return &exitError{code: steps.ExitStepFailed, err: errors.New("AWS could not be read: the live fields above are UNKNOWN, not gone (exit 1)")}
}

// nextFlags are the global flags a next command must repeat to reach the
// same account, endpoint and journal: those that are not the defaults.
func nextFlags(g globalFlags) string {
	var b strings.Builder
	if g.profile != "" {
		b.WriteString(" --profile " + shellWord(g.profile))
	}
	if g.region != "" {
		b.WriteString(" --region " + shellWord(g.region))
	}
	if g.endpointURL != "" {
		b.WriteString(" --endpoint-url " + shellWord(g.endpointURL))
	}
	if g.stateDir != "" {
		b.WriteString(" --state-dir " + shellWord(g.stateDir))
	}
	return b.String()
}

// shellWord quotes s for a shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// statusSource is status without --source: the one resumable run, or, when
// several wait, their listing (age, lag, green's classes) as the answer.
func statusSource(stateDirFlag, output string, stdout io.Writer) (source string, listed bool, err error) {
	var list io.Writer = stdout
	if output == "json" {
		list = nil
	}
	dir, err := stateDirPath(stateDirFlag)
	if err != nil {
		return "", false, err
	}
	sources, err := steps.FindJournals(dir)
	if err != nil {
		return "", false, exitFor(err)
	}
	if len(sources) > 1 {
		runs, err := steps.PausedRuns(dir)
		if err != nil {
			return "", false, exitFor(err)
		}
		if output == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return "", true, enc.Encode(struct {
				Paused []steps.PausedRun `json:"paused"`
			}{runs})
		}
		fmt.Fprint(stdout, steps.RenderPausedRuns(runs, time.Now()))
		fmt.Fprintln(stdout, "Pass --source ID for one run's journal and live state.")
		return "", true, nil
	}
	found, err := unfinishedSource(stateDirFlag, list)
	return found, false, err
}

// statusWithoutAWS is status when no AWS client can be made (no region, a
// broken profile): the journal's view with every live field UNKNOWN, then
// the configuration error and its exit code.
func statusWithoutAWS(source, stateDirFlag, output string, stdout io.Writer, envErr error) error {
	dir, err := stateDirPath(stateDirFlag)
	if err != nil {
		return envErr
	}
	report, err := steps.Status(context.Background(), nil, dir, source)
	if err != nil {
		return envErr
	}
	report.Unreadable = append(report.Unreadable, "AWS: "+envErr.Error())
	if output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(report)
	} else {
		fmt.Fprint(stdout, report.Text())
	}
	return envErr
}
