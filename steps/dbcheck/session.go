package dbcheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// connector opens the read-only sessions of one piece of work (a
// preflight, a watch read, a gate read) and counts them: the checks never
// hold more than one connection at a time, so they cost production one
// connection slot at most.
type connector struct {
	t Target

	mu         sync.Mutex
	open, peak int
}

func newConnector(t Target) *connector { return &connector{t: t} }

func (c *connector) opened() {
	c.mu.Lock()
	c.open++
	c.peak = max(c.peak, c.open)
	c.mu.Unlock()
}

func (c *connector) closed() {
	c.mu.Lock()
	c.open--
	c.mu.Unlock()
}

// Peak is the most sessions open at once.
func (c *connector) Peak() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak
}

// session is one read-only connection.
type session struct {
	c        *connector
	database string
	pg       *pgx.Conn
	db       *sql.DB
	my       *sql.Conn
	mariadb  bool
	version  string
}

// connect opens a read-only session to database ("" ⇒ the target's).
func (c *connector) connect(ctx context.Context, database string) (*session, error) {
	t := c.t
	if database == "" {
		database = t.Database
	}
	if t.Driver == DriverPostgres {
		if database == "" {
			database = "postgres"
		}
		cfg, err := t.pgConfig(database)
		if err != nil {
			return nil, err
		}
		cctx, cancel := context.WithTimeout(ctx, t.connectTimeout())
		defer cancel()
		conn, err := pgx.ConnectConfig(cctx, cfg)
		if err != nil {
			return nil, err
		}
		c.opened()
		s := &session{c: c, database: database, pg: conn, version: conn.PgConn().ParameterStatus("server_version")}
		// The startup parameters asked for a read-only session; a proxy
		// or pooler could drop them, so check rather than trust.
		var ro string
		if err := conn.QueryRow(ctx, "SHOW default_transaction_read_only").Scan(&ro); err != nil || ro != "on" {
			s.close()
			if err == nil {
				err = errors.New("the session did not start read-only (default_transaction_read_only is " + ro + "); rdsbg never runs its checks in a writable session")
			}
			return nil, err
		}
		return s, nil
	}
	cfg := t.mysqlConfig(database)
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	cctx, cancel := context.WithTimeout(ctx, t.connectTimeout())
	defer cancel()
	my, err := db.Conn(cctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	c.opened()
	s := &session{c: c, database: database, db: db, my: my}
	if err := my.QueryRowContext(ctx, "SELECT @@version").Scan(&s.version); err != nil {
		s.close()
		return nil, err
	}
	s.mariadb = strings.Contains(strings.ToLower(s.version), "mariadb")
	setup := []string{"SET SESSION TRANSACTION READ ONLY",
		fmt.Sprintf("SET SESSION lock_wait_timeout = %d", max(1, int(t.lockTimeout()/time.Second))),
		fmt.Sprintf("SET SESSION innodb_lock_wait_timeout = %d", max(1, int(t.lockTimeout()/time.Second)))}
	if s.mariadb {
		setup = append(setup, fmt.Sprintf("SET SESSION max_statement_time = %g", t.statementTimeout().Seconds()))
	} else {
		setup = append(setup, fmt.Sprintf("SET SESSION max_execution_time = %d", t.statementTimeout().Milliseconds()))
	}
	for _, q := range setup {
		if _, err := my.ExecContext(ctx, q); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// pgConfig is the driver configuration: the DSN's own settings when there
// was one, with rdsbg's safety settings on top.
func (t Target) pgConfig(database string) (*pgx.ConnConfig, error) {
	var cfg *pgx.ConnConfig
	if t.pgRaw != nil {
		cfg = t.pgRaw.Copy()
	} else {
		mode := t.TLS
		if mode == "" {
			mode = TLSPrefer
		}
		var err error
		// Host and port only: user and password are set below, never
		// put into a string that an error could quote.
		cfg, err = pgx.ParseConfig(fmt.Sprintf("host=%s port=%d sslmode=%s", t.Host, t.Port, mode))
		if err != nil {
			return nil, fmt.Errorf("endpoint %s: %v", t.Address(), err)
		}
	}
	cfg.User, cfg.Password, cfg.Database = t.User, t.Password, database
	cfg.ConnectTimeout = t.connectTimeout()
	// The simple protocol: no prepared statements, so a pooling proxy
	// pins nothing and PgBouncer-style poolers work.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = ApplicationName
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(t.statementTimeout().Milliseconds(), 10)
	cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(t.lockTimeout().Milliseconds(), 10)
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt((2 * t.statementTimeout()).Milliseconds(), 10)
	return cfg, nil
}

func (t Target) mysqlConfig(database string) *mysql.Config {
	var cfg *mysql.Config
	if t.mysqlRaw != nil {
		cfg = t.mysqlRaw.Clone()
	} else {
		cfg = mysql.NewConfig()
		switch t.TLS {
		case TLSDisable:
			cfg.TLSConfig = "false"
		case TLSRequire:
			cfg.TLSConfig = "skip-verify"
		default:
			cfg.TLSConfig = "preferred"
		}
	}
	cfg.Net, cfg.Addr = "tcp", t.Address()
	cfg.User, cfg.Passwd, cfg.DBName = t.User, t.Password, database
	cfg.Timeout = t.connectTimeout()
	cfg.ReadTimeout = t.statementTimeout() + 2*time.Second
	cfg.WriteTimeout = t.statementTimeout() + 2*time.Second
	cfg.ConnectionAttributes = "program_name:" + ApplicationName
	// Parameters are interpolated client-side: no server-side prepared
	// statement, so a proxy pins nothing.
	cfg.InterpolateParams = true
	if t.IAM {
		// IAM tokens go through the cleartext plugin, over TLS only.
		cfg.AllowCleartextPasswords = true
		if cfg.TLSConfig == "" || cfg.TLSConfig == "false" || cfg.TLSConfig == "preferred" {
			cfg.TLSConfig = "skip-verify"
		}
	}
	return cfg
}

func (s *session) close() {
	if s == nil || s.c == nil {
		return
	}
	if s.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.pg.Close(ctx)
		cancel()
	}
	if s.my != nil {
		_ = s.my.Close()
	}
	if s.db != nil {
		_ = s.db.Close()
	}
	s.c.closed()
	s.c = nil
}

// query runs q and returns every row with every column as text (NULL as
// ""). The session is read-only and the statement timeout bounds it.
func (s *session) query(ctx context.Context, q string, args ...any) ([][]string, error) {
	if s.pg != nil {
		rows, err := s.pg.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out [][]string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return nil, err
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				row[i] = text(v)
			}
			out = append(out, row)
		}
		return out, rows.Err()
	}
	rows, err := s.my.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, b := range raw {
			row[i] = string(b)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// queryMap runs q and returns the rows as column name → text (for SHOW
// statements whose columns differ between versions).
func (s *session) queryMap(ctx context.Context, q string) ([]map[string]string, error) {
	if s.my == nil {
		return nil, errors.New("queryMap is for MySQL")
	}
	rows, err := s.my.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]string, len(cols))
		for i, c := range cols {
			m[c] = string(raw[i])
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// text renders a driver value as the DBA would read it.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case time.Duration:
		return x.String()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// ConnectError is why the checks could not connect, in the operator's
// words: the cause and the fix. It never carries the password.
type ConnectError struct {
	Endpoint string // host:port
	Cause    string
	Fix      string
	Detail   string // the driver's message, scrubbed
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", e.Endpoint, e.Cause, e.Detail)
}

// classify turns a connection error into its cause and fix.
func (t Target) classify(err error) *ConnectError {
	e := &ConnectError{Endpoint: t.Address(), Detail: t.scrub(err.Error())}
	msg := strings.ToLower(err.Error())
	var pgErr *pgconn.PgError
	var myErr *mysql.MySQLError
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "28000" && strings.Contains(msg, "no encryption"),
		strings.Contains(msg, "insecure transport"),
		errors.As(err, &myErr) && myErr.Number == 3159:
		e.Cause = "the server requires TLS and the connection was made without it"
		e.Fix = "remove sslmode=disable (PostgreSQL) or tls=false (MySQL) from the DSN: rdsbg uses TLS whenever the server offers it"
	case errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000"),
		errors.As(err, &myErr) && (myErr.Number == 1045 || myErr.Number == 1698):
		e.Cause = fmt.Sprintf("the server refused user %q: wrong password, expired IAM token, or the user may not log in from here", t.User)
		e.Fix = "check the credentials: the password in the DSN, the user given to --db-iam-user (it needs the rds_iam role, PostgreSQL, or the AWSAuthenticationPlugin, MySQL), or the proxy's secret"
		if t.DSNFrom != "" {
			e.Fix = "check the user and password in " + t.DSNFrom + ", and that the user may log in from this host"
		}
	case errors.As(err, &pgErr) && pgErr.Code == "3D000", errors.As(err, &myErr) && myErr.Number == 1049:
		e.Cause = "the database named in the DSN does not exist"
		e.Fix = "name an existing database in the DSN (PostgreSQL: postgres works; the checks visit every database from there)"
	case errors.As(err, &myErr) && myErr.Number == 1044, errors.As(err, &pgErr) && pgErr.Code == "42501":
		e.Cause = fmt.Sprintf("user %q may not use the database named in the DSN", t.User)
		e.Fix = "name a database the user may connect to, or grant CONNECT on it"
	case errors.As(err, &dnsErr):
		e.Cause = fmt.Sprintf("the host %s does not resolve from this machine", t.Host)
		e.Fix = "run rdsbg where the database's DNS name resolves (inside the VPC, or over the VPN), or check the endpoint"
	case errors.As(err, &opErr), errors.As(err, &netErr), strings.Contains(msg, "connection refused"), strings.Contains(msg, "timeout"), errors.Is(err, context.DeadlineExceeded):
		e.Cause = fmt.Sprintf("%s could not be reached within %s", t.Address(), t.connectTimeout())
		e.Fix = "check that this machine can reach the endpoint (security group inbound rule for this host, VPC routing, VPN), or run rdsbg from inside the VPC"
	default:
		e.Cause = "the connection failed"
		e.Fix = "run the same connection by hand (psql or mysql) with the same user to see why"
	}
	return e
}
