package clock

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Holder is a clock that callers can hold still while they do something
// that takes no time in the model, such as one HTTP request to the
// simulator: Events does not move while any hold is open.
type Holder interface {
	Hold() (release func())
}

// NowHolding reads c and, when c is a Holder, holds it at that instant in
// one step, so that nothing happens in the model between the reading and
// what the caller does with it. The release does nothing for other clocks.
func NowHolding(c Clock) (now time.Time, release func()) {
	if e, ok := c.(*Events); ok {
		return e.nowHolding()
	}
	if h, ok := c.(Holder); ok {
		r := h.Hold()
		return c.Now(), r
	}
	return c.Now(), func() {}
}

// Events is a virtual clock for many goroutines at once (a fleet of runs):
// Sleep blocks until the clock reaches its deadline, and the clock jumps to
// the earliest deadline once nothing has happened for a moment of wall
// time (settle) and no hold is open. Time therefore passes only while
// every goroutine waits on it, as if AWS's minutes passed and the work
// between them took none: requests take no model time (their attempts hold
// the clock, pace.go), and hours of AWS time cost only the CPU the work
// needs. Virtual, by contrast, moves by each sleeper's own delay, which
// only a single goroutine can use.
//
// A goroutine that computes for longer than settle without holding the
// clock may find it moved on meanwhile: it is then late, never early.
type Events struct {
	settle  time.Duration
	quantum time.Duration

	mu       sync.Mutex
	now      time.Time
	waiters  waiterHeap
	holds    int
	moves    int
	activity uint64
	kick     chan struct{}
	done     chan struct{}
	once     sync.Once
}

// NewEvents starts the clock at start; settle is the quiet wall time after
// which it moves (0 ⇒ 200µs). quantum lets one move wake every sleeper due
// within that much model time of the earliest, at the last of their
// deadlines (late by less than quantum, never early): fewer moves, each
// costing a settle of wall time. Close stops its driver.
func NewEvents(start time.Time, settle, quantum time.Duration) *Events {
	if settle <= 0 {
		settle = 200 * time.Microsecond
	}
	e := &Events{settle: settle, quantum: max(quantum, 0), now: start, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go e.drive()
	return e
}

// Close stops the clock: sleepers are left to their contexts.
func (e *Events) Close() { e.once.Do(func() { close(e.done) }) }

func (e *Events) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.activity++ // a reader is about to act: let it, before moving on
	return e.now
}

func (e *Events) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	w := &waiter{ch: make(chan struct{})}
	e.mu.Lock()
	w.at = e.now.Add(d)
	heap.Push(&e.waiters, w)
	e.activity++
	e.mu.Unlock()
	e.poke()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		e.mu.Lock()
		if w.index >= 0 {
			heap.Remove(&e.waiters, w.index)
		}
		e.activity++
		e.mu.Unlock()
		e.poke()
		return ctx.Err()
	}
}

// Hold keeps the clock still until release is called (once).
func (e *Events) Hold() (release func()) {
	_, release = e.nowHolding()
	return release
}

func (e *Events) nowHolding() (time.Time, func()) {
	e.mu.Lock()
	e.holds++
	e.activity++
	now := e.now
	e.mu.Unlock()
	var once sync.Once
	return now, func() {
		once.Do(func() {
			e.mu.Lock()
			e.holds--
			e.activity++
			e.mu.Unlock()
			e.poke()
		})
	}
}

func (e *Events) poke() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// drive moves the clock whenever everyone waits: after settle of quiet
// with no hold open, to the earliest deadline, waking every sleeper due.
func (e *Events) drive() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-e.kick:
		}
		for {
			e.mu.Lock()
			seen, idle := e.activity, e.holds == 0 && len(e.waiters) > 0
			e.mu.Unlock()
			if !idle {
				break
			}
			timer.Reset(e.settle)
			select {
			case <-e.done:
				return
			case <-timer.C:
			}
			e.mu.Lock()
			if e.activity != seen || e.holds != 0 || len(e.waiters) == 0 {
				e.mu.Unlock()
				continue
			}
			if next := e.waiters[0].at; next.After(e.now) {
				e.now = next
			}
			// The sleepers due within the quantum wake together, at the
			// last of their deadlines.
			horizon := e.now.Add(e.quantum)
			for _, w := range e.waiters {
				if !w.at.After(horizon) && w.at.After(e.now) {
					e.now = w.at
				}
			}
			for len(e.waiters) > 0 && !e.waiters[0].at.After(e.now) {
				w := heap.Pop(&e.waiters).(*waiter)
				close(w.ch)
			}
			e.activity++
			e.moves++
			e.mu.Unlock()
		}
	}
}

// Moves counts the clock's moves so far.
func (e *Events) Moves() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.moves
}

type waiter struct {
	at    time.Time
	ch    chan struct{}
	index int
}

type waiterHeap []*waiter

func (h waiterHeap) Len() int           { return len(h) }
func (h waiterHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h waiterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *waiterHeap) Push(x any)        { w := x.(*waiter); w.index = len(*h); *h = append(*h, w) }
func (h *waiterHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	w.index = -1
	return w
}
