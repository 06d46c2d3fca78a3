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
		Long: `iam-policy prints the IAM identity policy that exactly this plan needs,
including what AWS does as the caller to build, switch over and delete the
deployment, in the partition of your credentials (aws, aws-cn, aws-us-gov).

The source, its members, the proxies, their target groups and old blue are
named. Green's resources and the deployment get names only AWS knows, so
those grants require the tag rdsbg:source=<source>, which the run puts on
blue just before creating the deployment and AWS copies to green.
Deleting the production names is denied. Like plan, it only reads AWS.`,
		Example: `  rdsbg iam-policy --source orders-db --target-engine-version 16.4 > rdsbg-policy.json
  aws iam put-role-policy --role-name dba-rdsbg --policy-name rdsbg-orders-db --policy-document file://rdsbg-policy.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The plan only: preflight's reads are not the policy's business.
			prep, env, err := prepareCommand(cmd.Context(), *g, c, steps.WithoutPreflight)
			if err != nil {
				return err
			}
			// The partition comes from the caller's ARN, the target
			// groups from one read per proxy: the policy names them.
			in, err := steps.ReadPolicyInputs(cmd.Context(), env.api, prep.Discovery, g.noMetrics)
			if err != nil {
				return exitFor(err)
			}
			fmt.Fprint(stdout, steps.IAMPolicy(prep.Plan, in).JSON())
			return nil
		},
	}
	addCreateFlags(cmd, &c)
	requireSource(cmd)
	return cmd
}
