package clock

import (
	"context"
	"testing"
	"time"
)

func TestVirtualSleepAdvancesAtOnce(t *testing.T) {
	start := time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	if err := v.Sleep(context.Background(), 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := v.Now().Sub(start); got != 15*time.Minute {
		t.Fatalf("after Sleep(15m) the clock moved %v", got)
	}
	v.Advance(-time.Hour)
	if got := v.Now().Sub(start); got != 15*time.Minute {
		t.Fatalf("a negative Advance moved the clock to %v", got)
	}
}

func TestVirtualSleepHonoursCancelledContext(t *testing.T) {
	start := time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Sleep(ctx, time.Minute); err == nil {
		t.Fatal("Sleep on a cancelled context returned nil")
	}
	if !v.Now().Equal(start) {
		t.Fatal("a cancelled Sleep moved the clock")
	}
}

func TestScaledSleepDividesBySpeed(t *testing.T) {
	s := NewScaled(1e6)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Cancelled: returns at once whatever the duration.
	if err := s.Sleep(ctx, time.Hour); err == nil {
		t.Fatal("Sleep on a cancelled context returned nil")
	}
	if NewScaled(0).Speed() != 1 {
		t.Fatal("speed 0 must mean real time")
	}
	before := s.Now()
	if err := s.Sleep(context.Background(), time.Second); err != nil { // 1 µs of wall time
		t.Fatal(err)
	}
	if !s.Now().After(before) {
		t.Fatal("a scaled clock did not move forward")
	}
}

// Wall translates between the wall clock and a Scaled one made from it:
// 10 wall seconds after the origin are 300 model seconds at speed 30.
func TestWallTranslatesToAndFromTheScaledClock(t *testing.T) {
	s := NewScaled(30)
	w := s.Wall()
	at := s.origin.Add(10 * time.Second)
	if got := w.ModelAt(at); !got.Equal(s.origin.Add(300 * time.Second)) {
		t.Fatalf("ModelAt: %v after the origin", got.Sub(s.origin))
	}
	if got := w.CallerAt(w.ModelAt(at)); !got.Equal(at) {
		t.Fatalf("CallerAt(ModelAt(t)) = %v, want t", got.Sub(at))
	}
	if w.Speed() != 30 {
		t.Fatalf("speed %v", w.Speed())
	}
}
