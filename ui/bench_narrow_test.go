package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// BenchmarkViewCriticalNewProgress80: the frame after a poll at 80×24,
// where the 20 members and 51 proxy targets take the narrow layouts
// (table_fit.go): the table is measured once more to learn it does not
// fit, then drawn blocked by proxy.
func BenchmarkViewCriticalNewProgress80(b *testing.B) {
	bw := criticalFrame(b)
	bw.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	bw.send(eventMsg{event: criticalProgress(63 * time.Second)})
	if v := ansi.Strip(bw.w.render()); !strings.Contains(v, "PROXY-LESS") {
		b.Fatalf("not the critical section:\n%s", v)
	}
	b.ReportAllocs()
	at := 64 * time.Second
	for b.Loop() {
		at += time.Second
		bw.send(eventMsg{event: criticalProgress(at)})
		_ = bw.w.View()
	}
}
