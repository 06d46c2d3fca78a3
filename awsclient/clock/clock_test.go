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
