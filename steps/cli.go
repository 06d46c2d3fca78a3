package steps

import (
	"fmt"
	"strings"
)

// The AWS CLI lines of the plan. They form a runbook an operator can paste
// into a POSIX shell: the deployment id travels in $BGD (set by the create
// line, or fixed for an adopted deployment) and green's identifier in
// $GREEN, because neither exists when the plan is made.

// shellQuote quotes s for sh when it holds anything beyond a safe set.
func shellQuote(s string) string {
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/=@+,", r)) {
			safe = false
			break
		}
	}
	if safe && s != "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

type cliBuilder struct {
	region string
}

func (c cliBuilder) rds(op string, args ...string) string {
	parts := append([]string{"aws", "rds", op, "--region", shellQuote(c.region)}, args...)
	return strings.Join(parts, " ")
}

// targetFlag is the identifier flag for a proxy target of this source.
func targetFlag(src Source) string {
	if src.Kind == KindCluster {
		return "--db-cluster-identifiers " + shellQuote(src.ID)
	}
	return "--db-instance-identifiers " + shellQuote(src.ID)
}

func (c cliBuilder) deregister(proxy string, src Source) string {
	return c.rds("deregister-db-proxy-targets", "--db-proxy-name", shellQuote(proxy), "--target-group-name default", targetFlag(src))
}

func (c cliBuilder) register(proxy string, src Source) string {
	return c.rds("register-db-proxy-targets", "--db-proxy-name", shellQuote(proxy), "--target-group-name default", targetFlag(src))
}

func (c cliBuilder) describeTargets(proxy string) string {
	return c.rds("describe-db-proxy-targets", "--db-proxy-name", shellQuote(proxy),
		"--query", shellQuote("Targets[].[RdsResourceId,Type,TargetHealth.State,TargetHealth.Reason]"), "--output text")
}

func (c cliBuilder) createDeployment(src Source, o Options, upgradeAtCreate bool) string {
	args := []string{"--blue-green-deployment-name", shellQuote(o.DeploymentName), "--source", shellQuote(src.ARN)}
	if upgradeAtCreate && o.TargetEngineVersion != "" {
		args = append(args, "--target-engine-version", shellQuote(o.TargetEngineVersion))
	}
	if o.TargetDBParameterGroupName != "" {
		args = append(args, "--target-db-parameter-group-name", shellQuote(o.TargetDBParameterGroupName))
	}
	if o.TargetDBClusterParameterGroupName != "" {
		args = append(args, "--target-db-cluster-parameter-group-name", shellQuote(o.TargetDBClusterParameterGroupName))
	}
	if o.TargetDBInstanceClass != "" {
		args = append(args, "--target-db-instance-class", shellQuote(o.TargetDBInstanceClass))
	}
	if o.UpgradeTargetStorageConfig {
		args = append(args, "--upgrade-target-storage-config")
	}
	args = append(args, storageCLIArgs(o)...) // storage_options.go
	args = append(args, "--query BlueGreenDeployment.BlueGreenDeploymentIdentifier --output text")
	return "BGD=$(" + c.rds("create-blue-green-deployment", args...) + ")"
}

func (c cliBuilder) describeDeployment(query string) string {
	return c.rds("describe-blue-green-deployments", "--blue-green-deployment-identifier \"$BGD\"",
		"--query", shellQuote("BlueGreenDeployments[0]."+query), "--output text")
}

func (c cliBuilder) greenVar() string {
	return "GREEN=$(" + c.describeDeployment("Target") + ")"
}

func (c cliBuilder) modifyGreen(src Source, o Options, major bool) string {
	var args []string
	if src.Kind == KindCluster {
		args = []string{"--db-cluster-identifier \"${GREEN##*:}\"", "--engine-version", shellQuote(o.TargetEngineVersion)}
	} else {
		args = []string{"--db-instance-identifier \"${GREEN##*:}\"", "--engine-version", shellQuote(o.TargetEngineVersion)}
	}
	if major {
		args = append(args, "--allow-major-version-upgrade")
	}
	if src.Kind == KindCluster {
		if o.TargetDBClusterParameterGroupName != "" {
			args = append(args, "--db-cluster-parameter-group-name", shellQuote(o.TargetDBClusterParameterGroupName))
		}
		if o.TargetDBParameterGroupName != "" && major {
			args = append(args, "--db-instance-parameter-group-name", shellQuote(o.TargetDBParameterGroupName))
		}
		return c.rds("modify-db-cluster", append(args, "--apply-immediately")...)
	}
	if o.TargetDBParameterGroupName != "" {
		args = append(args, "--db-parameter-group-name", shellQuote(o.TargetDBParameterGroupName))
	}
	return c.rds("modify-db-instance", append(args, "--apply-immediately")...)
}

func (c cliBuilder) switchover(o Options) string {
	return c.rds("switchover-blue-green-deployment", "--blue-green-deployment-identifier \"$BGD\"",
		fmt.Sprintf("--switchover-timeout %d", int64(o.SwitchoverTimeout.Seconds())))
}

func (c cliBuilder) deleteDeployment() string {
	return c.rds("delete-blue-green-deployment", "--blue-green-deployment-identifier \"$BGD\"")
}

// deleteOldBlue deletes the old environment after switchover: the
// deployment's Source then names the -oldN primary; replicas and members
// carry the same -oldN suffix. A final snapshot of the primary keeps the
// data recoverable; replicas and cluster members have nothing of their own.
func (c cliBuilder) deleteOldBlue(src Source, deletionProtection bool) []string {
	// OLD is read before the deployment is deleted: afterwards nothing
	// records which resource was blue.
	lines := []string{"OLD=$(" + c.describeDeployment("Source") + ")", c.deleteDeployment()}
	suffix := "-old1"
	if src.Kind == KindCluster {
		if deletionProtection {
			lines = append(lines, c.rds("modify-db-cluster", "--db-cluster-identifier \"${OLD##*:}\"", "--no-deletion-protection", "--apply-immediately"))
		}
		for _, m := range src.Members {
			lines = append(lines, c.rds("delete-db-instance", "--db-instance-identifier", shellQuote(m+suffix)))
		}
		lines = append(lines, c.rds("delete-db-cluster", "--db-cluster-identifier \"${OLD##*:}\"", "--final-db-snapshot-identifier \"rdsbg-final-${OLD##*:}\""))
		return lines
	}
	for _, m := range src.Members {
		lines = append(lines, c.rds("delete-db-instance", "--db-instance-identifier", shellQuote(m+suffix), "--skip-final-snapshot"))
	}
	if deletionProtection {
		lines = append(lines, c.rds("modify-db-instance", "--db-instance-identifier \"${OLD##*:}\"", "--no-deletion-protection", "--apply-immediately"))
	}
	lines = append(lines, c.rds("delete-db-instance", "--db-instance-identifier \"${OLD##*:}\"", "--final-db-snapshot-identifier \"rdsbg-final-${OLD##*:}\""))
	return lines
}
