package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/steps"
)

// newIAMPolicyCommand prints the least-privilege IAM policy for the plan
// that the same flags would run (design.md §4): it reads the source, its
// proxies and the engine catalogue like `plan`, and changes nothing.
func newIAMPolicyCommand(g *globalFlags, stdout io.Writer) *cobra.Command {
	var c createFlags
	cmd := &cobra.Command{
		Use:   "iam-policy",
		Short: "Print the least-privilege IAM policy for the plan these flags would run; changes nothing",
		Example: `  rdsbg iam-policy --source orders-db --target-engine-version 16.4 > rdsbg-policy.json
  aws iam put-role-policy --role-name dba-rdsbg --policy-name rdsbg-orders-db --policy-document file://rdsbg-policy.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.source == "" {
				return usageError("--source is required: the DB instance or Aurora cluster identifier (or ARN) the policy is for")
			}
			opts := c.options()
			if err := steps.ValidateOptions(opts); err != nil {
				return exitFor(err)
			}
			env, err := newEnvironment(cmd.Context(), *g, nil)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			d, err := steps.Discover(ctx, env.api, opts.Source)
			if err != nil {
				return exitFor(err)
			}
			opts = opts.WithDefaults()
			upgrade, err := steps.ResolveUpgrade(ctx, env.api, d, opts)
			if err != nil {
				return exitFor(err)
			}
			plan, err := steps.BuildPlan(d, opts, upgrade, env.clock.Now())
			if err != nil {
				return exitFor(err)
			}
			fmt.Fprint(stdout, steps.IAMPolicy(plan, d.ProxyInfo, steps.PolicyScope{NoMetrics: g.noMetrics}).JSON())
			return nil
		},
	}
	addCreateFlags(cmd, &c)
	return cmd
}
