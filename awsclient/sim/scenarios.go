package sim

import (
	"sort"
	"time"
)

// Scenario names are a contract (design.md §6).
const (
	// ScenarioRDSPostgresNative is today's AWS (native proxy support since
	// April 2026, rds-facts §5.4) and the default of `rdsbg demo` and
	// `rdsbg sim`.
	ScenarioRDSPostgresNative = "rds-postgres-native-proxy"
	ScenarioRDSPostgresLegacy = "rds-postgres-legacy-proxy"
	ScenarioRDSMySQLNative    = "rds-mysql-native-proxy"
	ScenarioAuroraPostgres    = "aurora-postgres-proxy"
	ScenarioAuroraGlobal      = "aurora-global-proxy"
	ScenarioRDSMariaDBNoProxy = "rds-mariadb-no-proxy"
)

// ScenarioInfo names and describes a built-in scenario.
type ScenarioInfo struct{ Name, Description string }

// Scenarios lists the built-in scenarios.
func Scenarios() []ScenarioInfo {
	return []ScenarioInfo{
		{ScenarioRDSPostgresNative, "RDS PostgreSQL 15 orders-db with one read replica behind orders-proxy; native proxy regime, today's AWS (the proxy stays registered and follows the switchover)"},
		{ScenarioRDSPostgresLegacy, "the same orders-db in a hypothetical account without native proxy support (AWS before April 2026): creation refused while the source is a proxy target"},
		{ScenarioRDSMySQLNative, "RDS MySQL 8.0 shop-db behind shop-proxy; native proxy regime (the proxy follows the switchover)"},
		{ScenarioAuroraPostgres, "Aurora PostgreSQL 15 ledger-cluster (writer + two readers, a custom endpoint) behind ledger-proxy, in a hypothetical account without native proxy support (AWS before April 2026)"},
		{ScenarioAuroraGlobal, "Aurora MySQL payments-cluster, member of global database payments-global, behind payments-proxy: native proxy support does not apply to Aurora Global Database"},
		{ScenarioRDSMariaDBNoProxy, "RDS MariaDB 10.11 catalog-db with no proxy"},
	}
}

type scenarioBuilder func(s *Simulator, st *State, now time.Time)

func scenarioBuilders() map[string]scenarioBuilder {
	return map[string]scenarioBuilder{
		ScenarioRDSPostgresNative: buildRDSPostgresNative,
		ScenarioRDSPostgresLegacy: buildRDSPostgresLegacy,
		ScenarioRDSMySQLNative:    buildRDSMySQLNative,
		ScenarioAuroraPostgres:    buildAuroraPostgres,
		ScenarioAuroraGlobal:      buildAuroraGlobal,
		ScenarioRDSMariaDBNoProxy: buildRDSMariaDBNoProxy,
	}
}

func scenarioNames() []string {
	var out []string
	for name := range scenarioBuilders() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// baseState fills the parts every scenario shares: the engine catalogue
// and the default parameter groups.
func baseState(st *State) {
	st.Engines = catalogue()
	st.ParameterGroups = defaultParameterGroups(st.Engines)
}

func customGroup(st *State, name, family, engine string, cluster bool) {
	st.ParameterGroups = append(st.ParameterGroups, &ParameterGroup{Name: name, Family: family, Cluster: cluster,
		Parameters: engineParameters(engine, cluster, "user")})
}

func instance(id, engine, version, class, group string, port int, created time.Time) *Instance {
	return &Instance{ID: id, Engine: engine, EngineVersion: version, Class: class, Status: "available",
		BackupRetentionDays: 7, ParameterGroup: group, ParameterApplyStatus: "in-sync",
		OptionGroup: "default:" + engine + "-" + firstDot(version), StorageEncrypted: true, Port: port,
		AllocatedStorage: 100, CreateTime: created}
}

// registered is a proxy registration that settled long ago.
func registered(res string, cluster bool, now time.Time) *ProxyRegistration {
	return &ProxyRegistration{ResourceID: res, Cluster: cluster, RegisteringUntil: now.Add(-48 * time.Hour), AvailableAt: now.Add(-47 * time.Hour)}
}

// buildRDSPostgresNative is orders-db in today's AWS: the same databases
// and proxies as the legacy scenario, so that a test moves between the two
// worlds by the scenario's name alone.
func buildRDSPostgresNative(s *Simulator, st *State, now time.Time) {
	buildOrders(s, st, now)
	st.Regime = RegimeNative
}

// buildRDSPostgresLegacy is orders-db in a hypothetical account without
// native proxy support: what every account was before April 2026.
func buildRDSPostgresLegacy(s *Simulator, st *State, now time.Time) {
	buildOrders(s, st, now)
	st.Regime = RegimeLegacy
}

func buildOrders(s *Simulator, st *State, now time.Time) {
	baseState(st)
	customGroup(st, "orders-pg15", "postgres15", "postgres", false)
	customGroup(st, "orders-pg16", "postgres16", "postgres", false)
	created := now.Add(-400 * 24 * time.Hour)
	primary := instance("orders-db", "postgres", "15.7", "db.r6g.large", "orders-pg15", 5432, created)
	primary.MultiAZ = true
	primary.DeletionProtection = true
	primary.ResourceID = s.newInstanceResourceID()
	replica := instance("orders-db-replica-1", "postgres", "15.7", "db.r6g.large", "orders-pg15", 5432, created)
	replica.ReplicaOf = primary.ResourceID
	replica.BackupRetentionDays = 0 // RDS PostgreSQL replicas keep no automated backups
	billing := instance("billing-db", "postgres", "16.4", "db.t4g.medium", "default.postgres16", 5432, created)
	billing.ResourceID = s.newInstanceResourceID()
	analytics := instance("analytics-mysql", "mysql", "8.0.39", "db.m6g.large", "default.mysql8.0", 3306, created)
	st.Instances = append(st.Instances, primary, replica, billing, analytics)
	st.Proxies = append(st.Proxies,
		&Proxy{Name: "orders-proxy", EngineFamily: "POSTGRESQL", VpcID: "vpc-0a1b2c3d4e5f60718", Targets: []*ProxyRegistration{registered(primary.ResourceID, false, now)}},
		&Proxy{Name: "billing-proxy", EngineFamily: "POSTGRESQL", VpcID: "vpc-0a1b2c3d4e5f60718", Targets: []*ProxyRegistration{registered(billing.ResourceID, false, now)}},
	)
}

func buildRDSMySQLNative(s *Simulator, st *State, now time.Time) {
	baseState(st)
	st.Regime = RegimeNative
	customGroup(st, "shop-mysql80", "mysql8.0", "mysql", false)
	customGroup(st, "shop-mysql84", "mysql8.4", "mysql", false)
	created := now.Add(-300 * 24 * time.Hour)
	primary := instance("shop-db", "mysql", "8.0.36", "db.r6g.large", "shop-mysql80", 3306, created)
	primary.MultiAZ = true
	primary.ResourceID = s.newInstanceResourceID()
	reporting := instance("reporting-db", "postgres", "15.8", "db.t4g.large", "default.postgres15", 5432, created)
	reporting.ResourceID = s.newInstanceResourceID()
	st.Instances = append(st.Instances, primary, reporting)
	st.Proxies = append(st.Proxies,
		&Proxy{Name: "shop-proxy", EngineFamily: "MYSQL", VpcID: "vpc-0f1e2d3c4b5a69788", Targets: []*ProxyRegistration{registered(primary.ResourceID, false, now)}},
		&Proxy{Name: "reporting-proxy", EngineFamily: "POSTGRESQL", VpcID: "vpc-0f1e2d3c4b5a69788", Targets: []*ProxyRegistration{registered(reporting.ResourceID, false, now)}},
	)
}

// auroraCluster adds a cluster with a writer and readers named
// <prefix>-instance-1…n.
func auroraCluster(s *Simulator, st *State, id, prefix, engine, version, clusterGroup, instanceGroup string, readers, port int, created time.Time) *Cluster {
	c := &Cluster{ID: id, ResourceID: s.newClusterResourceID(), Engine: engine, EngineVersion: version, Status: "available",
		ParameterGroup: clusterGroup, BackupRetentionDays: 7, StorageEncrypted: true, DeletionProtection: true, Port: port, CreateTime: created}
	st.Clusters = append(st.Clusters, c)
	for i := 0; i <= readers; i++ {
		in := instance(prefix+"-instance-"+string(rune('1'+i)), engine, version, "db.r6g.large", instanceGroup, port, created)
		in.ClusterResourceID = c.ResourceID
		in.Writer = i == 0
		in.BackupRetentionDays = 7
		st.Instances = append(st.Instances, in)
	}
	return c
}

func buildAuroraPostgres(s *Simulator, st *State, now time.Time) {
	baseState(st)
	st.Regime = RegimeLegacy
	customGroup(st, "ledger-apg15-cluster", "aurora-postgresql15", "aurora-postgresql", true)
	customGroup(st, "ledger-apg15", "aurora-postgresql15", "aurora-postgresql", false)
	customGroup(st, "ledger-apg16-cluster", "aurora-postgresql16", "aurora-postgresql", true)
	customGroup(st, "ledger-apg16", "aurora-postgresql16", "aurora-postgresql", false)
	created := now.Add(-500 * 24 * time.Hour)
	c := auroraCluster(s, st, "ledger-cluster", "ledger", "aurora-postgresql", "15.6", "ledger-apg15-cluster", "ledger-apg15", 2, 5432, created)
	c.CustomEndpoints = []string{"ledger-reporting"}
	ops := instance("ops-db", "postgres", "16.4", "db.t4g.medium", "default.postgres16", 5432, created)
	st.Instances = append(st.Instances, ops)
	st.Proxies = append(st.Proxies,
		&Proxy{Name: "ledger-proxy", EngineFamily: "POSTGRESQL", VpcID: "vpc-0123456789abcdef0", Targets: []*ProxyRegistration{registered(c.ResourceID, true, now)}},
		&Proxy{Name: "ops-proxy", EngineFamily: "POSTGRESQL", VpcID: "vpc-0123456789abcdef0"},
	)
}

func buildAuroraGlobal(s *Simulator, st *State, now time.Time) {
	baseState(st)
	st.Regime = RegimeLegacy
	customGroup(st, "payments-am8-cluster", "aurora-mysql8.0", "aurora-mysql", true)
	customGroup(st, "payments-am8", "aurora-mysql8.0", "aurora-mysql", false)
	created := now.Add(-600 * 24 * time.Hour)
	c := auroraCluster(s, st, "payments-cluster", "payments", "aurora-mysql", "8.0.mysql_aurora.3.05.2", "payments-am8-cluster", "payments-am8", 1, 3306, created)
	c.GlobalClusterID = "payments-global"
	other := instance("audit-db", "mysql", "8.0.40", "db.t4g.medium", "default.mysql8.0", 3306, created)
	st.Instances = append(st.Instances, other)
	st.Proxies = append(st.Proxies,
		&Proxy{Name: "payments-proxy", EngineFamily: "MYSQL", VpcID: "vpc-0aa11bb22cc33dd44", Targets: []*ProxyRegistration{registered(c.ResourceID, true, now)}},
	)
}

func buildRDSMariaDBNoProxy(s *Simulator, st *State, now time.Time) {
	baseState(st)
	// No proxy targets catalog-db, so the regime never applies to it; the
	// current (native) AWS behaviour is the honest default.
	st.Regime = RegimeNative
	customGroup(st, "catalog-mariadb1011", "mariadb10.11", "mariadb", false)
	customGroup(st, "catalog-mariadb114", "mariadb11.4", "mariadb", false)
	created := now.Add(-200 * 24 * time.Hour)
	catalog := instance("catalog-db", "mariadb", "10.11.9", "db.m6g.large", "catalog-mariadb1011", 3306, created)
	search := instance("search-db", "mysql", "8.0.40", "db.t4g.large", "default.mysql8.0", 3306, created)
	search.ResourceID = s.newInstanceResourceID()
	st.Instances = append(st.Instances, catalog, search)
	st.Proxies = append(st.Proxies,
		&Proxy{Name: "search-proxy", EngineFamily: "MYSQL", VpcID: "vpc-0bb22cc33dd44ee55", Targets: []*ProxyRegistration{registered(search.ResourceID, false, now)}},
	)
}
