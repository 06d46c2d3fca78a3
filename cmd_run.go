package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newRunCommand is `rdsbg run`: a headless run for automation. It checks
// what only the command line knows (--yes, --confirm, --until,
// --take-over); the engine checks the create options, once, before any AWS
// call, as for every run it is given.
func newRunCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	var c createFlags
	var yes bool
	var confirm, output, until string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Headless execution for automation (--yes, and --confirm ID for severe steps)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !yes {
				return usageError("run is headless and never prompts: pass --yes to approve the steps (and --confirm %s for the severe ones), or use the wizard: rdsbg --source %s", c.source, c.source)
			}
			if err := checkHeadlessApproval(c.source, confirm, until); err != nil {
				return err
			}
			if err := checkTakeOver(*g, yes, confirm, c.source); err != nil {
				return err
			}
			// The engine checks the options (steps.ValidateOptions) before
			// any AWS call, once, as for every run it is given.
			return runHeadless(cmd.Context(), *g, c.options(), yes, confirm, output, until, "run", stdout)
		},
	}
	addCreateFlags(cmd, &c)
	requireSource(cmd)
	addApprovalFlags(cmd, &yes, &confirm, &output, "")
	addOwnershipFlags(cmd, g, true)
	cmd.Flags().StringVar(&until, "until", "", "ready: prepare green and stop before the critical section (exit 0, state ready); `rdsbg resume` switches over later")
	return cmd
}
