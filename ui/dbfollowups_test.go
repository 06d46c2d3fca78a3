package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/rdsbg/rdsbg/steps"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
)

// A failing database row shows its SQL under the fix; a row that did not
// run is marked so, never as passed; the summary lists the ledger.
func TestDatabaseRowsAndFollowUps(t *testing.T) {
	st := newStyles(true)
	out := renderChecks(st, 100, []steps.CheckResult{
		{ID: "db-pg-publications", Title: "No self-managed publications", Status: steps.CheckFail, Explanation: "1 publication", Remediation: "DROP PUBLICATION cdc;", SQL: "SELECT pubname\nFROM pg_publication"},
		{ID: steps.CheckDatabase, Title: "Database checks", Status: steps.CheckNotRun, Explanation: "not run"},
	})
	if !strings.Contains(out, "SQL: SELECT pubname FROM pg_publication") || !strings.Contains(out, "– not run") || !strings.Contains(out, "Database checks") {
		t.Fatalf("%s", out)
	}
	f := steps.Finished{Source: "orders-db", DBLedger: &dbcheck.Ledger{Driver: dbcheck.DriverPostgres, Slots: []string{"debezium (pgoutput, database app)"}}}
	got := dbFollowUps(st, 100, f)
	if !strings.Contains(ansi.Strip(got), "Database follow-ups") || !strings.Contains(got, "logical slot debezium") || !strings.Contains(got, "AWS DMS tasks") {
		t.Fatalf("%s", got)
	}
}
