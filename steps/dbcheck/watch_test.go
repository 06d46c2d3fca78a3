package dbcheck

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// DDL on blue is named by the next read, once; GRANT is told apart as
// DCL; a large object created is its own change.
func TestWatchNamesDDLOnce(t *testing.T) {
	ctx := context.Background()
	pgExec(t, "postgres", []string{"DROP TABLE IF EXISTS watched, readers, orders_2027", "SELECT lo_unlink(777001)"}, "CREATE TABLE watched (id int PRIMARY KEY)", "CREATE TABLE readers (id int PRIMARY KEY)")
	w := NewWatch(pgTarget(t))
	defer w.Close()
	if err := w.Baseline(ctx); err != nil {
		t.Fatal(err)
	}
	if ch, err := w.Read(ctx); err != nil || !ch.Empty() {
		t.Fatalf("nothing changed, read %+v %v", ch, err)
	}
	pgExec(t, "postgres", nil, "CREATE TABLE orders_2027 (id int PRIMARY KEY)", "ALTER TABLE watched ADD COLUMN note text", "GRANT SELECT ON readers TO PUBLIC", "SELECT lo_create(777001)")
	ch, err := w.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"created table public.orders_2027 in postgres", "created table public.orders_2027_pkey (index) in postgres", "altered table public.watched in postgres"} {
		if !slices.Contains(ch.DDL, want) {
			t.Errorf("DDL %q lacks %q", ch.DDL, want)
		}
	}
	if !slices.Equal(ch.DCL, []string{"privileges changed on table public.readers in postgres (GRANT/REVOKE)"}) {
		t.Errorf("DCL %q", ch.DCL)
	}
	if len(ch.LargeObjects) != 1 || !strings.HasPrefix(ch.LargeObjects[0], "large objects changed in postgres (0 objects, oid sum 0 → 1 objects") || !ch.Degrades() {
		t.Errorf("large objects %q", ch.LargeObjects)
	}
	if again, err := w.Read(ctx); err != nil || !again.Empty() {
		t.Fatalf("the same change reported twice: %+v %v", again, err)
	}
	if w.Last.Peak != 1 || w.Last.Databases != 1 {
		t.Fatalf("last read %+v", w.Last)
	}
}

// The gates: a long transaction, a lock held by DDL and a slot hold it,
// with the sessions shown; once they end the gate opens.
func TestPostgresGates(t *testing.T) {
	ctx := context.Background()
	pgExec(t, "postgres", []string{"DROP TABLE gated"}, "CREATE TABLE gated (id int PRIMARY KEY)")
	if g, err := Gates(ctx, pgTarget(t), pgLogicalScope, Options{MaxTransactionAge: time.Minute}); err != nil || !g.Open() {
		t.Fatalf("clean: %+v %v", g, err)
	}
	// The slot first: creating one waits for every open transaction.
	pgExec(t, "postgres", []string{"SELECT pg_drop_replication_slot('cdc')"}, "SELECT pg_create_logical_replication_slot('cdc', 'pgoutput')")
	holder := pgAdmin(t, "postgres")
	if _, err := holder.Exec(ctx, "BEGIN; LOCK TABLE gated IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	g, err := Gates(ctx, pgTarget(t), pgLogicalScope, Options{MaxTransactionAge: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1 transactions open longer than 1ms", "1 sessions running DDL", "logical replication slots: cdc (pgoutput, database postgres)"}
	if !slices.Equal(g.Holding, want) {
		t.Fatalf("holding %q, want %q", g.Holding, want)
	}
	if len(g.Sessions) != 2 || g.Sessions[0].User != "rdsbg" || g.Sessions[0].Database != "postgres" || g.Sessions[1].Why != "sessions running DDL" {
		t.Fatalf("sessions %+v", g.Sessions)
	}
	if !slices.Equal(g.Ledger.Slots, []string{"cdc (pgoutput, database postgres)"}) {
		t.Fatalf("ledger %+v", g.Ledger)
	}
	if _, err := holder.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	g, err = Gates(ctx, pgTarget(t), pgLogicalScope, Options{MaxTransactionAge: time.Millisecond})
	if err != nil || !slices.Equal(g.Holding, want[2:]) {
		t.Fatalf("after COMMIT: %q %v", g.Holding, err)
	}
}

func TestMariaDBGates(t *testing.T) {
	ctx := context.Background()
	if g, err := Gates(ctx, myTarget(t), mariadbScope, Options{}); err != nil || !g.Open() {
		t.Fatalf("clean: %+v %v", g, err)
	}
	myExec(t, []string{"RESET SLAVE ALL"}, "CHANGE MASTER TO MASTER_HOST='192.0.2.10', MASTER_PORT=3306, MASTER_USER='repl'")
	g, err := Gates(ctx, myTarget(t), mariadbScope, Options{})
	if err != nil || !slices.Equal(g.Holding, []string{"external replication sources: 192.0.2.10:3306 (IO No, SQL No)"}) {
		t.Fatalf("%+v %v", g, err)
	}
}

// The ledger lists the follow-ups with their commands, and always the
// DMS reminder once the checks connected.
func TestLedgerItems(t *testing.T) {
	l := Ledger{Driver: DriverPostgres, Slots: []string{"debezium (pgoutput, database app)"}, Publications: []string{"app: cdc_pub"}}
	l.Merge(Ledger{Slots: []string{"debezium (pgoutput, database app)", "dms_slot (test_decoding, database app)"}, Consumers: []string{"debezium from 10.0.0.9 (streaming)"}})
	items := l.Items("orders-db")
	if len(items) != 5 || !strings.Contains(items[1], "logical slot debezium") || !strings.Contains(items[2], "dms_slot") || !strings.HasPrefix(items[4], "AWS DMS tasks") {
		t.Fatalf("%q", items)
	}
	if (Ledger{}).Items("x") != nil {
		t.Fatal("a ledger of checks that never connected has items")
	}
}

// ALTER TYPE … ADD VALUE touches only pg_enum: the digest sees it too.
func TestWatchSeesAnEnumValueAdded(t *testing.T) {
	pgExec(t, "postgres", []string{"DROP TYPE mood"}, "CREATE TYPE mood AS ENUM ('ok')")
	w := NewWatch(pgTarget(t))
	defer w.Close()
	if err := w.Baseline(context.Background()); err != nil {
		t.Fatal(err)
	}
	pgExec(t, "postgres", nil, "ALTER TYPE mood ADD VALUE 'great'")
	ch, err := w.Read(context.Background())
	if err != nil || !slices.Equal(ch.DDL, []string{"altered type public.mood in postgres"}) {
		t.Fatalf("%+v %v", ch, err)
	}
}

// The catalogs' write counters are a hint, never the only look: DDL by a
// session that does not count (track_counts off for it; before PostgreSQL
// 15 a statistics message lost under load looks the same) moves no
// counter, and the digest, which runs for every database at least once in
// watchDigestEvery reads whatever the counters say, still names it.
func TestWatchSeesDDLTheCountersMissWithinItsDigestCycle(t *testing.T) {
	ctx := context.Background()
	w := NewWatch(pgTarget(t))
	defer w.Close()
	if err := w.Baseline(ctx); err != nil {
		t.Fatal(err)
	}
	// The cycle's scan of postgres comes at the last of the reads below.
	w.reads = (watchDigestEvery - slices.Index(w.databases, "postgres")%watchDigestEvery) % watchDigestEvery
	pgExec(t, "postgres", []string{"DROP TABLE IF EXISTS uncounted"}, "SET track_counts = off", "CREATE TABLE uncounted (id int)")
	var seen []string
	reads := 0
	for ; reads < watchDigestEvery && len(seen) == 0; reads++ {
		ch, err := w.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen = ch.DDL
	}
	if !slices.Equal(seen, []string{"created table public.uncounted in postgres"}) {
		t.Fatalf("after %d reads: %q", reads, seen)
	}
	if reads != watchDigestEvery {
		t.Errorf("named at read %d, want at the cycle's scan (read %d): the counters moved?", reads, watchDigestEvery)
	}
}

// A read scans a database's catalogs only when their write counters
// moved, and otherwise once per digest cycle: over watchDigestEvery quiet
// reads, each database is scanned exactly once (it was every read).
func TestWatchScansOnlyWhatMoved(t *testing.T) {
	ctx := context.Background()
	w := NewWatch(pgTarget(t))
	defer w.Close()
	if err := w.Baseline(ctx); err != nil {
		t.Fatal(err)
	}
	scanned, moved := 0, 0
	for range watchDigestEvery {
		if ch, err := w.Read(ctx); err != nil || !ch.Empty() {
			t.Fatalf("%+v %v", ch, err)
		}
		scanned, moved = scanned+w.Last.Scanned, moved+w.Last.Moved
	}
	// A scan the counters forced is not the cycle's: another test's
	// session on the shared server may flush its statistics late.
	if scanned-moved != w.Last.Databases {
		t.Fatalf("%d scans (%d forced by moved counters) of %d databases over %d quiet reads, want one each", scanned, moved, w.Last.Databases, watchDigestEvery)
	}
	pgExec(t, "postgres", []string{"DROP TABLE IF EXISTS moved"}, "CREATE TABLE moved (id int)")
	if ch, err := w.Read(ctx); err != nil || !slices.Equal(ch.DDL, []string{"created table public.moved in postgres"}) || w.Last.Scanned < 1 {
		t.Fatalf("after DDL: %+v (scanned %d) %v", ch, w.Last.Scanned, err)
	}
}
