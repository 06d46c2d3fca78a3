package dbcheck

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// A clean cluster passes every logical-mode check, each row with its SQL
// and source, over one connection at a time.
func TestPostgresCleanClusterPassesEveryCheck(t *testing.T) {
	rep := Preflight(context.Background(), pgTarget(t), pgLogicalScope, Options{})
	if !rep.Connected || rep.PeakConnections != 1 {
		t.Fatalf("connected %v, peak %d connections; want one", rep.Connected, rep.PeakConnections)
	}
	want := 0
	for _, r := range Rules() {
		if r.AppliesTo(pgLogicalScope) {
			want++
			row := rowByID(t, rep, r.ID)
			if row.Status != Pass {
				t.Errorf("%s: %s %q", r.ID, row.Status, row.Explanation)
			}
			if row.SQL != r.SQL || row.Source == "" || row.Remediation != "" {
				t.Errorf("%s: sql/source/remediation wrong: %+v", r.ID, row)
			}
		}
	}
	if len(rep.Rows) != want+1 {
		t.Errorf("%d rows, want %d checks + the connection row", len(rep.Rows), want)
	}
	conn := rowByID(t, rep, RowConnection)
	if conn.Status != Pass || !strings.Contains(conn.Explanation, "read-only session") || !strings.Contains(conn.Explanation, "logical replication") {
		t.Errorf("connection row: %+v", conn)
	}
	if strings.Contains(conn.Explanation, pgPassword) {
		t.Fatal("the password is in a row")
	}
}

// Physical mode (RDS PostgreSQL without a major upgrade) shows only the
// checks that apply there: none of the logical-replication rows.
func TestPostgresPhysicalModeShowsOnlyItsChecks(t *testing.T) {
	rep := Preflight(context.Background(), pgTarget(t), pgPhysicalScope, Options{})
	for _, id := range []string{RulePGNoPrimaryKey, RulePGLargeObjects, RulePGCapacity, RulePGSequences} {
		for _, r := range rep.Rows {
			if r.ID == id {
				t.Errorf("%s shown in physical mode: %+v", id, r)
			}
		}
	}
	rowByID(t, rep, RulePGLogicalSlots)
	if !strings.Contains(rowByID(t, rep, RowConnection).Explanation, "do not apply in this mode") {
		t.Error("the connection row does not say that some checks do not apply")
	}
}

// Each check: a fixture that trips it, asserted on the exact row. (The
// passing side of every check is the clean cluster above.)
func TestPostgresChecksTrip(t *testing.T) {
	cases := []struct {
		name   string
		rule   string
		setup  []string
		undo   []string
		status Status
		found  []string
		expl   string // part of the explanation
	}{
		{name: "table without primary key", rule: RulePGNoPrimaryKey, status: Fail,
			setup: []string{"CREATE TABLE orders_nopk (id int, note text)", "CREATE TABLE with_pk (id int PRIMARY KEY)", "CREATE TABLE full_identity (id int)", "ALTER TABLE full_identity REPLICA IDENTITY FULL"},
			undo:  []string{"DROP TABLE orders_nopk, with_pk, full_identity"},
			found: []string{"postgres: public.orders_nopk"}, expl: "UPDATE and DELETE on them fail"},
		{name: "replica identity nothing", rule: RulePGNoPrimaryKey, status: Fail,
			setup: []string{"CREATE TABLE ident_nothing (id int PRIMARY KEY)", "ALTER TABLE ident_nothing REPLICA IDENTITY NOTHING"},
			undo:  []string{"DROP TABLE ident_nothing"}, found: []string{"postgres: public.ident_nothing"}},
		{name: "large object", rule: RulePGLargeObjects, status: Warn,
			setup: []string{"SELECT lo_create(424242)"}, undo: []string{"SELECT lo_unlink(424242)"},
			found: []string{"postgres: 1 large objects"}, expl: "Replication degraded"},
		{name: "unlogged table", rule: RulePGUnlogged, status: Warn,
			setup: []string{"CREATE UNLOGGED TABLE cache_u (id int PRIMARY KEY)"}, undo: []string{"DROP TABLE cache_u"},
			found: []string{"postgres: public.cache_u"}, expl: "not replicated"},
		{name: "publication", rule: RulePGPublications, status: Fail,
			setup: []string{"CREATE PUBLICATION debezium_pub FOR ALL TABLES"}, undo: []string{"DROP PUBLICATION debezium_pub"},
			found: []string{"postgres: debezium_pub"}, expl: "guardrail refuses"},
		{name: "subscription", rule: RulePGSubscriptions, status: Fail,
			setup: []string{"CREATE SUBSCRIPTION from_legacy CONNECTION 'host=192.0.2.1 dbname=x' PUBLICATION p WITH (connect = false)"},
			undo:  []string{"ALTER SUBSCRIPTION from_legacy SET (slot_name = NONE)", "DROP SUBSCRIPTION from_legacy"},
			found: []string{"from_legacy (database postgres)"}},
		{name: "logical slot", rule: RulePGLogicalSlots, status: Fail,
			setup: []string{"SELECT pg_create_logical_replication_slot('debezium', 'pgoutput')"}, undo: []string{"SELECT pg_drop_replication_slot('debezium')"},
			found: []string{"debezium (pgoutput, database postgres)"}, expl: "Debezium, DMS"},
		{name: "materialized view", rule: RulePGMatViews, status: Warn,
			setup: []string{"CREATE MATERIALIZED VIEW daily_totals AS SELECT 1 AS one"}, undo: []string{"DROP MATERIALIZED VIEW daily_totals"},
			found: []string{"postgres: public.daily_totals"}},
		{name: "foreign server by IP", rule: RulePGForeignServersIP, status: Warn,
			setup: []string{"CREATE FOREIGN DATA WRAPPER test_fdw", "CREATE SERVER by_ip FOREIGN DATA WRAPPER test_fdw OPTIONS (host '10.1.2.3')", "CREATE SERVER by_name FOREIGN DATA WRAPPER test_fdw OPTIONS (host 'reports.internal.example')"},
			undo:  []string{"DROP FOREIGN DATA WRAPPER test_fdw CASCADE"},
			found: []string{"postgres: by_ip (host=10.1.2.3)"}},
		{name: "trigger enabled always", rule: RulePGReplicaTriggers, status: Warn,
			setup: []string{"CREATE TABLE audited (id int PRIMARY KEY)", "CREATE FUNCTION audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
				"CREATE TRIGGER audit_tr BEFORE INSERT ON audited FOR EACH ROW EXECUTE FUNCTION audit_fn()", "ALTER TABLE audited ENABLE ALWAYS TRIGGER audit_tr"},
			undo:  []string{"DROP TABLE audited", "DROP FUNCTION audit_fn()"},
			found: []string{"postgres: audit_tr on audited (ENABLE ALWAYS)"}},
		{name: "read-only override", rule: RulePGReadOnlyOverrides, status: Warn,
			setup: []string{"CREATE ROLE batch_writer", "ALTER ROLE batch_writer SET default_transaction_read_only = off"},
			undo:  []string{"DROP ROLE batch_writer"},
			found: []string{"batch_writer in every database: default_transaction_read_only=off"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pgExec(t, "postgres", c.undo, c.setup...)
			rep := Preflight(context.Background(), pgTarget(t), pgLogicalScope, Options{})
			row := rowByID(t, rep, c.rule)
			if row.Status != c.status || !slices.Equal(row.Found, c.found) || row.FoundTotal != len(c.found) {
				t.Fatalf("row %s: status %s found %q (%d); want %s %q", c.rule, row.Status, row.Found, row.FoundTotal, c.status, c.found)
			}
			r, _ := RuleByID(c.rule)
			if row.Remediation != r.Remediation || row.SQL != r.SQL || !strings.Contains(row.Explanation, c.expl) {
				t.Fatalf("row %s: %+v", c.rule, row)
			}
		})
	}
}

// Prepared and long-running transactions: held open by another session.
func TestPostgresTransactionsTrip(t *testing.T) {
	c := pgAdmin(t, "postgres")
	ctx := context.Background()
	mustExec := func(q string) {
		t.Helper()
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec("CREATE TABLE ledger_rows (id int PRIMARY KEY)")
	t.Cleanup(func() { pgExec(t, "postgres", nil, "DROP TABLE ledger_rows") })
	mustExec("BEGIN")
	mustExec("INSERT INTO ledger_rows VALUES (1)")
	mustExec("PREPARE TRANSACTION 'rdsbg-test-gid'")
	t.Cleanup(func() { pgExec(t, "postgres", nil, "ROLLBACK PREPARED 'rdsbg-test-gid'") })
	long := pgAdmin(t, "postgres")
	if _, err := long.Exec(ctx, "BEGIN; SELECT txid_current(); SELECT 'holding', 98765432109876"); err != nil {
		t.Fatal(err)
	}
	rep := Preflight(ctx, pgTarget(t), pgLogicalScope, Options{MaxTransactionAge: time.Millisecond})
	prep := rowByID(t, rep, RulePGPrepared)
	if prep.Status != Warn || len(prep.Found) != 1 || !strings.HasPrefix(prep.Found[0], "rdsbg-test-gid (rdsbg, database postgres, prepared ") {
		t.Fatalf("prepared: %+v", prep)
	}
	lt := rowByID(t, rep, RulePGLongTransactions)
	if lt.Status != Warn || len(lt.Found) != 1 || !strings.Contains(lt.Found[0], "(rdsbg@postgres, open ") {
		t.Fatalf("long transactions: %+v", lt)
	}
	// Literals are blanked in what is shown.
	if strings.Contains(lt.Found[0], "98765432109876") || !strings.Contains(lt.Found[0], "SELECT '…', N") {
		t.Fatalf("query not sanitized: %q", lt.Found[0])
	}
	if _, err := long.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if row := rowByID(t, Preflight(ctx, pgTarget(t), pgLogicalScope, Options{MaxTransactionAge: time.Millisecond}), RulePGLongTransactions); row.Status != Pass {
		t.Fatalf("after COMMIT: %+v", row)
	}
}

// Slots and workers must fit one per database: three databases are more
// than max_logical_replication_workers (2 on the test server).
// The schema watch, read between the two creations, names the new
// database (a database created on blue is DDL too).
func TestPostgresCapacityCountsDatabases(t *testing.T) {
	pgDatabase(t, "cap_a")
	w := NewWatch(pgTarget(t))
	defer w.Close()
	if err := w.Baseline(context.Background()); err != nil {
		t.Fatal(err)
	}
	pgDatabase(t, "cap_b")
	if ch, err := w.Read(context.Background()); err != nil || !slices.Equal(ch.DDL, []string{"created database cap_b"}) {
		t.Fatalf("watch: %+v %v", ch, err)
	}
	w.Close() // before the databases are dropped
	pgExec(t, "cap_b", nil, "CREATE TABLE nopk_in_b (a int)")
	rep := Preflight(context.Background(), pgTarget(t), pgLogicalScope, Options{})
	row := rowByID(t, rep, RulePGCapacity)
	if row.Status != Fail || !slices.Equal(row.Found, []string{"max_logical_replication_workers 2 < 3 databases"}) {
		t.Fatalf("capacity: %+v", row)
	}
	if !slices.Equal(rep.Databases, []string{"cap_a", "cap_b", "postgres"}) || rep.PeakConnections != 1 {
		t.Fatalf("databases %q, peak %d", rep.Databases, rep.PeakConnections)
	}
	// Per database: the table in cap_b is named with its database.
	if nopk := rowByID(t, rep, RulePGNoPrimaryKey); !slices.Equal(nopk.Found, []string{"cap_b: public.nopk_in_b"}) {
		t.Fatalf("no-pk per database: %+v", nopk)
	}
}

// Sequences are counted per database on the real server; thousands of
// them (SequenceWarnAt) warn: that side is the rule table's own test
// (creating a thousand sequences here would cost seconds).
func TestPostgresSequencesCountedPerDatabase(t *testing.T) {
	pgExec(t, "postgres", []string{"DROP SCHEMA seqs CASCADE"}, "CREATE SCHEMA seqs", "CREATE SEQUENCE seqs.a", "CREATE SEQUENCE seqs.b", "CREATE TABLE seqs.t (id serial PRIMARY KEY)")
	row := rowByID(t, Preflight(context.Background(), pgTarget(t), pgLogicalScope, Options{}), RulePGSequences)
	if row.Status != Pass || row.Explanation != "3 sequences: their sync at switchover is short." {
		t.Fatalf("sequences: %+v", row)
	}
}

// A user without pg_read_all_stats gets a warning naming the privilege,
// and the checks still run.
func TestPostgresMissingPrivilegeIsAWarningNamingIt(t *testing.T) {
	pgExec(t, "postgres", []string{"DROP ROLE plain_checker"}, "CREATE ROLE plain_checker LOGIN PASSWORD 'checker-pw'")
	tg := pgTarget(t)
	tg.User, tg.Password = "plain_checker", "checker-pw"
	rep := Preflight(context.Background(), tg, pgLogicalScope, Options{})
	row := rowByID(t, rep, RulePGPrivileges)
	if row.Status != Warn || !slices.Equal(row.Found, []string{"pg_read_all_stats"}) || row.Remediation != "GRANT pg_read_all_stats TO <user>; (on RDS, as the master user)" {
		t.Fatalf("privileges: %+v", row)
	}
	if rowByID(t, rep, RulePGNoPrimaryKey).Status != Pass {
		t.Fatal("the other checks did not run for the unprivileged user")
	}
}

// The sessions are read-only and say who they are.
func TestPostgresSessionIsReadOnlyAndNamed(t *testing.T) {
	c := newConnector(pgTarget(t))
	s, err := c.connect(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, err := s.query(context.Background(), "CREATE TABLE must_not_exist (a int)"); err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Fatalf("a write in the check session: %v", err)
	}
	rows, err := s.query(context.Background(), "SELECT application_name, current_setting('statement_timeout'), current_setting('lock_timeout') FROM pg_stat_activity WHERE pid = pg_backend_pid()")
	if err != nil || len(rows) != 1 || rows[0][0] != "rdsbg" || rows[0][1] != "5s" || rows[0][2] != "1s" {
		t.Fatalf("session settings %q, %v", rows, err)
	}
}

// A wrong password and an unreachable endpoint are one row each, naming
// the cause and the fix, without the password.
func TestPostgresConnectionFailuresAreOneClearRow(t *testing.T) {
	wrong := pgTarget(t)
	wrong.Password = "not-the-password-xyz"
	rep := Preflight(context.Background(), wrong, pgLogicalScope, Options{})
	if len(rep.Rows) != 1 || rep.Connected {
		t.Fatalf("rows %+v", rep.Rows)
	}
	row := rep.Rows[0]
	if row.ID != RowConnection || row.Status != Warn || !strings.Contains(row.Explanation, `the server refused user "rdsbg"`) || !strings.Contains(row.Remediation, "check the credentials") {
		t.Fatalf("wrong password row: %+v", row)
	}
	if strings.Contains(row.Explanation+row.Remediation, "not-the-password-xyz") {
		t.Fatal("the password is in the row")
	}
	closed := pgTarget(t)
	closed.Port = 1
	row = Preflight(context.Background(), closed, pgLogicalScope, Options{}).Rows[0]
	if !strings.Contains(row.Explanation, "127.0.0.1:1 could not be reached") || !strings.Contains(row.Remediation, "security group") {
		t.Fatalf("unreachable row: %+v", row)
	}
}
