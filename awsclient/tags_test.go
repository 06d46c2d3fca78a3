package awsclient

import (
	"context"
	"strings"
	"testing"
)

// The tagging calls through the real SDK client against the simulator:
// proxies and deployments keep their tags, the documented limits are
// refused with InvalidParameterValue, and every change is a mutation.
func TestTagsOnProxiesAndDeployments(t *testing.T) {
	h := newSimHarness(t, "rds-postgres-native-proxy")
	ctx := context.Background()
	c := h.client
	proxies, err := c.ListProxies(ctx)
	if err != nil || len(proxies) == 0 {
		t.Fatalf("ListProxies: %v %v", proxies, err)
	}
	px := proxies[0]
	value := "target=instance:orders-db source=orders-db run=20261121T220000Z at=2026-11-21T22:00:00Z"
	if err := c.AddTagsToResource(ctx, px.ARN, map[string]string{"rdsbg:detached": value, "team": "orders"}); err != nil {
		t.Fatalf("AddTagsToResource: %v", err)
	}
	tags, err := c.ListTagsForResource(ctx, px.ARN)
	if err != nil || tags["rdsbg:detached"] != value || tags["team"] != "orders" || len(tags) != 2 {
		t.Fatalf("ListTagsForResource: %v %v", tags, err)
	}
	if err := c.RemoveTagsFromResource(ctx, px.ARN, "rdsbg:detached", "not-there"); err != nil {
		t.Fatalf("RemoveTagsFromResource: %v", err)
	}
	if tags, _ := c.ListTagsForResource(ctx, px.ARN); len(tags) != 1 || tags["team"] != "orders" {
		t.Fatalf("after remove: %v", tags)
	}

	for name, bad := range map[string]map[string]string{
		"aws: key":        {"aws:owner": "x"},
		"rds: key":        {"rds:owner": "x"},
		"long key":        {strings.Repeat("k", 129): "x"},
		"long value":      {"k": strings.Repeat("v", 257)},
		"semicolon value": {"k": "a;b"},
	} {
		if err := c.AddTagsToResource(ctx, px.ARN, bad); Classify(err) != KindInvalidParameter {
			t.Errorf("%s: want InvalidParameterValue, got %v", name, err)
		}
	}
	if err := c.AddTagsToResource(ctx, px.ARN, map[string]string{strings.Repeat("k", 128): strings.Repeat("v", 256)}); err != nil {
		t.Errorf("128/256 characters are allowed: %v", err)
	}
	gone := px.ARN[:strings.LastIndex(px.ARN, ":")+1] + "prx-00000000000000000"
	if _, err := c.ListTagsForResource(ctx, gone); Classify(err) != KindNotFound {
		t.Errorf("unknown proxy: %v", err)
	}

	inst, err := c.DescribeInstance(ctx, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	dep, err := c.CreateDeployment(ctx, CreateDeploymentInput{Name: "orders-tags", SourceARN: inst.ARN, Tags: map[string]string{"rdsbg:source": "orders-db"}})
	if err != nil {
		// legacy regime: the proxy must be detached first
		for _, p := range proxies {
			_ = c.DeregisterTargets(ctx, p.Name, TargetRef{InstanceID: "orders-db"})
		}
		dep, err = c.CreateDeployment(ctx, CreateDeploymentInput{Name: "orders-tags", SourceARN: inst.ARN, Tags: map[string]string{"rdsbg:source": "orders-db"}})
		if err != nil {
			t.Fatalf("CreateDeployment: %v", err)
		}
	}
	if dep.Tags["rdsbg:source"] != "orders-db" {
		t.Errorf("creation tags not in the TagList: %v", dep.Tags)
	}
	depARN := DeploymentARN(inst.ARN, dep.ID)
	if depARN != "arn:aws:rds:us-east-1:"+strings.Split(inst.ARN, ":")[4]+":deployment:"+dep.ID {
		t.Errorf("DeploymentARN = %s", depARN)
	}
	if err := c.AddTagsToResource(ctx, depARN, map[string]string{"rdsbg:run": "20261121T220000Z"}); err != nil {
		t.Fatalf("tag deployment: %v", err)
	}
	got, err := c.DescribeDeployment(ctx, dep.ID)
	if err != nil || got.Tags["rdsbg:run"] != "20261121T220000Z" || got.Tags["rdsbg:source"] != "orders-db" {
		t.Errorf("deployment tags: %v %v", got.Tags, err)
	}

	var tagOps []string
	for _, m := range h.sim.Mutations() {
		if strings.Contains(m.Operation, "Tags") {
			tagOps = append(tagOps, m.Operation+" "+m.Target)
		}
	}
	want := []string{"AddTagsToResource " + px.ARN, "RemoveTagsFromResource " + px.ARN, "AddTagsToResource " + px.ARN, "AddTagsToResource " + depARN}
	if strings.Join(tagOps, "\n") != strings.Join(want, "\n") {
		t.Errorf("mutation log:\n%s\nwant:\n%s", strings.Join(tagOps, "\n"), strings.Join(want, "\n"))
	}
}

// ARNs are parsed with the SDK's aws/arn: partition, Region and account
// carry over to the deployment's ARN, and anything that is not an RDS ARN
// with a type and a name is refused.
func TestParseRDSARN(t *testing.T) {
	a, ok := ParseRDSARN("arn:aws-cn:rds:cn-north-1:123456789012:cluster:ledger-cluster")
	if !ok || a.Partition != "aws-cn" || a.Region != "cn-north-1" || a.Account != "123456789012" || a.Type != "cluster" || a.Name != "ledger-cluster" {
		t.Fatalf("parsed %+v %v", a, ok)
	}
	if got := DeploymentARN(a.String(), "bgd-0123456789abcdef"); got != "arn:aws-cn:rds:cn-north-1:123456789012:deployment:bgd-0123456789abcdef" {
		t.Fatalf("DeploymentARN %s", got)
	}
	for _, bad := range []string{"orders-db", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", "arn:aws:rds:us-east-1:123456789012:db", "arn:aws:rds:us-east-1:123456789012:db:", "arn:aws:rds"} {
		if _, ok := ParseRDSARN(bad); ok {
			t.Errorf("%q accepted", bad)
		}
		if DeploymentARN(bad, "bgd-x") != "" {
			t.Errorf("DeploymentARN(%q) must be empty", bad)
		}
	}
}
