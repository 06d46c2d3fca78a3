//go:build conformance

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Conformance: real processes and real third-party clients. The AWS CLI
// drives `rdsbg sim` as an operator would, and `rdsbg run` completes a
// blue/green run with the detach procedure against moto's server, whose
// blue/green is instant and thin (design.md §7). Both run on loopback only.

func buildRdsbg(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rdsbg")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// awsEnv is an environment with dummy credentials and no user config.
func awsEnv(t *testing.T) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")
}

// startProcess starts cmd and returns the first stdout/stderr line that
// matches ready (the process's own "listening" line: no sleeps, no polling).
func startProcess(t *testing.T, cmd *exec.Cmd, ready *regexp.Regexp) []string {
	t.Helper()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		pw.Close()
	})
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m
				sent = true
			}
		}
	}()
	select {
	case m := <-found:
		return m
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not say it was ready", cmd.Path)
		return nil
	}
}

type awsCLI struct {
	t        *testing.T
	endpoint string
	env      []string
}

func (c awsCLI) json(args ...string) map[string]any {
	c.t.Helper()
	cmd := exec.Command("aws", append(args, "--endpoint-url", c.endpoint, "--output", "json")...)
	cmd.Env = c.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	var v map[string]any
	if s := strings.TrimSpace(out.String()); s != "" {
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
		}
	}
	return v
}

func (c awsCLI) text(args ...string) string {
	c.t.Helper()
	cmd := exec.Command("aws", append(args, "--endpoint-url", c.endpoint, "--output", "text")...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (c awsCLI) failsWith(code string, args ...string) {
	c.t.Helper()
	cmd := exec.Command("aws", append(args, "--endpoint-url", c.endpoint)...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), code) {
		c.t.Fatalf("aws %s: want %s, got err=%v\n%s", strings.Join(args, " "), code, err, out)
	}
}

func TestConformanceAWSCLIAgainstRdsbgSimProcess(t *testing.T) {
	bin := buildRdsbg(t)
	m := startProcess(t, exec.Command(bin, "sim", "--listen", "127.0.0.1:0", "--scenario", "rds-mariadb-no-proxy", "--speed", "5000", "--timings", "fast"),
		regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))
	cli := awsCLI{t: t, endpoint: m[1], env: awsEnv(t)}

	if got := cli.text("rds", "describe-db-instances", "--db-instance-identifier", "catalog-db", "--query", "DBInstances[0].DBInstanceStatus"); got != "available" {
		t.Fatalf("catalog-db status %q", got)
	}
	cli.failsWith("DBInstanceNotFound", "rds", "describe-db-instances", "--db-instance-identifier", "nope-db")
	arn := cli.text("rds", "describe-db-instances", "--db-instance-identifier", "catalog-db", "--query", "DBInstances[0].DBInstanceArn")
	id := cli.text("rds", "create-blue-green-deployment", "--blue-green-deployment-name", "cli-conformance", "--source", arn,
		"--query", "BlueGreenDeployment.BlueGreenDeploymentIdentifier")
	cli.failsWith("BlueGreenDeploymentAlreadyExistsFault", "rds", "create-blue-green-deployment", "--blue-green-deployment-name", "cli-conformance", "--source", arn)

	// At ×5000 provisioning takes well under a second of wall time; each
	// CLI call takes longer than that, so a bounded loop needs no sleep.
	status := ""
	for i := 0; i < 40 && status != "AVAILABLE"; i++ {
		status = cli.text("rds", "describe-blue-green-deployments", "--blue-green-deployment-identifier", id, "--query", "BlueGreenDeployments[0].Status")
	}
	if status != "AVAILABLE" {
		t.Fatalf("deployment never AVAILABLE, last %s", status)
	}
	cli.json("rds", "switchover-blue-green-deployment", "--blue-green-deployment-identifier", id, "--switchover-timeout", "300")
	for i := 0; i < 40 && status != "SWITCHOVER_COMPLETED"; i++ {
		status = cli.text("rds", "describe-blue-green-deployments", "--blue-green-deployment-identifier", id, "--query", "BlueGreenDeployments[0].Status")
	}
	if status != "SWITCHOVER_COMPLETED" {
		t.Fatalf("switchover never completed, last %s", status)
	}
	names := cli.text("rds", "describe-db-instances", "--query", "DBInstances[].DBInstanceIdentifier")
	if !strings.Contains(names, "catalog-db-old1") {
		t.Fatalf("no catalog-db-old1 after switchover: %s", names)
	}
	cli.failsWith("InvalidBlueGreenDeploymentStateFault", "rds", "delete-blue-green-deployment", "--blue-green-deployment-identifier", id, "--delete-target")
	cli.json("rds", "delete-blue-green-deployment", "--blue-green-deployment-identifier", id)
}

// freePort picks a loopback port for a server that takes its port as a flag.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// motoServer starts moto's server on a free loopback port and returns a
// CLI that talks to it with dummy credentials.
func motoServer(t *testing.T) awsCLI {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Fatalf("moto_server is not on PATH (it is on the machine image; .ci/run installs it otherwise): %v", err)
	}
	port := freePort(t)
	startProcess(t, exec.Command("moto_server", "-H", "127.0.0.1", "-p", port), regexp.MustCompile(`Running on`))
	return awsCLI{t: t, endpoint: "http://127.0.0.1:" + port, env: awsEnv(t)}
}

// proxyFor creates a VPC with two subnets (what create-db-proxy needs), a
// proxy of family named name, and registers target (e.g.
// "--db-instance-identifiers", "shop-db") with it.
func (c awsCLI) proxyFor(name, family string, target ...string) {
	c.t.Helper()
	vpc := c.text("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.VpcId")
	s1 := c.text("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.1.0/24", "--availability-zone", "us-east-1a", "--query", "Subnet.SubnetId")
	s2 := c.text("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.2.0/24", "--availability-zone", "us-east-1b", "--query", "Subnet.SubnetId")
	c.json("rds", "create-db-proxy", "--db-proxy-name", name, "--engine-family", family,
		"--auth", `[{"AuthScheme":"SECRETS","SecretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:x","IAMAuth":"DISABLED"}]`,
		"--role-arn", "arn:aws:iam::123456789012:role/x", "--vpc-subnet-ids", s1, s2)
	c.json(append([]string{"rds", "register-db-proxy-targets", "--db-proxy-name", name}, target...)...)
}

// oneTargetPerProxy fails the test unless the proxy lists its DB exactly
// once: moto accepts a second registration of the same DB, which the
// permission probe makes, reads back and undoes (issue 23).
func (c awsCLI) oneTargetPerProxy(proxy, db string) {
	c.t.Helper()
	got := c.text("rds", "describe-db-proxy-targets", "--db-proxy-name", proxy, "--query", "Targets[?Type!='RDS_INSTANCE' || TrackedClusterId==null].RdsResourceId")
	if n := strings.Count(got, db); n != 1 || strings.Count(strings.TrimSpace(got), "\t")+1 != 1 {
		c.t.Errorf("%s must list %s exactly once after the run, lists %q", proxy, db, got)
	}
}

// rdsbgJSON runs `rdsbg <args> --yes --output json` against the CLI's
// endpoint with its clock ×30 (moto's blue/green is instant, so the
// engine's stable reads, seconds apart, are the only wait) and returns
// stdout, stderr, the run's error and its last event (nil when the last
// line is not JSON).
func (c awsCLI) rdsbgJSON(bin string, args ...string) (stdout, stderr string, err error, last map[string]any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args = append(args, "--yes", "--output", "json", "--endpoint-url", c.endpoint, "--state-dir", c.t.TempDir(), "--time-scale", "30")
	run := exec.CommandContext(ctx, bin, args...)
	run.Env = c.env
	var out, errOut bytes.Buffer
	run.Stdout, run.Stderr = &out, &errOut
	err = run.Run()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil {
		last = nil
	}
	return out.String(), errOut.String(), err, last
}

func TestConformanceRunAgainstMoto(t *testing.T) {
	cli := motoServer(t)
	bin := buildRdsbg(t)
	cli.json("rds", "create-db-instance", "--db-instance-identifier", "shop-db", "--engine", "mysql", "--engine-version", "8.0.39",
		"--db-instance-class", "db.t3.micro", "--master-username", "adm", "--master-user-password", "conformance-only",
		"--allocated-storage", "20", "--backup-retention-period", "7")
	cli.proxyFor("shop-proxy", "MYSQL", "--db-instance-identifiers", "shop-db")

	out, errOut, err, last := cli.rdsbgJSON(bin, "run", "--source", "shop-db", "--proxy-mode", "detach", "--cleanup", "old-blue", "--confirm", "shop-db")
	if err != nil {
		t.Fatalf("rdsbg run against moto: %v\nstderr: %s\nstdout tail: %s", err, errOut, tail(out, 3000))
	}
	if last == nil {
		t.Fatalf("last line is not JSON: %s", tail(out, 3000))
	}
	if last["type"] != "run-finished" || last["outcome"] != "done" || last["proxy_state"] != "new-primary" {
		t.Fatalf("last event %v", last)
	}
	targets := cli.text("rds", "describe-db-proxy-targets", "--db-proxy-name", "shop-proxy", "--query", "Targets[].[RdsResourceId,TargetHealth.State]")
	if !strings.Contains(targets, "shop-db") || !strings.Contains(targets, "AVAILABLE") {
		t.Fatalf("proxy targets after the run: %q", targets)
	}
	cli.oneTargetPerProxy("shop-proxy", "shop-db")
	names := cli.text("rds", "describe-db-instances", "--query", "DBInstances[].DBInstanceIdentifier")
	if !strings.Contains(names, "shop-db") || strings.Contains(names, "shop-db-old1") {
		t.Fatalf("want shop-db kept and shop-db-old1 deleted by --cleanup old-blue: %s", names)
	}
	snaps := cli.text("rds", "describe-db-snapshots", "--query", "DBSnapshots[].DBSnapshotIdentifier")
	if !strings.Contains(snaps, "shop-db-old1") {
		t.Fatalf("old blue was deleted without its snapshot: %q", snaps)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// Issue 15: a headless run with an engine upgrade against moto's server,
// which has no DescribeDBEngineVersions (HTTP 500, an HTML page): the
// upgrade-target check degrades to a warning, the retries show while they
// happen, and the run completes in both proxy modes.
func TestConformanceUpgradeRunAgainstMotoDegrades(t *testing.T) {
	bin := buildRdsbg(t)
	for _, mode := range []string{"detach", "auto"} {
		t.Run(mode, func(t *testing.T) {
			cli := motoServer(t)
			cli.json("rds", "create-db-instance", "--db-instance-identifier", "orders-db", "--engine", "postgres", "--engine-version", "15.7",
				"--db-instance-class", "db.t3.micro", "--master-username", "adm", "--master-user-password", "conformance-only",
				"--allocated-storage", "20", "--backup-retention-period", "7")
			cli.proxyFor("orders-proxy", "POSTGRESQL", "--db-instance-identifiers", "orders-db")

			all, errOut, err, last := cli.rdsbgJSON(bin, "run", "--source", "orders-db", "--proxy-mode", mode, "--target-engine-version", "15.8", "--confirm", "orders-db")
			if err != nil {
				t.Fatalf("rdsbg run against moto: %v\nstderr: %s\nstdout tail: %s", err, errOut, tail(all, 4000))
			}
			if !strings.Contains(all, "rds:DescribeDBEngineVersions") || !strings.Contains(all, "AWS validates the target version itself") {
				t.Errorf("the preflight must warn about the unchecked target version:\n%s", tail(all, 4000))
			}
			if !strings.Contains(all, "AWS answered 500; retry 1 of ") {
				t.Errorf("the retries must be visible:\n%s", tail(all, 4000))
			}
			for _, l := range strings.Split(all, "\n") {
				if strings.Contains(l, "ClientError") {
					t.Errorf("a 500 is a server error, not ClientError: %s", l)
					break
				}
			}
			if last == nil {
				t.Fatalf("last line is not JSON: %s", tail(all, 4000))
			}
			if last["type"] != "run-finished" || last["outcome"] != "done" {
				t.Fatalf("last event %v", last)
			}
			if v := cli.text("rds", "describe-db-instances", "--db-instance-identifier", "orders-db", "--query", "DBInstances[0].EngineVersion"); v != "15.8" {
				t.Errorf("production after the run runs %q", v)
			}
			cli.oneTargetPerProxy("orders-proxy", "orders-db")
		})
	}
}

// Issue 15: an Aurora cluster run against moto either completes or fails
// in verify naming the member moto did not rename (moto once left the
// member instances under their old names in the wrong cluster, and rdsbg
// said "done").
func TestConformanceAuroraRunAgainstMotoChecksRenames(t *testing.T) {
	cli := motoServer(t)
	bin := buildRdsbg(t)
	// Aurora PostgreSQL blue/green needs logical replication in the
	// cluster's parameter group (rds-facts §5.2); moto's default group name
	// does not exist in moto, so the cluster gets its own.
	cli.json("rds", "create-db-cluster-parameter-group", "--db-cluster-parameter-group-name", "ledger-apg15",
		"--db-parameter-group-family", "aurora-postgresql15", "--description", "ledger")
	cli.json("rds", "modify-db-cluster-parameter-group", "--db-cluster-parameter-group-name", "ledger-apg15", "--parameters",
		"ParameterName=rds.logical_replication,ParameterValue=1,ApplyMethod=pending-reboot", "ParameterName=synchronous_commit,ParameterValue=on,ApplyMethod=immediate")
	cli.json("rds", "create-db-cluster", "--db-cluster-identifier", "ledger-cluster", "--engine", "aurora-postgresql", "--engine-version", "15.6",
		"--master-username", "adm", "--master-user-password", "conformance-only", "--backup-retention-period", "7",
		"--db-cluster-parameter-group-name", "ledger-apg15")
	for _, id := range []string{"ledger-instance-1", "ledger-instance-2"} {
		cli.json("rds", "create-db-instance", "--db-instance-identifier", id, "--db-cluster-identifier", "ledger-cluster",
			"--engine", "aurora-postgresql", "--db-instance-class", "db.r6g.large")
	}
	cli.proxyFor("ledger-proxy", "POSTGRESQL", "--db-cluster-identifiers", "ledger-cluster")

	out, errOut, err, last := cli.rdsbgJSON(bin, "run", "--source", "ledger-cluster", "--proxy-mode", "detach", "--confirm", "ledger-cluster")
	if last == nil || last["type"] != "run-finished" {
		t.Fatalf("no run-finished event: %s\nstderr: %s", tail(out, 3000), errOut)
	}
	cli.oneTargetPerProxy("ledger-proxy", "ledger-cluster")
	if err == nil && last["outcome"] == "done" {
		t.Logf("moto renamed the whole cluster: the run completed")
		return
	}
	msg, _ := last["message"].(string)
	if !strings.Contains(out, "verify: ") || !strings.Contains(out, "ledger-instance-") {
		t.Fatalf("the run failed (%v, %s) but not in verify naming a member:\n%s", err, msg, tail(out, 4000))
	}
	t.Logf("verify named moto's wrong rename: %s", msg)
}

// Issue 23: moto accepts the permission probe's second registration of
// the same DB (AWS refuses it). In auto mode (native regime, where nothing
// else deregisters the proxy) and in a run that preflight blocks, the
// probe reads the proxy back, removes the duplicate and registers the DB
// once: every run leaves exactly one target per proxy, and a blocked run
// says "nothing was changed" only after reading it back.
func TestConformanceMotoProbeLeavesOneTargetPerProxy(t *testing.T) {
	bin := buildRdsbg(t)
	t.Run("auto", func(t *testing.T) {
		cli := motoServer(t)
		cli.json("rds", "create-db-instance", "--db-instance-identifier", "cart-db", "--engine", "mariadb", "--engine-version", "10.11.9",
			"--db-instance-class", "db.t3.micro", "--master-username", "adm", "--master-user-password", "conformance-only",
			"--allocated-storage", "20", "--backup-retention-period", "7")
		cli.proxyFor("cart-proxy", "MYSQL", "--db-instance-identifiers", "cart-db")
		out, errOut, err, last := cli.rdsbgJSON(bin, "run", "--source", "cart-db", "--proxy-mode", "auto", "--confirm", "cart-db")
		if err != nil || last == nil || last["outcome"] != "done" {
			t.Fatalf("rdsbg run: %v %v\nstderr: %s\n%s", err, last, errOut, tail(out, 3000))
		}
		if !strings.Contains(out, "accepted a second registration of cart-db") || !strings.Contains(out, "as before") {
			t.Errorf("the probe must say what it found and undid:\n%s", tail(out, 4000))
		}
		cli.oneTargetPerProxy("cart-proxy", "cart-db")
	})
	t.Run("blocked", func(t *testing.T) {
		cli := motoServer(t)
		cli.json("rds", "create-db-instance", "--db-instance-identifier", "cart-db", "--engine", "mysql", "--engine-version", "8.0.39",
			"--db-instance-class", "db.t3.micro", "--master-username", "adm", "--master-user-password", "conformance-only",
			"--allocated-storage", "20", "--backup-retention-period", "0") // blue/green needs backups: preflight blocks
		cli.proxyFor("cart-proxy", "MYSQL", "--db-instance-identifiers", "cart-db")
		out, _, err, last := cli.rdsbgJSON(bin, "run", "--source", "cart-db", "--proxy-mode", "detach", "--confirm", "cart-db")
		if err == nil || last == nil || last["outcome"] != "blocked" {
			t.Fatalf("want a blocked run, got %v %v\n%s", err, last, tail(out, 3000))
		}
		cli.oneTargetPerProxy("cart-proxy", "cart-db")
	})
}
