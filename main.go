// Command rdsbg takes an operator through an Amazon RDS / Aurora blue/green
// deployment, engine upgrade and switchover when an RDS Proxy fronts the
// database. This file only wires things: the root command (the wizard) and
// its global flags, the subcommands (one file each: cmd_<name>.go), and
// the exit code. The work happens in steps/ (engine), ui/ (screens),
// awsclient/ (AWS) and awsclient/sim (the simulator).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/steps"
)

func main() {
	os.Exit(runCLI(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// runCLI is main without os.Exit, so tests can drive the whole command line.
func runCLI(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := watchSignals(context.Background(), stderr)
	defer stop()

	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return steps.ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "rdsbg:", sanitizeLines(ee.err.Error()))
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags, commands, missing arguments.
	fmt.Fprintln(stderr, "rdsbg:", sanitizeLines(err.Error()))
	fmt.Fprintln(stderr, "Run 'rdsbg --help' for usage.")
	return steps.ExitUsage
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var g globalFlags
	var wiz createFlags
	root := &cobra.Command{
		Use:   "rdsbg",
		Short: "Blue/green deployments for RDS and Aurora behind RDS Proxy, from preflight to cleanup",
		Long: `rdsbg walks you through an Amazon RDS / Aurora blue/green deployment, engine
upgrade and switchover when an RDS Proxy fronts the database. It shows every
step and its AWS CLI equivalent before doing it, keeps a journal so that a
crash or a dropped SSH session can be resumed, and never leaves production
without its proxy.

Without a subcommand it opens the interactive wizard (a terminal is needed).

Exit codes: 0 done (or ready: paused before the critical section), 1 a step
failed (state consistent, see the journal; for status: AWS could not be
read), 2 bad usage or input, 3 preflight blocked (nothing changed), 4 cancelled,
5 interrupted (continue with 'rdsbg resume').`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := newEnvironment(cmd.Context(), g, nil)
			if err != nil {
				return err
			}
			return runInteractive(cmd.Context(), env, g, wiz.options(), "run", "", stdin, stderr)
		},
	}
	addGlobalFlags(root.PersistentFlags(), &g)
	addCreateFlags(root, &wiz)
	addOwnershipFlags(root, &g, true) // the wizard asks --take-over's typed identifier itself
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v (see --help)", err) })
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkSourceFlag(cmd); err != nil { // source.go
			return err
		}
		return checkFlagValues(cmd) // flag_checks.go: the same refusals for every command (D21)
	}

	root.AddCommand( // each in its cmd_<name>.go
		newDemoCommand(&g, stdin, stderr),
		newSimCommand(stdout),
		newPlanCommand(&g, stdout),
		newIAMPolicyCommand(&g, stdout),
		newRunCommand(&g, stdout, stderr),
		newResumeCommand(&g, stdin, stdout, stderr),
		newStatusCommand(&g, stdout),
		newAbortCommand(&g, stdin, stdout, stderr),
		newFleetCommand(&g, stdin, stdout, stderr),
	)
	addCompletion(root, &g, stdout) // cmd_completion.go: the completion command, --source and enum values
	decorateHelp(root)              // examples, --version, flags where they apply, wrapped help
	return root
}
