package ui

import (
	"strings"
	"testing"
)

// The rail's expectations name public sources or none: the team's own
// notes and their tags do not ship (walkthrough D17). The switchover is
// today's (seconds), registration a measured range.
func TestExpectationsCiteNoInternalDocument(t *testing.T) {
	for id, e := range expectedOnAWS {
		for _, internal := range []string{"rds-facts", "CNLAB", "SHINYAZ", "design.md", "§"} {
			if strings.Contains(e.source, internal) || strings.Contains(e.short, internal) {
				t.Errorf("%s cites %q: %+v", id, internal, e)
			}
		}
	}
	if e := expectedOnAWS["switchover"]; e.short != "< 5 s" {
		t.Errorf("switchover expectation %+v", e)
	}
	if e := expectedOnAWS["attach-proxy-blue"]; !strings.Contains(e.source, "5–7 min") || !strings.Contains(e.source, "measured twice") {
		t.Errorf("registration expectation %+v", e)
	}
}
