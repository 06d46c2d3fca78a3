package contract

import (
	"fmt"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/steps/dbcheck"
)

// EnvDBDSN holds the database checks' DSN, out of shell history and ps.
const EnvDBDSN = "RDSBG_DB_DSN"

// CheckDatabase is the row of database checks that could not run.
const CheckDatabase = "db-checks"

// Where the checks connect, and the credentials source.
const (
	DBEndpointProxy          = "proxy"
	DBEndpointBlue           = "blue"
	DBCredentialsProxySecret = "proxy-secret"
)

// DBOptions are the database checks' settings. DSN holds a password: it
// is never journalled (json:"-") and String never shows it.
type DBOptions struct {
	DSN string `json:"-"`
	// DSNFrom is the input the DSN came from (--db-dsn or RDSBG_DB_DSN):
	// a message about the DSN names the one the operator used.
	DSNFrom     string `json:"-"`
	IAMUser     string `json:"iam_user,omitempty"`
	Credentials string `json:"credentials,omitempty"` // "" or proxy-secret
	Endpoint    string `json:"endpoint,omitempty"`    // proxy (default) or blue
	// Require: a run whose database checks cannot run is blocked.
	Require bool `json:"require,omitempty"`
	// MaxTransactionAge: the ready-check holds on transactions open
	// longer (0 ⇒ dbcheck.DefaultMaxTransactionAge).
	MaxTransactionAge time.Duration `json:"max_transaction_age_ns,omitempty"`
}

// String never shows the DSN.
func (d DBOptions) String() string {
	dsn := ""
	if d.DSN != "" {
		dsn = "dsn=*** "
	}
	return fmt.Sprintf("{%siam_user=%s credentials=%s endpoint=%s require=%v}", dsn, d.IAMUser, d.Credentials, d.Endpoint, d.Require)
}

// GoString keeps %#v from showing the DSN too.
func (d DBOptions) GoString() string { return "contract.DBOptions" + d.String() }

// DSNInput names the DSN's input in messages: DSNFrom, or both names when
// the caller did not say (a library caller setting DSN directly).
func (d DBOptions) DSNInput() string {
	if d.DSNFrom != "" {
		return d.DSNFrom
	}
	return EnvDBDSN + " (or --db-dsn)"
}

// DSNFlag is the InputError's Input for a DSN refusal.
func (d DBOptions) DSNFlag() string {
	if d.DSNFrom != "" {
		return d.DSNFrom
	}
	return "--db-dsn"
}

// Enabled: some credentials were given.
func (d DBOptions) Enabled() bool { return d.DSN != "" || d.IAMUser != "" || d.Credentials != "" }

// TransactionAgeLimit is MaxTransactionAge with its default.
func (d DBOptions) TransactionAgeLimit() time.Duration {
	if d.MaxTransactionAge > 0 {
		return d.MaxTransactionAge
	}
	return dbcheck.DefaultMaxTransactionAge
}

// validateDBOptions checks the database flags before any AWS call. A DSN
// that names an RDS host of another database than the source (and not a
// proxy) is refused here; one naming another host is refused once the
// source's endpoints are known (resolveDBTarget), still before any change.
func validateDBOptions(o Options) error {
	d := o.DB
	switch d.Endpoint {
	case "", DBEndpointProxy, DBEndpointBlue:
	default:
		return UsageError("--db-endpoint", "--db-endpoint %q is unknown: use proxy (the default) or blue", d.Endpoint)
	}
	switch d.Credentials {
	case "", DBCredentialsProxySecret:
	default:
		return UsageError("--db-credentials", "--db-credentials %q is unknown: use proxy-secret (the secret the proxy itself uses), or give a DSN in %s", d.Credentials, EnvDBDSN)
	}
	given := 0
	for _, s := range []string{d.DSN, d.IAMUser, d.Credentials} {
		if s != "" {
			given++
		}
	}
	if given > 1 {
		return UsageError("--db-dsn", "the database checks take one source of credentials: %s (or --db-dsn), --db-iam-user or --db-credentials proxy-secret; %d were given", EnvDBDSN, given)
	}
	if d.Require && given == 0 {
		return UsageError("--require-db-checks", "--require-db-checks needs credentials for the database checks: export %s='postgres://user:password@host:5432/postgres', or pass --db-iam-user NAME or --db-credentials proxy-secret", EnvDBDSN)
	}
	if d.MaxTransactionAge < 0 {
		return UsageError("--max-transaction-age", "--max-transaction-age %s is negative: pass a duration such as 60s (the default)", d.MaxTransactionAge)
	}
	if d.DSN == "" {
		return nil
	}
	t, err := dbcheck.ParseDSN(d.DSN)
	if err != nil {
		return UsageError(d.DSNFlag(), "%s: %v", d.DSNInput(), err)
	}
	if t.HasHost() {
		if other := otherRDSHost(t.Host, o.Source); other != "" {
			return UsageError(d.DSNFlag(), "%s names host %s, which is %s, not the source %s or its proxy: the checks read only the database being changed. Leave the host out of the DSN (rdsbg then connects through the proxy, or to blue with --db-endpoint blue), or name %s's endpoint", d.DSNInput(), t.Host, other, o.Source, o.Source)
		}
	}
	return nil
}

// otherRDSHost: for an RDS endpoint name (<id>.<hash>.<region>.rds.amazonaws.com,
// <id>.cluster-<hash>…, <name>.proxy-<hash>…) that cannot be the source's
// writer or a proxy, what it is; "" when it may be (or is not an RDS name:
// that is checked against the live endpoints).
func otherRDSHost(host, source string) string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.HasSuffix(h, ".rds.amazonaws.com") {
		return ""
	}
	labels := strings.Split(h, ".")
	if len(labels) < 5 {
		return ""
	}
	id, kind := labels[0], labels[1]
	src := strings.ToLower(source)
	if i := strings.LastIndex(src, ":"); i >= 0 && strings.HasPrefix(src, "arn:") {
		src = src[i+1:]
	}
	switch {
	case strings.HasPrefix(kind, "proxy-"):
		return "" // a proxy: which one is checked against the live list
	case strings.HasPrefix(kind, "cluster-ro-"):
		return "a reader endpoint (it reaches a replica, not the writer)"
	case strings.HasPrefix(kind, "cluster-custom-"):
		return "a custom endpoint (it may reach a replica, not the writer)"
	case id != src:
		return "the endpoint of " + id
	}
	return ""
}
