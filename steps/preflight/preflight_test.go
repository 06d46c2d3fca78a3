package preflight

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

func simInstance(st *sim.State, id string) *sim.Instance {
	for _, in := range st.Instances {
		if in.ID == id {
			return in
		}
	}
	panic("no instance " + id)
}

func simProxy(st *sim.State, name string) *sim.Proxy {
	for _, p := range st.Proxies {
		if p.Name == name {
			return p
		}
	}
	panic("no proxy " + name)
}

func simCluster(st *sim.State, id string) *sim.Cluster {
	for _, c := range st.Clusters {
		if c.ID == id {
			return c
		}
	}
	panic("no cluster " + id)
}

func simParam(st *sim.State, group, name, value string) {
	for _, g := range st.ParameterGroups {
		if g.Name != group {
			continue
		}
		for i := range g.Parameters {
			if g.Parameters[i].Name == name {
				g.Parameters[i].Value = value
				return
			}
		}
	}
	panic("no parameter " + group + "/" + name)
}

// preflightRun discovers source (after tweak changed the model), runs
// Preflight with o, checks nothing was changed, and returns the rows by id.
func preflightRun(t *testing.T, scenario, source string, o contract.Options, tweak func(*sim.State)) map[string]contract.CheckResult {
	t.Helper()
	env := newSimEnv(t, scenario)
	if tweak != nil {
		env.sim.Update(tweak)
	}
	d := env.discover(t, source)
	o.Source = source
	checks := Preflight(context.Background(), env.api, d, o, nil)
	env.assertNoMutations(t)
	byID := map[string]contract.CheckResult{}
	for _, c := range checks {
		if _, dup := byID[c.ID]; dup {
			t.Errorf("check %s reported twice", c.ID)
		}
		if c.Title == "" || c.Explanation == "" {
			t.Errorf("check %s lacks title or explanation: %+v", c.ID, c)
		}
		if c.Status == contract.CheckFail && c.Remediation == "" && c.ID != CheckReplication {
			t.Errorf("failed check %s gives no remediation: %+v", c.ID, c)
		}
		byID[c.ID] = c
	}
	return byID
}

func expectCheck(t *testing.T, checks map[string]contract.CheckResult, id string, status contract.CheckStatus, phrase string) {
	t.Helper()
	c, ok := checks[id]
	if !ok {
		t.Fatalf("no %s check", id)
	}
	if c.Status != status || !strings.Contains(c.Explanation+" "+c.Remediation, phrase) {
		t.Errorf("%s: got %s %q / %q, want %s mentioning %q", id, c.Status, c.Explanation, c.Remediation, status, phrase)
	}
}

func TestPreflightPassesOnEveryScenario(t *testing.T) {
	cases := []struct{ scenario, source string }{
		{sim.ScenarioRDSPostgresLegacy, "orders-db"},
		{sim.ScenarioRDSMySQLNative, "shop-db"},
		{sim.ScenarioAuroraPostgres, "ledger-cluster"},
		{sim.ScenarioAuroraGlobal, "payments-cluster"},
		{sim.ScenarioRDSMariaDBNoProxy, "catalog-db"},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			checks := preflightRun(t, c.scenario, c.source, contract.Options{}, nil)
			var list []contract.CheckResult
			for _, r := range checks {
				list = append(list, r)
				if r.Status == contract.CheckFail {
					t.Errorf("unexpected failure: %+v", r)
				}
			}
			if Blocked(list) {
				t.Error("Blocked on a healthy scenario")
			}
			expectCheck(t, checks, CheckIdentity, contract.CheckPass, "123456789012")
		})
	}
}

func TestPreflightFailsEachCheck(t *testing.T) {
	const pg, pgSrc = sim.ScenarioRDSPostgresNative, "orders-db"
	cases := []struct {
		name             string
		scenario, source string
		o                contract.Options
		tweak            func(*sim.State)
		id               string
		status           contract.CheckStatus
		phrase           string
	}{
		{"source not available", pg, pgSrc, contract.Options{}, func(st *sim.State) { simInstance(st, "orders-db").Status = "modifying" }, CheckSourceAvailable, contract.CheckFail, `"modifying"`},
		{"replica not available", pg, pgSrc, contract.Options{}, func(st *sim.State) { simInstance(st, "orders-db-replica-1").Status = "rebooting" }, CheckSourceAvailable, contract.CheckFail, "orders-db-replica-1 is rebooting"},
		{"backups off", pg, pgSrc, contract.Options{}, func(st *sim.State) { simInstance(st, "orders-db").BackupRetentionDays = 0 }, CheckBackups, contract.CheckFail, "--backup-retention-period"},
		{"managed password", pg, pgSrc, contract.Options{}, func(st *sim.State) { simInstance(st, "orders-db").ManagedMasterSecret = true }, CheckManagedPassword, contract.CheckFail, "--no-manage-master-user-password"},
		{"parameter group pending reboot", pg, pgSrc, contract.Options{}, func(st *sim.State) { simInstance(st, "orders-db").ParameterApplyStatus = "pending-reboot" }, CheckParameterGroupSync, contract.CheckFail, "reboot-db-instance --region us-east-1 --db-instance-identifier orders-db"},
		{"invalid upgrade target", pg, pgSrc, contract.Options{TargetEngineVersion: "14.12"}, nil, CheckUpgradeTarget, contract.CheckFail, "valid targets: 15.8, 15.10, 16.3"},
		{"major upgrade warns", pg, pgSrc, contract.Options{TargetEngineVersion: "16.4"}, nil, CheckUpgradeTarget, contract.CheckWarn, "MAJOR"},
		{"minor upgrade passes", pg, pgSrc, contract.Options{TargetEngineVersion: "15.8"}, nil, CheckUpgradeTarget, contract.CheckPass, "15.7 → 15.8"},
		{"postgres major via modify", pg, pgSrc, contract.Options{TargetEngineVersion: "16.4", UpgradeVia: contract.UpgradeViaModify}, nil, CheckUpgradePath, contract.CheckFail, "--upgrade-via create"},
		{"mysql custom option group major, method left to the rules", sim.ScenarioRDSMySQLNative, "shop-db", contract.Options{TargetEngineVersion: "8.4.3"}, func(st *sim.State) { simInstance(st, "shop-db").OptionGroup = "shop-options" }, CheckUpgradePath, contract.CheckPass, "via modify"},
		{"mysql custom option group major at create", sim.ScenarioRDSMySQLNative, "shop-db", contract.Options{TargetEngineVersion: "8.4.3", UpgradeVia: contract.UpgradeViaCreate}, func(st *sim.State) { simInstance(st, "shop-db").OptionGroup = "shop-options" }, CheckUpgradePath, contract.CheckFail, "--upgrade-via modify"},
		{"mysql custom option group major via modify", sim.ScenarioRDSMySQLNative, "shop-db", contract.Options{TargetEngineVersion: "8.4.3", UpgradeVia: contract.UpgradeViaModify}, func(st *sim.State) { simInstance(st, "shop-db").OptionGroup = "shop-options" }, CheckUpgradePath, contract.CheckPass, "modify"},
		{"target parameter group missing", pg, pgSrc, contract.Options{TargetEngineVersion: "16.4", TargetDBParameterGroupName: "orders-pg17"}, nil, CheckTargetParameterGroup, contract.CheckFail, "orders-pg17"},
		{"target parameter group found", pg, pgSrc, contract.Options{TargetEngineVersion: "16.4", TargetDBParameterGroupName: "orders-pg16"}, nil, CheckTargetParameterGroup, contract.CheckPass, "orders-pg16"},
		{"default group of the wrong family", pg, pgSrc, contract.Options{TargetEngineVersion: "16.4", TargetDBParameterGroupName: "default.postgres15"}, nil, CheckTargetParameterGroup, contract.CheckFail, "family postgres16"},
		{"default group of the right family", pg, pgSrc, contract.Options{TargetEngineVersion: "16.4", TargetDBParameterGroupName: "default.postgres16"}, nil, CheckTargetParameterGroup, contract.CheckPass, "default.postgres16"},
		{"major without target group warns", pg, pgSrc, contract.Options{TargetEngineVersion: "16.4"}, nil, CheckTargetParameterGroup, contract.CheckWarn, "default parameter group"},
		{"target cluster group missing", sim.ScenarioAuroraPostgres, "ledger-cluster", contract.Options{TargetDBClusterParameterGroupName: "nope-cluster"}, nil, CheckTargetParameterGroup, contract.CheckFail, "nope-cluster"},
		{"pg logical replication off", pg, pgSrc, contract.Options{TargetEngineVersion: "16.4"}, func(st *sim.State) { simParam(st, "orders-pg15", "rds.logical_replication", "0") }, CheckReplication, contract.CheckFail, "rds.logical_replication is 0"},
		{"aurora mysql binlog off", sim.ScenarioAuroraGlobal, "payments-cluster", contract.Options{}, func(st *sim.State) { simParam(st, "payments-am8-cluster", "binlog_format", "OFF") }, CheckReplication, contract.CheckFail, "binlog_format is OFF"},
		{"aurora pg synchronous_commit off", sim.ScenarioAuroraPostgres, "ledger-cluster", contract.Options{}, func(st *sim.State) { simParam(st, "ledger-apg15-cluster", "synchronous_commit", "off") }, CheckReplication, contract.CheckFail, "synchronous_commit is off"},
		{"aurora pg logical replication off", sim.ScenarioAuroraPostgres, "ledger-cluster", contract.Options{}, func(st *sim.State) { simParam(st, "ledger-apg15-cluster", "rds.logical_replication", "0") }, CheckReplication, contract.CheckFail, "modify-db-cluster-parameter-group"},
		{"proxy not available", pg, pgSrc, contract.Options{}, func(st *sim.State) { simProxy(st, "orders-proxy").Status = "modifying" }, CheckProxyHealth, contract.CheckFail, "proxy orders-proxy is modifying"},
		{"proxy target unhealthy", pg, pgSrc, contract.Options{}, func(st *sim.State) { simProxy(st, "orders-proxy").Targets[0].AvailableAt = simStart.Add(time.Hour) }, CheckProxyHealth, contract.CheckFail, "orders-proxy target orders-db is UNAVAILABLE"},
		{"cluster not available", sim.ScenarioAuroraPostgres, "ledger-cluster", contract.Options{}, func(st *sim.State) { simCluster(st, "ledger-cluster").Status = "backing-up" }, CheckSourceAvailable, contract.CheckFail, `"backing-up"`},
		{"engine version unsupported", pg, pgSrc, contract.Options{}, func(st *sim.State) { simInstance(st, "orders-db").EngineVersion = "10.21" }, CheckEngineVersion, contract.CheckFail, "from 11.1"},
		{"switchover timeout out of range", pg, pgSrc, contract.Options{SwitchoverTimeout: 10 * time.Second}, nil, CheckSwitchoverTimeout, contract.CheckFail, "outside 30–3600"},
		{"global cluster warns", sim.ScenarioAuroraGlobal, "payments-cluster", contract.Options{}, nil, CheckGlobalCluster, contract.CheckWarn, "payments-global"},
		{"regime row", sim.ScenarioAuroraGlobal, "payments-cluster", contract.Options{}, nil, CheckRegime, contract.CheckPass, "must be deregistered before the deployment"},
		{"native impossible", sim.ScenarioAuroraGlobal, "payments-cluster", contract.Options{ProxyMode: contract.ProxyModeNative}, nil, CheckRegime, contract.CheckFail, "--proxy-mode detach"},
		{"deletion protection with old-blue", pg, pgSrc, contract.Options{Cleanup: contract.CleanupOldBlue}, nil, CheckDeletionProtection, contract.CheckWarn, "orders-db-old1"},
		{"deletion protection irrelevant", pg, pgSrc, contract.Options{}, nil, CheckDeletionProtection, contract.CheckPass, "deletes no database"},
		{"multi-az db cluster", pg, "orders-maz", contract.Options{}, func(st *sim.State) {
			st.Clusters = append(st.Clusters, &sim.Cluster{ID: "orders-maz", Engine: "postgres", EngineVersion: "16.4", Status: "available", BackupRetentionDays: 7, ParameterGroup: "default.postgres16"})
		}, CheckMultiAZCluster, contract.CheckFail, "Multi-AZ DB cluster"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checks := preflightRun(t, c.scenario, c.source, c.o, c.tweak)
			expectCheck(t, checks, c.id, c.status, c.phrase)
			var list []contract.CheckResult
			for _, r := range checks {
				list = append(list, r)
			}
			if Blocked(list) != (c.status == contract.CheckFail) && c.status == contract.CheckFail {
				t.Errorf("a failing %s check must block", c.id)
			}
		})
	}
}

func TestPreflightExistingDeployments(t *testing.T) {
	env := newSimEnv(t, sim.ScenarioRDSMariaDBNoProxy)
	ctx := context.Background()
	if _, err := env.api.CreateDeployment(ctx, awsclient.CreateDeploymentInput{Name: "earlier-try", SourceARN: "arn:aws:rds:us-east-1:123456789012:db:catalog-db"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.api.CreateDeployment(ctx, awsclient.CreateDeploymentInput{Name: "search-bgd", SourceARN: "arn:aws:rds:us-east-1:123456789012:db:search-db"}); err != nil {
		t.Fatal(err)
	}
	before := len(env.sim.Mutations())
	d := env.discover(t, "catalog-db")
	run := func(o contract.Options) map[string]contract.CheckResult {
		o.Source = "catalog-db"
		out := map[string]contract.CheckResult{}
		for _, c := range Preflight(ctx, env.api, d, o, nil) {
			out[c.ID] = c
		}
		return out
	}
	expectCheck(t, run(contract.Options{}), CheckExistingDeployment, contract.CheckFail, "--blue-green-deployment-name earlier-try")
	expectCheck(t, run(contract.Options{DeploymentName: "earlier-try"}), CheckExistingDeployment, contract.CheckPass, "adopt")
	expectCheck(t, run(contract.Options{DeploymentName: "earlier-try"}), CheckDeploymentName, contract.CheckPass, "free")
	expectCheck(t, run(contract.Options{DeploymentName: "search-bgd"}), CheckDeploymentName, contract.CheckFail, "taken")
	if after := len(env.sim.Mutations()); after != before {
		t.Errorf("preflight changed AWS: %d mutations", after-before)
	}
}

func TestResolveUpgrade(t *testing.T) {
	env := newSimEnv(t, sim.ScenarioRDSPostgresNative)
	ctx := context.Background()
	d := env.discover(t, "orders-db")
	up, err := ResolveUpgrade(ctx, env.api, d, contract.Options{})
	if up != nil || err != nil {
		t.Errorf("no version asked: %v %v", up, err)
	}
	up, err = ResolveUpgrade(ctx, env.api, d, contract.Options{TargetEngineVersion: "16.4"})
	if err != nil || up == nil || up.Version != "16.4" || !up.Major {
		t.Fatalf("16.4: %+v %v", up, err)
	}
	up, err = ResolveUpgrade(ctx, env.api, d, contract.Options{TargetEngineVersion: "15.8"})
	if err != nil || up.Major {
		t.Errorf("15.8 is minor: %+v %v", up, err)
	}
	for _, bad := range []string{"14.12", "15.7", "99.1"} {
		_, err = ResolveUpgrade(ctx, env.api, d, contract.Options{TargetEngineVersion: bad})
		var in *contract.InputError
		if !errors.As(err, &in) || in.ExitCode != contract.ExitPreflight || !strings.Contains(in.Message, bad) {
			t.Errorf("%s: want exit-3 InputError naming it, got %v", bad, err)
		}
	}
	targets, err := UpgradeTargets(ctx, env.api, "postgres", "15.7")
	if err != nil || len(targets) == 0 || targets[0].Version != "15.8" {
		t.Errorf("targets %+v %v", targets, err)
	}
	env.assertNoMutations(t)
}

func TestBlueGreenRules(t *testing.T) {
	cases := []struct {
		engine, version string
		ok              bool
	}{
		{"mysql", "5.7.44", true}, {"mysql", "8.0.12", false}, {"mysql", "8.0.36", true}, {"mysql", "8.4.3", true}, {"mysql", "5.6.51", false},
		{"mariadb", "10.1.48", false}, {"mariadb", "10.2.44", true}, {"mariadb", "10.11.9", true}, {"mariadb", "11.4.3", true}, {"mariadb", "12.3.1", true}, {"mariadb", "13.0.1", true},
		{"postgres", "11.0", false}, {"postgres", "11.1", true}, {"postgres", "17.2", true}, {"postgres", "10.21", false},
		{"aurora-mysql", "5.7.mysql_aurora.2.11.2", true},
		{"aurora-postgresql", "15.3", false}, {"aurora-postgresql", "15.4", true}, {"aurora-postgresql", "17.2", false}, {"aurora-postgresql", "17.4", true}, {"aurora-postgresql", "11.21", true},
		{"sqlserver-se", "15.00", false}, {"oracle-ee", "19", false}, {"db2-se", "11.5", false},
	}
	for _, c := range cases {
		if ok, why := blueGreenRules(c.engine, c.version); ok != c.ok {
			t.Errorf("%s %s: %v (%s), want %v", c.engine, c.version, ok, why, c.ok)
		}
	}
}

func TestPgLogicalMinimum(t *testing.T) {
	for v, want := range map[string]bool{"15.3": false, "15.4": true, "16.0": false, "16.1": true, "13.11": false, "13.12": true, "11.20": false, "18.0": true, "10.5": false} {
		if ok, _ := pgLogicalOK(parseVersion(v)); ok != want {
			t.Errorf("%s: %v, want %v", v, ok, want)
		}
	}
}

func TestPreflightRefusesOldPostgresMajorUpgrade(t *testing.T) {
	checks := preflightRun(t, sim.ScenarioRDSPostgresNative, "orders-db", contract.Options{TargetEngineVersion: "16.4"}, func(st *sim.State) {
		// 15.3 predates logical replication support in blue/green; give
		// the catalogue the version so ResolveUpgrade can answer.
		simInstance(st, "orders-db").EngineVersion = "15.3"
		st.Engines = append(st.Engines, &sim.EngineVersion{Engine: "postgres", Version: "15.3", Major: "15", Family: "postgres15",
			Targets: []sim.UpgradeTarget{{Engine: "postgres", Version: "16.4", Major: true}}})
	})
	expectCheck(t, checks, CheckUpgradePath, contract.CheckFail, "15.4")
}

func TestPreflightWithoutIdentityFails(t *testing.T) {
	env := newSimEnv(t, sim.ScenarioRDSMariaDBNoProxy)
	d := env.discover(t, "catalog-db")
	d.Identity = awsclient.Identity{}
	for _, c := range Preflight(context.Background(), env.api, d, contract.Options{}, nil) {
		if c.ID == CheckIdentity {
			if c.Status != contract.CheckFail || !strings.Contains(c.Remediation, "get-caller-identity") {
				t.Errorf("identity row %+v", c)
			}
			return
		}
	}
	t.Error("no identity row")
}

// Issue 23: engine support comes from the engine catalogue, not from a
// hand-kept list. MariaDB 12.3 (which AWS added after 11.8) passes; a
// future 13.0 passes while the catalogue lists it, and is a warning, not a
// block, when the catalogue cannot be read.
func TestPreflightEngineVersionFromTheCatalogue(t *testing.T) {
	at := func(v string) func(*sim.State) {
		return func(st *sim.State) {
			simInstance(st, "catalog-db").EngineVersion = v
			if v == "13.0.1" {
				st.Engines = append(st.Engines, &sim.EngineVersion{Engine: "mariadb", Version: "13.0.1", Major: "13.0", Family: "mariadb13.0"})
			}
		}
	}
	for _, v := range []string{"12.3.1", "13.0.1"} {
		c := preflightRun(t, sim.ScenarioRDSMariaDBNoProxy, "catalog-db", contract.Options{}, at(v))[CheckEngineVersion]
		if c.Status != contract.CheckPass || !strings.Contains(c.Explanation, "engine catalogue lists it") {
			t.Errorf("MariaDB %s: %+v", v, c)
		}
	}

	// The catalogue denied: 13.0 is newer than AWS documented, a warning;
	// 12.3 is documented, a pass; nothing blocks the run.
	for v, want := range map[string]contract.CheckStatus{"13.0.1": contract.CheckWarn, "12.3.1": contract.CheckPass} {
		env := newSimEnv(t, sim.ScenarioRDSMariaDBNoProxy)
		env.sim.Update(at(v))
		env.sim.AddFault(sim.Fault{Operation: "DescribeDBEngineVersions", Code: "AccessDenied", HTTPStatus: 403})
		d := env.discover(t, "catalog-db")
		checks := Preflight(context.Background(), env.api, d, contract.Options{Source: "catalog-db"}, nil)
		env.assertNoMutations(t)
		if Blocked(checks) {
			t.Errorf("MariaDB %s with the catalogue denied is blocked: %+v", v, checks)
		}
		for _, c := range checks {
			if c.ID != CheckEngineVersion {
				continue
			}
			if c.Status != want {
				t.Errorf("MariaDB %s, catalogue denied: %s, want %s: %s", v, c.Status, want, c.Explanation)
			}
			if want == contract.CheckWarn && (!strings.Contains(c.Explanation, "AWS validates the source when the deployment is created") || !strings.Contains(c.Explanation, "rds:DescribeDBEngineVersions")) {
				t.Errorf("the warning must say AWS validates it at creation and name the permission: %s", c.Explanation)
			}
		}
	}

	// A version the catalogue does not list is a warning too.
	c := preflightRun(t, sim.ScenarioRDSMariaDBNoProxy, "catalog-db", contract.Options{}, func(st *sim.State) { simInstance(st, "catalog-db").EngineVersion = "12.9.9" })[CheckEngineVersion]
	if c.Status != contract.CheckWarn || !strings.Contains(c.Explanation, "does not list mariadb 12.9.9") {
		t.Errorf("a version the catalogue lacks: %+v", c)
	}
}
