package dbcheck

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Benchmarks of the database checks (docs/performance.md): the whole
// preflight on PostgreSQL with 5,000 tables, 2,000 sequences and 20
// databases, and on MariaDB with 5,000 tables; the schema watch's read on
// the same PostgreSQL. Targets: preflight under 3 s, never more than one
// connection open, a watch read under 50 ms of database time.
//
//	go test ./steps/dbcheck -run '^$' -bench . -benchtime 5x

// pgBenchDatabases builds 20 databases of 250 tables (with primary keys)
// and 100 sequences each: one template, copied.
func pgBenchDatabases(b *testing.B) {
	b.Helper()
	pgExec(b, "postgres", nil, "CREATE DATABASE bench_tpl STRATEGY file_copy")
	pgExec(b, "bench_tpl", nil,
		"DO $$BEGIN FOR i IN 1..250 LOOP EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, name text, at timestamptz)', i); END LOOP; "+
			"FOR i IN 1..100 LOOP EXECUTE format('CREATE SEQUENCE s%s', i); END LOOP; END$$")
	var drops []string
	for i := 1; i <= 19; i++ {
		name := fmt.Sprintf("bench_%02d", i)
		pgExec(b, "postgres", nil, "CREATE DATABASE "+name+" TEMPLATE bench_tpl STRATEGY file_copy")
		drops = append(drops, "DROP DATABASE "+name+" WITH (FORCE)")
	}
	// The template is the 20th database (with "postgres", 21: the
	// checks visit every database that allows connections).
	pgExec(b, "postgres", append(drops, "DROP DATABASE bench_tpl WITH (FORCE)"))
}

func BenchmarkPostgresPreflight5000Tables2000Sequences20Databases(b *testing.B) {
	pgBenchDatabases(b)
	ctx := context.Background()
	var rep Report
	for b.Loop() { // b.Loop: the setup above runs once
		rep = Preflight(ctx, pgTarget(b), pgLogicalScope, Options{})
	}
	if !rep.Connected || len(rep.Databases) != 21 {
		b.Fatalf("connected %v, %d databases", rep.Connected, len(rep.Databases))
	}
	if seq := rowByID(b, rep, RulePGSequences); seq.Status != Warn {
		b.Fatalf("sequences row: %+v", seq)
	}
	b.ReportMetric(float64(rep.PeakConnections), "peak-connections")
	b.ReportMetric(float64(rep.Elapsed.Milliseconds()), "ms/preflight")
}

func BenchmarkPostgresSchemaWatchRead20Databases(b *testing.B) {
	pgBenchDatabases(b)
	ctx := context.Background()
	w := NewWatch(pgTarget(b))
	defer w.Close()
	if err := w.Baseline(ctx); err != nil {
		b.Fatal(err)
	}
	var dbTime, serverTime, worst time.Duration
	reads, scanned := 0, 0
	for b.Loop() {
		ch, err := w.Read(ctx)
		if err != nil || !ch.Empty() {
			b.Fatalf("%+v %v", ch, err)
		}
		dbTime += w.Last.DBTime
		serverTime += w.Last.ServerTime
		worst = max(worst, w.Last.ServerTime)
		scanned += w.Last.Scanned
		reads++
	}
	// server-ms: the queries' execution time on blue (the target: < 50 ms
	// per read, the worst read included); roundtrip-ms adds the network
	// and scheduling; scanned: databases whose catalogs a read scanned.
	b.ReportMetric(float64(serverTime.Microseconds())/float64(reads)/1000, "server-ms/read")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-server-ms")
	b.ReportMetric(float64(dbTime.Microseconds())/float64(reads)/1000, "roundtrip-ms/read")
	b.ReportMetric(float64(scanned)/float64(reads), "scanned-databases/read")
	b.ReportMetric(float64(w.Last.Peak), "peak-connections")
	if worst > 50*time.Millisecond {
		b.Errorf("a read cost blue %s of database time, target < 50 ms", worst)
	}
}

func BenchmarkMariaDBPreflight5000Tables(b *testing.B) {
	myExec(b, []string{"DROP DATABASE bench"}, "CREATE DATABASE bench")
	db := myAdmin(b)
	// 5,000 InnoDB tables, in batches of 100 statements per round trip.
	for i := 0; i < 50; i++ {
		q := ""
		for j := 1; j <= 100; j++ {
			q += fmt.Sprintf("CREATE TABLE bench.t%d (id bigint PRIMARY KEY, name varchar(64)) ENGINE=InnoDB;", i*100+j)
		}
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	var rep Report
	for b.Loop() {
		rep = Preflight(ctx, myTarget(b), mariadbScope, Options{})
	}
	if !rep.Connected || rowByID(b, rep, RuleMySQLNoPrimaryKey).Status != Pass {
		b.Fatalf("%+v", rep.Rows)
	}
	b.ReportMetric(float64(rep.PeakConnections), "peak-connections")
	b.ReportMetric(float64(rep.Elapsed.Milliseconds()), "ms/preflight")
}
