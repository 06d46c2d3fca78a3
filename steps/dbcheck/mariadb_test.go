package dbcheck

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// A clean MariaDB passes every check that can be made on a server that
// is not RDS (binlog retention is RDS's own table: said in the row).
func TestMariaDBCleanServerPasses(t *testing.T) {
	rep := Preflight(context.Background(), myTarget(t), mariadbScope, Options{})
	if !rep.Connected || rep.PeakConnections != 1 {
		t.Fatalf("connected %v, peak %d", rep.Connected, rep.PeakConnections)
	}
	for _, r := range Rules() {
		if !r.AppliesTo(mariadbScope) {
			continue
		}
		row := rowByID(t, rep, r.ID)
		if row.Status != Pass {
			t.Errorf("%s: %s %q", r.ID, row.Status, row.Explanation)
		}
	}
	bin := rowByID(t, rep, RuleMySQLBinlog)
	if !strings.Contains(bin.Explanation, "binlog retention not checked: mysql.rds_configuration is not there") {
		t.Errorf("binlog row: %+v", bin)
	}
	if _, ok := slices.BinarySearch([]string{RuleAuroraMySQLTmp}, ""); ok {
		t.Fatal("unreachable")
	}
	for _, r := range rep.Rows {
		if r.ID == RuleAuroraMySQLTmp {
			t.Fatal("the Aurora MySQL rule is shown for RDS for MariaDB")
		}
	}
}

func TestMariaDBChecksTrip(t *testing.T) {
	cases := []struct {
		name   string
		rule   string
		scope  Scope
		setup  []string
		undo   []string
		status Status
		found  []string
	}{
		{name: "table without primary key", rule: RuleMySQLNoPrimaryKey, status: Warn,
			setup: []string{"CREATE DATABASE shop", "CREATE TABLE shop.events (at datetime, what text) ENGINE=InnoDB", "CREATE TABLE shop.orders (id int PRIMARY KEY) ENGINE=InnoDB"},
			undo:  []string{"DROP DATABASE shop"}, found: []string{"shop.events"}},
		{name: "MyISAM table", rule: RuleMySQLNonTransact, status: Warn,
			setup: []string{"CREATE DATABASE legacy", "CREATE TABLE legacy.counters (id int PRIMARY KEY) ENGINE=MyISAM"},
			undo:  []string{"DROP DATABASE legacy"}, found: []string{"legacy.counters (MyISAM)"}},
		{name: "external replica", rule: RuleMySQLExternalReplica, status: Fail,
			setup: []string{"CHANGE MASTER TO MASTER_HOST='192.0.2.10', MASTER_PORT=3306, MASTER_USER='repl'"},
			undo:  []string{"RESET SLAVE ALL"}, found: []string{"192.0.2.10:3306 (IO No, SQL No)"}},
		{name: "event scheduler on", rule: RuleMySQLEventScheduler, status: Warn,
			setup: []string{"SET GLOBAL event_scheduler = ON"}, undo: []string{"SET GLOBAL event_scheduler = OFF"}, found: []string{"event_scheduler = ON"}},
		{name: "database named tmp on Aurora MySQL", rule: RuleAuroraMySQLTmp, scope: Scope{Engine: "aurora-mysql", Mode: ModeBinlog}, status: Fail,
			setup: []string{"CREATE DATABASE tmp"}, undo: []string{"DROP DATABASE tmp"}, found: []string{"tmp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			myExec(t, c.undo, c.setup...)
			scope := c.scope
			if scope.Engine == "" {
				scope = mariadbScope
			}
			row := rowByID(t, Preflight(context.Background(), myTarget(t), scope, Options{}), c.rule)
			r, _ := RuleByID(c.rule)
			if row.Status != c.status || !slices.Equal(row.Found, c.found) || row.Remediation != r.Remediation || row.SQL != r.SQL {
				t.Fatalf("row %s: %+v; want %s %q", c.rule, row, c.status, c.found)
			}
		})
	}
}

// A prepared XA transaction and a long one, held by another session.
func TestMariaDBTransactionsTrip(t *testing.T) {
	myExec(t, []string{"DROP DATABASE xa"}, "CREATE DATABASE xa", "CREATE TABLE xa.t (id int PRIMARY KEY) ENGINE=InnoDB")
	db := myAdmin(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"XA START 'rdsbg-xa'", "INSERT INTO xa.t VALUES (1)", "XA END 'rdsbg-xa'", "XA PREPARE 'rdsbg-xa'"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	defer conn.ExecContext(ctx, "XA ROLLBACK 'rdsbg-xa'")
	long, err := myAdmin(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer long.Close()
	if _, err := long.ExecContext(ctx, "START TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	if _, err := long.ExecContext(ctx, "INSERT INTO xa.t VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	// information_schema.innodb_trx is a snapshot InnoDB refreshes only
	// when it has not been read for 100 ms (trx0i_s.cc,
	// CACHE_MIN_IDLE_TIME): the earlier tests read it moments ago, so the
	// server is let past that window once, on its own clock.
	if _, err := conn.ExecContext(ctx, "DO SLEEP(0.15)"); err != nil {
		t.Fatal(err)
	}
	rep := Preflight(ctx, myTarget(t), mariadbScope, Options{MaxTransactionAge: time.Millisecond})
	if row := rowByID(t, rep, RuleMySQLPrepared); row.Status != Warn || !slices.Equal(row.Found, []string{"xid rdsbg-xa"}) {
		t.Fatalf("XA: %+v", row)
	}
	// Both are open transactions to InnoDB: the prepared XA one too.
	lt := rowByID(t, rep, RuleMySQLLongTransact)
	if lt.Status != Warn || lt.FoundTotal != 2 || !strings.Contains(lt.Found[0], "(root") {
		t.Fatalf("long transactions: %+v", lt)
	}
	if _, err := long.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
}

// A user without PROCESS: a warning naming it; the checks still run.
func TestMariaDBMissingPrivilegeIsAWarningNamingIt(t *testing.T) {
	myExec(t, []string{"DROP USER 'checker'@'127.0.0.1'"}, "CREATE USER 'checker'@'127.0.0.1' IDENTIFIED BY 'checker-pw'", "GRANT SELECT ON *.* TO 'checker'@'127.0.0.1'")
	tg := myTarget(t)
	tg.User, tg.Password = "checker", "checker-pw"
	rep := Preflight(context.Background(), tg, mariadbScope, Options{})
	if row := rowByID(t, rep, RuleMySQLPrivileges); row.Status != Warn || !slices.Equal(row.Found, []string{"PROCESS"}) {
		t.Fatalf("privileges: %+v", row)
	}
	// SHOW ALL SLAVES STATUS needs SLAVE MONITOR: not a silent pass.
	if row := rowByID(t, rep, RuleMySQLExternalReplica); row.Status != Warn || !strings.HasPrefix(row.Explanation, "Not checked: permission denied") {
		t.Fatalf("external replica without the privilege: %+v", row)
	}
}

func TestMariaDBSessionIsReadOnlyAndNamed(t *testing.T) {
	c := newConnector(myTarget(t))
	s, err := c.connect(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, err := s.query(context.Background(), "CREATE DATABASE must_not_exist"); err == nil {
		t.Fatal("a write in the check session succeeded")
	}
	myExec(t, []string{"DROP DATABASE ro"}, "CREATE DATABASE ro", "CREATE TABLE ro.t (id int PRIMARY KEY) ENGINE=InnoDB")
	if _, err := s.query(context.Background(), "INSERT INTO ro.t VALUES (1)"); err == nil || !strings.Contains(err.Error(), "READ ONLY") {
		t.Fatalf("insert in the check session: %v", err)
	}
	rows, err := s.query(context.Background(), "SELECT @@session.max_statement_time + 0, @@session.lock_wait_timeout, @@session.tx_read_only")
	if err != nil || len(rows) != 1 || !strings.HasPrefix(rows[0][0], "5") || rows[0][1] != "1" || rows[0][2] != "1" {
		t.Fatalf("session settings %q %v", rows, err)
	}
}

// A wrong password is one row naming the cause, never the password.
func TestMariaDBConnectionFailuresAreOneClearRow(t *testing.T) {
	myExec(t, []string{"DROP USER 'app'@'127.0.0.1'"}, "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'right-pw'")
	tg := myTarget(t)
	tg.User, tg.Password = "app", "wrong-pw-123"
	rep := Preflight(context.Background(), tg, mariadbScope, Options{})
	if len(rep.Rows) != 1 || !strings.Contains(rep.Rows[0].Explanation, `the server refused user "app"`) || strings.Contains(rep.Rows[0].Explanation, "wrong-pw-123") {
		t.Fatalf("wrong password: %+v", rep.Rows)
	}
}
