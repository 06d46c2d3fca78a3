// Package clock is the one source of time shared by the AWS client layer, the
// simulator and the step engine. Tests use a virtual clock so that a
// 30-minute provisioning wait costs no wall time; the demo uses a scaled
// clock so that the simulator and the engine agree on how fast time runs.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits. Sleep returns early with ctx.Err() when
// the context ends.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock.
type Real struct{}

func (Real) Now() time.Time { return time.Now() }

func (Real) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Virtual is a clock that only moves when someone sleeps on it or calls
// Advance. Sleep advances the clock by d at once, so a single-threaded engine
// run against the simulator finishes in microseconds of wall time while every
// timestamp stays consistent.
type Virtual struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtual starts a virtual clock at start.
func NewVirtual(start time.Time) *Virtual { return &Virtual{now: start} }

func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Advance moves the clock forward by d (negative values are ignored).
func (v *Virtual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	v.mu.Lock()
	v.now = v.now.Add(d)
	v.mu.Unlock()
}

func (v *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v.Advance(d)
	return nil
}

// Scaled runs speed times faster than the wall clock from the moment it is
// made: at speed 30 a 15-minute provisioning wait takes 30 s to watch.
type Scaled struct {
	origin time.Time // wall time when the clock was made
	speed  float64
}

// NewScaled returns a clock running speed times faster than real time.
// Speeds at or below zero mean real time.
func NewScaled(speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	return &Scaled{origin: time.Now(), speed: speed}
}

// Speed is the factor by which this clock outruns the wall clock.
func (s *Scaled) Speed() float64 { return s.speed }

func (s *Scaled) Now() time.Time {
	elapsed := time.Since(s.origin)
	return s.origin.Add(time.Duration(float64(elapsed) * s.speed))
}

func (s *Scaled) Sleep(ctx context.Context, d time.Duration) error {
	return Real{}.Sleep(ctx, time.Duration(float64(d)/s.speed))
}

// Wall is the wall clock beside a Scaled one: the time of a caller that
// runs in real time (a wizard without --time-scale) while a simulator runs
// on s. ModelAt and CallerAt translate between the two.
type Wall struct{ s *Scaled }

// Wall returns the wall clock s was made from.
func (s *Scaled) Wall() Wall { return Wall{s: s} }

// Now is the wall clock's time.
func (Wall) Now() time.Time { return time.Now() }

// ModelAt is what s read when the wall clock read t.
func (w Wall) ModelAt(t time.Time) time.Time {
	return w.s.origin.Add(time.Duration(float64(t.Sub(w.s.origin)) * w.s.speed))
}

// CallerAt is what the wall clock read when s read m.
func (w Wall) CallerAt(m time.Time) time.Time {
	return w.s.origin.Add(time.Duration(float64(m.Sub(w.s.origin)) / w.s.speed))
}

// Speed is how many model seconds pass per wall second.
func (w Wall) Speed() float64 { return w.s.speed }
