package fleet

import (
	"os"
	"strings"
	"testing"
)

// TestFleetEventsAreDocumented keeps docs/events.md true for the fleet's
// own event types and the rdsbg:fleet tag.
func TestFleetEventsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{string(EventWaveStarted), string(EventWaveFinished), string(EventDatabase), string(EventHalted), string(EventBake), string(EventFleetFinished), "rdsbg:fleet"} {
		if !strings.Contains(string(doc), "`"+typ+"`") {
			t.Errorf("docs/events.md does not document %s", typ)
		}
	}
}
