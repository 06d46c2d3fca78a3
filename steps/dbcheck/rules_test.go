package dbcheck

import (
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// The rules that no fixture here can trip (extensions and libraries not
// on this machine, counts too costly to build) are tested on their rows.
func TestRuleTableOnItsOwn(t *testing.T) {
	rule := func(id string) Rule {
		r, ok := RuleByID(id)
		if !ok {
			t.Fatalf("no rule %s", id)
		}
		return r
	}
	f := facts{databases: 3}

	ext := rule(RulePGExtensions).row([][]string{{"app: pg_partman"}, {"app: pg_cron"}, {"other: pg_cron"}}, f)
	if ext.Status != Warn || ext.FoundTotal != 3 || !strings.Contains(ext.Explanation, "pg_partman (stop its maintenance on blue") || !strings.Contains(ext.Explanation, "pg_cron (its jobs must not run on green") {
		t.Fatalf("extensions: %+v", ext)
	}
	if r := rule(RulePGExtensions).row(nil, f); r.Status != Pass {
		t.Fatalf("no extension: %+v", r)
	}
	pre := rule(RulePGPreload).row([][]string{{"pg_partman_bgw"}, {"pglogical"}}, f)
	if pre.Status != Fail || !slices.Equal(pre.Found, []string{"pg_partman_bgw", "pglogical"}) {
		t.Fatalf("preload: %+v", pre)
	}
	seq := rule(RulePGSequences).row([][]string{{"app: 1800"}, {"reports: 400"}}, f)
	if seq.Status != Warn || !strings.HasPrefix(seq.Explanation, "2200 sequences (app: 1800, reports: 400)") {
		t.Fatalf("sequences: %+v", seq)
	}
	capacity := rule(RulePGCapacity).row([][]string{{"wal_level", "replica"}, {"max_replication_slots", "2"}, {"max_wal_senders", "10"},
		{"max_logical_replication_workers", "4"}, {"max_worker_processes", "4"}, {"slots_in_use", "1"}, {"senders_in_use", "0"}}, f)
	want := []string{"wal_level is replica, not logical (rds.logical_replication = 1 is not in effect: reboot after setting it)",
		"max_replication_slots 2 < 4 (1 in use + 3 databases)", "max_worker_processes 4 < 5 (the logical replication workers + the launcher)"}
	if capacity.Status != Fail || !slices.Equal(capacity.Found, want) {
		t.Fatalf("capacity: %q", capacity.Found)
	}
	tmp := rule(RuleAuroraMySQLTmp).row([][]string{{"tmp"}}, f)
	if tmp.Status != Fail || !slices.Equal(tmp.Found, []string{"tmp"}) {
		t.Fatalf("tmp: %+v", tmp)
	}
	bin := rule(RuleMySQLBinlog).row([][]string{{"1", "ROW", ""}}, f)
	if bin.Status != Warn || !slices.Equal(bin.Found, []string{"binlog retention hours = NULL"}) {
		t.Fatalf("binlog retention NULL: %+v", bin)
	}
	if r := rule(RuleMySQLBinlog).row([][]string{{"1", "ROW", "24"}}, f); r.Status != Pass || r.Explanation != "Binary log on, ROW format; binlog retention 24 hours." {
		t.Fatalf("binlog set: %+v", r)
	}
	if r := rule(RuleMySQLBinlog).row([][]string{{"0", "ROW", "-"}}, f); r.Status != Fail {
		t.Fatalf("binlog off: %+v", r)
	}
}

// Every rule applies to some engine and mode, has SQL, a source, a
// remediation and a severity; ids are unique.
func TestEveryRuleIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || r.SQL == "" || r.Source == "" || r.Remediation == "" || (r.Trips != Warn && r.Trips != Fail) || len(r.Engines) == 0 || len(r.Modes) == 0 || r.Title == "" {
			t.Errorf("incomplete or duplicate rule %+v", r)
		}
		seen[r.ID] = true
		if r.judge == nil && (r.Clean == "" || r.Found == "" || r.Effect == "") {
			t.Errorf("%s: a default judgement needs Clean, Found and Effect", r.ID)
		}
	}
}

// Which rules apply follows the mode AWS will use: logical-only rules are
// not shown in physical mode, Aurora MySQL's own rule only there.
func TestRulesFollowTheReplicationMode(t *testing.T) {
	applies := func(s Scope) map[string]bool {
		m := map[string]bool{}
		for _, r := range Rules() {
			if r.AppliesTo(s) {
				m[r.ID] = true
			}
		}
		return m
	}
	phys := applies(Scope{Engine: "postgres", Mode: ModePhysical})
	logi := applies(Scope{Engine: "aurora-postgresql", Mode: ModeLogical})
	if phys[RulePGNoPrimaryKey] || !logi[RulePGNoPrimaryKey] || !phys[RulePGLogicalSlots] || phys[RuleMySQLNoPrimaryKey] {
		t.Fatalf("physical %v, logical %v", phys, logi)
	}
	if applies(Scope{Engine: "mysql", Mode: ModeBinlog})[RuleAuroraMySQLTmp] || !applies(Scope{Engine: "aurora-mysql", Mode: ModeBinlog})[RuleAuroraMySQLTmp] {
		t.Fatal("tmp database rule")
	}
}

func TestSanitizeBlanksLiteralsAndTruncates(t *testing.T) {
	got := Sanitize("UPDATE users\n   SET email = 'a@b.c', card = '4111 1111', n = 42 WHERE id = $1 AND body = $q$secret$q$")
	want := "UPDATE users SET email = '…', card = '…', n = N WHERE id = $N AND body = $$…$$"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if long := Sanitize(strings.Repeat("x", 200)); len([]rune(long)) != MaxQueryText {
		t.Fatalf("not truncated: %d", len([]rune(long)))
	}
}

func TestParseDSNNeverQuotesIt(t *testing.T) {
	for _, dsn := range []string{"postgres://u:hunter2@[::1", "mysql://u:hunter2@%zz", "nonsense hunter2"} {
		_, err := ParseDSN(dsn)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: %v", dsn, err)
		}
	}
	tg, err := ParseDSN("postgres://app:hunter2@db.example.com:6432/orders?sslmode=require")
	if err != nil || tg.Host != "db.example.com" || tg.Port != 6432 || tg.Database != "orders" || tg.TLS != TLSRequire || tg.Password != "hunter2" {
		t.Fatalf("%+v %v", tg, err)
	}
	if s := tg.String() + tg.GoString(); strings.Contains(s, "hunter2") {
		t.Fatalf("String shows the password: %s", s)
	}
	noHost, err := ParseDSN("user=app password=hunter2 dbname=orders")
	if err != nil || noHost.HasHost() {
		t.Fatalf("a DSN without host: %+v %v", noHost, err)
	}
	my, err := ParseDSN("app:hunter2@tcp(db.example.com:3307)/shop")
	if err != nil || my.Driver != DriverMySQL || my.Host != "db.example.com" || my.Port != 3307 || my.Database != "shop" {
		t.Fatalf("%+v %v", my, err)
	}
}

// TLS required by the server (pg_hba hostssl, rds.force_ssl; MySQL's
// require_secure_transport): the row names it and the fix. A server with
// certificates is not started here, so the drivers' errors are built.
func TestConnectErrorsAreClassified(t *testing.T) {
	tg := Target{Host: "db.example.com", Port: 5432, User: "app", Password: "pw-xyz"}
	cases := []struct {
		err   error
		cause string
	}{
		{&pgconn.PgError{Code: "28000", Message: `no pg_hba.conf entry for host "10.0.0.1", user "app", database "postgres", no encryption`}, "the server requires TLS"},
		{&mysql.MySQLError{Number: 3159, Message: "Connections using insecure transport are prohibited while --require_secure_transport=ON."}, "the server requires TLS"},
		{&pgconn.PgError{Code: "28P01", Message: "password authentication failed for user \"app\" (pw-xyz)"}, `the server refused user "app"`},
		{&mysql.MySQLError{Number: 1049, Message: "Unknown database 'x'"}, "does not exist"},
		{&net.DNSError{Err: "no such host", Name: "db.example.com"}, "does not resolve"},
	}
	for _, c := range cases {
		ce := tg.classify(c.err)
		if !strings.Contains(ce.Cause, c.cause) || strings.Contains(ce.Error(), "pw-xyz") || ce.Fix == "" {
			t.Errorf("%v: %+v", c.err, ce)
		}
	}
}

// A refused login names the input the DSN came from, not always
// RDSBG_DB_DSN: the operator who passed --db-dsn is sent to --db-dsn.
func TestRefusedLoginNamesTheDSNInputUsed(t *testing.T) {
	refused := &pgconn.PgError{Code: "28P01", Message: "password authentication failed for user \"app\""}
	for _, from := range []string{"--db-dsn", "RDSBG_DB_DSN"} {
		tg := Target{Host: "db.example.com", Port: 5432, User: "app", DSNFrom: from}
		ce := tg.classify(refused)
		other := map[string]string{"--db-dsn": "RDSBG_DB_DSN", "RDSBG_DB_DSN": "--db-dsn"}[from]
		if !strings.Contains(ce.Fix, from) || strings.Contains(ce.Fix, other) {
			t.Errorf("DSN from %s: fix %q, want it to name %s only", from, ce.Fix, from)
		}
	}
}

// docs/database-checks.md lists every check with its SQL as run.
func TestDocsListEveryRule(t *testing.T) {
	raw, err := os.ReadFile("../../docs/database-checks.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, r := range Rules() {
		if !strings.Contains(doc, "### `"+r.ID+"` — "+r.Title) || !strings.Contains(doc, "```sql\n"+r.SQL+"\n```") || !strings.Contains(doc, r.Source) {
			t.Errorf("docs/database-checks.md lacks %s, its title, SQL or source as the code has them", r.ID)
		}
	}
}
