package dbcheck

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The schema watch (issue 22, rds-facts S3, S4, S16): in logical mode any
// DDL on blue while green replicates, new partitions included, and any
// change to a large object put the deployment into "Replication degraded",
// whose only fix is to delete and recreate it. AWS says so only after the
// fact; rdsbg reads a fingerprint of blue's catalog at a modest cadence
// and names the objects as soon as it moves.
//
// Each read asks every database three questions, each only when the one
// before says "look": has anything written the watched catalogs
// (WatchStatsSQL: their insert, update and delete counters in the
// cumulative statistics, a few lookups in shared memory, no scan), did
// their rows change (WatchDigestSQL: row counts and row versions, a scan
// of each catalog), and what changed (the detail, against the baseline).
// The counters are only a hint: they reach the statistics when the writing
// session goes idle (within seconds), are not kept with track_counts off,
// and before PostgreSQL 15 may be dropped under load; so the digest also
// runs when track_counts is off, and for every database at least once in
// watchDigestEvery reads (a few databases per read, staggered), whatever
// the counters say. The watch keeps one idle session per database open
// between reads, never more, and closes them with Close: reconnecting
// every database at every read (every 15 s for hours) would cost the
// server more than idle sessions, and a fresh backend's first catalog
// query costs several times a warm one.

// watchDetailSQL lists every schema object of a database as (identity,
// definition hash, privileges hash). GRANT and REVOKE move only the last.
const watchDetailSQL = `SELECT 'table ' || format('%I.%I', n.nspname, c.relname) || CASE c.relkind WHEN 'r' THEN '' WHEN 'p' THEN ' (partitioned)' WHEN 'v' THEN ' (view)' WHEN 'm' THEN ' (materialized view)' WHEN 'i' THEN ' (index)' WHEN 'S' THEN ' (sequence)' WHEN 'f' THEN ' (foreign table)' ELSE ' (' || c.relkind::text || ')' END,
  md5(c.relkind::text || c.relpersistence::text || c.relreplident::text || c.relispartition::text || coalesce((SELECT string_agg(a.attname || ' ' || a.atttypid || ' ' || a.atttypmod || ' ' || a.attnotnull || ' ' || a.atthasdef, ',' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')),
  md5(coalesce(c.relacl::text, ''))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + pgSchemas + ` AND c.relkind IN ('r', 'p', 'v', 'm', 'i', 'S', 'f')
UNION ALL SELECT 'function ' || p.oid::regprocedure::text, md5(p.prosrc || coalesce(p.probin, '') || p.prorettype::text || p.prokind::text), md5(coalesce(p.proacl::text, ''))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ` + pgSchemas + `
UNION ALL SELECT 'constraint ' || co.conname || ' on ' || co.conrelid::regclass::text, md5(co.contype::text || coalesce(co.conkey::text, '') || co.confrelid::text || co.convalidated::text), ''
FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE ` + pgSchemas + ` AND co.conrelid <> 0
UNION ALL SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text, md5(t.tgenabled::text || t.tgfoid::text || t.tgtype::text), '' FROM pg_trigger t WHERE NOT t.tgisinternal
UNION ALL SELECT 'view definition of ' || r.ev_class::regclass::text, md5(r.ev_action::text), '' FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + pgSchemas + `
UNION ALL SELECT 'default of ' || d.adrelid::regclass::text || '.' || d.adnum, md5(d.adbin::text), '' FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + pgSchemas + `
UNION ALL SELECT 'type ' || format('%I.%I', n.nspname, t.typname), md5(t.typtype::text || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')), md5(coalesce(t.typacl::text, ''))
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ` + pgSchemas + ` AND t.typtype IN ('e', 'd')
UNION ALL SELECT 'schema ' || quote_ident(n.nspname), '', md5(coalesce(n.nspacl::text, '')) FROM pg_namespace n WHERE ` + pgSchemas + `
UNION ALL SELECT 'extension ' || extname, extversion, '' FROM pg_extension
UNION ALL SELECT 'policy ' || polname || ' on ' || polrelid::regclass::text, md5(coalesce(polqual::text, '') || coalesce(polwithcheck::text, '')), '' FROM pg_policy
UNION ALL SELECT 'large objects', count(*)::text || ' objects, oid sum ' || coalesce(sum(oid::text::bigint), 0)::text, '' FROM pg_largeobject_metadata`

// WatchDigestSQL is what each watch read runs per database: for every
// catalog the detail reads, its row count and the sum of its rows'
// transaction ids. DDL and GRANT/REVOKE insert, delete or update catalog
// rows, which moves both; VACUUM and ANALYZE update in place and move
// neither. Far cheaper than hashing the definitions (a sum over a
// sequential scan, no text built), it only says "look": the detail read
// then names what changed, and a digest that moved with nothing to name
// reports nothing. Objects below 16384 (FirstNormalObjectId) are the
// system's own: the oid indexes skip them.
const WatchDigestSQL = `SELECT concat_ws('/',
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_class WHERE oid >= 16384),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_attribute WHERE attrelid >= 16384),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_proc WHERE oid >= 16384),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_constraint WHERE oid >= 16384),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_trigger WHERE oid >= 16384),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_rewrite WHERE oid >= 16384),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_attrdef WHERE oid >= 16384),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_type WHERE oid >= 16384),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_enum),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_namespace),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_extension),
  (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM pg_policy),
  (SELECT count(*) || ':' || coalesce(sum(oid::text::bigint), 0) FROM pg_largeobject_metadata)),
  -- the statement's own time on the server, in ms: the watch's cost to blue
  (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::numeric(10, 3)::text`

// WatchStatsSQL is each read's first question per database: whether the
// watched catalogs were written since the last read, from their counters
// in the cumulative statistics (inserts, updates, deletes; in-place
// updates by VACUUM and ANALYZE are not counted), with track_counts (off:
// the counters never move) and the statement's own time on the server.
const WatchStatsSQL = `SELECT current_setting('track_counts'),
  array_to_string(ARRAY(SELECT pg_stat_get_tuples_inserted(c) || ':' || pg_stat_get_tuples_updated(c) || ':' || pg_stat_get_tuples_deleted(c)
    FROM unnest('{pg_class,pg_attribute,pg_proc,pg_constraint,pg_trigger,pg_rewrite,pg_attrdef,pg_type,pg_enum,pg_namespace,pg_extension,pg_policy,pg_largeobject_metadata}'::regclass[]) c), '/'),
  (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::numeric(10, 3)::text`

// watchDigestEvery: each database's digest runs at least once in this
// many reads whatever its counters say (a read every 15 s: every 2 min).
const watchDigestEvery = 8

const watchDatabasesSQL = `SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'rdsadmin' ORDER BY datname`

// Change is what one watch read found moved since the baseline.
type Change struct {
	// DDL names the objects created, dropped or altered ("created table
	// public.orders_2027 in appdb").
	DDL []string `json:"ddl,omitempty"`
	// DCL names privilege changes (GRANT/REVOKE): not replicated, a warning.
	DCL []string `json:"dcl,omitempty"`
	// LargeObjects names databases whose large objects changed.
	LargeObjects []string `json:"large_objects,omitempty"`
}

// Empty reports a read that found nothing moved.
func (c Change) Empty() bool { return len(c.DDL)+len(c.DCL)+len(c.LargeObjects) == 0 }

// Degrades reports a change that puts logical replication into
// "Replication degraded" (DDL or large objects; DCL only warns).
func (c Change) Degrades() bool { return len(c.DDL)+len(c.LargeObjects) > 0 }

// Objects is every change in one list, for a message.
func (c Change) Objects() []string {
	return append(append(append([]string(nil), c.DDL...), c.LargeObjects...), c.DCL...)
}

// WatchRead is one read's cost.
type WatchRead struct {
	Databases int
	// ServerTime is what the digest and detail queries cost blue: their
	// execution time as the server measured it. DBTime is the same
	// queries' round trips as rdsbg saw them; Elapsed includes connecting.
	ServerTime, DBTime, Elapsed time.Duration
	// Peak is the most sessions the watch has held at once: one per
	// database at most.
	Peak int
	// Scanned is how many databases' catalogs the read scanned (the
	// digest): those whose counters moved, plus the digest cycle's share.
	Scanned int
	// Moved is how many of those scans their counters forced outside the
	// digest cycle's turn (a write, or another session's statistics
	// flushed late).
	Moved int
}

// Watch keeps blue's schema baseline between reads. It is not safe for
// concurrent use: the engine reads it from one goroutine.
type Watch struct {
	t         Target
	c         *connector
	sessions  map[string]*session // database → its one session
	databases []string
	stats     map[string]string            // database → the catalogs' write counters at its last digest
	digest    map[string]string            // database → digest
	detail    map[string]map[string]string // database → identity → hashes
	reads     int                          // reads so far: staggers the digests the counters did not ask for
	Last      WatchRead
}

// NewWatch prepares a watch on t (PostgreSQL); Baseline takes the first read.
func NewWatch(t Target) *Watch {
	return &Watch{t: t, c: newConnector(t), sessions: map[string]*session{}, stats: map[string]string{}, digest: map[string]string{}, detail: map[string]map[string]string{}}
}

// Close closes the watch's sessions.
func (w *Watch) Close() {
	for db, s := range w.sessions {
		s.close()
		delete(w.sessions, db)
	}
}

// session is db's session, opened when missing.
func (w *Watch) session(ctx context.Context, db string) (*session, error) {
	if s := w.sessions[db]; s != nil {
		return s, nil
	}
	s, err := w.c.connect(ctx, db)
	if err != nil {
		return nil, w.t.classify(err)
	}
	w.sessions[db] = s
	return s, nil
}

// drop closes db's session after an error: the next read reconnects.
func (w *Watch) drop(db string) {
	if s := w.sessions[db]; s != nil {
		s.close()
		delete(w.sessions, db)
	}
}

// Baseline reads every database's catalog in detail: the state later
// reads compare with.
func (w *Watch) Baseline(ctx context.Context) error {
	_, err := w.read(ctx, true)
	return err
}

// Read compares blue's catalog with the baseline; what moved becomes the
// new baseline, so each change is reported once.
func (w *Watch) Read(ctx context.Context) (Change, error) {
	return w.read(ctx, false)
}

func (w *Watch) read(ctx context.Context, baseline bool) (Change, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	var ch Change
	var dbTime, serverTime time.Duration
	scanned, moved := 0, 0
	first := w.t.Database
	if first == "" {
		first = "postgres"
	}
	s, err := w.session(ctx, first)
	if err != nil {
		return ch, err
	}
	rows, err := s.query(ctx, watchDatabasesSQL)
	if err != nil {
		w.drop(first)
		return ch, fmt.Errorf("listing databases: %s", whyNotRun(w.t, err))
	}
	dbs := firstColumn(rows)
	if !baseline && w.databases != nil {
		for _, d := range diff(w.databases, dbs) {
			ch.DDL = append(ch.DDL, "created database "+d)
		}
		for _, d := range diff(dbs, w.databases) {
			ch.DDL = append(ch.DDL, "dropped database "+d)
			w.drop(d)
		}
	}
	w.databases = dbs
	w.reads++
	for i, db := range dbs {
		s, err := w.session(ctx, db)
		if err != nil {
			return ch, err
		}
		t0 := time.Now()
		st, err := s.query(ctx, WatchStatsSQL)
		dbTime += time.Since(t0)
		if err != nil || len(st) == 0 || len(st[0]) < 3 {
			w.drop(db)
			return ch, fmt.Errorf("reading the catalog statistics of %s: %s", db, whyNotRun(w.t, err))
		}
		serverTime += serverMS(st[0][2])
		counted := st[0][0] == "on"
		_, known := w.digest[db]
		quiet := counted && st[0][1] == w.stats[db]
		turn := (w.reads+i)%watchDigestEvery == 0
		if known && !baseline && quiet && !turn {
			continue // nothing wrote the catalogs: no scan
		}
		if known && !baseline && !quiet && !turn {
			moved++
		}
		t0 = time.Now()
		d, err := s.query(ctx, WatchDigestSQL)
		dbTime += time.Since(t0)
		scanned++
		if err != nil || len(d) == 0 {
			w.drop(db)
			return ch, fmt.Errorf("reading the catalog of %s: %s", db, whyNotRun(w.t, err))
		}
		if len(d[0]) > 1 {
			serverTime += serverMS(d[0][1])
		}
		if old := w.digest[db]; known && old == d[0][0] && !baseline {
			w.stats[db] = st[0][1]
			continue
		}
		t0 = time.Now()
		det, err := s.query(ctx, watchDetailSQL)
		dbTime += time.Since(t0)
		if err != nil {
			w.drop(db)
			return ch, fmt.Errorf("reading the catalog of %s: %s", db, whyNotRun(w.t, err))
		}
		now := make(map[string]string, len(det))
		for _, r := range det {
			now[r[0]] = r[1] + "/" + r[2]
		}
		if known && !baseline {
			compare(db, w.detail[db], now, &ch)
		}
		w.stats[db], w.digest[db], w.detail[db] = st[0][1], d[0][0], now
	}
	w.Last = WatchRead{Databases: len(dbs), ServerTime: serverTime, DBTime: dbTime, Elapsed: time.Since(start), Peak: w.c.Peak(), Scanned: scanned, Moved: moved}
	return ch, nil
}

// serverMS reads a statement's own time, reported in ms as text.
func serverMS(v string) time.Duration {
	ms, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// compare names what moved in db between two detail reads.
func compare(db string, before, after map[string]string, ch *Change) {
	var keys []string
	for k := range after {
		keys = append(keys, k)
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, inBefore := before[k]
		a, inAfter := after[k]
		switch {
		case k == "large objects":
			if a != b {
				ch.LargeObjects = append(ch.LargeObjects, fmt.Sprintf("large objects changed in %s (%s → %s)", db, strings.SplitN(b, "/", 2)[0], strings.SplitN(a, "/", 2)[0]))
			}
		case !inBefore:
			ch.DDL = append(ch.DDL, fmt.Sprintf("created %s in %s", k, db))
		case !inAfter:
			ch.DDL = append(ch.DDL, fmt.Sprintf("dropped %s in %s", k, db))
		case a != b:
			bd, ba, _ := strings.Cut(b, "/")
			ad, aa, _ := strings.Cut(a, "/")
			if bd != ad {
				ch.DDL = append(ch.DDL, fmt.Sprintf("altered %s in %s", k, db))
			} else if ba != aa {
				ch.DCL = append(ch.DCL, fmt.Sprintf("privileges changed on %s in %s (GRANT/REVOKE)", k, db))
			}
		}
	}
}

// diff is what b has and a has not.
func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range a {
		in[x] = true
	}
	var out []string
	for _, x := range b {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}
