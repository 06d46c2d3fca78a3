package dbcheck

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// Drivers.
const (
	DriverPostgres = "postgres"
	DriverMySQL    = "mysql"
)

// TLS modes: Prefer encrypts when the server offers it (loopback, tests),
// Require refuses a plain connection (RDS endpoints, IAM tokens). Neither
// verifies the certificate: the RDS CA bundle is not in the system roots;
// a DSN that names sslrootcert (or tls=custom) keeps its own settings.
const (
	TLSDisable = "disable"
	TLSPrefer  = "prefer"
	TLSRequire = "require"
)

// Default timeouts: a check never holds a lock or runs long on production.
const (
	DefaultConnectTimeout   = 5 * time.Second
	DefaultStatementTimeout = 5 * time.Second
	DefaultLockTimeout      = 1 * time.Second
)

// ApplicationName is what the sessions call themselves (application_name,
// MySQL's program_name), so a DBA sees rdsbg in pg_stat_activity.
const ApplicationName = "rdsbg"

// Target is where and as whom the checks connect. Password never leaves
// this package in a message.
type Target struct {
	Driver   string
	Host     string
	Port     int
	User     string
	Password string `json:"-"`
	// Database is the first database (PostgreSQL: "postgres" when empty;
	// the checks then visit every database).
	Database string
	TLS      string // TLSDisable, TLSPrefer, TLSRequire ("" ⇒ prefer)
	// IAM: the password is an IAM authentication token (MySQL sends it
	// with the cleartext plugin, over TLS only).
	IAM bool
	// Label names the endpoint in rows ("proxy ledger-proxy").
	Label string
	// DSNFrom names the input a DSN came from (--db-dsn or RDSBG_DB_DSN),
	// so a refused login points at the input the operator used.
	DSNFrom string

	ConnectTimeout   time.Duration // 0 ⇒ DefaultConnectTimeout
	StatementTimeout time.Duration // 0 ⇒ DefaultStatementTimeout
	LockTimeout      time.Duration // 0 ⇒ DefaultLockTimeout

	// pgRaw / mysqlRaw keep a parsed DSN's own driver settings (TLS
	// files, options) so nothing the operator set is lost.
	pgRaw    *pgx.ConnConfig
	mysqlRaw *mysql.Config
}

// Address is host:port.
func (t Target) Address() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// String never shows the password.
func (t Target) String() string {
	s := fmt.Sprintf("%s@%s", t.User, t.Address())
	if t.Label != "" {
		s = t.Label + " as " + s
	}
	return s
}

// GoString keeps %#v from printing the password too.
func (t Target) GoString() string { return "dbcheck.Target{" + t.String() + "}" }

func (t Target) connectTimeout() time.Duration {
	if t.ConnectTimeout > 0 {
		return t.ConnectTimeout
	}
	return DefaultConnectTimeout
}

func (t Target) statementTimeout() time.Duration {
	if t.StatementTimeout > 0 {
		return t.StatementTimeout
	}
	return DefaultStatementTimeout
}

func (t Target) lockTimeout() time.Duration {
	if t.LockTimeout > 0 {
		return t.LockTimeout
	}
	return DefaultLockTimeout
}

// WithEndpoint is t pointed at host:port (the DSN's other settings kept).
func (t Target) WithEndpoint(host string, port int) Target {
	t.Host, t.Port = host, port
	if t.pgRaw != nil {
		c := t.pgRaw.Copy()
		c.Host, c.Port = host, uint16(port)
		if c.TLSConfig != nil {
			c.TLSConfig = c.TLSConfig.Clone()
			c.TLSConfig.ServerName = host
		}
		for _, f := range c.Fallbacks {
			f.Host, f.Port = host, uint16(port)
			if f.TLSConfig != nil {
				f.TLSConfig = f.TLSConfig.Clone()
				f.TLSConfig.ServerName = host
			}
		}
		t.pgRaw = c
	}
	if t.mysqlRaw != nil {
		c := t.mysqlRaw.Clone()
		c.Addr = t.Address()
		t.mysqlRaw = c
	}
	return t
}

// HasHost reports whether the DSN named a host (else the caller picks the
// endpoint: the proxy, or blue).
func (t Target) HasHost() bool { return t.Host != "" }

// ParseDSN reads a connection string: postgres:// or postgresql:// URLs
// and key=value strings for PostgreSQL, mysql://user:pass@host:port/db or
// the Go MySQL driver's user:pass@tcp(host:port)/db for MySQL. The error
// never quotes the DSN. A DSN without a host is allowed: the checks then
// connect to the endpoint rdsbg chooses.
func ParseDSN(dsn string) (Target, error) {
	dsn = strings.TrimSpace(dsn)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"), strings.Contains(dsn, "="):
		explicitHost := pgHostGiven(dsn)
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return Target{}, errors.New("not a valid PostgreSQL connection string (postgres://user:password@host:5432/db)")
		}
		t := Target{Driver: DriverPostgres, User: cfg.User, Password: cfg.Password, Database: cfg.Database, pgRaw: cfg}
		if explicitHost {
			t.Host, t.Port = cfg.Host, int(cfg.Port)
		}
		t.TLS = TLSPrefer
		if cfg.TLSConfig == nil {
			t.TLS = TLSDisable
		} else if len(cfg.Fallbacks) == 0 {
			t.TLS = TLSRequire
		}
		return t, nil
	case strings.HasPrefix(dsn, "mysql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return Target{}, errors.New("not a valid MySQL URL (mysql://user:password@host:3306/db)")
		}
		cfg := mysql.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Host, strings.TrimPrefix(u.Path, "/")
		if v := u.Query().Get("tls"); v != "" {
			cfg.TLSConfig = v
		}
		return mysqlTarget(cfg, u.Host != "")
	case strings.Contains(dsn, "@tcp(") || strings.Contains(dsn, "@/"):
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return Target{}, errors.New("not a valid MySQL DSN (user:password@tcp(host:3306)/db)")
		}
		return mysqlTarget(cfg, !strings.Contains(dsn, "@tcp()") && !strings.Contains(dsn, "@/"))
	}
	return Target{}, errors.New("want a postgres://, postgresql:// or mysql:// URL, or a MySQL user:password@tcp(host:port)/db DSN")
}

func mysqlTarget(cfg *mysql.Config, hasHost bool) (Target, error) {
	t := Target{Driver: DriverMySQL, User: cfg.User, Password: cfg.Passwd, Database: cfg.DBName, mysqlRaw: cfg}
	if hasHost && cfg.Addr != "" {
		host, port, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			host, port = cfg.Addr, "3306"
		}
		t.Host = host
		t.Port, _ = strconv.Atoi(port)
	}
	switch cfg.TLSConfig {
	case "", "false":
		t.TLS = TLSPrefer
		if cfg.TLSConfig == "false" {
			t.TLS = TLSDisable
		}
	case "preferred":
		t.TLS = TLSPrefer
	default:
		t.TLS = TLSRequire
	}
	return t, nil
}

// pgHostGiven: pgx fills a missing host from PGHOST or the Unix socket;
// only a host the DSN itself names counts.
func pgHostGiven(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		return err == nil && u.Hostname() != ""
	}
	for _, f := range strings.Fields(dsn) {
		if strings.HasPrefix(f, "host=") && len(f) > len("host=") {
			return true
		}
	}
	return false
}

// scrub removes the password from a driver message.
func (t Target) scrub(msg string) string {
	if t.Password != "" {
		msg = strings.ReplaceAll(msg, t.Password, "***")
	}
	return msg
}
