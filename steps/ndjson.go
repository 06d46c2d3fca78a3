package steps

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
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
			fmt.Fprintf(w, "%s %s\n", ev.Time.UTC().Format("15:04:05"), line)
		}
	}
}
