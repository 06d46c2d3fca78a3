// Package probe measures what the applications see through an RDS Proxy
// (issue 8): TCP reachability of the proxy endpoints, and a real SQL round
// trip (SELECT 1) every interval through the operator's DSN during the
// critical section and the switchover. Its report is the downtime the
// applications saw, next to the engine's proxy-less window.
//
// The DSN carries a password: it is never printed, logged or journalled,
// and errors are scrubbed of it before they are kept.
package probe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// DefaultInterval is how often the SQL probe runs (issue 8).
const DefaultInterval = 500 * time.Millisecond

// EnvDSN is the environment variable that may hold the probe DSN, so that
// it stays out of shell history and process listings.
const EnvDSN = "RDSBG_PROBE_DSN"

// ---- TCP reachability ----

// TCPResult is one endpoint's reachability.
type TCPResult struct {
	Address string        `json:"address"`
	OK      bool          `json:"ok"`
	Error   string        `json:"error,omitempty"`
	Latency time.Duration `json:"latency_ns"`
}

// Address is host:port for a proxy endpoint: the endpoint as is when it
// has a port (the simulator's loopback forwarders), else the port an RDS
// Proxy of that engine family listens on.
func Address(endpoint, engineFamily string) string {
	if _, _, err := net.SplitHostPort(endpoint); err == nil {
		return endpoint
	}
	port := "5432"
	if strings.EqualFold(engineFamily, "MYSQL") {
		port = "3306"
	}
	return net.JoinHostPort(endpoint, port)
}

// CheckTCP dials every address once, in parallel, each within timeout.
func CheckTCP(ctx context.Context, addresses []string, timeout time.Duration) []TCPResult {
	out := make([]TCPResult, len(addresses))
	var wg sync.WaitGroup
	for i, addr := range addresses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			d := net.Dialer{Timeout: timeout}
			c, err := d.DialContext(ctx, "tcp", addr)
			out[i] = TCPResult{Address: addr, Latency: time.Since(start)}
			if err != nil {
				out[i].Error = err.Error()
				return
			}
			_ = c.Close()
			out[i].OK = true
		}()
	}
	wg.Wait()
	return out
}

// ---- SQL round trips ----

// Attempt is one probe: a fresh connection and SELECT 1.
type Attempt struct {
	Time    time.Time     `json:"time"` // on the prober's clock
	OK      bool          `json:"ok"`
	Error   string        `json:"error,omitempty"`
	Server  string        `json:"server,omitempty"` // the server's version: it changes when the upgraded green answers
	Latency time.Duration `json:"latency_ns"`
}

// Options configure a Prober.
type Options struct {
	DSN      string
	Interval time.Duration // 0 ⇒ DefaultInterval
	// Timeout bounds one attempt (connect and query); 0 ⇒ 2 s. It is
	// wall time: the database is real even when the clock is not.
	Timeout time.Duration
	Clock   clock.Clock // stamps attempts and paces Run; nil ⇒ clock.Real{}
}

// Prober runs SQL probes through one DSN. Each attempt opens a fresh
// connection, as a reconnecting application does, so a proxy that refuses
// new clients shows at once.
type Prober struct {
	opts   Options
	driver string // "postgres" or "mysql"
	dsn    string // in the driver's own form
	secret string // the password, scrubbed from errors

	mu       sync.Mutex
	attempts []Attempt
}

// New checks the DSN and picks the driver: postgres:// or postgresql://
// URLs and key=value strings for PostgreSQL (pgx), mysql://user:pass@host:port/db
// or the Go MySQL driver's user:pass@tcp(host:port)/db for MySQL. The
// error never quotes the DSN.
func New(o Options) (*Prober, error) {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	p := &Prober{opts: o}
	dsn := strings.TrimSpace(o.DSN)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"), strings.Contains(dsn, "host="):
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, errors.New("--probe-dsn: not a valid PostgreSQL connection string (postgres://user:password@host:5432/db)")
		}
		p.driver, p.dsn, p.secret = "postgres", dsn, cfg.Password
	case strings.HasPrefix(dsn, "mysql://"):
		u, err := url.Parse(dsn)
		if err != nil || u.Host == "" {
			return nil, errors.New("--probe-dsn: not a valid MySQL URL (mysql://user:password@host:3306/db)")
		}
		cfg := mysql.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Host, strings.TrimPrefix(u.Path, "/")
		cfg.Timeout = o.Timeout
		p.driver, p.dsn, p.secret = "mysql", cfg.FormatDSN(), cfg.Passwd
	case strings.Contains(dsn, "@tcp("):
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, errors.New("--probe-dsn: not a valid MySQL DSN (user:password@tcp(host:3306)/db)")
		}
		cfg.Timeout = o.Timeout
		p.driver, p.dsn, p.secret = "mysql", cfg.FormatDSN(), cfg.Passwd
	default:
		return nil, errors.New("--probe-dsn: want a postgres://, postgresql:// or mysql:// URL, or a MySQL user:password@tcp(host:port)/db DSN")
	}
	return p, nil
}

// Driver is "postgres" or "mysql".
func (p *Prober) Driver() string { return p.driver }

// Interval is the pause between attempts.
func (p *Prober) Interval() time.Duration { return p.opts.Interval }

// Once makes one attempt and records it.
func (p *Prober) Once(ctx context.Context) Attempt {
	a := p.attempt(ctx)
	p.record(a)
	return a
}

func (p *Prober) record(a Attempt) {
	p.mu.Lock()
	p.attempts = append(p.attempts, a)
	p.mu.Unlock()
}

func (p *Prober) attempt(ctx context.Context) Attempt {
	at := p.opts.Clock.Now()
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	var server string
	var err error
	if p.driver == "postgres" {
		server, err = p.pgRoundTrip(cctx)
	} else {
		server, err = p.mysqlRoundTrip(cctx)
	}
	a := Attempt{Time: at, OK: err == nil, Server: server, Latency: time.Since(start)}
	if err != nil {
		a.Error = p.scrub(err.Error())
	}
	return a
}

func (p *Prober) pgRoundTrip(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, p.dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return "", err
	}
	if one != 1 {
		return "", fmt.Errorf("SELECT 1 returned %d", one)
	}
	return conn.PgConn().ParameterStatus("server_version"), nil
}

func (p *Prober) mysqlRoundTrip(ctx context.Context) (string, error) {
	db, err := sql.Open("mysql", p.dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	db.SetMaxIdleConns(0)
	var one int
	var version string
	if err := db.QueryRowContext(ctx, "SELECT 1, @@version").Scan(&one, &version); err != nil {
		return "", err
	}
	if one != 1 {
		return "", fmt.Errorf("SELECT 1 returned %d", one)
	}
	return version, nil
}

// scrub removes the password from driver messages.
func (p *Prober) scrub(msg string) string {
	if p.secret != "" {
		msg = strings.ReplaceAll(msg, p.secret, "***")
	}
	return msg
}

// Run probes every interval until ctx ends. An attempt cut short by the
// end of ctx is not recorded: it says nothing about the database.
func (p *Prober) Run(ctx context.Context) { p.RunUntil(ctx, nil) }

// RunUntil is Run that also stops after a recorded attempt for which stop
// (when not nil) reports true.
func (p *Prober) RunUntil(ctx context.Context, stop func(Attempt) bool) {
	for ctx.Err() == nil {
		started := p.opts.Clock.Now()
		a := p.attempt(ctx)
		if ctx.Err() != nil {
			return
		}
		p.record(a)
		if stop != nil && stop(a) {
			return
		}
		wait := p.opts.Interval - p.opts.Clock.Now().Sub(started)
		if wait > 0 {
			if p.opts.Clock.Sleep(ctx, wait) != nil {
				return
			}
		}
	}
}

// Attempts returns every attempt so far, in order.
func (p *Prober) Attempts() []Attempt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Attempt(nil), p.attempts...)
}

// Report returns the summary of every attempt so far.
func (p *Prober) Report() Report { return Summarize(p.Attempts(), p.opts.Interval) }

// ---- report ----

// Report is the applications' view of a run.
type Report struct {
	Attempts int           `json:"attempts"`
	Failed   int           `json:"failed"`
	Interval time.Duration `json:"interval_ns"`
	// LongestGap is the longest time between two successful probes with
	// failures between them (or from the first probe, if it failed): an
	// upper bound of the outage.
	LongestGap time.Duration `json:"longest_gap_ns"`
	// Outage is the longest run of failures, its ends placed half-way to
	// the neighbouring successes: within one interval of the real outage.
	Outage      time.Duration `json:"outage_ns"`
	OutageStart time.Time     `json:"outage_start,omitzero"`
	// FirstSuccessAfter is the first successful probe after the outage.
	FirstSuccessAfter time.Time `json:"first_success_after,omitzero"`
	// NewServer is the server version that answered after the outage when
	// it differs from the one before: the upgraded new primary.
	NewServer          string    `json:"new_server,omitempty"`
	FirstOnNewServer   time.Time `json:"first_on_new_server,omitzero"`
	LastError          string    `json:"last_error,omitempty"`
	StillFailingAtStop bool      `json:"still_failing_at_stop,omitempty"`
}

// Summarize folds attempts (in time order) into a Report.
func Summarize(attempts []Attempt, interval time.Duration) Report {
	r := Report{Attempts: len(attempts), Interval: interval}
	firstServer := ""
	var lastOK *Attempt
	runStart := -1 // index of the first failure of the current run
	for i := range attempts {
		a := &attempts[i]
		if !a.OK {
			r.Failed++
			r.LastError = a.Error
			if runStart < 0 {
				runStart = i
			}
			continue
		}
		if firstServer == "" {
			firstServer = a.Server
		} else if a.Server != "" && a.Server != firstServer && r.NewServer == "" {
			r.NewServer, r.FirstOnNewServer = a.Server, a.Time
		}
		if runStart >= 0 {
			first := attempts[runStart]
			last := attempts[i-1]
			gapFrom := first.Time
			outageFrom := first.Time
			if lastOK != nil {
				gapFrom = lastOK.Time
				outageFrom = lastOK.Time.Add(first.Time.Sub(lastOK.Time) / 2)
			}
			outageTo := last.Time.Add(a.Time.Sub(last.Time) / 2)
			if gap := a.Time.Sub(gapFrom); gap > r.LongestGap {
				r.LongestGap = gap
			}
			if d := outageTo.Sub(outageFrom); d > r.Outage {
				r.Outage, r.OutageStart, r.FirstSuccessAfter = d, outageFrom, a.Time
			}
			runStart = -1
		}
		lastOK = a
	}
	if runStart >= 0 {
		r.StillFailingAtStop = true
		from := attempts[runStart].Time
		if lastOK != nil {
			from = lastOK.Time
		}
		if gap := attempts[len(attempts)-1].Time.Sub(from); gap > r.LongestGap {
			r.LongestGap = gap
		}
	}
	return r
}

// String is the report in one line for the closing note.
func (r Report) String() string {
	if r.Attempts == 0 {
		return "probe: no attempt made"
	}
	s := fmt.Sprintf("probe: %d of %d SELECT 1 failed", r.Failed, r.Attempts)
	if r.Outage > 0 {
		s += fmt.Sprintf("; applications cut off for about %s (longest gap between answers %s)", r.Outage.Round(10*time.Millisecond), r.LongestGap.Round(10*time.Millisecond))
	}
	if r.NewServer != "" {
		s += fmt.Sprintf("; first answer from the new primary (%s) at %s", r.NewServer, r.FirstOnNewServer.UTC().Format("15:04:05.000"))
	}
	if r.StillFailingAtStop {
		s += "; STILL FAILING when the probe stopped"
	}
	return s
}
