package steps

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// optionsFromFlags turns the create flags of a docs/bad-input.md row into
// Options, the way main's flag parsing does.
func optionsFromFlags(t *testing.T, flags string) contract.Options {
	t.Helper()
	var o contract.Options
	fields := strings.Fields(flags)
	for i := 0; i < len(fields); i += 2 {
		if i+1 >= len(fields) {
			t.Fatalf("flag %s has no value in %q", fields[i], flags)
		}
		v := fields[i+1]
		switch fields[i] {
		case "--source":
			o.Source = v
		case "--blue-green-deployment-name":
			o.DeploymentName = v
		case "--target-engine-version":
			o.TargetEngineVersion = v
		case "--target-db-parameter-group-name":
			o.TargetDBParameterGroupName = v
		case "--target-db-cluster-parameter-group-name":
			o.TargetDBClusterParameterGroupName = v
		case "--target-db-instance-class":
			o.TargetDBInstanceClass = v
		case "--switchover-timeout":
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			o.SwitchoverTimeout = time.Duration(n) * time.Second
		case "--proxy-mode":
			o.ProxyMode = contract.ProxyMode(v)
		case "--upgrade-via":
			o.UpgradeVia = contract.UpgradeVia(v)
		case "--cleanup":
			o.Cleanup = contract.Cleanup(v)
		case "--target-storage-type":
			o.TargetStorageType = v
		case "--target-allocated-storage", "--target-iops", "--target-storage-throughput":
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			dst := map[string]*int32{"--target-allocated-storage": &o.TargetAllocatedStorage, "--target-iops": &o.TargetIops, "--target-storage-throughput": &o.TargetStorageThroughput}[fields[i]]
			*dst = int32(n)
		case "--db-dsn":
			o.DB.DSN, o.DB.DSNFrom = v, "--db-dsn"
		case "--db-endpoint":
			o.DB.Endpoint = v
		case "--db-credentials":
			o.DB.Credentials = v
		case "--db-iam-user":
			o.DB.IAMUser = v
		default:
			t.Fatalf("unknown flag %s", fields[i])
		}
	}
	return o
}

// frontHalf runs what `rdsbg plan` runs before printing anything:
// ValidateOptions, Discover, ResolveUpgrade, BuildPlan, Preflight. It
// returns the message the operator sees and the exit code (0 when the plan
// would be printed).
func frontHalf(t *testing.T, env *simEnv, o contract.Options) (string, int) {
	t.Helper()
	ctx := context.Background()
	fail := func(err error) (string, int) {
		var in *contract.InputError
		if !errors.As(err, &in) {
			t.Fatalf("want *InputError, got %T %v", err, err)
		}
		return in.Message, in.ExitCode
	}
	if err := contract.ValidateOptions(o); err != nil {
		return fail(err)
	}
	d, err := preflight.Discover(ctx, env.api, o.Source)
	if err != nil {
		return fail(err)
	}
	up, err := preflight.ResolveUpgrade(ctx, env.api, d, o)
	if err != nil {
		return fail(err)
	}
	if _, err := BuildPlan(d, o, up, planTime); err != nil {
		return fail(err)
	}
	checks := preflight.Preflight(ctx, env.api, d, o, up)
	db, _, err := databasePreflight(ctx, env.api, d, o, up) // dbchecks.go
	if err != nil {
		return fail(err)
	}
	for _, c := range append(checks, db...) {
		if c.Status == contract.CheckFail {
			return c.Explanation, contract.ExitPreflight
		}
	}
	return "", contract.ExitOK
}

// TestBadInputDocIsTrue runs every row of docs/bad-input.md and checks the
// message and exit code the table promises, and that nothing was changed.
func TestBadInputDocIsTrue(t *testing.T) {
	raw, err := os.ReadFile("../docs/bad-input.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	// The command-line cases further down are main_test.go's to run.
	engineCases, _, _ := strings.Cut(string(raw), "## Command-line cases")
	for _, line := range strings.Split(engineCases, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| scenario") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 {
			t.Fatalf("row needs 4 cells (scenario, flags, message, exit): %q", line)
		}
		scenario, flags := cells[0], strings.Trim(cells[1], "`")
		message, exit := cells[2], cells[3]
		rows++
		t.Run(flags, func(t *testing.T) {
			env := newSimEnv(t, scenario)
			gotMsg, gotExit := frontHalf(t, env, optionsFromFlags(t, flags))
			if gotMsg != message || strconv.Itoa(gotExit) != exit {
				t.Errorf("docs/bad-input.md says\n  %s (exit %s)\nbut the tool says\n  %s (exit %d)", message, exit, gotMsg, gotExit)
			}
			env.assertNoMutations(t)
		})
	}
	if rows < 20 {
		t.Errorf("only %d rows parsed", rows)
	}
}
