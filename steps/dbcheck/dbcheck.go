// Package dbcheck looks inside the source database for what AWS's API
// cannot show and what makes blue/green deployments fail (issue 22): tables
// without a primary key, self-managed replication, extensions, replication
// capacity, long and prepared transactions, DDL while green replicates.
//
// It runs three kinds of reads, each through one read-only session with
// short timeouts and at most one connection open at a time:
//   - Preflight: the rule table (rules.go) for the engine and the
//     replication mode AWS will use, one row per rule;
//   - Watch: a fingerprint of blue's schema, read at a modest cadence while
//     green replicates logically, so DDL on blue is named at once (watch.go);
//   - Gates: the sessions and replication objects that would make the
//     switchover's guardrails refuse, read by the ready-check (gates.go).
//
// It never writes: every PostgreSQL session starts with
// default_transaction_read_only=on, every MySQL session with SET SESSION
// TRANSACTION READ ONLY. The password is never printed, and errors are
// scrubbed of it. This package does not import steps; steps imports it.
package dbcheck

import (
	"fmt"
	"strings"
	"time"
)

// Mode is the replication AWS uses from blue to green (rds-facts §4.1).
type Mode string

// The modes.
const (
	// ModeLogical: Aurora PostgreSQL always; RDS for PostgreSQL when a
	// major upgrade is asked for at creation on a new-enough source.
	ModeLogical Mode = "logical"
	// ModePhysical: RDS for PostgreSQL otherwise (storage-level copy).
	ModePhysical Mode = "physical"
	// ModeBinlog: the MySQL family (MySQL, MariaDB, Aurora MySQL).
	ModeBinlog Mode = "binlog"
)

// Scope is what the checks apply to: the RDS engine name (postgres,
// aurora-postgresql, mysql, mariadb, aurora-mysql) and the mode.
type Scope struct {
	Engine string `json:"engine"`
	Mode   Mode   `json:"mode"`
}

// Postgres reports a PostgreSQL engine (RDS or Aurora).
func (s Scope) Postgres() bool { return strings.Contains(s.Engine, "postgres") }

// Aurora reports an Aurora engine.
func (s Scope) Aurora() bool { return strings.HasPrefix(s.Engine, "aurora") }

// Driver is the driver the engine speaks: "postgres" or "mysql".
func (s Scope) Driver() string {
	if s.Postgres() {
		return DriverPostgres
	}
	return DriverMySQL
}

// String is "RDS for PostgreSQL, logical replication".
func (s Scope) String() string {
	names := map[string]string{"postgres": "RDS for PostgreSQL", "aurora-postgresql": "Aurora PostgreSQL", "mysql": "RDS for MySQL", "mariadb": "RDS for MariaDB", "aurora-mysql": "Aurora MySQL"}
	name := names[s.Engine]
	if name == "" {
		name = s.Engine
	}
	return fmt.Sprintf("%s, %s replication", name, s.Mode)
}

// Status is a row's outcome; the words are those of the preflight rows.
type Status string

// The outcomes. NotRun: the check could not be made (no credentials, no
// connection); it is never shown as passed.
const (
	Pass   Status = "pass"
	Warn   Status = "warn"
	Fail   Status = "fail"
	NotRun Status = "not-run"
)

// MaxFound caps the names a row carries; FoundTotal keeps the count.
const MaxFound = 20

// Row is one check's outcome, as a preflight row shows it.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Status      Status `json:"status"`
	Explanation string `json:"explanation"`
	Remediation string `json:"remediation,omitempty"`
	// SQL is what the check ran, so a DBA can run it by hand.
	SQL string `json:"sql,omitempty"`
	// Source is the AWS documentation the rule comes from.
	Source string `json:"source,omitempty"`
	// Found names what tripped the check (at most MaxFound), FoundTotal
	// counts all of it.
	Found      []string `json:"found,omitempty"`
	FoundTotal int      `json:"found_total,omitempty"`
}

// Report is a whole database preflight.
type Report struct {
	Scope Scope `json:"scope"`
	// Endpoint is where the checks connected ("proxy p1 (host:port)").
	Endpoint  string   `json:"endpoint,omitempty"`
	Databases []string `json:"databases,omitempty"`
	Rows      []Row    `json:"rows"`
	// Ledger is what dependants of blue must do after the switchover.
	Ledger Ledger `json:"ledger"`
	// Connected: a session was opened; without it Rows is one row.
	Connected bool `json:"connected"`
	// PeakConnections is the most connections open at once (always ≤ 1).
	PeakConnections int           `json:"peak_connections"`
	Elapsed         time.Duration `json:"elapsed_ns"`
}

// capFound fills Found and FoundTotal from names.
func (r *Row) capFound(names []string) {
	r.FoundTotal = len(names)
	if len(names) > MaxFound {
		names = names[:MaxFound]
	}
	r.Found = append([]string(nil), names...)
}

// listed is "a, b, c and 17 more" for an explanation (at most five names).
func listed(names []string) string {
	const show = 5
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:show], ", "), len(names)-show)
}
