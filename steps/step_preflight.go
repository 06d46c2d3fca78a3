package steps

import "github.com/rdsbg/rdsbg/steps/contract"

// preflight: read-only checks before anything changes (preflight.go runs
// them, before the plan exists, so the runner passes over this row). Same
// in every regime. Nothing to undo.

func planPreflight(b planBuilder) (contract.PlannedStep, bool) {
	return contract.PlannedStep{
		ID: contract.StepPreflight, Title: "Preflight checks", Severity: contract.SeverityReadOnly,
		Why:    "Blue/green creation fails late (after minutes of provisioning) on problems that can be seen now: engine version, backups, parameter groups, replication settings, proxy health.",
		Effect: "Nothing changes; every check is a read.",
		CLI:    append([]string{"aws sts get-caller-identity", b.describeSource()}, b.each(b.cli.describeTargets)...),
	}, true
}

// preflightGrants are the reads of the checks and of every wait: the
// Describe calls of RDS take no useful resource scope for listing
// (discovery lists instances, clusters, proxies, deployments); the
// connections and lag for the timeline; the database checks' logins.
func preflightGrants(s policyScope) []PolicyStatement {
	reads := []string{"rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:DescribeBlueGreenDeployments",
		"rds:DescribeDBProxies", "rds:DescribeDBProxyTargets", "rds:DescribeDBProxyTargetGroups", "rds:ListTagsForResource", "rds:DescribeEvents"}
	reads = append(reads, policyParameterReads(s.plan)...)
	if s.plan.Options.Cleanup == contract.CleanupOldBlue {
		if s.cluster {
			reads = append(reads, "rds:DescribeDBClusterSnapshots")
		} else {
			reads = append(reads, "rds:DescribeDBSnapshots")
		}
	}
	out := []PolicyStatement{allow("ReadForChecksAndWaits", reads, []string{"*"})}
	if !s.in.NoMetrics {
		out = append(out, allow("ConnectionsAndLagForTheTimeline", []string{"cloudwatch:GetMetricData"}, []string{"*"}))
	}
	return append(out, dbCheckStatements(s.plan, s.in.Proxies, s.partition)...)
}
