package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
)

// A failing database row shows its SQL under the fix; a row that did not
// run is marked so, never as passed; the summary lists the ledger.
func TestDatabaseRowsAndFollowUps(t *testing.T) {
	st := newStyles(true)
	out := renderChecks(st, 100, []contract.CheckResult{
		{ID: "db-pg-publications", Title: "No self-managed publications", Status: contract.CheckFail, Explanation: "1 publication", Remediation: "DROP PUBLICATION cdc;", SQL: "SELECT pubname\nFROM pg_publication"},
		{ID: contract.CheckDatabase, Title: "Database checks", Status: contract.CheckNotRun, Explanation: "not run"},
	})
	if !strings.Contains(out, "SQL: SELECT pubname FROM pg_publication") || !strings.Contains(out, "– not run") || !strings.Contains(out, "Database checks") {
		t.Fatalf("%s", out)
	}
	f := contract.Finished{Source: "orders-db", DBLedger: &dbcheck.Ledger{Driver: dbcheck.DriverPostgres, Slots: []string{"debezium (pgoutput, database app)"}}}
	got := dbFollowUps(st, 100, f)
	if !strings.Contains(ansi.Strip(got), "Database follow-ups") || !strings.Contains(got, "logical slot debezium") || !strings.Contains(got, "AWS DMS tasks") {
		t.Fatalf("%s", got)
	}
}
