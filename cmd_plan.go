package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/steps"
)

// newPlanCommand is `rdsbg plan`: the plan, the preflight checks and the
// AWS CLI runbook (text, markdown for a change ticket, or JSON); it changes
// nothing, and exits 3 when preflight blocks.
func newPlanCommand(g *globalFlags, stdout io.Writer) *cobra.Command {
	var c createFlags
	var output string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print the plan and the equivalent AWS CLI runbook; changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prep, env, err := prepareCommand(cmd.Context(), *g, c, steps.WithPreflight)
			if err != nil {
				return err
			}
			plan, checks, d := prep.Plan, prep.Checks, prep.Discovery
			switch output {
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					Plan   steps.Plan          `json:"plan"`
					Checks []steps.CheckResult `json:"preflight"`
				}{plan, checks}); err != nil {
					return &exitError{code: steps.ExitStepFailed, err: err}
				}
			case "markdown":
				in, err := steps.ReadPolicyInputs(cmd.Context(), env.api, d, g.noMetrics)
				if err != nil {
					return exitFor(err)
				}
				fmt.Fprint(stdout, steps.RenderMarkdown(plan))
				fmt.Fprint(stdout, steps.RenderIAMPolicyMarkdown(plan, in))
				fmt.Fprint(stdout, steps.CheckLines(checks, steps.LayoutMarkdown))
			default:
				fmt.Fprint(stdout, steps.CheckLines(checks, steps.LayoutPlan))
				fmt.Fprint(stdout, steps.RenderText(plan))
			}
			if steps.Blocked(checks) {
				return &exitError{code: steps.ExitPreflight, err: errors.New("preflight blocked: fix the failed checks above, nothing was changed")}
			}
			return nil
		},
	}
	addCreateFlags(cmd, &c)
	requireSource(cmd)
	cmd.Flags().StringVar(&output, "output", "text", "text, markdown (a runbook for a change ticket) or json")
	return cmd
}
