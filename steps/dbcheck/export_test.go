package dbcheck

import (
	"github.com/rdsbg/rdsbg/steps/dbcheck/mariadbtest"
	"github.com/rdsbg/rdsbg/steps/probe/pgtest"
)

// For the end-to-end tests (e2e_test.go, package dbcheck_test): the
// servers TestMain started, shared by the whole test binary.
var (
	SharedPostgres         = func() *pgtest.Server { return pgServer }
	SharedMariaDB          = func() *mariadbtest.Server { return myServer }
	SharedPostgresPassword = pgPassword
)
