package dbcheck

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The ready-check's database gates (issue 22, rds-facts §4.2, S11): right
// before the critical section nothing on blue may make the switchover's
// guardrails refuse or run into the timeout: transactions open longer
// than a limit, prepared transactions, DDL under way, and self-managed
// replication (slots, subscriptions, publications; MySQL: an external
// source).

// Session is one database session that holds a gate, as the wizard shows
// it: the query is truncated and its literals are blanked.
type Session struct {
	PID        string        `json:"pid"`
	User       string        `json:"user,omitempty"`
	Database   string        `json:"database,omitempty"`
	Age        time.Duration `json:"age_ns"`
	QueryStart string        `json:"query_start,omitempty"`
	Query      string        `json:"query,omitempty"`
	// Why: "transaction open 95 s", "DDL".
	Why string `json:"why,omitempty"`
}

// String is "pid 4711 (app@orders, open 95 s): UPDATE orders SET …".
func (s Session) String() string {
	who := s.User
	if s.Database != "" {
		who += "@" + s.Database
	}
	out := fmt.Sprintf("pid %s (%s, open %s", s.PID, who, s.Age.Round(time.Second))
	if s.QueryStart != "" {
		out += ", query since " + s.QueryStart
	}
	out += ")"
	if s.Query != "" {
		out += ": " + s.Query
	}
	return out
}

// sessionFrom reads [pid, user, database, age seconds, query start, query].
func sessionFrom(r []string) Session {
	s := Session{}
	get := func(i int) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	s.PID, s.User, s.Database, s.QueryStart = get(0), get(1), get(2), get(4)
	secs, _ := strconv.ParseInt(get(3), 10, 64)
	s.Age = time.Duration(secs) * time.Second
	s.Query = Sanitize(get(5))
	return s
}

var (
	quoted     = regexp.MustCompile(`'(?:[^']|'')*'`)
	dollar     = regexp.MustCompile(`\$[a-zA-Z_]*\$[\s\S]*?\$[a-zA-Z_]*\$`)
	numbers    = regexp.MustCompile(`\b\d+(?:\.\d+)?\b`)
	whitespace = regexp.MustCompile(`\s+`)
)

// MaxQueryText is how much of a session's query the gates show.
const MaxQueryText = 80

// Sanitize makes a query fit to show: literals blanked (they may hold
// personal data or secrets), whitespace collapsed, truncated.
func Sanitize(q string) string {
	q = dollar.ReplaceAllLiteralString(q, "$$…$$")
	q = quoted.ReplaceAllLiteralString(q, "'…'")
	q = numbers.ReplaceAllString(q, "N")
	q = strings.TrimSpace(whitespace.ReplaceAllString(q, " "))
	if r := []rune(q); len(r) > MaxQueryText {
		q = string(r[:MaxQueryText-1]) + "…"
	}
	return q
}

// Gate is one read of the gates.
type Gate struct {
	// Holding names what holds the gate, one line each; empty: open.
	Holding  []string  `json:"holding,omitempty"`
	Sessions []Session `json:"sessions,omitempty"`
	// Ledger is what this read saw of the replication objects and
	// consumers (merged into the run's ledger).
	Ledger Ledger `json:"ledger"`
	// SQL is what the gates ran, for the DBA.
	SQL []string `json:"sql,omitempty"`
}

// Open reports a gate that holds nothing.
func (g Gate) Open() bool { return len(g.Holding) == 0 }

const pgDDLSQL = `SELECT pid::text, coalesce(usename, ''), coalesce(datname, ''), extract(epoch FROM now() - coalesce(xact_start, query_start))::bigint::text, query_start::text, coalesce(query, '')
FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'
  AND (query ~* '^\s*(alter|create|drop|truncate|reindex|cluster|vacuum\s+full|refresh\s+materialized|comment\s+on|grant|revoke)\M'
       OR pid IN (SELECT pid FROM pg_locks WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock' AND granted))
ORDER BY 1`

const mysqlDDLSQL = `SELECT id, COALESCE(user, ''), COALESCE(db, ''), time, '', COALESCE(info, '') FROM information_schema.processlist
WHERE id <> CONNECTION_ID() AND command = 'Query' AND info REGEXP '^[[:space:]]*(ALTER|CREATE|DROP|RENAME|TRUNCATE|OPTIMIZE|GRANT|REVOKE)[[:space:]]' ORDER BY id`

// Gates reads the gates once: one session at a time, read-only. An error
// means the database could not be read (the caller decides what that
// means; Gate is then empty).
func Gates(ctx context.Context, t Target, scope Scope, o Options) (Gate, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c := newConnector(t)
	s, err := c.connect(ctx, "")
	if err != nil {
		return Gate{}, t.classify(err)
	}
	defer func() { s.close() }()
	age := o.maxAge()
	var g Gate
	sessions := func(id, sql, why string, args ...any) error {
		g.SQL = append(g.SQL, sql)
		rows, err := s.query(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("%s: %s", id, whyNotRun(t, err))
		}
		for _, r := range rows {
			x := sessionFrom(r)
			x.Why = why
			g.Sessions = append(g.Sessions, x)
		}
		if len(rows) > 0 {
			g.Holding = append(g.Holding, fmt.Sprintf("%d %s", len(rows), strings.TrimPrefix(why, "1 ")))
		}
		return nil
	}
	names := func(rule, noun, sql string) ([]string, error) {
		g.SQL = append(g.SQL, sql)
		rows, err := s.query(ctx, sql)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", rule, whyNotRun(t, err))
		}
		found := firstColumn(rows)
		if len(found) > 0 {
			g.Holding = append(g.Holding, fmt.Sprintf("%s: %s", noun, listed(found)))
		}
		return found, nil
	}
	rule := func(id string) Rule { r, _ := RuleByID(id); return r }
	if scope.Postgres() {
		if err := sessions(RulePGLongTransactions, rule(RulePGLongTransactions).SQL, fmt.Sprintf("transactions open longer than %s", age), ageArg(age)); err != nil {
			return g, err
		}
		if _, err := names(RulePGPrepared, "prepared transactions", rule(RulePGPrepared).SQL); err != nil {
			return g, err
		}
		if err := sessions("ddl", pgDDLSQL, "sessions running DDL"); err != nil {
			return g, err
		}
		g.Ledger.Driver = DriverPostgres
		if g.Ledger.Slots, err = names(RulePGLogicalSlots, "logical replication slots", rule(RulePGLogicalSlots).SQL); err != nil {
			return g, err
		}
		if g.Ledger.Subscriptions, err = names(RulePGSubscriptions, "subscriptions", rule(RulePGSubscriptions).SQL); err != nil {
			return g, err
		}
		ledgerPG(ctx, s, &g.Ledger)
		// Publications are per database: visit each, one at a time.
		dbs, err := s.query(ctx, `SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'rdsadmin' ORDER BY datname`)
		if err != nil {
			return g, fmt.Errorf("databases: %s", whyNotRun(t, err))
		}
		pubSQL := rule(RulePGPublications).SQL
		g.SQL = append(g.SQL, pubSQL+"  -- in every database")
		var pubs []string
		for _, d := range dbs {
			if d[0] != s.database {
				s.close()
				if s, err = c.connect(ctx, d[0]); err != nil {
					return g, t.classify(err)
				}
			}
			rows, err := s.query(ctx, pubSQL)
			if err != nil {
				return g, fmt.Errorf("%s: %s", RulePGPublications, whyNotRun(t, err))
			}
			for _, r := range rows {
				pubs = append(pubs, d[0]+": "+r[0])
			}
		}
		if len(pubs) > 0 {
			g.Holding = append(g.Holding, "publications: "+listed(pubs))
		}
		g.Ledger.Publications = pubs
		return g, nil
	}
	if err := sessions(RuleMySQLLongTransact, rule(RuleMySQLLongTransact).SQL, fmt.Sprintf("transactions open longer than %s", age), ageArg(age)); err != nil {
		return g, err
	}
	g.SQL = append(g.SQL, "XA RECOVER")
	if rows, err := mysqlRule(ctx, s, rule(RuleMySQLPrepared), facts{}); err != nil {
		return g, fmt.Errorf("%s: %s", RuleMySQLPrepared, whyNotRun(t, err))
	} else if found := firstColumn(rows); len(found) > 0 {
		g.Holding = append(g.Holding, "prepared XA transactions: "+listed(found))
	}
	if err := sessions("ddl", mysqlDDLSQL, "sessions running DDL"); err != nil {
		return g, err
	}
	g.SQL = append(g.SQL, rule(RuleMySQLExternalReplica).SQL)
	src, err := externalSources(ctx, s)
	if err != nil {
		return g, fmt.Errorf("%s: %s", RuleMySQLExternalReplica, whyNotRun(t, err))
	}
	if found := firstColumn(src); len(found) > 0 {
		g.Holding = append(g.Holding, "external replication sources: "+listed(found))
		g.Ledger.ExternalSources = found
	}
	ledgerMySQL(ctx, s, &g.Ledger)
	return g, nil
}
