package steps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// TestEventsDocIsTrue keeps docs/events.md honest: every event type the
// engine emits has a section, and every example line decodes into Event
// with no unknown field (a renamed field would leave a stale example).
func TestEventsDocIsTrue(t *testing.T) {
	doc, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []contract.EventType{contract.EventRunStarted, contract.EventPreflight, contract.EventPlanReady, contract.EventApproval, contract.EventApproved,
		contract.EventStepStarted, contract.EventStepSkipped, contract.EventProgress, contract.EventAPICall, contract.EventStepDone, contract.EventStepFailed,
		contract.EventNotice, contract.EventCompensation, contract.EventRunFinished, contract.EventProxyTraffic} {
		if !bytes.Contains(doc, []byte(string(typ))) || !headed(doc, string(typ)) {
			t.Errorf("docs/events.md has no section for %s", typ)
		}
	}
	examples := 0
	sc := bufio.NewScanner(bytes.NewReader(doc))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		examples++
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var ev contract.Event
		if err := dec.Decode(&ev); err != nil {
			t.Errorf("example does not decode as an Event (%v):\n%s", err, line)
			continue
		}
		if ev.Type == "" || ev.Time.IsZero() {
			t.Errorf("example lacks type or time: %s", line)
		}
	}
	if examples < 10 {
		t.Fatalf("found %d examples in docs/events.md, expected one per event type", examples)
	}
}

// headed reports whether typ is named in a "## " heading of the doc.
func headed(doc []byte, typ string) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "## ") && strings.Contains(line, typ) {
			return true
		}
	}
	return false
}
