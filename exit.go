package main

import (
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps"
)

// How a command ends: an exit code (design.md §4) and a message that is
// safe for the terminal.

// exitError carries an exit code out of a cobra RunE.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func usageError(format string, a ...any) error {
	return &exitError{code: steps.ExitUsage, err: fmt.Errorf(format, a...)}
}

// exitFor turns an engine error into the documented exit code.
func exitFor(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: steps.ExitCode(err), err: err}
}

// sanitizeLines makes a message safe for the terminal line by line: the
// newlines rdsbg writes itself (lists of commands) stay, anything else
// that could move the cursor or forge a line is escaped.
func sanitizeLines(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = awsclient.Sanitize(l)
	}
	return strings.Join(lines, "\n")
}
