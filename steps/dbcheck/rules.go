package dbcheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The rule table: one row per database-side blocker of rds-facts §9
// (S1–S17, §9.2). Each rule names the engine and mode it applies to, the
// SQL it runs (shown to the DBA, run as is), the AWS page it comes from,
// what it finds and what to do. docs/database-checks.md lists them all;
// TestDocsListEveryRule keeps the two together.

// Rule ids: stable, they appear in --output json and in tests.
const (
	RulePGNoPrimaryKey       = "db-pg-no-primary-key"
	RulePGLargeObjects       = "db-pg-large-objects"
	RulePGUnlogged           = "db-pg-unlogged-tables"
	RulePGExtensions         = "db-pg-extensions"
	RulePGPreload            = "db-pg-preload-libraries"
	RulePGPublications       = "db-pg-publications"
	RulePGSubscriptions      = "db-pg-subscriptions"
	RulePGLogicalSlots       = "db-pg-logical-slots"
	RulePGCapacity           = "db-pg-replication-capacity"
	RulePGSequences          = "db-pg-sequences"
	RulePGMatViews           = "db-pg-materialized-views"
	RulePGForeignServersIP   = "db-pg-foreign-servers-by-ip"
	RulePGReplicaTriggers    = "db-pg-replica-triggers"
	RulePGReadOnlyOverrides  = "db-pg-read-only-overrides"
	RulePGPrepared           = "db-pg-prepared-transactions"
	RulePGLongTransactions   = "db-pg-long-transactions"
	RulePGPrivileges         = "db-pg-privileges"
	RuleMySQLNoPrimaryKey    = "db-mysql-no-primary-key"
	RuleMySQLNonTransact     = "db-mysql-non-transactional"
	RuleMySQLExternalReplica = "db-mysql-external-replica"
	RuleMySQLBinlog          = "db-mysql-binlog"
	RuleMySQLEventScheduler  = "db-mysql-event-scheduler"
	RuleAuroraMySQLTmp       = "db-aurora-mysql-tmp-database"
	RuleMySQLPrepared        = "db-mysql-prepared-xa"
	RuleMySQLLongTransact    = "db-mysql-long-transactions"
	RuleMySQLPrivileges      = "db-mysql-privileges"
)

// Row ids that are not rules: how the checks went as a whole.
const (
	RowConnection = "db-connection"
	RowDatabases  = "db-pg-databases-unreadable"
)

// Sources: the AWS pages, named as an operator finds them.
const (
	srcConsiderations = "AWS RDS/Aurora User Guide: Blue/Green Deployments, Limitations and considerations"
	srcCreating       = "AWS RDS/Aurora User Guide: Creating a blue/green deployment (prerequisites)"
	srcSwitching      = "AWS RDS/Aurora User Guide: Switching a blue/green deployment (switchover guardrails)"
	srcBestPractices  = "AWS RDS/Aurora User Guide: Blue/Green Deployments, Best practices"
	srcMySQLRowApply  = "MySQL Reference Manual: row-based replication of tables without a primary key (WL#11807, WL#10476)"
	srcKCSlots        = "AWS re:Post Knowledge Center: blue/green creation fails for lack of replication slots or workers"
)

// Rule is one check of the table.
type Rule struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Engines and Modes say where the rule applies (AppliesTo).
	Engines []string `json:"engines"`
	Modes   []Mode   `json:"modes"`
	// PerDatabase: PostgreSQL runs the SQL in every database.
	PerDatabase bool   `json:"per_database,omitempty"`
	SQL         string `json:"sql"`
	Source      string `json:"source"`
	// Trips is the status when the rule finds something: Fail where AWS
	// fails or refuses, Warn where the run only gets slower or needs
	// follow-up.
	Trips       Status `json:"trips"`
	Remediation string `json:"remediation"`
	// Found is the noun for what the SQL returns ("tables without a
	// primary key"); Effect says what AWS does about them; Clean is the
	// pass sentence.
	Found  string `json:"-"`
	Effect string `json:"-"`
	Clean  string `json:"-"`
	// Gate: the ready-check re-reads it before the critical section.
	Gate bool `json:"gate,omitempty"`
	// judge, when set, replaces "anything found trips the rule": it
	// reads the rows and returns the status, the explanation and the
	// names found.
	judge func(rows [][]string, f facts) (Status, string, []string)
}

// facts are what the rules may compare with besides their own rows.
type facts struct {
	databases   int
	maxAge      time.Duration
	aurora      bool
	notRDS      bool // MySQL: mysql.rds_configuration is missing
	privMissing string
}

var (
	pgAll    = []string{"postgres", "aurora-postgresql"}
	mysqlAll = []string{"mysql", "mariadb", "aurora-mysql"}
	logical  = []Mode{ModeLogical}
	pgModes  = []Mode{ModeLogical, ModePhysical}
	binlog   = []Mode{ModeBinlog}
	auroraMy = []string{"aurora-mysql"}
)

// The schemas the checks leave out: the system's own.
const (
	pgSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'`
	mySchemas = `('mysql', 'sys', 'performance_schema', 'information_schema')`
)

// AppliesTo reports whether the rule is checked for scope.
func (r Rule) AppliesTo(s Scope) bool {
	engine, mode := false, false
	for _, e := range r.Engines {
		engine = engine || e == s.Engine
	}
	for _, m := range r.Modes {
		mode = mode || m == s.Mode
	}
	return engine && mode
}

// Rules is the whole table, in the order rows are shown.
func Rules() []Rule {
	return []Rule{
		{
			ID: RulePGNoPrimaryKey, Title: "Tables have a primary key (or REPLICA IDENTITY FULL)", Engines: pgAll, Modes: logical, PerDatabase: true, Trips: Fail,
			SQL: `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND ` + pgSchemas + `
  AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1`,
			Source:      srcConsiderations + "; " + srcCreating,
			Found:       "tables without a primary key or REPLICA IDENTITY FULL",
			Effect:      "logical replication cannot identify their rows: UPDATE and DELETE on them fail on blue once green replicates",
			Clean:       "Every table has a primary key or a replica identity.",
			Remediation: "ALTER TABLE <table> ADD PRIMARY KEY (<columns>); or, where no key fits, ALTER TABLE <table> REPLICA IDENTITY FULL; before creating the deployment",
		},
		{
			ID: RulePGLargeObjects, Title: "No large objects", Engines: pgAll, Modes: logical, PerDatabase: true, Trips: Warn,
			SQL:         `SELECT count(*) || ' large objects' FROM pg_largeobject_metadata HAVING count(*) > 0`,
			Source:      srcConsiderations,
			Found:       "databases with large objects",
			Effect:      "logical replication does not carry them: creating or changing one while green replicates puts the deployment into \"Replication degraded\" (fix: delete and recreate it)",
			Clean:       "No large objects.",
			Remediation: "make sure nothing creates or changes large objects (lo_create, lo_import, lo_put) from the creation until the switchover",
		},
		{
			ID: RulePGUnlogged, Title: "No unlogged tables", Engines: pgAll, Modes: logical, PerDatabase: true, Trips: Warn,
			SQL: `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relpersistence = 'u' AND c.relkind IN ('r', 'p') AND ` + pgSchemas + `
  AND coalesce(current_setting('rds.logically_replicate_unlogged_tables', true), '0') NOT IN ('1', 'on')
ORDER BY 1`,
			Source:      srcConsiderations,
			Found:       "unlogged tables",
			Effect:      "they are not replicated: green has them empty after the switchover (Aurora PostgreSQL replicates them only with rds.logically_replicate_unlogged_tables = 1)",
			Clean:       "No unlogged tables (or Aurora replicates them).",
			Remediation: "ALTER TABLE <table> SET LOGGED; if green needs their rows, or accept that they start empty on green",
		},
		{
			ID: RulePGExtensions, Title: "Extensions that need care", Engines: pgAll, Modes: logical, PerDatabase: true, Trips: Warn,
			SQL:    `SELECT extname FROM pg_extension WHERE extname IN ('pg_partman', 'pg_cron', 'pglogical', 'pgactive', 'pgaudit', 'apg_plan_mgmt') ORDER BY 1`,
			Source: srcConsiderations,
			Found:  "extensions that need care",
			Effect: "they change the schema, replicate on their own or run jobs twice",
			Clean:  "None of pg_partman, pg_cron, pglogical, pgactive, pgaudit, apg_plan_mgmt is installed.",
			Remediation: "pg_partman: stop its maintenance (background worker, cron job) on blue until the switchover; pg_cron: disable it on green (cron.database_name / its jobs); " +
				"pglogical, pgactive: turn them off on blue; pgaudit: keep it in shared_preload_libraries of both blue's and green's parameter groups; apg_plan_mgmt: turn plan capture off on green",
			judge: judgeExtensions,
		},
		{
			ID: RulePGPreload, Title: "No replication or partitioning worker preloaded", Engines: pgAll, Modes: logical, Trips: Fail,
			SQL: `SELECT lib FROM unnest(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS lib
WHERE lib IN ('pg_partman_bgw', 'pglogical', 'pgactive') ORDER BY 1`,
			Source:      srcConsiderations,
			Found:       "workers preloaded in shared_preload_libraries",
			Effect:      "pg_partman's worker creates partitions (DDL: \"Replication degraded\"); pglogical and pgactive replicate on their own and must be off on blue",
			Clean:       "Neither pg_partman_bgw, pglogical nor pgactive is preloaded.",
			Remediation: "remove them from shared_preload_libraries in blue's parameter group and reboot blue before creating the deployment (put them back after the switchover)",
		},
		{
			ID: RulePGPublications, Title: "No self-managed publications", Engines: pgAll, Modes: pgModes, PerDatabase: true, Trips: Fail, Gate: true,
			SQL:         `SELECT pubname FROM pg_publication WHERE pubname NOT LIKE 'rds%' ORDER BY 1`,
			Source:      srcSwitching,
			Found:       "self-managed publications",
			Effect:      "the switchover guardrail refuses a blue that is a logical-replication publisher",
			Clean:       "No publications besides AWS's own.",
			Remediation: "note each publication's definition (the ledger keeps the names), DROP PUBLICATION <name>; on blue, and recreate it on the new primary after the switchover",
		},
		{
			ID: RulePGSubscriptions, Title: "No subscriptions", Engines: pgAll, Modes: pgModes, Trips: Fail, Gate: true,
			SQL:         `SELECT s.subname || ' (database ' || d.datname || ')' FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid ORDER BY 1`,
			Source:      srcSwitching,
			Found:       "subscriptions",
			Effect:      "the switchover guardrail refuses a blue that subscribes to another database",
			Clean:       "Blue subscribes to nothing.",
			Remediation: "ALTER SUBSCRIPTION <name> DISABLE; ALTER SUBSCRIPTION <name> SET (slot_name = NONE); DROP SUBSCRIPTION <name>; on blue, and recreate it on the new primary after the switchover",
		},
		{
			ID: RulePGLogicalSlots, Title: "No self-managed logical replication slots", Engines: pgAll, Modes: pgModes, Trips: Fail, Gate: true,
			SQL: `SELECT slot_name || ' (' || coalesce(plugin, '') || ', database ' || coalesce(database, '') || CASE WHEN active THEN ', active' ELSE '' END || ')'
FROM pg_replication_slots WHERE slot_type = 'logical' AND slot_name NOT LIKE 'rds%' ORDER BY 1`,
			Source:      srcSwitching,
			Found:       "logical replication slots (Debezium, DMS, other consumers)",
			Effect:      "the switchover guardrail refuses a blue with self-managed logical slots; their consumers would lose their position anyway",
			Clean:       "No logical slots besides AWS's own.",
			Remediation: "stop the consumer (Debezium, DMS task), then SELECT pg_drop_replication_slot('<slot>'); on blue; recreate the slot and restart the consumer on the new primary after the switchover",
		},
		{
			ID: RulePGCapacity, Title: "Replication slots and workers sized for every database", Engines: pgAll, Modes: logical, Trips: Fail,
			SQL: `SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'max_replication_slots', 'max_wal_senders', 'max_logical_replication_workers', 'max_worker_processes')
UNION ALL SELECT 'slots_in_use', count(*)::text FROM pg_replication_slots
UNION ALL SELECT 'senders_in_use', count(*)::text FROM pg_stat_replication`,
			Source:      srcCreating + "; " + srcKCSlots,
			Found:       "settings too small",
			Effect:      "AWS needs one replication slot, one WAL sender and one apply worker per database: creation fails, or replication stalls",
			Remediation: "raise max_replication_slots, max_wal_senders, max_logical_replication_workers and max_worker_processes in blue's parameter group (green copies them, or set them in --target-db-parameter-group-name) and reboot blue",
			judge:       judgeCapacity,
		},
		{
			ID: RulePGSequences, Title: "Sequence count", Engines: pgAll, Modes: logical, PerDatabase: true, Trips: Warn,
			SQL:         `SELECT count(*) FROM pg_sequence`,
			Source:      srcConsiderations,
			Found:       "sequences",
			Effect:      "sequences are synced during the switchover itself: thousands of them lengthen it (and the time the proxy waits)",
			Remediation: "raise --switchover-timeout to fit, and expect a longer switchover; dropping unused sequences helps",
			judge:       judgeSequences,
		},
		{
			ID: RulePGMatViews, Title: "Materialized views", Engines: pgAll, Modes: logical, PerDatabase: true, Trips: Warn,
			SQL:         `SELECT format('%I.%I', schemaname, matviewname) FROM pg_matviews WHERE schemaname NOT LIKE 'pg\_%' ORDER BY 1`,
			Source:      srcConsiderations,
			Found:       "materialized views",
			Effect:      "they are not refreshed on green by replication (RDS), and refreshing them on blue breaks replication on Aurora PostgreSQL",
			Clean:       "No materialized views.",
			Remediation: "do not REFRESH them on blue until the switchover; REFRESH MATERIALIZED VIEW each one on the new primary after it",
		},
		{
			ID: RulePGForeignServersIP, Title: "Foreign servers addressed by name", Engines: pgAll, Modes: pgModes, PerDatabase: true, Trips: Warn,
			SQL: `SELECT s.srvname || ' (' || o || ')' FROM pg_foreign_server s, unnest(s.srvoptions) AS o
WHERE o ~ '^(host|hostaddr)=' AND (split_part(o, '=', 2) ~ '^[0-9]+(\.[0-9]+){3}$' OR split_part(o, '=', 2) LIKE '%:%') ORDER BY 1`,
			Source:      srcConsiderations,
			Found:       "foreign servers addressed by IP",
			Effect:      "an address by IP does not follow the switchover's renames: queries through them break or reach the wrong server after it",
			Clean:       "No foreign server is addressed by IP.",
			Remediation: "ALTER SERVER <name> OPTIONS (SET host '<DNS name>');",
		},
		{
			ID: RulePGReplicaTriggers, Title: "No triggers enabled on replicas", Engines: pgAll, Modes: logical, PerDatabase: true, Trips: Warn,
			SQL: `SELECT format('%s on %s (%s)', t.tgname, t.tgrelid::regclass, CASE t.tgenabled WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'ENABLE ALWAYS' END)
FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgenabled IN ('R', 'A') ORDER BY 1`,
			Source:      srcBestPractices,
			Found:       "triggers set ENABLE REPLICA or ENABLE ALWAYS",
			Effect:      "they fire on green as replication applies rows: duplicated rows or side effects",
			Clean:       "No trigger fires on the replication apply.",
			Remediation: "ALTER TABLE <table> ENABLE TRIGGER <trigger>; (origin only) until the switchover",
		},
		{
			ID: RulePGReadOnlyOverrides, Title: "No role or database overrides default_transaction_read_only", Engines: pgAll, Modes: pgModes, Trips: Warn,
			SQL: `SELECT coalesce(r.rolname, 'every role') || ' in ' || coalesce(d.datname, 'every database') || ': ' || c
FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS c
WHERE c ~* '^default_transaction_read_only=(off|false|0|no)$' ORDER BY 1`,
			Source:      srcSwitching,
			Found:       "settings that turn default_transaction_read_only off",
			Effect:      "AWS makes blue read-only during the switchover through that setting: these sessions can still write, and their writes are lost if the switchover rolls back",
			Clean:       "No role or database turns read-only off.",
			Remediation: "ALTER ROLE <role> RESET default_transaction_read_only; (or ALTER DATABASE … RESET) before the switchover",
		},
		{
			ID: RulePGPrepared, Title: "No prepared transactions", Engines: pgAll, Modes: pgModes, Trips: Warn, Gate: true,
			SQL:         `SELECT gid || ' (' || owner || ', database ' || database || ', prepared ' || prepared::text || ')' FROM pg_prepared_xacts ORDER BY prepared`,
			Source:      srcBestPractices,
			Found:       "prepared transactions",
			Effect:      "they hold locks and WAL until committed: replication lags and the switchover guardrail may refuse",
			Clean:       "No prepared transaction is pending.",
			Remediation: "COMMIT PREPARED '<gid>'; or ROLLBACK PREPARED '<gid>'; once the application that prepared them agrees",
		},
		{
			ID: RulePGLongTransactions, Title: "No long-running transactions", Engines: pgAll, Modes: pgModes, Trips: Warn, Gate: true,
			SQL: `SELECT pid::text, coalesce(usename, ''), coalesce(datname, ''), extract(epoch FROM now() - xact_start)::bigint::text, query_start::text, coalesce(query, '')
FROM pg_stat_activity WHERE xact_start < now() - make_interval(secs => $1) AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY xact_start`,
			Source:      srcBestPractices,
			Found:       "transactions open longer than the limit",
			Effect:      "long transactions hold back replication and make the switchover guardrail refuse or time out",
			Clean:       "No transaction is open longer than the limit.",
			Remediation: "let them finish, or end them: SELECT pg_cancel_backend(<pid>); (the query) or pg_terminate_backend(<pid>); (the session)",
			judge:       judgeSessions,
		},
		{
			ID: RulePGPrivileges, Title: "The checks see every session", Engines: pgAll, Modes: pgModes, Trips: Warn,
			SQL:         `SELECT (rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'))::text FROM pg_roles WHERE rolname = current_user`,
			Source:      "PostgreSQL documentation: pg_stat_activity shows other users' queries to members of pg_read_all_stats",
			Found:       "missing privileges",
			Effect:      "without pg_read_all_stats the long-transaction and DDL checks see other users' sessions but not their queries",
			Clean:       "The role sees every session's query (superuser or pg_read_all_stats).",
			Remediation: "GRANT pg_read_all_stats TO <user>; (on RDS, as the master user)",
			judge:       judgeFlag,
		},

		// ---- MySQL family ----
		{
			ID: RuleMySQLNoPrimaryKey, Title: "Tables have a primary key", Engines: mysqlAll, Modes: binlog, Trips: Warn,
			// information_schema.statistics, not table_constraints: MariaDB
			// answers it without opening every table (0.14 s for 5,000
			// tables instead of 1.6 s).
			SQL: `SELECT CONCAT(t.table_schema, '.', t.table_name) FROM information_schema.tables t
LEFT JOIN (SELECT DISTINCT table_schema, table_name FROM information_schema.statistics WHERE index_name = 'PRIMARY') k
  ON k.table_schema = t.table_schema AND k.table_name = t.table_name
WHERE t.table_type = 'BASE TABLE' AND t.table_schema NOT IN ` + mySchemas + ` AND k.table_name IS NULL
ORDER BY 1`,
			Source:      srcMySQLRowApply + "; " + srcBestPractices,
			Found:       "tables without a primary key",
			Effect:      "green applies row events with a full table scan per changed row: replication lag grows with their size and write rate",
			Clean:       "Every table has a primary key.",
			Remediation: "ALTER TABLE <table> ADD PRIMARY KEY (<columns>); (or an invisible auto-increment key) before creating the deployment, at least on large, written tables",
		},
		{
			ID: RuleMySQLNonTransact, Title: "Every table is transactional (InnoDB)", Engines: mysqlAll, Modes: binlog, Trips: Warn,
			SQL: `SELECT CONCAT(table_schema, '.', table_name, ' (', engine, ')') FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND engine IS NOT NULL AND engine <> 'InnoDB' AND table_schema NOT IN ` + mySchemas + ` ORDER BY 1`,
			Source:      srcBestPractices,
			Found:       "non-transactional tables (MyISAM and others)",
			Effect:      "they replicate without transactional guarantees: green can diverge from blue after a failure",
			Clean:       "Every table is InnoDB.",
			Remediation: "ALTER TABLE <table> ENGINE = InnoDB; before creating the deployment",
		},
		{
			ID: RuleMySQLExternalReplica, Title: "Blue is not a replica of an external source", Engines: mysqlAll, Modes: binlog, Trips: Fail, Gate: true,
			SQL:         `SHOW REPLICA STATUS  -- MariaDB: SHOW ALL SLAVES STATUS; MySQL 5.7: SHOW SLAVE STATUS`,
			Source:      srcSwitching,
			Found:       "replication sources configured on blue",
			Effect:      "the switchover guardrail refuses a blue that replicates from an external source",
			Clean:       "Blue replicates from no external source.",
			Remediation: "stop and reset the external replication on blue: CALL mysql.rds_stop_replication; CALL mysql.rds_reset_external_master; (or rds_reset_external_source on MySQL 8.0.23+); set it up again on the new primary after the switchover",
		},
		{
			ID: RuleMySQLBinlog, Title: "Binary log on, ROW format, retention set", Engines: mysqlAll, Modes: binlog, Trips: Fail,
			SQL: `SELECT @@log_bin, @@binlog_format;
SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'`,
			Source:      srcCreating + "; " + srcBestPractices,
			Found:       "binary log settings",
			Effect:      "blue/green replicates through blue's binary log",
			Remediation: "CALL mysql.rds_set_configuration('binlog retention hours', 24); and binlog_format = ROW in the parameter group",
			judge:       judgeBinlog,
		},
		{
			ID: RuleMySQLEventScheduler, Title: "Event scheduler", Engines: mysqlAll, Modes: binlog, Trips: Warn,
			SQL:         `SELECT @@event_scheduler, (SELECT COUNT(*) FROM information_schema.events WHERE status = 'ENABLED')`,
			Source:      srcConsiderations,
			Found:       "the event scheduler on",
			Effect:      "green copies blue's parameter group, and events must not run on green while it replicates",
			Remediation: "set event_scheduler = OFF in green's parameter group (--target-db-parameter-group-name), and turn it on again on the new primary after the switchover",
			judge:       judgeEventScheduler,
		},
		{
			ID: RuleAuroraMySQLTmp, Title: "No database named tmp", Engines: auroraMy, Modes: binlog, Trips: Fail,
			SQL:         `SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'tmp'`,
			Source:      srcConsiderations + " (Aurora MySQL)",
			Found:       "databases named tmp",
			Effect:      "Aurora MySQL blue/green does not support a database named tmp",
			Clean:       "No database is named tmp.",
			Remediation: "move its tables to a database with another name and drop tmp before creating the deployment",
		},
		{
			ID: RuleMySQLPrepared, Title: "No prepared XA transactions", Engines: mysqlAll, Modes: binlog, Trips: Warn, Gate: true,
			SQL:         `XA RECOVER`,
			Source:      srcBestPractices,
			Found:       "prepared XA transactions",
			Effect:      "they hold locks until committed: replication lags and the switchover guardrail may refuse",
			Clean:       "No XA transaction is prepared.",
			Remediation: "XA COMMIT '<xid>'; or XA ROLLBACK '<xid>'; once the application that prepared them agrees",
		},
		{
			ID: RuleMySQLLongTransact, Title: "No long-running transactions", Engines: mysqlAll, Modes: binlog, Trips: Warn, Gate: true,
			SQL: `SELECT t.trx_mysql_thread_id, COALESCE(p.user, ''), COALESCE(p.db, ''), TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), t.trx_started, COALESCE(p.info, '')
FROM information_schema.innodb_trx t LEFT JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
WHERE t.trx_started <= NOW(6) - INTERVAL ? SECOND AND t.trx_mysql_thread_id <> CONNECTION_ID() ORDER BY t.trx_started`,
			Source:      srcBestPractices,
			Found:       "transactions open longer than the limit",
			Effect:      "long transactions hold back replication and make the switchover guardrail refuse or time out",
			Clean:       "No transaction is open longer than the limit.",
			Remediation: "let them finish, or end them: KILL QUERY <id>; (the statement) or CALL mysql.rds_kill(<id>); (the session)",
			judge:       judgeSessions,
		},
		{
			ID: RuleMySQLPrivileges, Title: "The checks see every session", Engines: mysqlAll, Modes: binlog, Trips: Warn,
			SQL: `SELECT COUNT(*) FROM information_schema.user_privileges
WHERE grantee = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''') AND privilege_type IN ('PROCESS', 'SUPER')`,
			Source:      "MySQL / MariaDB manual: information_schema.innodb_trx and the process list need the PROCESS privilege",
			Found:       "missing privileges",
			Effect:      "without PROCESS the long-transaction and DDL checks see only this user's sessions",
			Clean:       "The user has PROCESS: the checks see every session.",
			Remediation: "GRANT PROCESS ON *.* TO <user>; (and REPLICATION CLIENT, or SLAVE MONITOR on MariaDB, for the external-replica check)",
			judge:       judgeCount,
		},
	}
}

// RuleByID returns the rule with id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// row is the rule's row for the names found (the default judgement:
// anything found trips the rule).
func (r Rule) row(rows [][]string, f facts) Row {
	out := Row{ID: r.ID, Title: r.Title, SQL: r.SQL, Source: r.Source}
	var status Status
	var why string
	var names []string
	if r.judge != nil {
		status, why, names = r.judge(rows, f)
	} else {
		for _, row := range rows {
			if len(row) > 0 && row[0] != "" {
				names = append(names, row[0])
			}
		}
		status, why = Pass, r.Clean
		if len(names) > 0 {
			status = r.Trips
			why = fmt.Sprintf("%s (%d): %s. %s.", capitalize(r.Found), len(names), listed(names), capitalize(r.Effect))
		}
	}
	out.Status, out.Explanation = status, why
	out.capFound(names)
	if status != Pass {
		out.Remediation = r.Remediation
	}
	return out
}

// notRun is the rule's row when its SQL could not run (a privilege, a
// missing catalog): a warning naming why, never a silent pass.
func (r Rule) notRun(why string) Row {
	return Row{ID: r.ID, Title: r.Title, Status: Warn, SQL: r.SQL, Source: r.Source,
		Explanation: "Not checked: " + why + ". Run the SQL by hand, or give the user the privilege it needs.", Remediation: r.Remediation}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ---- judgements ----

func judgeExtensions(rows [][]string, _ facts) (Status, string, []string) {
	advice := map[string]string{
		"pg_partman":    "pg_partman (stop its maintenance on blue until the switchover: new partitions are DDL)",
		"pg_cron":       "pg_cron (its jobs must not run on green: disable them there)",
		"pglogical":     "pglogical (turn it off on blue)",
		"pgactive":      "pgactive (turn it off on blue)",
		"pgaudit":       "pgaudit (keep it in shared_preload_libraries on both blue and green)",
		"apg_plan_mgmt": "apg_plan_mgmt (turn plan capture off on green)",
	}
	var names, notes []string
	seen := map[string]bool{}
	for _, r := range rows {
		names = append(names, r[0])
		ext := r[0]
		if i := strings.LastIndex(ext, ": "); i >= 0 {
			ext = ext[i+2:]
		}
		if !seen[ext] {
			seen[ext] = true
			notes = append(notes, advice[ext])
		}
	}
	if len(names) == 0 {
		return Pass, "None of pg_partman, pg_cron, pglogical, pgactive, pgaudit, apg_plan_mgmt is installed.", nil
	}
	return Warn, fmt.Sprintf("%d installed: %s.", len(names), strings.Join(notes, "; ")), names
}

// judgeCapacity compares the settings with what AWS needs: one slot,
// one WAL sender and one apply worker per database, on top of those in use.
func judgeCapacity(rows [][]string, f facts) (Status, string, []string) {
	v := map[string]string{}
	for _, r := range rows {
		if len(r) >= 2 {
			v[r[0]] = r[1]
		}
	}
	num := func(k string) int { n, _ := strconv.Atoi(v[k]); return n }
	dbs := max(f.databases, 1)
	var short []string
	if v["wal_level"] != "" && v["wal_level"] != "logical" {
		short = append(short, fmt.Sprintf("wal_level is %s, not logical (rds.logical_replication = 1 is not in effect: reboot after setting it)", v["wal_level"]))
	}
	if need := num("slots_in_use") + dbs; num("max_replication_slots") < need {
		short = append(short, fmt.Sprintf("max_replication_slots %d < %d (%d in use + %d databases)", num("max_replication_slots"), need, num("slots_in_use"), dbs))
	}
	if need := num("senders_in_use") + dbs; num("max_wal_senders") < need {
		short = append(short, fmt.Sprintf("max_wal_senders %d < %d (%d in use + %d databases)", num("max_wal_senders"), need, num("senders_in_use"), dbs))
	}
	if num("max_logical_replication_workers") < dbs {
		short = append(short, fmt.Sprintf("max_logical_replication_workers %d < %d databases", num("max_logical_replication_workers"), dbs))
	}
	if need := num("max_logical_replication_workers") + 1; num("max_worker_processes") < need {
		short = append(short, fmt.Sprintf("max_worker_processes %d < %d (the logical replication workers + the launcher)", num("max_worker_processes"), need))
	}
	if len(short) > 0 {
		return Fail, fmt.Sprintf("%d databases to replicate, one slot, WAL sender and worker each: %s.", dbs, strings.Join(short, "; ")), short
	}
	return Pass, fmt.Sprintf("%d databases: max_replication_slots %s, max_wal_senders %s, max_logical_replication_workers %s and max_worker_processes %s leave room for one slot and worker each.",
		dbs, v["max_replication_slots"], v["max_wal_senders"], v["max_logical_replication_workers"], v["max_worker_processes"]), nil
}

// SequenceWarnAt is the count from which the sequence sync at switchover
// is worth a warning ("thousands of sequences", rds-facts S9).
const SequenceWarnAt = 1000

func judgeSequences(rows [][]string, _ facts) (Status, string, []string) {
	total := 0
	var per []string
	for _, r := range rows {
		// Per-database rows come as "db: N".
		db, n, _ := strings.Cut(r[0], ": ")
		c, _ := strconv.Atoi(n)
		total += c
		if c > 0 {
			per = append(per, fmt.Sprintf("%s: %d", db, c))
		}
	}
	if total >= SequenceWarnAt {
		return Warn, fmt.Sprintf("%d sequences (%s): sequences are synced during the switchover itself, so thousands of them lengthen it.", total, listed(per)), per
	}
	return Pass, fmt.Sprintf("%d sequences: their sync at switchover is short.", total), nil
}

func judgeFlag(rows [][]string, _ facts) (Status, string, []string) {
	if len(rows) > 0 && (rows[0][0] == "true" || rows[0][0] == "t") {
		return Pass, "The role sees every session's query (superuser or pg_read_all_stats).", nil
	}
	return Warn, "The role is not a member of pg_read_all_stats: the long-transaction and DDL checks see other users' sessions but not their queries.", []string{"pg_read_all_stats"}
}

func judgeCount(rows [][]string, _ facts) (Status, string, []string) {
	if len(rows) > 0 && rows[0][0] != "0" && rows[0][0] != "" {
		return Pass, "The user has PROCESS: the checks see every session.", nil
	}
	return Warn, "The user lacks the PROCESS privilege: the long-transaction and DDL checks see only its own sessions.", []string{"PROCESS"}
}

func judgeSessions(rows [][]string, f facts) (Status, string, []string) {
	var names []string
	for _, r := range rows {
		s := sessionFrom(r)
		names = append(names, s.String())
	}
	if len(names) == 0 {
		return Pass, fmt.Sprintf("No transaction is open longer than %s.", f.maxAge), nil
	}
	return Warn, fmt.Sprintf("Transactions open longer than %s (%d): %s. Long transactions hold back replication and make the switchover guardrail refuse or time out; the ready-check waits for them before the critical section.", f.maxAge, len(names), listed(names)), names
}

// judgeBinlog: rows are [log_bin, binlog_format, retention] ("-" when
// mysql.rds_configuration is missing: not RDS).
func judgeBinlog(rows [][]string, f facts) (Status, string, []string) {
	if len(rows) == 0 || len(rows[0]) < 3 {
		return Warn, "The binary log settings could not be read.", nil
	}
	logBin, format, retention := rows[0][0], strings.ToUpper(rows[0][1]), rows[0][2]
	if logBin != "1" && !strings.EqualFold(logBin, "on") {
		return Fail, "The binary log is off (log_bin = 0): blue/green replicates through it. On RDS it is on while automated backups are on; on Aurora MySQL set binlog_format in the cluster parameter group.", []string{"log_bin = 0"}
	}
	var notes, found []string
	status := Pass
	if format != "ROW" {
		status = Warn
		notes = append(notes, fmt.Sprintf("binlog_format is %s: ROW is what blue/green replicates best", format))
		found = append(found, "binlog_format = "+format)
	}
	switch retention {
	case "-":
		notes = append(notes, "binlog retention not checked: mysql.rds_configuration is not there (not an RDS server)")
	case "", "NULL":
		status = Warn
		notes = append(notes, "binlog retention hours is not set (NULL): binary logs may be purged before green has read them")
		found = append(found, "binlog retention hours = NULL")
	default:
		notes = append(notes, "binlog retention "+retention+" hours")
	}
	if status == Pass {
		return Pass, "Binary log on, ROW format; " + strings.Join(notes, "; ") + ".", nil
	}
	return status, capitalize(strings.Join(notes, "; ")) + ".", found
}

func judgeEventScheduler(rows [][]string, _ facts) (Status, string, []string) {
	if len(rows) == 0 || len(rows[0]) < 2 {
		return Warn, "The event scheduler's setting could not be read.", nil
	}
	if !strings.EqualFold(rows[0][0], "ON") {
		return Pass, "event_scheduler is " + rows[0][0] + ".", nil
	}
	return Warn, fmt.Sprintf("event_scheduler is ON with %s enabled events: green copies blue's parameter group, and AWS requires the scheduler off on green while it replicates.", rows[0][1]), []string{"event_scheduler = ON"}
}
