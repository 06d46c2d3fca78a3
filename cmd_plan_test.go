package main

import (
	"strings"
	"testing"
)

func TestCLIPlanPrintsRunbookAndChangesNothing(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	code, out, errOut := env.rdsbg(t, "plan", "--source", "orders-db", "--proxy-mode", "detach", "--output", "markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"aws rds deregister-db-proxy-targets", "aws rds create-blue-green-deployment",
		"aws rds switchover-blue-green-deployment", "aws rds register-db-proxy-targets", "## Preflight"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown runbook lacks %q", want)
		}
	}
	if m := env.sim.Mutations(); len(m) != 0 {
		t.Fatalf("plan changed AWS: %+v", m)
	}
}

// plan shows the storage options as rows and on the create line, in the
// AWS CLI's own flag names.
func TestCLIPlanShowsStorageOptions(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-native-proxy")
	code, out, errOut := env.rdsbg(t, "plan", "--source", "orders-db", "--target-storage-type", "gp3",
		"--target-allocated-storage", "400", "--target-iops", "12000", "--target-storage-throughput", "500")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "--target-storage-type gp3 --target-allocated-storage 400 --target-iops 12000 --target-storage-throughput 500") {
		t.Errorf("the create line lacks the storage options:\n%s", out)
	}
	if !strings.Contains(out, "--blue-green-deployment-name") || strings.Contains(strings.ReplaceAll(out, "--blue-green-deployment-name", ""), "--deployment-name") {
		t.Errorf("plan must name AWS's --blue-green-deployment-name only:\n%s", out)
	}
	if n := len(env.sim.Mutations()); n != 0 {
		t.Errorf("plan changed AWS: %d mutations", n)
	}
}
