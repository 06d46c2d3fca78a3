package dbcheck

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/dbcheck/mariadbtest"
	"github.com/rdsbg/rdsbg/steps/probe/pgtest"
)

// One PostgreSQL and one MariaDB for the whole test binary: starting a
// server costs about a second, so every test shares them and cleans up
// the fixtures it made (the preflight visits every database).
var (
	pgServer *pgtest.Server
	myServer *mariadbtest.Server
)

// pgPassword is the superuser's password on the shared PostgreSQL (TCP
// connections need it: the wrong-password case is real).
const pgPassword = "s3cret-pg-Passw0rd"

func TestMain(m *testing.M) {
	// The end-to-end tests (e2e_test.go) run the AWS SDK against the
	// simulator: no AWS setting of the machine may leak in.
	isolated := simtest.IsolateProcess()
	var err error
	pgServer, err = pgtest.StartServer(pgtest.Options{Password: pgPassword, TrustUsers: []string{"iam_checker"},
		Settings: []string{"wal_level=logical", "max_prepared_transactions=5", "max_logical_replication_workers=2"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting PostgreSQL:", err)
		isolated()
		os.Exit(1)
	}
	myServer, err = mariadbtest.Start(mariadbtest.Options{})
	if err != nil {
		pgServer.Stop()
		fmt.Fprintln(os.Stderr, "starting MariaDB:", err)
		isolated()
		os.Exit(1)
	}
	code := m.Run()
	pgServer.Stop()
	myServer.Stop()
	isolated()
	os.Exit(code)
}

func hostPort(t testing.TB, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

// pgTarget is the shared PostgreSQL as the superuser.
func pgTarget(t testing.TB) Target {
	h, p := hostPort(t, pgServer.Addr)
	return Target{Driver: DriverPostgres, Host: h, Port: p, User: pgtest.User, Password: pgPassword, Label: "blue test-pg"}
}

// myTarget is the shared MariaDB as root.
func myTarget(t testing.TB) Target {
	h, p := hostPort(t, myServer.Addr)
	return Target{Driver: DriverMySQL, Host: h, Port: p, User: mariadbtest.User, Label: "blue test-mariadb"}
}

// pgAdmin is a writable superuser connection to db for fixtures.
func pgAdmin(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	h, p := hostPort(t, pgServer.Addr)
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d sslmode=disable", h, p))
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password, cfg.Database = pgtest.User, pgPassword, db
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// pgFlushStats makes a session publish its pending statistics before the
// server answers the statement (PostgreSQL 15), as an application's
// session does within seconds once idle.
const pgFlushStats = "SELECT pg_stat_force_next_flush()"

// pgExec runs fixture statements on db, and undo at cleanup.
func pgExec(t testing.TB, db string, undo []string, stmts ...string) {
	t.Helper()
	c := pgAdmin(t, db)
	for _, s := range append(stmts, pgFlushStats) { // the schema watch reads the published statistics
		if _, err := c.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	c.Close(context.Background()) // a database in use cannot be a template or dropped
	if len(undo) == 0 {
		return
	}
	t.Cleanup(func() {
		c := pgAdmin(t, db)
		for _, s := range undo {
			if _, err := c.Exec(context.Background(), s); err != nil {
				t.Errorf("cleanup %s: %v", s, err)
			}
		}
	})
}

// pgDatabase creates a database for the test and drops it after.
func pgDatabase(t testing.TB, name string) {
	t.Helper()
	c := pgAdmin(t, "postgres")
	// file_copy: much faster than the WAL-logged default on a test server.
	if _, err := c.Exec(context.Background(), "CREATE DATABASE "+name+" STRATEGY file_copy"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := pgAdmin(t, "postgres")
		if _, err := c.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
}

// myAdmin is a writable root connection for fixtures.
func myAdmin(t testing.TB) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User = "tcp", myServer.Addr, mariadbtest.User
	cfg.MultiStatements = true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// myExec runs fixture statements, and undo at cleanup.
func myExec(t testing.TB, undo []string, stmts ...string) {
	t.Helper()
	db := myAdmin(t)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	t.Cleanup(func() {
		db := myAdmin(t)
		for _, s := range undo {
			if _, err := db.Exec(s); err != nil {
				t.Errorf("cleanup %s: %v", s, err)
			}
		}
	})
}

// rowByID finds a preflight row.
func rowByID(t testing.TB, rep Report, id string) Row {
	t.Helper()
	for _, r := range rep.Rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no row %s in %+v", id, rep.Rows)
	return Row{}
}

var (
	pgLogicalScope  = Scope{Engine: "postgres", Mode: ModeLogical}
	pgPhysicalScope = Scope{Engine: "postgres", Mode: ModePhysical}
	mariadbScope    = Scope{Engine: "mariadb", Mode: ModeBinlog}
)
