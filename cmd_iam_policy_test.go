package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// `rdsbg iam-policy` prints a valid IAM document for the plan and changes
// nothing; `plan --output markdown` carries the same policy.
func TestIAMPolicyCommand(t *testing.T) {
	e := newCLIEnv(t, "rds-postgres-legacy-proxy")
	code, out, errOut := e.rdsbg(t, "iam-policy", "--source", "orders-db", "--proxy-mode", "detach", "--cleanup", "old-blue")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Sid      string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) == 0 {
		t.Fatalf("not an IAM policy (%v):\n%s", err, out)
	}
	for _, want := range []string{"rds:CreateBlueGreenDeployment", "rds:RegisterDBProxyTargets", "rds:DeleteDBInstance", "arn:aws:rds:us-east-1:123456789012:db:orders-db-old*",
		":target-group:prx-tg-", `"aws:ResourceTag/rdsbg:source": "orders-db"`, `"aws:RequestTag/rdsbg:source": "orders-db"`} {
		if !strings.Contains(out, want) {
			t.Errorf("policy lacks %s", want)
		}
	}
	if m := e.sim.Mutations(); len(m) != 0 {
		t.Fatalf("iam-policy changed AWS: %+v", m)
	}
	code, md, errOut := e.rdsbg(t, "plan", "--source", "orders-db", "--proxy-mode", "detach", "--cleanup", "old-blue", "--output", "markdown")
	if code != 0 || !strings.Contains(md, "## IAM policy for this plan") || !strings.Contains(md, strings.TrimSpace(out)) {
		t.Fatalf("plan markdown (exit %d, %s) lacks the same policy:\n%s", code, errOut, md)
	}
}

// --no-metrics: the run reads no CloudWatch, so the policy asks for no
// cloudwatch:GetMetricData (issue 15).
func TestIAMPolicyWithoutMetricsHasNoCloudWatch(t *testing.T) {
	e := newCLIEnv(t, "rds-postgres-legacy-proxy")
	code, with, errOut := e.rdsbg(t, "iam-policy", "--source", "orders-db")
	if code != 0 || !strings.Contains(with, "cloudwatch:GetMetricData") {
		t.Fatalf("exit %d (%s), with metrics:\n%s", code, errOut, with)
	}
	code, without, errOut := e.rdsbg(t, "iam-policy", "--source", "orders-db", "--no-metrics")
	if code != 0 || strings.Contains(without, "cloudwatch:") || !strings.Contains(without, "rds:RegisterDBProxyTargets") {
		t.Fatalf("exit %d (%s), --no-metrics:\n%s", code, errOut, without)
	}
}
