package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/probe"
)

// Hooks (issue 8): --hook CMD runs at every step transition with the event
// as JSON on stdin and RDSBG_STEP / RDSBG_PHASE in its environment, for
// chat notifications, pausing a replication job, ANALYZE on green…
//
// Phases: "pre" (approved, before the step changes anything: a failing pre
// hook stops the run there, with nothing of the step done), "post" (after
// the step) and "failed". Inside the critical section the proxy is empty,
// and a hook must not lengthen that: there hooks run in the background and
// cannot stop a step, except the pre hook of the section's first step,
// which runs before the proxy is touched.

// DefaultHookTimeout bounds one hook run.
const DefaultHookTimeout = time.Minute

// Hook phases, in RDSBG_PHASE.
const (
	HookPre    = "pre"
	HookPost   = "post"
	HookFailed = "failed"
)

// hookOutputLimit bounds the output kept from a failing hook for its notice.
const hookOutputLimit = 2 << 10

// HookError is a failing hook.
type HookError struct {
	Command string
	Phase   string
	Step    contract.StepID
	Err     error
	Output  string // the end of its combined output
}

func (e *HookError) Error() string {
	msg := fmt.Sprintf("%s hook for %s (%s) failed: %v", e.Phase, e.Step, e.Command, e.Err)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += ": " + out
	}
	return msg
}

func (e *HookError) Unwrap() error { return e.Err }

// Hooks hang the --hook commands on the observer seam: pre, post and
// failed phases around each step.
type Hooks struct {
	Nop
	commands []string
	timeout  time.Duration
	clock    clock.Clock
	notice   Notify

	mu       sync.Mutex
	critical map[contract.StepID]bool
	first    contract.StepID // the critical section's first step
	bg       sync.WaitGroup
}

// NewHooks runs commands at every step transition, each bounded by
// timeout (0 ⇒ DefaultHookTimeout); a failure that stops nothing becomes
// a notice.
func NewHooks(commands []string, timeout time.Duration, clk clock.Clock, notice Notify) *Hooks {
	if timeout <= 0 {
		timeout = DefaultHookTimeout
	}
	return &Hooks{commands: commands, timeout: timeout, clock: clk, notice: notice}
}

// PlanStarted learns which steps are inside the critical section.
func (h *Hooks) PlanStarted(plan contract.Plan) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.critical, h.first = map[contract.StepID]bool{}, ""
	for _, s := range plan.Steps {
		if s.Critical {
			h.critical[s.ID] = true
			if h.first == "" {
				h.first = s.ID
			}
		}
	}
}

// background says whether hooks of step run without holding the engine.
func (h *Hooks) background(step contract.StepID, phase string) bool {
	if phase == HookFailed {
		// A failure is followed by compensation: a hook must never
		// lengthen the time the proxy stays empty.
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.critical[step] {
		return false
	}
	return !(phase == HookPre && step == h.first)
}

// runHooks runs every hook for one transition. In the foreground the first
// failure is returned (the others still run: a notification hook should
// not be skipped because another failed); in the background failures
// become notices.
func (h *Hooks) runHooks(ctx context.Context, phase string, ev contract.Event) error {
	if ev.Time.IsZero() {
		ev.Time = h.clock.Now()
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("%s hook for %s: encoding the event: %w", phase, ev.Step, err)
	}
	if h.background(ev.Step, phase) {
		h.bg.Add(1)
		go func() {
			defer h.bg.Done()
			for _, c := range h.commands {
				if err := h.run(context.WithoutCancel(ctx), c, phase, ev.Step, payload); err != nil {
					h.notice(ev.Step, "%v", err)
				}
			}
		}()
		return nil
	}
	var first error
	for _, c := range h.commands {
		if err := h.run(ctx, c, phase, ev.Step, payload); err != nil {
			if phase != HookPre {
				h.notice(ev.Step, "%v", err)
			}
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// run runs one hook through the shell.
func (h *Hooks) run(ctx context.Context, command, phase string, step contract.StepID, payload []byte) error {
	cctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, "/bin/sh", "-c", command)
	cmd.Stdin = bytes.NewReader(payload)
	cmd.Env = append(hookEnviron(), "RDSBG_STEP="+string(step), "RDSBG_PHASE="+phase)
	// A hook that leaves a child holding its output must not hang the run.
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	if cctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s", h.timeout)
	}
	if len(out) > hookOutputLimit {
		out = out[len(out)-hookOutputLimit:]
	}
	return &HookError{Command: command, Phase: phase, Step: step, Err: err, Output: string(out)}
}

// hookEnviron is rdsbg's environment without the probe DSN: a hook has no
// business with the database password.
func hookEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, probe.EnvDSN+"=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (h *Hooks) PreStep(ctx context.Context, ev contract.Event) error {
	return h.runHooks(ctx, HookPre, ev)
}

// PostStep: a failing post hook is a notice.
func (h *Hooks) PostStep(ctx context.Context, ev contract.Event) {
	_ = h.runHooks(ctx, HookPost, ev)
}

// StepFailed runs the failed hooks in the background (they must never
// lengthen the time a proxy stays empty), except for a step stopped by
// its own pre hook.
func (h *Hooks) StepFailed(ctx context.Context, ev contract.Event, err error) {
	if !isHookError(err) {
		_ = h.runHooks(ctx, HookFailed, ev)
	}
}

// Finishing waits for the background hooks, at the end of a run.
func (h *Hooks) Finishing(*contract.Finished) { h.bg.Wait() }

// isHookError: a step that failed because its own pre hook failed runs no
// failed hook.
func isHookError(err error) bool {
	var he *HookError
	return errors.As(err, &he)
}
