package steps

import (
	"strings"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// The AWS CLI lines of the plan. They form a runbook an operator can paste
// into a POSIX shell: the deployment id travels in $BGD (set by the create
// line, or fixed for an adopted deployment) and green's identifier in
// $GREEN, because neither exists when the plan is made. The lines only
// one step uses live in its file (step_<id>.go); here are those several
// steps, compensation and abort share.

type cliBuilder struct {
	region string
}

func (c cliBuilder) rds(op string, args ...string) string {
	parts := append([]string{"aws", "rds", op, "--region", contract.ShellQuote(c.region)}, args...)
	return strings.Join(parts, " ")
}

// targetFlag is the identifier flag for a proxy target of this source.
func targetFlag(src contract.Source) string {
	if src.Kind == contract.KindCluster {
		return "--db-cluster-identifiers " + contract.ShellQuote(src.ID)
	}
	return "--db-instance-identifiers " + contract.ShellQuote(src.ID)
}

func (c cliBuilder) deregister(proxy string, src contract.Source) string {
	return c.rds("deregister-db-proxy-targets", "--db-proxy-name", contract.ShellQuote(proxy), "--target-group-name default", targetFlag(src))
}

func (c cliBuilder) register(proxy string, src contract.Source) string {
	return c.rds("register-db-proxy-targets", "--db-proxy-name", contract.ShellQuote(proxy), "--target-group-name default", targetFlag(src))
}

func (c cliBuilder) describeTargets(proxy string) string {
	return c.rds("describe-db-proxy-targets", "--db-proxy-name", contract.ShellQuote(proxy),
		"--query", contract.ShellQuote("Targets[].[RdsResourceId,Type,TargetHealth.State,TargetHealth.Reason]"), "--output text")
}

func (c cliBuilder) describeDeployment(query string) string {
	return c.rds("describe-blue-green-deployments", "--blue-green-deployment-identifier \"$BGD\"",
		"--query", contract.ShellQuote("BlueGreenDeployments[0]."+query), "--output text")
}

func (c cliBuilder) greenVar() string {
	return "GREEN=$(" + c.describeDeployment("Target") + ")"
}
