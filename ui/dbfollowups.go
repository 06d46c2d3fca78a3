package ui

import (
	"strings"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// dbFollowUps is the summary's block of what the database's dependants
// must do after the switchover (steps.Finished.DBFollowUpLines): kept in
// its own function so the summary's other blocks stay as they are.
func dbFollowUps(st Styles, width int, f contract.Finished) string {
	lines := f.DBFollowUpLines()
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n" + st.Heading.Render("Database follow-ups") + "\n")
	for _, l := range lines {
		b.WriteString(wrap(width, "  "+l) + "\n")
	}
	return b.String()
}
