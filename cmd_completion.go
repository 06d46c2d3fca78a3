package main

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps"
)

// Shell completion: cobra's `completion` command writes the script for
// bash, zsh, fish or PowerShell; the script calls `rdsbg __complete …`,
// answered here. --source is completed from AWS (the DB instances and
// Aurora clusters of the account and Region the other flags name), the
// flags with a fixed set of values from that set.

// enumValues are the flags whose values are a fixed list, by flag name;
// --output differs per command (outputsOf).
func enumValues() map[string][]string {
	scenarios := strings.Split(scenarioNames(), ", ")
	return map[string][]string{
		"proxy-mode":          {string(steps.ProxyModeAuto), string(steps.ProxyModeNative), string(steps.ProxyModeDetach)},
		"upgrade-via":         {string(steps.UpgradeViaCreate), string(steps.UpgradeViaModify)},
		"cleanup":             {string(steps.CleanupNone), string(steps.CleanupDeployment), string(steps.CleanupOldBlue)},
		"until":               {steps.UntilReady},
		"timings":             sim.TimingsProfiles(),
		"scenario":            scenarios,
		"target-storage-type": steps.StorageTypes,
	}
}

// addCompletion adds the completion command and the completion functions
// of every command's flags. g holds the global flags as parsed so far, so
// --source completes against the --profile, --region and --endpoint-url
// given before it.
func addCompletion(root *cobra.Command, g *globalFlags, stdout io.Writer) {
	// The completion command takes its writer when it is made.
	root.SetOut(stdout)
	root.InitDefaultCompletionCmd()
	enums := enumValues()
	for _, cmd := range append([]*cobra.Command{root}, root.Commands()...) {
		if cmd.Name() == "completion" {
			// An unknown shell is bad usage (exit 2), not cobra's help
			// and exit 0 (walkthrough D21).
			cmd.Args = cobra.ArbitraryArgs
			cmd.RunE = func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usageError("completion %q: the shells are bash, zsh, fish and powershell", args[0])
				}
				return c.Help()
			}
			cmd.Example = `  # bash, for this shell
  source <(rdsbg completion bash)

  # zsh, for every new shell
  rdsbg completion zsh > "${fpath[1]}/_rdsbg"`
			continue
		}
		for name, values := range enums {
			if cmd.Flags().Lookup(name) != nil {
				cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
			}
		}
		if cmd.Flags().Lookup("output") != nil {
			values := outputsOf(cmd.Name()) // flag_checks.go
			if values == nil {
				values = []string{"text", "json"}
			}
			cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
		if cmd.Flags().Lookup("source") != nil {
			cmd.RegisterFlagCompletionFunc("source", completeSources(g))
		}
	}
}

// completeSources lists the DB instances (not Aurora members, not read
// replicas: neither can be a blue/green source) and the Aurora clusters,
// each with its engine as the description. It makes only the two reads
// (DescribeDBInstances, DescribeDBClusters) and gives up after 10 s: a
// shell waits for it.
func completeSources(g *globalFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		api, err := completionClient(ctx, *g)
		if err != nil {
			cobra.CompDebugln("rdsbg: "+err.Error(), true)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		add := func(id, desc string) {
			if strings.HasPrefix(id, toComplete) {
				out = append(out, cobra.CompletionWithDesc(id, desc))
			}
		}
		instances, err := api.ListInstances(ctx)
		if err != nil {
			cobra.CompDebugln("rdsbg: list DB instances: "+err.Error(), true)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		for _, in := range instances {
			if in.ClusterID == "" && in.ReplicaSourceID == "" {
				add(in.ID, "DB instance, "+in.Engine+" "+in.EngineVersion)
			}
		}
		clusters, err := api.ListClusters(ctx)
		if err != nil {
			cobra.CompDebugln("rdsbg: list DB clusters: "+err.Error(), true)
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		for _, cl := range clusters {
			add(cl.ID, "Aurora cluster, "+cl.Engine+" "+cl.EngineVersion)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completionClient is newEnvironment's AWS client without the state
// directory (completing must not create one) and without SDK log lines.
func completionClient(ctx context.Context, g globalFlags) (*awsclient.Client, error) {
	return awsclient.New(ctx, awsclient.Options{
		Profile:     g.profile,
		Region:      g.region,
		EndpointURL: g.endpointURL,
		Simulator:   g.profile == "" && isLoopbackEndpoint(g.endpointURL),
		Clock:       clock.Real{},
		Calls:       awsclient.NewCallLog(),
		SDKLog:      sdkLog(false),
	})
}
