package sim_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

const shopARN = "arn:aws:rds:us-east-1:123456789012:db:shop-db"

// policy is an IAM document from its statements.
func policy(statements ...string) json.RawMessage {
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`)
}

func (e *env) tag(arn, k, v string) {
	e.t.Helper()
	if _, err := e.rds.AddTagsToResource(ctx(), &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}); err != nil {
		e.t.Fatalf("tag %s: %v", arn, err)
	}
}

func (e *env) tagsOf(arn string) map[string]string {
	e.t.Helper()
	out, err := e.rds.ListTagsForResource(ctx(), &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		e.t.Fatalf("tags of %s: %v", arn, err)
	}
	m := map[string]string{}
	for _, t := range out.TagList {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// The policy fault checks resources and tag conditions, and an explicit
// Deny wins, as IAM evaluates them.
func TestPolicyFaultChecksResourcesAndConditions(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative, Faults: []sim.Fault{{Policy: policy(
		`{"Sid":"Read","Effect":"Allow","Action":["rds:Describe*","rds:ListTagsForResource"],"Resource":"*"}`,
		`{"Sid":"TagOnlyShop","Effect":"Allow","Action":"rds:AddTagsToResource","Resource":"`+shopARN+`",
		  "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}`,
		`{"Sid":"ModifyTeamA","Effect":"Allow","Action":"rds:ModifyDBInstance","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}}`,
		`{"Sid":"NeverShop","Effect":"Deny","Action":"rds:DeleteDBInstance","Resource":"`+shopARN+`"}`,
		`{"Sid":"DeleteAnyOther","Effect":"Allow","Action":"rds:DeleteDBInstance","Resource":"*"}`,
	)}}})
	modify := func(id string) error {
		_, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), ApplyImmediately: aws.Bool(true), BackupRetentionPeriod: aws.Int32(7)})
		return err
	}
	requireCode(t, modify("shop-db"), "AccessDenied") // no tag yet
	e.tag(shopARN, "team", "a")
	if err := modify("shop-db"); err != nil {
		t.Fatalf("the tag condition holds now: %v", err)
	}
	ae := requireCode(t, modify("reporting-db"), "AccessDenied")
	if !strings.Contains(ae.ErrorMessage(), "rds:ModifyDBInstance on resource: arn:aws:rds:us-east-1:123456789012:db:reporting-db") {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, err := e.rds.AddTagsToResource(ctx(), &rds.AddTagsToResourceInput{ResourceName: aws.String(shopARN), Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("x")}}})
	requireCode(t, err, "AccessDenied") // aws:TagKeys allows team only
	_, err = e.rds.DeleteDBInstance(ctx(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("shop-db"), SkipFinalSnapshot: aws.Bool(true)})
	ae = requireCode(t, err, "AccessDenied")
	if !strings.Contains(ae.ErrorMessage(), "explicit deny") {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	for _, m := range e.sim.Mutations() {
		if m.Operation == "DeleteDBInstance" || m.Target == "reporting-db" {
			t.Errorf("a refused call changed AWS: %+v", m)
		}
	}
	if d := e.sim.IAMDenials(); len(d) != 4 || d[0].Action != "rds:ModifyDBInstance" || d[0].Dependent {
		t.Errorf("denials %+v", d)
	}
}

// What AWS does as the caller is authorized too: creating a deployment
// needs CreateDBInstanceReadReplica for green, with blue's tags as the
// request's tags; AWS copies blue's tags to green, and at the switchover
// blue's tags overwrite green's (rds-facts §4.1, §4.3).
func TestPolicyFaultChecksWhatAWSDoesAsTheCaller(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative, Faults: []sim.Fault{{Policy: policy(
		`{"Effect":"Allow","Action":["rds:Describe*","rds:ListTagsForResource"],"Resource":"*"}`,
		`{"Effect":"Allow","Action":"rds:AddTagsToResource","Resource":"`+shopARN+`"}`,
		`{"Effect":"Allow","Action":"rds:CreateBlueGreenDeployment","Resource":["`+shopARN+`","arn:aws:rds:us-east-1:123456789012:deployment:*"]}`,
		`{"Effect":"Allow","Action":"rds:CreateDBInstanceReadReplica","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/rdsbg:source":"shop-db"}}}`,
		`{"Effect":"Allow","Action":"rds:AddTagsToResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/rdsbg:source":"shop-db"},"Bool":{"rds:TagsFromRequest":"false"}}}`,
		`{"Effect":"Allow","Action":"rds:AddTagsToResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["green-only"]}}}`,
		`{"Effect":"Allow","Action":"rds:SwitchoverBlueGreenDeployment","Resource":"*"}`,
		`{"Effect":"Allow","Action":["rds:ModifyDBInstance","rds:PromoteReadReplica"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/rdsbg:source":"shop-db"}}}`,
	)}}})
	in := &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("shop-upgrade"), Source: aws.String(shopARN)}
	_, err := e.rds.CreateBlueGreenDeployment(ctx(), in)
	ae := requireCode(t, err, "AccessDenied") // blue is not tagged: green's create request carries no rdsbg:source
	if !strings.Contains(ae.ErrorMessage(), "rds:CreateDBInstanceReadReplica") {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	if n := len(e.sim.Mutations()); n != 0 || e.sim.DeploymentsCreated() != 0 {
		t.Fatalf("a refused creation changed AWS: %d mutations", n)
	}
	if d := e.sim.IAMDenials(); len(d) != 1 || !d[0].Dependent || d[0].Operation != "CreateBlueGreenDeployment" {
		t.Errorf("denials %+v", d)
	}

	e.tag(shopARN, "rdsbg:source", "shop-db")
	dep := e.create(in)
	for i := 0; i < 40 && aws.ToString(e.deployment(aws.ToString(dep.BlueGreenDeploymentIdentifier)).Status) != "AVAILABLE"; i++ {
		e.advance(time.Minute)
	}
	dep = e.deployment(aws.ToString(dep.BlueGreenDeploymentIdentifier))
	green := aws.ToString(dep.Target)
	if got := e.tagsOf(green)["rdsbg:source"]; got != "shop-db" {
		t.Fatalf("green %s did not get blue's tags: %v", green, e.tagsOf(green))
	}
	e.tag(green, "green-only", "x")
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: dep.BlueGreenDeploymentIdentifier}); err != nil {
		t.Fatalf("switchover: %v (denials %+v)", err, e.sim.IAMDenials())
	}
	e.advance(5 * time.Minute)
	if tags := e.tagsOf(shopARN); tags["rdsbg:source"] != "shop-db" || tags["green-only"] != "" {
		t.Errorf("the new primary's tags %v: blue's must overwrite green's", tags)
	}
}

// The printed policy's refusals of another database: a tag the caller
// adds by hand (rds:TagsFromRequest true) does not pass for the tags AWS
// copies, so this principal cannot mark another resource as this
// database's.
func TestPolicyFaultTellsCopiedTagsFromTagsAddedByHand(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative, Faults: []sim.Fault{{Policy: policy(
		`{"Effect":"Allow","Action":"rds:AddTagsToResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/rdsbg:source":"shop-db"},"Bool":{"rds:TagsFromRequest":"false"}}}`,
	)}}})
	_, err := e.rds.AddTagsToResource(ctx(), &rds.AddTagsToResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:db:reporting-db"),
		Tags: []types.Tag{{Key: aws.String("rdsbg:source"), Value: aws.String("shop-db")}}})
	requireCode(t, err, "AccessDenied")
}

// A policy the simulator cannot evaluate is refused when the faults are
// read, never enforced halfway.
func TestPolicyFaultRefusesWhatItCannotEvaluate(t *testing.T) {
	for _, doc := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"rds:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"rds:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17"}`,
	} {
		if _, err := sim.ParseFaults(strings.NewReader(`[{"policy":` + doc + `}]`)); err == nil {
			t.Errorf("accepted %s", doc)
		}
	}
	if _, err := sim.ParseFaults(strings.NewReader(`[{"policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds:*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:ResourceTag/a":"b"},"Null":{"aws:RequestTag/c":"true"}}}]}}]`)); err != nil {
		t.Errorf("refused a policy it evaluates: %v", err)
	}
}
