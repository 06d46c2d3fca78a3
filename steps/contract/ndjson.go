package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/rdsbg/rdsbg/awsclient"
)

// NewNDJSONSink writes one JSON event per line (--output json). Writes are
// serialised: api-call events arrive from the AWS client's goroutine.
func NewNDJSONSink(w io.Writer) Sink {
	w = newStickyWriter(w)
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(ev)
	}
}

// NewTextSink writes human-readable lines (--output text, plain mode).
// Progress is printed only when what it shows changes, so a four-hour wait
// does not flood the terminal.
func NewTextSink(w io.Writer) Sink {
	w = newStickyWriter(w)
	var mu sync.Mutex
	lastProgress := map[StepID]string{}
	return func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		line := EventLine(ev) // eventtext.go
		if ev.Type == EventProgress {
			if lastProgress[ev.Step] == line {
				return
			}
			lastProgress[ev.Step] = line
		}
		if line != "" {
			// Identifiers from the command line reach events too: never
			// print them raw (issue 20, B3).
			fmt.Fprintf(w, "%s %s\n", ev.Time.UTC().Format("15:04:05"), sanitizeLines(line))
		}
	}
}

// sanitizeLines escapes terminal control in each line of s, keeping the
// line breaks rdsbg writes itself.
func sanitizeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = awsclient.Sanitize(l)
	}
	return strings.Join(lines, "\n")
}
