package dbcheck

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Options tune a preflight.
type Options struct {
	// MaxTransactionAge: a transaction open longer trips the
	// long-transaction rule (0 ⇒ DefaultMaxTransactionAge).
	MaxTransactionAge time.Duration
	// Budget bounds the whole preflight (0 ⇒ 60 s).
	Budget time.Duration
}

// DefaultMaxTransactionAge is --max-transaction-age's default.
const DefaultMaxTransactionAge = 60 * time.Second

func (o Options) maxAge() time.Duration {
	if o.MaxTransactionAge > 0 {
		return o.MaxTransactionAge
	}
	return DefaultMaxTransactionAge
}

// Preflight connects to t and runs every rule that applies to scope. It
// never fails: a connection that cannot be made is one row naming the
// cause and the fix (warn; the caller makes it block when the operator
// asked for the checks), and a rule whose SQL cannot run is a warning
// naming why. One connection at a time, read-only; PostgreSQL visits
// every database in turn because slots, publications and tables are per
// database.
func Preflight(ctx context.Context, t Target, scope Scope, o Options) Report {
	start := time.Now()
	budget := o.Budget
	if budget <= 0 {
		budget = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	c := newConnector(t)
	rep := Report{Scope: scope, Endpoint: t.String()}
	var rules []Rule
	var skipped int
	for _, r := range Rules() {
		if r.AppliesTo(scope) {
			rules = append(rules, r)
		} else if strings.Contains(r.Engines[0], "postgres") == scope.Postgres() {
			skipped++ // same family, another mode or RDS/Aurora
		}
	}
	first, err := c.connect(ctx, "")
	if err != nil {
		rep.Rows = []Row{ConnectionRow(t, err)}
		rep.Elapsed = time.Since(start)
		return rep
	}
	rep.Connected = true
	f := facts{maxAge: o.maxAge(), aurora: scope.Aurora()}
	if scope.Postgres() {
		pgPreflight(ctx, c, first, rules, f, &rep)
	} else {
		mysqlPreflight(ctx, first, rules, f, &rep)
		first.close()
	}
	rep.Rows = append([]Row{connectedRow(t, scope, first.version, rep.Databases, len(rules), skipped)}, rep.Rows...)
	rep.PeakConnections = c.Peak()
	rep.Elapsed = time.Since(start)
	return rep
}

// ConnectionRow is the one row of a preflight that could not connect.
func ConnectionRow(t Target, err error) Row {
	ce := t.classify(err)
	return Row{ID: RowConnection, Title: "Database checks: connection", Status: Warn,
		Explanation: fmt.Sprintf("Could not connect to %s: %s (%s). The database checks did not run; nothing was retried.", t, ce.Cause, ce.Detail),
		Remediation: ce.Fix}
}

func connectedRow(t Target, scope Scope, version string, dbs []string, applied, skipped int) Row {
	what := fmt.Sprintf("Connected to %s (server %s) in a read-only session; %s: %d checks apply", t, version, scope, applied)
	if skipped > 0 {
		what += fmt.Sprintf(", %d do not apply in this mode and are not shown", skipped)
	}
	if len(dbs) > 0 {
		what += fmt.Sprintf("; databases (%d): %s", len(dbs), listed(dbs))
	}
	return Row{ID: RowConnection, Title: "Database checks: connection", Status: Pass, Explanation: what + "."}
}

// pgPreflight runs the cluster-wide rules on the first session, then the
// per-database rules in every database, one session at a time.
func pgPreflight(ctx context.Context, c *connector, first *session, rules []Rule, f facts, rep *Report) {
	dbs, err := first.query(ctx, `SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'rdsadmin' ORDER BY datname`)
	if err != nil {
		first.close()
		rep.Rows = append(rep.Rows, Row{ID: RowDatabases, Title: "Database checks: databases", Status: Warn,
			Explanation: "Could not list the databases: " + c.t.scrub(err.Error()) + ". The per-database checks did not run."})
		return
	}
	for _, d := range dbs {
		rep.Databases = append(rep.Databases, d[0])
	}
	f.databases = len(rep.Databases)
	perDB := map[string][][]string{}
	failed := map[string]string{} // rule → why it could not run
	var unreadable []string
	run := func(s *session, r Rule, prefix string) {
		var args []any
		if strings.Contains(r.SQL, "$1") {
			args = append(args, ageArg(f.maxAge))
		}
		rows, err := s.query(ctx, r.SQL, args...)
		if err != nil {
			if _, ok := failed[r.ID]; !ok {
				failed[r.ID] = prefix + whyNotRun(c.t, err)
			}
			return
		}
		for _, row := range rows {
			if prefix != "" && len(row) > 0 {
				row[0] = prefix + row[0]
			}
			perDB[r.ID] = append(perDB[r.ID], row)
		}
	}
	for _, r := range rules {
		if !r.PerDatabase {
			run(first, r, "")
		}
	}
	ledgerPG(ctx, first, &rep.Ledger)
	// The first session's database first, so it is not opened twice.
	order := []string{}
	for _, db := range rep.Databases {
		if db == first.database {
			order = append([]string{db}, order...)
		} else {
			order = append(order, db)
		}
	}
	for _, db := range order {
		var s *session
		if first != nil && db == first.database {
			s, first = first, nil
		} else {
			if first != nil {
				first.close()
				first = nil
			}
			s, err = c.connect(ctx, db)
			if err != nil {
				unreadable = append(unreadable, fmt.Sprintf("%s (%s)", db, c.t.classify(err).Cause))
				continue
			}
		}
		for _, r := range rules {
			if !r.PerDatabase {
				continue
			}
			if r.ID == RulePGSequences {
				if rows, err := s.query(ctx, r.SQL); err == nil && len(rows) > 0 {
					perDB[r.ID] = append(perDB[r.ID], []string{db + ": " + rows[0][0]})
				} else if err != nil {
					failed[r.ID] = whyNotRun(c.t, err)
				}
				continue
			}
			run(s, r, db+": ")
		}
		s.close()
	}
	if first != nil {
		first.close()
	}
	rep.Ledger.Publications = firstColumn(perDB[RulePGPublications])
	rep.Ledger.Subscriptions = firstColumn(perDB[RulePGSubscriptions])
	rep.Ledger.Slots = firstColumn(perDB[RulePGLogicalSlots])
	for _, r := range rules {
		if why, ok := failed[r.ID]; ok {
			rep.Rows = append(rep.Rows, r.notRun(why))
			continue
		}
		rep.Rows = append(rep.Rows, r.row(perDB[r.ID], f))
	}
	if len(unreadable) > 0 {
		rep.Rows = append(rep.Rows, Row{ID: RowDatabases, Title: "Database checks: every database read", Status: Warn,
			Explanation: fmt.Sprintf("%d databases could not be checked: %s.", len(unreadable), listed(unreadable)),
			Remediation: "GRANT CONNECT ON DATABASE <db> TO <user>; or run the checks as the master user"})
	}
}

// whyNotRun names a missing privilege where the error is one.
func whyNotRun(t Target, err error) string {
	var pgErr *pgconn.PgError
	var myErr *mysql.MySQLError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42501":
		return "permission denied (" + t.scrub(pgErr.Message) + ")"
	case errors.As(err, &pgErr) && pgErr.Code == "57014":
		return "the statement timeout cut it short"
	case errors.As(err, &myErr) && (myErr.Number == 1227 || myErr.Number == 1142 || myErr.Number == 1044):
		return "permission denied (" + t.scrub(myErr.Message) + ")"
	}
	return t.scrub(err.Error())
}

// mysqlPreflight runs every rule on the one session.
func mysqlPreflight(ctx context.Context, s *session, rules []Rule, f facts, rep *Report) {
	for _, r := range rules {
		rows, err := mysqlRule(ctx, s, r, f)
		if err != nil {
			rep.Rows = append(rep.Rows, r.notRun(whyNotRun(s.c.t, err)))
			continue
		}
		rep.Rows = append(rep.Rows, r.row(rows, f))
		if r.ID == RuleMySQLExternalReplica {
			rep.Ledger.ExternalSources = firstColumn(rows)
		}
	}
	ledgerMySQL(ctx, s, &rep.Ledger)
}

// ageArg is a transaction age limit as the SQL takes it: seconds, to the
// millisecond.
func ageArg(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func firstColumn(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		if len(r) > 0 && r[0] != "" {
			out = append(out, r[0])
		}
	}
	return out
}

// mysqlRule runs the rule's SQL; the few that differ by flavour or need
// more than one statement are spelled out here.
func mysqlRule(ctx context.Context, s *session, r Rule, f facts) ([][]string, error) {
	switch r.ID {
	case RuleMySQLExternalReplica:
		return externalSources(ctx, s)
	case RuleMySQLBinlog:
		rows, err := s.query(ctx, "SELECT @@log_bin, @@binlog_format")
		if err != nil || len(rows) == 0 {
			return nil, err
		}
		row := append(rows[0], "-")
		ret, err := s.query(ctx, "SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'")
		var myErr *mysql.MySQLError
		switch {
		case err == nil && len(ret) > 0:
			row[2] = ret[0][0]
		case err == nil:
			row[2] = ""
		case errors.As(err, &myErr) && myErr.Number == 1146:
			// Not RDS: the table does not exist.
		default:
			return nil, err
		}
		return [][]string{row}, nil
	case RuleMySQLPrepared:
		rows, err := s.query(ctx, r.SQL)
		if err != nil {
			return nil, err
		}
		var out [][]string
		for _, x := range rows {
			if len(x) >= 4 {
				out = append(out, []string{"xid " + x[3]})
			}
		}
		return out, nil
	}
	var args []any
	if strings.Contains(r.SQL, "?") {
		args = append(args, ageArg(f.maxAge))
	}
	return s.query(ctx, r.SQL, args...)
}

// externalSources lists the replication sources configured on blue:
// "host:port (IO Yes, SQL Yes)".
func externalSources(ctx context.Context, s *session) ([][]string, error) {
	q := "SHOW REPLICA STATUS"
	if s.mariadb {
		q = "SHOW ALL SLAVES STATUS"
	} else if strings.HasPrefix(s.version, "5.") || strings.HasPrefix(s.version, "8.0.1") || strings.HasPrefix(s.version, "8.0.2") && !strings.HasPrefix(s.version, "8.0.22") {
		q = "SHOW SLAVE STATUS"
	}
	rows, err := s.queryMap(ctx, q)
	if err != nil {
		return nil, err
	}
	pick := func(m map[string]string, keys ...string) string {
		for _, k := range keys {
			if v, ok := m[k]; ok {
				return v
			}
		}
		return ""
	}
	var out [][]string
	for _, m := range rows {
		host := pick(m, "Source_Host", "Master_Host")
		if host == "" {
			continue
		}
		name := ""
		if c := pick(m, "Connection_name"); c != "" {
			name = c + ": "
		}
		out = append(out, []string{fmt.Sprintf("%s%s:%s (IO %s, SQL %s)", name, host, pick(m, "Source_Port", "Master_Port"),
			pick(m, "Replica_IO_Running", "Slave_IO_Running"), pick(m, "Replica_SQL_Running", "Slave_SQL_Running"))})
	}
	return out, nil
}
