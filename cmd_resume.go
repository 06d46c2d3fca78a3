package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/steps"
)

// newResumeCommand is `rdsbg resume`: an interrupted or paused run carried
// on from its journal and the live AWS state, headless with --yes, else in
// the wizard or plain mode. The source comes from the prologue resume,
// status and abort share (source.go).
func newResumeCommand(g *globalFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var sourceFlag, confirm, output string
	var yes bool
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Continue an interrupted run from its journal and the live AWS state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := sourceQuery{mode: "resume", flag: sourceFlag, output: output, w: stderr}
			if !yes && isTerminal(stdin, stderr) {
				q.ask = stdin // several unfinished runs: ask which (D24)
			}
			source, _, err := runSource(cmd.Context(), *g, q)
			if err != nil {
				return err
			}
			if err := checkHeadlessApproval(source, confirm, ""); err != nil {
				return err
			}
			if err := checkTakeOver(*g, yes, confirm, source); err != nil {
				return err
			}
			return headlessOrInteractive(cmd.Context(), *g, steps.Options{Source: source}, yes, confirm, output, "resume", stdin, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&sourceFlag, "source", "", "source of the run to resume (default: the only unfinished journal)")
	addApprovalFlags(cmd, &yes, &confirm, &output, "headless: ")
	addOwnershipFlags(cmd, g, false)
	return cmd
}
