package steps

import (
	"errors"
	"sync"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// Exit 3 means "nothing changed" (design.md §4), and it must hold for
// every stop of a fresh run before its first change, not only for the
// preflight's verdict: a refused read, a failed catalogue read, a
// permission probe, or a first mutation that AWS refused. The call log
// tells: a mutating call counts as a change unless AWS answered it with a
// 4xx error code (refused before acting) or it was never sent. A run
// without a call log cannot tell, and keeps its exit code.

// changeWatch counts the mutating calls that may have changed something.
type changeWatch struct {
	mu      sync.Mutex
	known   bool // a call log is subscribed: the count can be trusted
	changes int
}

// watchChanges subscribes to the call log; the returned function stops.
func (e *Engine) watchChanges(w *changeWatch) func() {
	if e.cfg.Calls == nil {
		return func() {}
	}
	w.known = true
	return e.cfg.Calls.Subscribe(func(c awsclient.Call) {
		if !c.Mutating || refusedBeforeChange(c) {
			return
		}
		w.mu.Lock()
		w.changes++
		w.mu.Unlock()
	})
}

// refusedBeforeChange: AWS answered with a client error code (AccessDenied,
// a validation or state fault), or no request went out.
func refusedBeforeChange(c awsclient.Call) bool {
	if c.Attempts == 0 && c.HTTPStatus == 0 && c.ErrorCode != "" {
		return true
	}
	return c.ErrorCode != "" && c.HTTPStatus >= 400 && c.HTTPStatus < 500
}

// unchanged is true when the watch is trusted and saw no change.
func (w *changeWatch) unchanged() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.known && w.changes == 0
}

// NothingChangedError is a failure that stopped a run before any change:
// exit 3 (it is ErrBlocked), with the failure's own words.
type NothingChangedError struct{ Err error }

func (e *NothingChangedError) Error() string {
	return e.Err.Error() + "; nothing was changed"
}

// Unwrap keeps the cause (an AWS API error, a permission) and ErrBlocked
// reachable for errors.As and errors.Is.
func (e *NothingChangedError) Unwrap() []error { return []error{e.Err, contract.ErrBlocked} }

// stoppedBeforeChange turns a failure (exit 1) of a run that changed
// nothing into a NothingChangedError with the outcome "blocked". Usage
// errors (2) keep their code but not a resumable outcome (a headless
// refusal for want of --confirm leaves nothing to resume: it is "blocked",
// exit 2); cancellations (4) and interruptions (5) keep theirs.
func stoppedBeforeChange(w *changeWatch, outcome string, err error) (string, error) {
	if err != nil && outcome == contract.OutcomeFailed && ExitCode(err) == contract.ExitUsage && w.unchanged() {
		return contract.OutcomeBlocked, err
	}
	if err == nil || outcome != contract.OutcomeFailed || ExitCode(err) != contract.ExitStepFailed || !w.unchanged() {
		return outcome, err
	}
	var nc *NothingChangedError
	if errors.As(err, &nc) {
		return contract.OutcomeBlocked, err
	}
	return contract.OutcomeBlocked, &NothingChangedError{Err: err}
}
