package steps

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// The grants of an IAM policy (iampolicy.go): the policy document, and
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
