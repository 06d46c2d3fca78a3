package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rdsbg/rdsbg/steps"
)

// Headless runs (run; resume and abort with --yes): the approvals checked
// before any AWS call, then the engine with the --yes/--confirm approver
// writing events to stdout.

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

// checkTakeOver: --take-over is severe, so headless it needs --confirm.
func checkTakeOver(g globalFlags, yes bool, confirm, source string) error {
	if g.takeOver && yes && confirm == "" {
		return usageError("--take-over is severe: also pass --confirm %s; nothing was changed", source)
	}
	return nil
}

// headlessSink picks the event writer for --output, which the pre-run
// has checked (flag_checks.go).
func headlessSink(output string, stdout io.Writer) steps.Sink {
	if output == "json" {
		return steps.NewNDJSONSink(stdout)
	}
	return steps.NewTextSink(stdout)
}

// runHeadless runs the engine in mode (run, resume, abort) with the
// --yes/--confirm approver.
func runHeadless(ctx context.Context, g globalFlags, opts steps.Options, yes bool, confirm, output, until, mode string, stdout io.Writer) error {
	opts.DB = g.dbOptions()
	sink := headlessSink(output, stdout)
	env, err := newEnvironment(ctx, g, nil)
	if err != nil {
		return err
	}
	approver := &steps.HeadlessApprover{Yes: yes, Confirm: confirm, Sink: sink}
	fin, err := env.backend(g, until).Run(ctx, mode, opts, approver, sink)
	if err != nil && fin.ExitCode == 0 {
		return exitFor(err)
	}
	var empty *steps.ProxyEmptyError
	if errors.As(err, &empty) {
		return &exitError{code: fin.ExitCode, err: err}
	}
	if fin.ExitCode == steps.ExitInterrupted {
		// The engine's summary already said where the proxy is; the bare
		// "context canceled" would only confuse.
		return &exitError{code: fin.ExitCode, err: fmt.Errorf("interrupted: the journal is complete; continue with 'rdsbg resume --source %s'", opts.Source)}
	}
	if fin.ExitCode != 0 {
		return &exitError{code: fin.ExitCode, err: err}
	}
	return nil
}
