package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/steps"
)

// newAbortCommand is `rdsbg abort`: before the switchover, the deployment
// and its green deleted and the proxies given their original targets. It
// deletes, so its source is named (a required flag), never guessed.
func newAbortCommand(g *globalFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var sourceFlag, confirm, output string
	var yes bool
	cmd := &cobra.Command{
		Use:   "abort",
		Short: "Before switchover: delete the deployment and its green, restore the original proxy targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			source, _, err := runSource(cmd.Context(), *g, sourceQuery{mode: "abort", flag: sourceFlag}) // the required flag
			if err != nil {
				return err
			}
			if err := checkHeadlessApproval(source, confirm, ""); err != nil {
				return err
			}
			if yes && confirm == "" {
				// abort's one approval deletes: it is always severe.
				return usageError("abort deletes the deployment and its green: --yes is not enough, also pass --confirm %s; nothing was changed", source)
			}
			return headlessOrInteractive(cmd.Context(), *g, steps.Options{Source: source}, yes, confirm, output, "abort", stdin, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&sourceFlag, "source", "", "source DB instance or Aurora cluster (identifier or ARN)")
	requireSource(cmd)
	addApprovalFlags(cmd, &yes, &confirm, &output, "headless: ")
	addOwnershipFlags(cmd, g, false)
	return cmd
}
