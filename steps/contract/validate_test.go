package contract

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateOptionsRefusesBadFlags(t *testing.T) {
	cases := []struct {
		name  string
		mod   func(*Options)
		input string
	}{
		{"no source", func(o *Options) { o.Source = "" }, "--source"},
		{"timeout too short", func(o *Options) { o.SwitchoverTimeout = 29 * time.Second }, "--switchover-timeout"},
		{"timeout too long", func(o *Options) { o.SwitchoverTimeout = 3601 * time.Second }, "--switchover-timeout"},
		{"timeout fraction", func(o *Options) { o.SwitchoverTimeout = 90*time.Second + time.Millisecond }, "--switchover-timeout"},
		{"name double hyphen", func(o *Options) { o.DeploymentName = "a--b" }, "--blue-green-deployment-name"},
		{"name digit first", func(o *Options) { o.DeploymentName = "1abc" }, "--blue-green-deployment-name"},
		{"name trailing hyphen", func(o *Options) { o.DeploymentName = "abc-" }, "--blue-green-deployment-name"},
		{"name too long", func(o *Options) { o.DeploymentName = "a" + strings.Repeat("b", 60) }, "--blue-green-deployment-name"},
		{"proxy mode", func(o *Options) { o.ProxyMode = "magic" }, "--proxy-mode"},
		{"upgrade via", func(o *Options) { o.UpgradeVia = "inplace" }, "--upgrade-via"},
		{"cleanup", func(o *Options) { o.Cleanup = "all" }, "--cleanup"},
		{"class", func(o *Options) { o.TargetDBInstanceClass = "r6g.large" }, "--target-db-instance-class"},
		{"class upper", func(o *Options) { o.TargetDBInstanceClass = "db.R6G.large" }, "--target-db-instance-class"},
		{"version", func(o *Options) { o.TargetEngineVersion = "16.4; rm" }, "--target-engine-version"},
		{"param group", func(o *Options) { o.TargetDBParameterGroupName = "bad_group" }, "--target-db-parameter-group-name"},
		{"cluster param group", func(o *Options) { o.TargetDBClusterParameterGroupName = "-x" }, "--target-db-cluster-parameter-group-name"},
		{"modify without version", func(o *Options) { o.UpgradeVia = UpgradeViaModify }, "--upgrade-via"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Options{Source: "orders-db"}
			c.mod(&o)
			err := ValidateOptions(o)
			var in *InputError
			if !errors.As(err, &in) {
				t.Fatalf("want *InputError, got %v", err)
			}
			if in.ExitCode != ExitUsage || in.Input != c.input || !strings.Contains(in.Message, c.input) {
				t.Errorf("got %+v, want exit 2 naming %s", in, c.input)
			}
		})
	}
}

func TestValidateOptionsAcceptsGoodFlags(t *testing.T) {
	o := Options{Source: "orders-db", DeploymentName: "rdsbg-orders-db-20261121", SwitchoverTimeout: 3600 * time.Second,
		ProxyMode: ProxyModeDetach, UpgradeVia: UpgradeViaModify, Cleanup: CleanupOldBlue, TargetEngineVersion: "16.4",
		TargetDBInstanceClass: "db.r6g.large", TargetDBParameterGroupName: "default.postgres16", TargetDBClusterParameterGroupName: "ledger-apg16-cluster"}
	if err := ValidateOptions(o); err != nil {
		t.Fatal(err)
	}
	if err := ValidateOptions(Options{Source: "orders-db"}.WithDefaultsAt(validateTime)); err != nil {
		t.Fatalf("defaults must validate: %v", err)
	}
}

func TestWithDefaults(t *testing.T) {
	o := Options{Source: "orders-db"}.WithDefaultsAt(validateTime)
	want := Options{Source: "orders-db", DeploymentName: "rdsbg-orders-db-20261121", SwitchoverTimeout: 300 * time.Second,
		ProxyMode: ProxyModeAuto, UpgradeVia: UpgradeViaCreate, Cleanup: CleanupDeployment}
	if o != want {
		t.Errorf("got %+v\nwant %+v", o, want)
	}
	withVersion := Options{Source: "orders-db", TargetEngineVersion: "16.4"}.WithDefaultsAt(validateTime)
	if withVersion.UpgradeVia != "" {
		t.Errorf("with a target version the engine rules pick --upgrade-via, got %q", withVersion.UpgradeVia)
	}
	kept := Options{Source: "x", DeploymentName: "mine", SwitchoverTimeout: time.Minute, ProxyMode: ProxyModeNative, Cleanup: CleanupNone}.WithDefaultsAt(validateTime)
	if kept.DeploymentName != "mine" || kept.SwitchoverTimeout != time.Minute || kept.ProxyMode != ProxyModeNative || kept.Cleanup != CleanupNone {
		t.Errorf("explicit values overwritten: %+v", kept)
	}
}

func TestDefaultDeploymentNameIsAlwaysValid(t *testing.T) {
	cases := map[string]string{
		"orders-db": "rdsbg-orders-db-20261121",
		"arn:aws:rds:us-east-1:123456789012:cluster:ledger-cluster": "rdsbg-ledger-cluster-20261121",
		"my__db--x-":             "rdsbg-my-db-x-20261121",
		"___":                    "rdsbg-20261121",
		strings.Repeat("a", 100): "rdsbg-" + strings.Repeat("a", 45) + "-20261121",
	}
	for in, want := range cases {
		got := DefaultDeploymentName(in, validateTime)
		if got != want {
			t.Errorf("DefaultDeploymentName(%q) = %q, want %q", in, got, want)
		}
		if len(got) > 60 || !deploymentNamePattern.MatchString(got) {
			t.Errorf("%q is not a valid deployment name", got)
		}
	}
}

// validateTime dates the defaults (a deployment name carries the day).
var validateTime = time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
