package contract

import (
	"syscall"
	"testing"
)

// brokenPipe is stdout whose reader went away.
type brokenPipe struct{ writes int }

func (b *brokenPipe) Write(p []byte) (int, error) {
	b.writes++
	return 0, syscall.EPIPE
}

// After EPIPE the sinks stop writing (and never panic or block): the run
// goes on with the journal as its record.
func TestSinksStopWritingAfterEPIPE(t *testing.T) {
	for name, mk := range map[string]func(w *brokenPipe) Sink{
		"json": func(w *brokenPipe) Sink { return NewNDJSONSink(w) },
		"text": func(w *brokenPipe) Sink { return NewTextSink(w) },
	} {
		w := &brokenPipe{}
		sink := mk(w)
		for i := 0; i < 10; i++ {
			sink(Event{Type: EventNotice, Message: "going on"})
		}
		if w.writes != 1 {
			t.Errorf("%s sink wrote %d times to a broken pipe, want 1", name, w.writes)
		}
	}
}
