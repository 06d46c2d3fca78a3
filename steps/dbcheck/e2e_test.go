package dbcheck_test

// Whole headless runs with the database checks (issue 22). An external
// test package: it imports steps, which imports dbcheck, and shares the
// test binary's servers (main_test.go's TestMain, export_test.go).

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
	"github.com/rdsbg/rdsbg/steps/dbcheck/mariadbtest"
	"github.com/rdsbg/rdsbg/steps/poll"
	"github.com/rdsbg/rdsbg/steps/probe/pgtest"
)

// Whole headless runs against the simulator with its source bound to a
// real PostgreSQL or MariaDB on loopback (sim.Options.ProxyForwardTo): the
// database checks run end to end, through the simulated proxy's relay.
// One server of each per test binary (TestMain).

// The shared servers of this test binary (TestMain in main_test.go).
var (
	pgServer   = dbcheck.SharedPostgres
	myServer   = dbcheck.SharedMariaDB
	pgPassword = dbcheck.SharedPostgresPassword
)

// pgDSN has no host: the checks connect where rdsbg chooses (the proxy).
func pgDSN() string {
	return "user=" + pgtest.User + " password=" + pgPassword + " dbname=postgres sslmode=disable"
}

// pgExec runs statements on the real blue as the superuser.
func pgExec(t testing.TB, stmts ...string) {
	t.Helper()
	cfg, err := pgx.ParseConfig("host=127.0.0.1 sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	_, port := splitAddr(t, pgServer().Addr)
	cfg.Port, cfg.User, cfg.Password, cfg.Database = uint16(port), pgtest.User, pgPassword, "postgres"
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	// The last statement publishes the session's statistics before it
	// answers, as an application's session does once idle (within
	// seconds): the schema watch's first question reads them.
	for _, s := range append(stmts, flushStats) {
		if _, err := c.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// flushStats makes the session publish its pending statistics when the
// statement has run, before the server answers (PostgreSQL 15: the
// backend reports them before ReadyForQuery; left alone it may hold them
// for up to 10 s when it reported less than a second before).
const flushStats = "SELECT pg_stat_force_next_flush()"

func splitAddr(t testing.TB, addr string) (string, int) {
	t.Helper()
	var host string
	var port int
	i := strings.LastIndex(addr, ":")
	host = addr[:i]
	fmt.Sscan(addr[i+1:], &port)
	return host, port
}

func myExec(t testing.TB, stmts ...string) {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User = "tcp", myServer().Addr, mariadbtest.User
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// recorder keeps every event of a run.
type recorder struct {
	mu     sync.Mutex
	events []contract.Event
	on     func(contract.Event)
}

func (r *recorder) sink(ev contract.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	on := r.on
	r.mu.Unlock()
	if on != nil {
		on(ev)
	}
}

func (r *recorder) all() []contract.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]contract.Event(nil), r.events...)
}

func (r *recorder) checks(t testing.TB) map[string]contract.CheckResult {
	t.Helper()
	for _, ev := range r.all() {
		if ev.Type == contract.EventPreflight {
			m := map[string]contract.CheckResult{}
			for _, c := range ev.Checks {
				m[c.ID] = c
			}
			return m
		}
	}
	t.Fatal("no preflight event")
	return nil
}

// bound is the simulator with source bound to a real database.
type bound struct {
	srv *simtest.Server
	api *awsclient.Client
}

func newBound(t *testing.T, scenario, source, addr string, o sim.Options) bound {
	t.Helper()
	o.Scenario = scenario
	o.ProxyForwardTo = map[string]string{source: addr}
	s := simtest.NewServer(t, o)
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: s.URL, Region: simtest.Region, Simulator: true, Clock: s.Clock, HTTPClient: s.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	return bound{srv: s, api: api}
}

// run is one headless run: --yes --confirm <source>.
func (b bound) run(t *testing.T, opts contract.Options, rec *recorder, poll poll.Policy) (contract.Finished, error) {
	t.Helper()
	e, err := steps.New(steps.Config{API: b.api, Clock: b.srv.Clock, StateDir: t.TempDir(), Options: opts, Poll: poll,
		Approver: contract.HeadlessApprover{Yes: true, Confirm: opts.Source, Sink: rec.sink}, Sink: rec.sink})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return e.Run(ctx)
}

func (b bound) mutations() []sim.Mutation { return b.srv.Sim.Mutations() }

// The first run of the Done-when: a table without a primary key, a
// logical slot and a publication on the real blue block a logical-mode
// run (a major upgrade of RDS for PostgreSQL) before any change, each
// blocker named with its SQL and remediation.
func TestPostgresBlockersStopTheRunBeforeAnyChange(t *testing.T) {
	pgExec(t, "CREATE TABLE audit_log (at timestamptz, what text)", "CREATE PUBLICATION cdc_pub FOR ALL TABLES",
		"SELECT pg_create_logical_replication_slot('debezium', 'pgoutput')")
	t.Cleanup(func() {
		pgExec(t, "DROP TABLE IF EXISTS audit_log", "DROP PUBLICATION IF EXISTS cdc_pub", "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'debezium'")
	})
	b := newBound(t, sim.ScenarioRDSPostgresLegacy, "orders-db", pgServer().Addr, sim.Options{})
	rec := &recorder{}
	opts := contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", DB: contract.DBOptions{DSN: pgDSN()}}
	f, err := b.run(t, opts, rec, poll.Policy{})
	if code := steps.ExitCode(err); code != contract.ExitPreflight || f.Outcome != contract.OutcomeBlocked {
		t.Fatalf("exit %d, outcome %s: %v", code, f.Outcome, err)
	}
	if m := b.mutations(); len(m) != 0 {
		t.Fatalf("AWS changed: %+v", m)
	}
	rows := rec.checks(t)
	want := map[string]string{
		dbcheck.RulePGNoPrimaryKey: "postgres: public.audit_log",
		dbcheck.RulePGPublications: "postgres: cdc_pub",
		dbcheck.RulePGLogicalSlots: "debezium (pgoutput, database postgres)",
	}
	for id, found := range want {
		r := rows[id]
		rule, _ := dbcheck.RuleByID(id)
		if r.Status != contract.CheckFail || len(r.Found) != 1 || r.Found[0] != found || r.SQL != rule.SQL || r.Remediation != rule.Remediation || r.Source == "" {
			t.Errorf("%s: %+v", id, r)
		}
	}
	conn := rows[dbcheck.RowConnection]
	if conn.Status != contract.CheckPass || !strings.Contains(conn.Explanation, "proxy orders-proxy") || !strings.Contains(conn.Explanation, "logical replication") {
		t.Errorf("connection row: %+v", conn)
	}
	for _, ev := range rec.all() {
		if strings.Contains(fmt.Sprintf("%+v", ev), pgPassword) {
			t.Fatalf("the password is in an event: %+v", ev)
		}
	}
}

// The same database fixed passes and the run completes; a CREATE TABLE on
// the real blue while green provisions is named by the next watch read,
// and after the switchover the ledger lists the follow-ups.
func TestPostgresFixedRunCompletesAndTheWatchNamesDDL(t *testing.T) {
	t.Cleanup(func() { pgExec(t, "DROP TABLE IF EXISTS late_orders") })
	b := newBound(t, sim.ScenarioRDSPostgresLegacy, "orders-db", pgServer().Addr, sim.Options{})
	rec := &recorder{}
	var ddlAt time.Time
	var pollsAfterDDL int
	rec.on = func(ev contract.Event) {
		if ev.Type != contract.EventProgress || ev.Step != contract.StepProvisionGreen {
			return
		}
		if ddlAt.IsZero() {
			pgExec(t, "CREATE TABLE late_orders (id int PRIMARY KEY)")
			ddlAt = b.srv.Clock.Now()
			return
		}
		pollsAfterDDL++
	}
	opts := contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4", DB: contract.DBOptions{DSN: pgDSN()}}
	f, err := b.run(t, opts, rec, poll.Policy{})
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("outcome %s: %v", f.Outcome, err)
	}
	for id, r := range rec.checks(t) {
		if strings.HasPrefix(id, "db-") && r.Status == contract.CheckFail {
			t.Errorf("%s fails on the fixed database: %+v", id, r)
		}
	}
	var change *contract.Event
	progressBefore := 0
	for _, ev := range rec.all() {
		if ev.Type == contract.EventDBSchemaChanged {
			ev := ev
			change = &ev
			break
		}
		if ev.Type == contract.EventProgress && ev.Step == contract.StepProvisionGreen && !ddlAt.IsZero() && !ev.Time.Before(ddlAt) {
			progressBefore++
		}
	}
	if change == nil || change.DBChange == nil {
		t.Fatal("no db-schema-changed event")
	}
	if !strings.Contains(strings.Join(change.DBChange.DDL, ";"), "created table public.late_orders in postgres") || !strings.Contains(change.Message, "Replication degraded") {
		t.Fatalf("change %+v", change)
	}
	// Named at the next poll after the DDL: within one watch interval.
	if progressBefore > 1 || change.Step != contract.StepProvisionGreen {
		t.Fatalf("reported after %d more polls, in %s", progressBefore-1, change.Step)
	}
	if f.DBLedger == nil || len(f.DBFollowUpLines()) == 0 || !strings.HasPrefix(f.DBFollowUpLines()[len(f.DBFollowUpLines())-1], "AWS DMS tasks") {
		t.Fatalf("ledger %+v", f.DBLedger)
	}
}

// A transaction held open on blue stops the critical section at the
// ready-check; once it ends the run proceeds and completes.
func TestPostgresLongTransactionHoldsTheCriticalSection(t *testing.T) {
	b := newBound(t, sim.ScenarioRDSPostgresLegacy, "orders-db", pgServer().Addr, sim.Options{})
	cfg, _ := pgx.ParseConfig("host=127.0.0.1 sslmode=disable")
	_, port := splitAddr(t, pgServer().Addr)
	cfg.Port, cfg.User, cfg.Password, cfg.Database = uint16(port), pgtest.User, pgPassword, "postgres"
	holder, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	if _, err := holder.Exec(context.Background(), "BEGIN; SELECT txid_current()"); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	var held bool
	var switchoverAsked bool
	rec.on = func(ev contract.Event) {
		if ev.Type == contract.EventStepStarted && (ev.Step == contract.StepDetachProxyBlue || ev.Step == contract.StepSwitchover) && !held {
			switchoverAsked = true
		}
		if ev.Type == contract.EventProgress && ev.Step == contract.StepReadyCheck && ev.Progress != nil && strings.Contains(ev.Progress.Waiting, "transactions open longer than") && !held {
			held = true
			if len(ev.Progress.DBSessions) != 1 || ev.Progress.DBSessions[0].User != pgtest.User {
				t.Errorf("sessions %+v", ev.Progress.DBSessions)
			}
			if _, err := holder.Exec(context.Background(), "COMMIT"); err != nil {
				t.Error(err)
			}
		}
	}
	opts := contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, DB: contract.DBOptions{DSN: pgDSN(), MaxTransactionAge: time.Millisecond}}
	f, err := b.run(t, opts, rec, poll.Policy{})
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("outcome %s: %v", f.Outcome, err)
	}
	if !held || switchoverAsked {
		t.Fatalf("the gate held: %v; the critical section started before it opened: %v", held, switchoverAsked)
	}
}

// Headless, a gate that never opens ends the run in ready once it has
// held for the bound: no switchover, exit 0, resume later.
func TestPostgresGateThatNeverOpensStopsInReady(t *testing.T) {
	b := newBound(t, sim.ScenarioRDSPostgresLegacy, "orders-db", pgServer().Addr, sim.Options{})
	t.Cleanup(func() {
		pgExec(t, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'late_consumer'")
	})
	// The slot appears after the preflight (else it blocks there): a
	// consumer that connected while green provisioned.
	rec := &recorder{}
	created := false
	rec.on = func(ev contract.Event) {
		if !created && ev.Type == contract.EventStepStarted && ev.Step == contract.StepReadyCheck {
			created = true
			pgExec(t, "SELECT pg_create_logical_replication_slot('late_consumer', 'pgoutput')")
		}
	}
	opts := contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, DB: contract.DBOptions{DSN: pgDSN()}}
	f, err := b.run(t, opts, rec, poll.Policy{ReadyGateAsk: time.Minute})
	if err != nil || f.Outcome != contract.OutcomeReady || f.ExitCode != 0 {
		t.Fatalf("outcome %s exit %d: %v", f.Outcome, f.ExitCode, err)
	}
	for _, m := range b.mutations() {
		if m.Operation == "SwitchoverBlueGreenDeployment" {
			t.Fatal("switched over past a held database gate")
		}
	}
}

// The checks log in with the proxy's own secret (GetSecretValue on the
// secret DescribeDBProxies names), through the proxy.
func TestPostgresProxySecretCredentials(t *testing.T) {
	b := newBound(t, sim.ScenarioRDSPostgresLegacy, "orders-db", pgServer().Addr, sim.Options{
		ProxySecrets: map[string]string{"orders-proxy": `{"username":"` + pgtest.User + `","password":"` + pgPassword + `"}`}})
	rec := &recorder{}
	opts := contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, DB: contract.DBOptions{Credentials: contract.DBCredentialsProxySecret}}
	prep, err := steps.Prepare(context.Background(), b.api, opts, b.srv.Clock.Now, steps.WithPreflight)
	if err != nil {
		t.Fatal(err)
	}
	rec.sink(contract.Event{Type: contract.EventPreflight, Checks: prep.Checks})
	conn := rec.checks(t)[dbcheck.RowConnection]
	if conn.Status != contract.CheckPass || !strings.Contains(conn.Explanation, "proxy orders-proxy as rdsbg@127.0.0.1") {
		t.Fatalf("%+v", conn)
	}
	if len(b.mutations()) != 0 {
		t.Fatal("a preparation changed AWS")
	}
}

// An IAM token stands in for the password (the test server trusts the
// user, as RDS trusts a valid token).
func TestPostgresIAMTokenCredentials(t *testing.T) {
	pgExec(t, "CREATE ROLE iam_checker LOGIN")
	t.Cleanup(func() { pgExec(t, "DROP ROLE iam_checker") })
	b := newBound(t, sim.ScenarioRDSPostgresLegacy, "orders-db", pgServer().Addr, sim.Options{})
	opts := contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, DB: contract.DBOptions{IAMUser: "iam_checker", Endpoint: contract.DBEndpointBlue}}
	prep, err := steps.Prepare(context.Background(), b.api, opts, b.srv.Clock.Now, steps.WithPreflight)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range prep.Checks {
		if c.ID == dbcheck.RowConnection {
			if c.Status != contract.CheckPass || !strings.Contains(c.Explanation, "blue orders-db as iam_checker@") {
				t.Fatalf("%+v", c)
			}
			return
		}
	}
	t.Fatalf("no connection row in %+v", prep.Checks)
}

// Without credentials the checks are one "not run" row with the line
// that enables them, and the run is not blocked.
func TestWithoutCredentialsTheChecksAreNotRun(t *testing.T) {
	b := newBound(t, sim.ScenarioRDSPostgresLegacy, "orders-db", pgServer().Addr, sim.Options{})
	prep, err := steps.Prepare(context.Background(), b.api, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}, b.srv.Clock.Now, steps.WithPreflight)
	if err != nil {
		t.Fatal(err)
	}
	var row *contract.CheckResult
	for i, c := range prep.Checks {
		if strings.HasPrefix(c.ID, "db-") {
			if row != nil {
				t.Fatalf("more than one database row: %+v", prep.Checks)
			}
			row = &prep.Checks[i]
		}
	}
	if row == nil || row.ID != contract.CheckDatabase || row.Status != contract.CheckNotRun || !strings.Contains(row.Remediation, contract.EnvDBDSN) || prep.Blocked() {
		t.Fatalf("%+v", row)
	}
}

// Bad input: a DSN naming another RDS database is refused before any AWS
// call; one naming a host that is neither blue nor its proxy, before any
// change; a wrong password with --require-db-checks blocks (exit 3).
func TestBadDatabaseInput(t *testing.T) {
	b := newBound(t, sim.ScenarioRDSPostgresLegacy, "orders-db", pgServer().Addr, sim.Options{})
	run := func(dsn string, require bool) (contract.Finished, error) {
		return b.run(t, contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, DB: contract.DBOptions{DSN: dsn, Require: require}}, &recorder{}, poll.Policy{})
	}
	_, err := run("postgres://app:pw@billing-db.abcdefghijkl.us-east-1.rds.amazonaws.com:5432/postgres", false)
	if steps.ExitCode(err) != contract.ExitUsage || !strings.Contains(err.Error(), "the endpoint of billing-db") || strings.Contains(err.Error(), ":pw@") {
		t.Fatalf("another RDS host: %v", err)
	}
	if n := b.srv.Sim.Stats().TotalCalls; n != 0 {
		t.Fatalf("%d AWS calls before the refusal", n)
	}
	_, err = run("postgres://app:pw@127.0.0.1:1/postgres", false)
	if steps.ExitCode(err) != contract.ExitUsage || !strings.Contains(err.Error(), "neither orders-db's endpoint nor one of its proxies'") {
		t.Fatalf("another host: %v", err)
	}
	f, err := run("user=rdsbg password=wrong-pw-e2e dbname=postgres sslmode=disable", true)
	if steps.ExitCode(err) != contract.ExitPreflight || f.Outcome != contract.OutcomeBlocked {
		t.Fatalf("wrong password with --require-db-checks: exit %d %v", steps.ExitCode(err), err)
	}
	if m := b.mutations(); len(m) != 0 {
		t.Fatalf("AWS changed: %+v", m)
	}
}

// MariaDB: a table without a primary key and a MyISAM table warn and the
// run completes; blue replicating from an external source blocks it.
func TestMariaDBWarningsPassAndExternalReplicaBlocks(t *testing.T) {
	myExec(t, "CREATE DATABASE catalog", "CREATE TABLE catalog.clicks (at datetime) ENGINE=InnoDB", "CREATE TABLE catalog.counters (id int PRIMARY KEY) ENGINE=MyISAM")
	t.Cleanup(func() { myExec(t, "DROP DATABASE catalog") })
	b := newBound(t, sim.ScenarioRDSMariaDBNoProxy, "catalog-db", myServer().Addr, sim.Options{})
	opts := contract.Options{Source: "catalog-db", DB: contract.DBOptions{DSN: "mysql://" + mariadbtest.User + "@/"}}
	rec := &recorder{}
	f, err := b.run(t, opts, rec, poll.Policy{})
	if err != nil || f.Outcome != contract.OutcomeDone {
		t.Fatalf("outcome %s: %v", f.Outcome, err)
	}
	rows := rec.checks(t)
	if r := rows[dbcheck.RuleMySQLNoPrimaryKey]; r.Status != contract.CheckWarn || len(r.Found) != 1 || r.Found[0] != "catalog.clicks" {
		t.Errorf("no primary key: %+v", r)
	}
	if r := rows[dbcheck.RuleMySQLNonTransact]; r.Status != contract.CheckWarn || len(r.Found) != 1 || r.Found[0] != "catalog.counters (MyISAM)" {
		t.Errorf("MyISAM: %+v", r)
	}
	if r := rows[dbcheck.RowConnection]; !strings.Contains(r.Explanation, "blue catalog-db") {
		t.Errorf("connection: %+v", r)
	}

	myExec(t, "CHANGE MASTER TO MASTER_HOST='192.0.2.44', MASTER_PORT=3306, MASTER_USER='repl'")
	t.Cleanup(func() { myExec(t, "RESET SLAVE ALL") })
	b2 := newBound(t, sim.ScenarioRDSMariaDBNoProxy, "catalog-db", myServer().Addr, sim.Options{})
	rec2 := &recorder{}
	f, err = b2.run(t, opts, rec2, poll.Policy{})
	if steps.ExitCode(err) != contract.ExitPreflight || f.Outcome != contract.OutcomeBlocked {
		t.Fatalf("external replica: exit %d %v", steps.ExitCode(err), err)
	}
	if r := rec2.checks(t)[dbcheck.RuleMySQLExternalReplica]; r.Status != contract.CheckFail || len(r.Found) != 1 || r.Found[0] != "192.0.2.44:3306 (IO No, SQL No)" {
		t.Fatalf("external replica row: %+v", r)
	}
	if m := b2.mutations(); len(m) != 0 {
		t.Fatalf("AWS changed: %+v", m)
	}
}
