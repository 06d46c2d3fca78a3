package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/rdsbg/rdsbg/steps/contract"
)

// TextSink writes the fleet's stream as plain lines, each carrying the
// fleet id and, for a run's event, its source:
//
//	22:03:10 fleet=fleet-20261121-a1b2c3 source=pg-001 step create-deployment done
//
// A progress line is printed only when what it says changes for that
// source and step, so two hundred waits do not flood the terminal.
func TextSink(w io.Writer) func(Update) {
	var mu sync.Mutex
	last := map[string]string{}
	return func(u Update) {
		ev := u.Event
		line := ""
		if isFleetEvent(ev.Type) {
			line = ev.Message
			if ev.Type == EventDatabase && !strings.HasPrefix(ev.Message, StateFailed) && ev.Message != StateHeld {
				return // the run's own lines say it
			}
		} else {
			line = contract.EventLine(ev)
		}
		if line == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if ev.Type == contract.EventProgress {
			k := ev.Source + "\x00" + string(ev.Step)
			if last[k] == line {
				return
			}
			last[k] = line
		}
		prefix := "fleet=" + ev.Fleet
		if ev.Source != "" {
			prefix += " source=" + ev.Source
		}
		for _, l := range strings.Split(strings.TrimRight(line, "\n"), "\n") {
			fmt.Fprintf(w, "%s %s %s\n", ev.Time.UTC().Format("15:04:05"), prefix, l)
		}
	}
}

// NDJSONSink writes every event as one JSON line with its source and
// fleet fields (docs/events.md).
func NDJSONSink(w io.Writer) func(Update) {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return func(u Update) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(u.Event)
	}
}

func isFleetEvent(t contract.EventType) bool {
	switch t {
	case EventWaveStarted, EventWaveFinished, EventDatabase, EventHalted, EventBake, EventFleetFinished:
		return true
	}
	return false
}
