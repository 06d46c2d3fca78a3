package clock

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

var eventsT0 = time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC)

func (e *Events) sleepers() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.waiters)
}

func TestEventsWakesASleeperAtItsDeadline(t *testing.T) {
	e := NewEvents(eventsT0, 20*time.Microsecond, 0)
	defer e.Close()
	for _, d := range []time.Duration{time.Second, 30 * time.Minute, 3 * time.Hour} {
		start := e.Now()
		if err := e.Sleep(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		// The one goroutine waited: nothing else can move the clock.
		if got := e.Now().Sub(start); got != d {
			t.Fatalf("slept %v for %v", got, d)
		}
	}
}

// Many sleepers: each wakes at or after its own deadline (a woken
// goroutine that is slow to run may find the clock moved on: late, never
// early), and the clock ends at the last deadline, not beyond.
func TestEventsWakesManySleepersNeverEarly(t *testing.T) {
	e := NewEvents(eventsT0, 20*time.Microsecond, 0)
	defer e.Close()
	var wg sync.WaitGroup
	release := e.Hold() // until every sleeper waits
	ds := []time.Duration{3 * time.Hour, time.Second, 30 * time.Minute, time.Minute}
	for _, d := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Sleep(context.Background(), d); err != nil {
				t.Error(err)
			}
			if got := e.Now().Sub(eventsT0); got < d {
				t.Errorf("woke at %v, before its deadline %v", got, d)
			}
		}()
	}
	for e.sleepers() < len(ds) {
		runtime.Gosched()
	}
	release()
	wg.Wait()
	if got := e.Now().Sub(eventsT0); got != 3*time.Hour {
		t.Fatalf("the clock ended at %v, want the last deadline, 3h", got)
	}
}

func TestEventsStandsStillWhileHeld(t *testing.T) {
	e := NewEvents(eventsT0, 20*time.Microsecond, 0)
	defer e.Close()
	now, release := NowHolding(e)
	woke := make(chan time.Time, 1)
	go func() {
		_ = e.Sleep(context.Background(), time.Minute)
		woke <- e.Now()
	}()
	for e.sleepers() == 0 {
		runtime.Gosched()
	}
	// The sleeper waits; only the hold keeps the clock from moving. Give
	// the driver many chances to move it wrongly.
	for i := 0; i < 1000; i++ {
		runtime.Gosched()
	}
	if got := e.Now(); !got.Equal(now) || len(woke) != 0 {
		t.Fatalf("the clock moved to %s while held at %s", got, now)
	}
	release()
	if got := <-woke; !got.Equal(now.Add(time.Minute)) {
		t.Fatalf("woke at %s, want a minute after the hold", got)
	}
}

func TestEventsQuantumWakesLateNeverEarly(t *testing.T) {
	e := NewEvents(eventsT0, 20*time.Microsecond, time.Second)
	defer e.Close()
	var wg sync.WaitGroup
	start := e.Now()
	release := e.Hold()
	for _, d := range []time.Duration{10 * time.Second, 10*time.Second + 400*time.Millisecond} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = e.Sleep(context.Background(), d)
			if got := e.Now().Sub(start); got < d || got > d+time.Second {
				t.Errorf("slept %v for %v: late by less than the quantum, never early", got, d)
			}
		}()
	}
	for e.sleepers() < 2 {
		runtime.Gosched()
	}
	release()
	wg.Wait()
}

func TestEventsSleepEndsWithItsContext(t *testing.T) {
	e := NewEvents(eventsT0, 20*time.Microsecond, 0)
	defer e.Close()
	release := e.Hold() // the clock cannot reach the deadline
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.Sleep(ctx, time.Hour) }()
	for e.sleepers() == 0 {
		runtime.Gosched()
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("Sleep returned %v, want context.Canceled", err)
	}
	if n := e.sleepers(); n != 0 {
		t.Fatalf("%d sleepers left after the cancel", n)
	}
}
