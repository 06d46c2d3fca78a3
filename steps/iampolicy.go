package steps

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
)

// The least-privilege IAM policy for one plan (`rdsbg iam-policy`, and a
// section of `plan --output markdown`). Actions follow what each step of
// the plan calls, including the undo paths (compensation, abort);
// resources are scoped where RDS allows resource-level permissions and the
// name is known in advance: the source (whose ARN the new primary takes
// after the switchover), its -oldN names, the proxies, the final
// snapshots and the deployment. Green's names (<name>-green-<random>)
// cannot be scoped: AWS's page on authorizing blue/green access says
// partial-name patterns do not work for them, so green's actions use "*"
// (rds-facts §1.15).

// PolicyStatement is one statement of an IAM policy document.
type PolicyStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// PolicyDocument is an IAM identity policy.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// Actions lists every action of the policy once, sorted.
func (p PolicyDocument) Actions() []string {
	seen := map[string]bool{}
	for _, s := range p.Statement {
		for _, a := range s.Action {
			seen[a] = true
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// JSON is the document as IAM takes it.
func (p PolicyDocument) JSON() string {
	b, _ := json.MarshalIndent(p, "", "  ")
	return string(b) + "\n"
}

// MutatingActions are the policy's actions that change something.
func (p PolicyDocument) MutatingActions() []string {
	var out []string
	for _, a := range p.Actions() {
		name := strings.TrimPrefix(a, "rds:")
		if !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "List") && !strings.Contains(a, ":Get") {
			out = append(out, a)
		}
	}
	return out
}

// PolicyScope says what of the run's surroundings the policy covers
// beyond the plan itself.
type PolicyScope struct {
	// NoMetrics: the run reads no CloudWatch metrics (--no-metrics), so
	// cloudwatch:GetMetricData is left out.
	NoMetrics bool
}

// IAMPolicy builds the policy for plan. proxies are the discovered proxies
// (for their ARNs); a proxy missing from it is scoped to every proxy. An
// action is listed only when this plan's steps, checks or undo paths call
// it.
func IAMPolicy(plan Plan, proxies []awsclient.Proxy, scope ...PolicyScope) PolicyDocument {
	var sc PolicyScope
	if len(scope) > 0 {
		sc = scope[0]
	}
	src := plan.Source
	o := plan.Options
	prefix := "arn:aws:rds:" + src.Region + ":" + src.Account + ":"
	if src.Account == "" {
		prefix = "arn:aws:rds:" + src.Region + ":*:"
	}
	cluster := src.Kind == KindCluster
	kind := "db:"
	if cluster {
		kind = "cluster:"
	}
	deployment := prefix + "deployment:*"
	source := prefix + kind + src.ID
	var members []string
	for _, m := range src.Members {
		members = append(members, prefix+"db:"+m)
	}
	var st []PolicyStatement
	add := func(sid string, actions, resources []string) {
		if len(actions) == 0 {
			return
		}
		st = append(st, PolicyStatement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources})
	}

	// Reads: the Describe calls of RDS take no useful resource scope for
	// listing (discovery lists instances, clusters, proxies, deployments).
	reads := []string{"rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:DescribeBlueGreenDeployments",
		"rds:DescribeDBProxies", "rds:DescribeDBProxyTargets", "rds:DescribeDBProxyTargetGroups", "rds:ListTagsForResource", "rds:DescribeEvents"}
	reads = append(reads, policyParameterReads(plan)...)
	if o.Cleanup == CleanupOldBlue {
		if cluster {
			reads = append(reads, "rds:DescribeDBClusterSnapshots")
		} else {
			reads = append(reads, "rds:DescribeDBSnapshots")
		}
	}
	add("ReadForChecksAndWaits", reads, []string{"*"})
	if !sc.NoMetrics {
		add("ConnectionsAndLagForTheTimeline", []string{"cloudwatch:GetMetricData"}, []string{"*"})
	}

	// Proxies: deregistered and registered again in the detach regime;
	// auto may fall back to it when the native regime is refused.
	detach := plan.Regime == RegimeDetach || (len(plan.Proxies) > 0 && o.ProxyMode == ProxyModeAuto)
	if detach && len(plan.Proxies) > 0 {
		var res []string
		for _, pr := range plan.Proxies {
			arn := prefix + "db-proxy:*"
			for _, p := range proxies {
				if p.Name == pr.Proxy && p.ARN != "" {
					arn = p.ARN
				}
			}
			res = append(res, arn)
		}
		res = append(res, prefix+"target-group:*", source)
		res = append(res, members...)
		add("MoveProxyTargets", []string{"rds:DeregisterDBProxyTargets", "rds:RegisterDBProxyTargets"}, dedupe(res))
		add("MarkDetachedProxies", []string{"rds:AddTagsToResource", "rds:RemoveTagsFromResource"}, dedupe(res[:len(plan.Proxies)]))
	}

	// Creation: the deployment, and green built from the source. Green's
	// resources have unpredictable names (only "*").
	create := []string{"rds:CreateBlueGreenDeployment", "rds:AddTagsToResource"}
	if cluster {
		create = append(create, "rds:CreateDBCluster", "rds:CreateDBInstance")
	} else {
		create = append(create, "rds:CreateDBInstanceReadReplica")
	}
	add("CreateTheDeploymentAndGreen", create, []string{deployment, source, "*"})

	if _, ok := plan.Step(StepUpgradeGreen); ok {
		action := "rds:ModifyDBInstance"
		if cluster {
			action = "rds:ModifyDBCluster"
		}
		add("UpgradeGreen", []string{action}, []string{"*"})
	}

	// Switchover: AWS's page adds ModifyDBInstance and PromoteReadReplica
	// on the resources being renamed.
	switchover := []string{"rds:SwitchoverBlueGreenDeployment", "rds:ModifyDBInstance", "rds:PromoteReadReplica"}
	if cluster {
		switchover = append(switchover, "rds:ModifyDBCluster", "rds:PromoteReadReplicaDBCluster")
	}
	add("SwitchOver", switchover, []string{deployment, "*"})

	// Undo and cleanup: deleting the deployment (with green before the
	// switchover: compensation and abort), and old blue with --cleanup
	// old-blue (deletion protection off, a final snapshot, then delete).
	undo := []string{"rds:DeleteBlueGreenDeployment", "rds:DeleteDBInstance"}
	if cluster {
		undo = append(undo, "rds:DeleteDBCluster")
	}
	add("DeleteTheDeploymentOrGreen", undo, []string{deployment, "*"})
	if o.Cleanup == CleanupOldBlue {
		old := []string{prefix + kind + src.ID + "-old*"}
		for _, m := range src.Members {
			old = append(old, prefix+"db:"+m+"-old*")
		}
		acts := []string{"rds:ModifyDBInstance", "rds:DeleteDBInstance", "rds:CreateDBSnapshot"}
		snap := prefix + "snapshot:rdsbg-final-*"
		if cluster {
			acts = []string{"rds:ModifyDBCluster", "rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:CreateDBClusterSnapshot"}
			snap = prefix + "cluster-snapshot:rdsbg-final-*"
		}
		add("DeleteOldBlue", acts, append(old, snap))
	}
	return PolicyDocument{Version: "2012-10-17", Statement: st}
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// policyParameterReads are the catalogue and parameter reads of the
// preflight (preflight.go) for this plan: the engine catalogue checks the
// source's version (every plan), a target version and the family of a
// named parameter group; the
// replication check reads blue's group for an RDS PostgreSQL major
// upgrade and the cluster group of every Aurora source; a named target
// group is read to check it exists.
func policyParameterReads(plan Plan) []string {
	o, src := plan.Options, plan.Source
	reads := []string{"rds:DescribeDBEngineVersions"}
	if o.TargetDBParameterGroupName != "" || (src.Kind == KindInstance && src.Engine == "postgres" && plan.MajorUpgrade) {
		reads = append(reads, "rds:DescribeDBParameters")
	}
	if o.TargetDBClusterParameterGroupName != "" || src.Engine == "aurora-mysql" || src.Engine == "aurora-postgresql" {
		reads = append(reads, "rds:DescribeDBClusterParameters")
	}
	// The family check of a named target group lists the groups
	// (parameter_groups.go); without the permission it is skipped.
	if o.TargetDBParameterGroupName != "" {
		reads = append(reads, "rds:DescribeDBParameterGroups")
	}
	if o.TargetDBClusterParameterGroupName != "" {
		reads = append(reads, "rds:DescribeDBClusterParameterGroups")
	}
	return reads
}

// RenderIAMPolicyMarkdown is the policy as a section of the markdown plan.
func RenderIAMPolicyMarkdown(plan Plan, proxies []awsclient.Proxy, scope ...PolicyScope) string {
	var b strings.Builder
	b.WriteString("\n## IAM policy for this plan\n\n")
	fmt.Fprintf(&b, "The least privilege `rdsbg` needs for exactly this plan (regime %s, cleanup %s). Green's resources get random names, which IAM patterns cannot match, so their actions use `*`; STS GetCallerIdentity needs no permission. `rdsbg iam-policy` prints the same document.\n\n", plan.Regime, plan.Options.Cleanup)
	b.WriteString("```json\n")
	b.WriteString(IAMPolicy(plan, proxies, scope...).JSON())
	b.WriteString("```\n")
	return b.String()
}
