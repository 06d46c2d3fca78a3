package steps

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
	"github.com/rdsbg/rdsbg/steps/journal"
)

// The database checks' logins appear in the policy when the flags ask for
// them: the proxy's own secret (scoped to its ARN) and the IAM login.
func TestPolicyListsTheDatabaseChecksLogins(t *testing.T) {
	secret := policyFor(t, policyCase{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeDetach, DB: contract.DBOptions{Credentials: contract.DBCredentialsProxySecret}}, false})
	iam := policyFor(t, policyCase{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeDetach, DB: contract.DBOptions{IAMUser: "checker"}}, false})
	none := policyFor(t, policyCase{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeDetach}, false})
	find := func(p PolicyDocument, action string) *PolicyStatement {
		for i, s := range p.Statement {
			if slices.Contains(s.Action, action) {
				return &p.Statement[i]
			}
		}
		return nil
	}
	s := find(secret, "secretsmanager:GetSecretValue")
	if s == nil || len(s.Resource) != 1 || !strings.HasPrefix(s.Resource[0], "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-proxy-db-credentials-") {
		t.Fatalf("proxy secret statement %+v", s)
	}
	c := find(iam, "rds-db:connect")
	if c == nil || c.Resource[0] != "arn:aws:rds-db:us-east-1:123456789012:dbuser:*/checker" || slices.Contains(iam.MutatingActions(), "rds-db:connect") {
		t.Fatalf("IAM login statement %+v", c)
	}
	if find(none, "secretsmanager:GetSecretValue") != nil || find(none, "rds-db:connect") != nil {
		t.Fatal("the database logins are listed without the flags that ask for them")
	}
}

func TestDBOptionsNeverShowTheDSN(t *testing.T) {
	o := contract.Options{Source: "orders-db", DB: contract.DBOptions{DSN: "postgres://app:hunter2@h/db"}}
	for _, s := range []string{o.DB.String(), o.DB.GoString()} {
		if strings.Contains(s, "hunter2") {
			t.Fatalf("%q", s)
		}
	}
	if b, err := json.Marshal(o); err != nil || strings.Contains(string(b), "hunter2") {
		t.Fatalf("journalled options hold the DSN: %s", b)
	}
}

// Bad database input is refused before any AWS call (exit 2).
func TestValidateDBOptions(t *testing.T) {
	for _, c := range []struct {
		db    contract.DBOptions
		input string
		says  string
	}{
		{contract.DBOptions{Endpoint: "replica"}, "--db-endpoint", "use proxy (the default) or blue"},
		{contract.DBOptions{Credentials: "vault"}, "--db-credentials", "use proxy-secret"},
		{contract.DBOptions{DSN: "postgres://a:b@h/db", IAMUser: "x"}, "--db-dsn", "one source of credentials"},
		{contract.DBOptions{Require: true}, "--require-db-checks", "needs credentials"},
		{contract.DBOptions{DSN: "nonsense-dsn"}, "--db-dsn", "want a postgres://"},
		{contract.DBOptions{DSN: "postgres://a:b@orders-db.cluster-ro-abc.us-east-1.rds.amazonaws.com/db"}, "--db-dsn", "a reader endpoint"},
		{contract.DBOptions{DSN: "postgres://a:b@billing-db.abcdefghijkl.us-east-1.rds.amazonaws.com/db"}, "--db-dsn", "the endpoint of billing-db"},
	} {
		err := contract.ValidateOptions(contract.Options{Source: "orders-db", DB: c.db})
		in, ok := err.(*contract.InputError)
		if !ok || in.Input != c.input || !strings.Contains(in.Message, c.says) || ExitCode(err) != contract.ExitUsage || strings.Contains(in.Message, ":b@") {
			t.Errorf("%+v: %v", c.db, err)
		}
	}
	for _, ok := range []string{"postgres://a:b@orders-db.abcdefghijkl.us-east-1.rds.amazonaws.com/db", "postgres://a:b@orders-proxy.proxy-abc.us-east-1.rds.amazonaws.com/db", "user=a password=b dbname=postgres"} {
		if err := contract.ValidateOptions(contract.Options{Source: "orders-db", DB: contract.DBOptions{DSN: ok}}); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
}

// The ledger is journalled, so a run resumed in another process still has
// what the first one saw.
func TestDBLedgerSurvivesInTheJournal(t *testing.T) {
	l := dbcheck.Ledger{Driver: dbcheck.DriverPostgres, Slots: []string{"debezium (pgoutput, database app)"}}
	s := journal.Fold([]journal.Record{{Kind: journal.RecordRunStarted, Source: "orders-db"}, {Kind: journal.RecordDBLedger, DBLedger: &l}})
	if s.DBLedger == nil || !slices.Equal(s.DBLedger.Slots, l.Slots) {
		t.Fatalf("%+v", s.DBLedger)
	}
	r := &run{prior: s}
	f := contract.Finished{Source: "orders-db", ProxyState: contract.ProxyOnNewPrimary, Renames: map[string]string{"orders-db": "orders-db-old1"}}
	r.dbFinish(&f)
	if lines := f.DBFollowUpLines(); len(lines) != 2 || !strings.Contains(lines[0], "logical slot debezium") {
		t.Fatalf("%q", lines)
	}
	// Before a switchover there is no ledger in the summary.
	f = contract.Finished{Source: "orders-db", ProxyState: contract.ProxyOnBlue}
	r.dbFinish(&f)
	if f.DBLedger != nil {
		t.Fatal("a ledger before the switchover")
	}
}

// Under the printed policy the proxy secret's read is allowed; under the
// same policy without --db-credentials it is refused, and the row names
// the permission (the checks cannot connect: not run, the run goes on).
func TestProxySecretUnderThePrintedPolicy(t *testing.T) {
	withSecret := policyCase{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeDetach, DB: contract.DBOptions{Credentials: contract.DBCredentialsProxySecret}}, false}
	without := policyCase{sim.ScenarioRDSPostgresLegacy, "orders-db", contract.Options{ProxyMode: contract.ProxyModeDetach}, false}
	for _, c := range []struct {
		policy PolicyDocument
		denied bool
	}{{policyFor(t, withSecret), false}, {policyFor(t, without), true}} {
		// The proxy's endpoint is a loopback relay to a closed port: the
		// checks' connection never leaves this machine (no DNS either).
		env := newSimEnvWith(t, sim.Options{Scenario: sim.ScenarioRDSPostgresLegacy, Faults: []sim.Fault{{Policy: json.RawMessage(c.policy.JSON())}},
			ProxyForwardTo: map[string]string{"orders-proxy": "127.0.0.1:1"}})
		o := withSecret.opts
		o.Source = "orders-db"
		prep, err := Prepare(context.Background(), env.api, o, env.clock.Now, WithPreflight)
		if err != nil {
			t.Fatal(err)
		}
		var row *contract.CheckResult
		for i, ch := range prep.Checks {
			if ch.ID == contract.CheckDatabase || ch.ID == dbcheck.RowConnection {
				row = &prep.Checks[i]
			}
		}
		denied := row != nil && row.ID == contract.CheckDatabase && strings.Contains(row.Explanation, "AccessDenied") && strings.Contains(row.Remediation, "secretsmanager:GetSecretValue")
		// Allowed: the secret is read and the checks try to connect (no
		// database behind the relay: the connection row, naming the proxy).
		connected := row != nil && row.ID == dbcheck.RowConnection && strings.Contains(row.Explanation, "proxy orders-proxy as dbadmin@127.0.0.1")
		if denied != c.denied || connected == c.denied || row == nil {
			t.Fatalf("denied %v, want %v: %+v", denied, c.denied, row)
		}
		env.assertNoMutations(t)
	}
}
