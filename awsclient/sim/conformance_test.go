//go:build conformance

package sim_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// cli runs `aws rds …` (aws-cli v1) against the simulator and returns
// stdout, stderr and whether it succeeded.
type cli struct {
	t        *testing.T
	endpoint string
	home     string
	clock    *clock.Virtual // the simulator's: waitFor moves it on
}

func (c cli) run(args ...string) (string, string, bool) {
	c.t.Helper()
	cmd := exec.Command("aws", append(append([]string{}, args...), "--endpoint-url", c.endpoint, "--output", "json")...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_DEFAULT_REGION=us-east-1",
		"HOME="+c.home, "AWS_CONFIG_FILE="+c.home+"/config", "AWS_SHARED_CREDENTIALS_FILE="+c.home+"/credentials", "AWS_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err == nil
}

func (c cli) ok(args ...string) map[string]any {
	c.t.Helper()
	out, errOut, ok := c.run(args...)
	if !ok {
		c.t.Fatalf("aws %s failed: %s", strings.Join(args, " "), errOut)
	}
	var v map[string]any
	if strings.TrimSpace(out) == "" {
		return v
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		c.t.Fatalf("aws %s: bad JSON %q: %v", strings.Join(args, " "), out, err)
	}
	return v
}

func (c cli) fails(code string, args ...string) {
	c.t.Helper()
	_, errOut, ok := c.run(args...)
	if ok || !strings.Contains(errOut, code) {
		c.t.Fatalf("aws %s: want failure with %s, got ok=%v stderr=%q", strings.Join(args, " "), code, ok, errOut)
	}
}

func field(v map[string]any, path ...any) any {
	var cur any = v
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := cur.(map[string]any)
			cur = m[k]
		case int:
			l, _ := cur.([]any)
			if k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

// waitFor polls the deployment until it reaches want, moving the
// simulator's virtual clock on by five minutes between reads (at most
// eight hours of AWS time): no wall-clock waits between CLI invocations,
// and few of them (each starts a Python process). The simulator computes
// every transition at its exact due time, so a read after a jump sees the
// state AWS would show then; the states waited for are stable ones.
func (c cli) waitFor(id, want string) map[string]any {
	c.t.Helper()
	for i := 0; i < 96; i++ {
		v := c.ok("rds", "describe-blue-green-deployments", "--blue-green-deployment-identifier", id)
		if field(v, "BlueGreenDeployments", 0, "Status") == want {
			return v
		}
		c.clock.Advance(5 * time.Minute)
	}
	c.t.Fatalf("deployment %s never reached %s", id, want)
	return nil
}

// newCLI starts the simulator with o on a virtual clock and an AWS CLI
// home whose botocore does not check minimums (SwitchoverTimeout ≥ 30)
// client side, so that the simulator's own validation is what answers.
func newCLI(t *testing.T, o sim.Options) cli {
	t.Helper()
	tm := sim.DefaultTimings() // AWS's own figures, as `rdsbg sim` serves them
	o.Timings = &tm
	s := simtest.NewServer(t, o)
	c := cli{t: t, endpoint: s.URL, home: t.TempDir(), clock: s.Clock}
	if err := os.WriteFile(c.home+"/config", []byte("[default]\nparameter_validation = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformanceAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI is not on PATH: it is on the machine image, and .ci/run installs it where it is missing")
	}
	c := newCLI(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})

	v := c.ok("rds", "describe-db-instances")
	found := false
	for _, in := range field(v, "DBInstances").([]any) {
		if in.(map[string]any)["DBInstanceIdentifier"] == "shop-db" {
			found = true
		}
	}
	if !found {
		t.Fatalf("shop-db missing from describe-db-instances: %v", v)
	}
	v = c.ok("rds", "describe-db-proxies")
	if field(v, "DBProxies", 1, "DBProxyName") != "shop-proxy" {
		t.Fatalf("describe-db-proxies: %v", v)
	}
	v = c.ok("rds", "describe-db-proxy-targets", "--db-proxy-name", "shop-proxy")
	if field(v, "Targets", 0, "RdsResourceId") != "shop-db" || field(v, "Targets", 0, "TargetHealth", "State") != "AVAILABLE" {
		t.Fatalf("describe-db-proxy-targets: %v", v)
	}
	c.fails("DBInstanceNotFound", "rds", "describe-db-instances", "--db-instance-identifier", "ghost")

	// Tags on a proxy: the durable record rdsbg keeps of a detached proxy.
	proxyARN, _ := field(c.ok("rds", "describe-db-proxies", "--db-proxy-name", "shop-proxy"), "DBProxies", 0, "DBProxyArn").(string)
	detached := "target=instance:shop-db source=shop-db run=20261121T220000Z at=2026-11-21T22:00:00Z"
	c.ok("rds", "add-tags-to-resource", "--resource-name", proxyARN, "--tags", `[{"Key":"rdsbg:detached","Value":"`+detached+`"},{"Key":"team","Value":"shop"}]`)
	v = c.ok("rds", "list-tags-for-resource", "--resource-name", proxyARN)
	if field(v, "TagList", 0, "Key") != "rdsbg:detached" || field(v, "TagList", 0, "Value") != detached || field(v, "TagList", 1, "Key") != "team" {
		t.Fatalf("list-tags-for-resource after add: %v", v)
	}
	c.ok("rds", "remove-tags-from-resource", "--resource-name", proxyARN, "--tag-keys", "rdsbg:detached")
	v = c.ok("rds", "list-tags-for-resource", "--resource-name", proxyARN)
	if tl, _ := field(v, "TagList").([]any); len(tl) != 1 || field(v, "TagList", 0, "Key") != "team" {
		t.Fatalf("list-tags-for-resource after remove: %v", v)
	}
	c.fails("InvalidParameterValue", "rds", "add-tags-to-resource", "--resource-name", proxyARN, "--tags", "Key=aws:owner,Value=x")
	c.fails("InvalidParameterValue", "rds", "add-tags-to-resource", "--resource-name", proxyARN, "--tags", "Key=k,Value="+strings.Repeat("v", 257))
	c.fails("DBProxyNotFoundFault", "rds", "list-tags-for-resource", "--resource-name", "arn:aws:rds:us-east-1:123456789012:db-proxy:prx-0123456789abcdef0")

	v = c.ok("rds", "create-blue-green-deployment", "--blue-green-deployment-name", "shop-bg",
		"--source", "arn:aws:rds:us-east-1:123456789012:db:shop-db", "--target-engine-version", "8.4.3")
	id, _ := field(v, "BlueGreenDeployment", "BlueGreenDeploymentIdentifier").(string)
	if !strings.HasPrefix(id, "bgd-") || field(v, "BlueGreenDeployment", "Status") != "PROVISIONING" {
		t.Fatalf("create-blue-green-deployment: %v", v)
	}
	depARN := "arn:aws:rds:us-east-1:123456789012:deployment:" + id
	c.ok("rds", "add-tags-to-resource", "--resource-name", depARN, "--tags", "Key=rdsbg:source,Value=shop-db")
	v = c.ok("rds", "describe-blue-green-deployments", "--blue-green-deployment-identifier", id)
	if field(v, "BlueGreenDeployments", 0, "TagList", 0, "Key") != "rdsbg:source" || field(v, "BlueGreenDeployments", 0, "TagList", 0, "Value") != "shop-db" {
		t.Fatalf("deployment TagList after add-tags-to-resource: %v", v)
	}
	v = c.ok("rds", "list-tags-for-resource", "--resource-name", depARN)
	if field(v, "TagList", 0, "Value") != "shop-db" {
		t.Fatalf("list-tags-for-resource of the deployment: %v", v)
	}
	c.fails("BlueGreenDeploymentAlreadyExistsFault", "rds", "create-blue-green-deployment", "--blue-green-deployment-name", "shop-bg",
		"--source", "arn:aws:rds:us-east-1:123456789012:db:reporting-db")
	v = c.waitFor(id, "AVAILABLE")
	if n := len(field(v, "BlueGreenDeployments", 0, "Tasks").([]any)); n != 3 {
		t.Fatalf("tasks: %v", v)
	}

	c.fails("InvalidParameterValue", "rds", "switchover-blue-green-deployment", "--blue-green-deployment-identifier", id, "--switchover-timeout", "10")
	c.ok("rds", "switchover-blue-green-deployment", "--blue-green-deployment-identifier", id, "--switchover-timeout", "300")
	v = c.waitFor(id, "SWITCHOVER_COMPLETED")
	if field(v, "BlueGreenDeployments", 0, "Source") != "arn:aws:rds:us-east-1:123456789012:db:shop-db-old1" {
		t.Fatalf("source after switchover: %v", v)
	}
	v = c.ok("rds", "describe-db-instances", "--db-instance-identifier", "shop-db-old1")
	if field(v, "DBInstances", 0, "EngineVersion") != "8.0.36" {
		t.Fatalf("old blue: %v", v)
	}
	v = c.ok("rds", "describe-db-instances", "--db-instance-identifier", "shop-db")
	if field(v, "DBInstances", 0, "EngineVersion") != "8.4.3" {
		t.Fatalf("new production: %v", v)
	}
	c.fails("InvalidBlueGreenDeploymentStateFault", "rds", "delete-blue-green-deployment", "--blue-green-deployment-identifier", id, "--delete-target")
	v = c.ok("rds", "delete-blue-green-deployment", "--blue-green-deployment-identifier", id)
	if field(v, "BlueGreenDeployment", "Status") != "DELETING" {
		t.Fatalf("delete-blue-green-deployment: %v", v)
	}
	c.ok("rds", "deregister-db-proxy-targets", "--db-proxy-name", "shop-proxy", "--db-instance-identifiers", "shop-db")
	c.fails("DBProxyTargetNotFoundFault", "rds", "deregister-db-proxy-targets", "--db-proxy-name", "shop-proxy", "--db-instance-identifiers", "shop-db")
}

// Issue 15's differences, as the AWS CLI shows them (docs/simulator.md
// "Differences fixed").
func TestConformanceAWSCLIDifferences(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI is not on PATH: it is on the machine image, and .ci/run installs it where it is missing")
	}
	c := newCLI(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy,
		Faults: []sim.Fault{{CreationFail: "the snapshot of the source could not be restored"}}})

	// 1. Unknown filter names; case-sensitive values.
	_, errOut, ok := c.run("rds", "describe-db-instances", "--filters", "Name=DBInstanceStatus,Values=available")
	if ok || !strings.Contains(errOut, "InvalidParameterValue") || !strings.Contains(errOut, "Unrecognized filter name") {
		t.Fatalf("unknown filter name: ok=%v %s", ok, errOut)
	}
	v := c.ok("rds", "describe-db-instances", "--filters", "Name=db-instance-id,Values=CATALOG-DB")
	if n := len(field(v, "DBInstances").([]any)); n != 0 {
		t.Fatalf("filter values are case-sensitive: %v", v)
	}

	// 4. A creation that fails: INVALID_CONFIGURATION, and the event says why.
	v = c.ok("rds", "create-blue-green-deployment", "--blue-green-deployment-name", "bad",
		"--source", "arn:aws:rds:us-east-1:123456789012:db:catalog-db")
	bad, _ := field(v, "BlueGreenDeployment", "BlueGreenDeploymentIdentifier").(string)
	c.waitFor(bad, "INVALID_CONFIGURATION")
	v = c.ok("rds", "describe-events", "--source-type", "blue-green-deployment", "--source-identifier", bad, "--duration", "1440")
	if msg, _ := field(v, "Events", 0, "Message").(string); !strings.Contains(msg, "failed because the snapshot") {
		t.Fatalf("describe-events: %v", v)
	}
	c.ok("rds", "delete-blue-green-deployment", "--blue-green-deployment-identifier", bad, "--delete-target")

	// 2. Blue can't pass green; 7. SwitchoverTimeout above 3600.
	v = c.ok("rds", "create-blue-green-deployment", "--blue-green-deployment-name", "good",
		"--source", "arn:aws:rds:us-east-1:123456789012:db:catalog-db", "--target-engine-version", "10.11.10")
	id, _ := field(v, "BlueGreenDeployment", "BlueGreenDeploymentIdentifier").(string)
	c.waitFor(id, "AVAILABLE")
	c.fails("InvalidParameterCombination", "rds", "modify-db-instance", "--db-instance-identifier", "catalog-db",
		"--engine-version", "11.4.3", "--allow-major-version-upgrade", "--apply-immediately")
	c.fails("InvalidParameterValue", "rds", "switchover-blue-green-deployment", "--blue-green-deployment-identifier", id, "--switchover-timeout", "3601")
	c.ok("rds", "switchover-blue-green-deployment", "--blue-green-deployment-identifier", id)
	c.waitFor(id, "SWITCHOVER_COMPLETED")
	v = c.ok("rds", "describe-events", "--source-type", "blue-green-deployment", "--source-identifier", id, "--duration", "1440")
	var msgs []string
	for _, ev := range field(v, "Events").([]any) {
		msgs = append(msgs, ev.(map[string]any)["Message"].(string))
	}
	if joined := strings.Join(msgs, "\n"); !strings.Contains(joined, "tasks completed") || !strings.Contains(joined, "Renamed catalog-db to catalog-db-old1") {
		t.Fatalf("describe-events after the switchover:\n%s", joined)
	}
}
