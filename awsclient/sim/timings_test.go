package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// availableAfter creates a deployment and returns how long it took to be
// AVAILABLE, read every 10 s of simulated time.
func availableAfter(t *testing.T, e *env, in *rds.CreateBlueGreenDeploymentInput) time.Duration {
	t.Helper()
	id := aws.ToString(e.create(in).BlueGreenDeploymentIdentifier)
	for waited := time.Duration(0); waited < 2*time.Hour; waited += 10 * time.Second {
		if aws.ToString(e.deployment(id).Status) == "AVAILABLE" {
			return waited
		}
		e.advance(10 * time.Second)
	}
	t.Fatal("never AVAILABLE")
	return 0
}

// The default timings are AWS's documented or measured figures
// (docs/simulator.md "Timings"): RDS MySQL ~12 min to AVAILABLE, Aurora
// PostgreSQL with an upgrade ~30 min, registration ~5 min (one of two
// measurements), a switchover of seconds (AWS: "typically under five
// seconds" since 2026-01-20).
func TestDefaultTimingsAreAWSFigures(t *testing.T) {
	aws_ := sim.DefaultTimings()
	if def, err := sim.TimingsNamed(""); err != nil || def != aws_ {
		t.Fatal("the unnamed profile must be AWS's")
	}
	if _, err := sim.TimingsNamed("slow"); err == nil || !strings.Contains(err.Error(), "fast") {
		t.Fatalf("an unknown profile must be refused naming the valid ones: %v", err)
	}

	mysql := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative, Timings: &aws_})
	got := availableAfter(t, mysql, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("m"), Source: aws.String(arn("db", "shop-db"))})
	if got < 12*time.Minute || got > 13*time.Minute {
		t.Fatalf("RDS MySQL without upgrade AVAILABLE after %v, want ~12 min", got)
	}

	aurora := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres, Timings: &aws_})
	aurora.deregister("ledger-proxy", nil, []string{"ledger-cluster"})
	got = availableAfter(t, aurora, &rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("a"), Source: aws.String(arn("cluster", "ledger-cluster")), TargetEngineVersion: aws.String("16.4")})
	if got < 30*time.Minute || got > 33*time.Minute {
		t.Fatalf("Aurora PostgreSQL with upgrade AVAILABLE after %v, want 30–32 min", got)
	}

	// Registration: not AVAILABLE at 4m50s, AVAILABLE at 5 min.
	if _, err := aurora.rds.RegisterDBProxyTargets(ctx(), &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String("ops-proxy"), DBInstanceIdentifiers: []string{"ops-db"}}); err != nil {
		t.Fatal(err)
	}
	aurora.advance(5*time.Minute - 10*time.Second)
	if s := aurora.targets("ops-proxy")[0].TargetHealth.State; s == types.TargetStateAvailable {
		t.Fatal("a registration must take about 5 minutes")
	}
	aurora.advance(10 * time.Second)
	if s := aurora.targets("ops-proxy")[0].TargetHealth.State; s != types.TargetStateAvailable {
		t.Fatalf("registration after 5 min: %s", s)
	}

	// Switchover: in progress at 2 s, completed at 3 s; the native proxy
	// follows at once (no unsourced UNAVAILABLE phase).
	out, err := mysql.rds.DescribeBlueGreenDeployments(ctx(), &rds.DescribeBlueGreenDeploymentsInput{})
	if err != nil {
		t.Fatal(err)
	}
	bgd := out.BlueGreenDeployments[0].BlueGreenDeploymentIdentifier
	if _, err := mysql.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: bgd}); err != nil {
		t.Fatal(err)
	}
	mysql.advance(2 * time.Second)
	if s := aws.ToString(mysql.deployment(aws.ToString(bgd)).Status); s != "SWITCHOVER_IN_PROGRESS" {
		t.Fatalf("at 2 s: %s", s)
	}
	mysql.advance(time.Second)
	if s := aws.ToString(mysql.deployment(aws.ToString(bgd)).Status); s != "SWITCHOVER_COMPLETED" {
		t.Fatalf("at 3 s: %s", s)
	}
	if s := mysql.targets("shop-proxy")[0].TargetHealth.State; s != types.TargetStateAvailable {
		t.Fatalf("native proxy right after the switchover: %s", s)
	}
}

// The aws-2025 profile keeps the switchover AWS documented before
// 2026-01-20 ("typically under a minute"); everything else is the default.
func TestAWS2025TimingsKeepTheMinuteLongSwitchover(t *testing.T) {
	old, err := sim.TimingsNamed(sim.TimingsAWS2025)
	if err != nil {
		t.Fatal(err)
	}
	def := sim.DefaultTimings()
	if old.Switchover < 30*time.Second || old.Switchover >= time.Minute || def.Switchover >= 5*time.Second {
		t.Fatalf("switchover: aws-2025 %v (want under a minute), aws %v (want under 5 s)", old.Switchover, def.Switchover)
	}
	old.Switchover, old.Rename = def.Switchover, def.Rename
	if old != def {
		t.Fatalf("aws-2025 differs from aws beyond the switchover: %+v", old)
	}
}
