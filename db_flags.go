package main

import (
	"github.com/spf13/pflag"

	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
)

// addDBFlags adds the database checks' flags (issue 22, steps/dbchecks.go)
// to every command that prepares or runs a plan.
func addDBFlags(f *pflag.FlagSet, d *steps.DBOptions) {
	f.StringVar(&d.DSN, "db-dsn", "", "connection string for the read-only database checks (never echoed; prefer "+steps.EnvDBDSN+": a flag is visible to other users in ps)")
	f.StringVar(&d.IAMUser, "db-iam-user", "", "database user for the checks, logging in with an IAM authentication token (needs rds-db:connect)")
	f.StringVar(&d.Credentials, "db-credentials", "", "proxy-secret: the checks log in with the Secrets Manager secret the proxy itself uses (needs secretsmanager:GetSecretValue)")
	f.StringVar(&d.Endpoint, "db-endpoint", "", "where the checks connect: proxy (the default when a proxy targets the source) or blue (its own endpoint)")
	f.BoolVar(&d.Require, "require-db-checks", false, "block the run when the database checks cannot run (no credentials, no connection)")
	f.DurationVar(&d.MaxTransactionAge, "max-transaction-age", dbcheck.DefaultMaxTransactionAge, "the ready-check waits while a transaction on blue is open longer than this")
}
