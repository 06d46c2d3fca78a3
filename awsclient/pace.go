package awsclient

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// MaxRequestsPerSecond caps the RDS and STS HTTP requests one Client
// starts within any rolling second (its CloudWatch requests are paced
// apart, with the same ceilings: client.go). RDS allows an account 12
// requests/s sustained, shared with the console, the CLI and every other
// tool in the account (rds-facts §7): rdsbg's polls are far below that on
// average, but discovery, preflight and the steps' observe-then-apply reads
// come back to back and, at tens of milliseconds per call, would burst to
// 20/s. Eight leaves a third of the account's rate to everyone else and
// still lets the critical section's largest burst (five calls) through
// without delay.
const MaxRequestsPerSecond = 8

// MaxUrgentRequestsPerSecond is the ceiling for calls marked Urgent: those
// made while applications have no proxy. Waiting for the pacer there would
// lengthen the outage, so they may use the account's headroom, still one
// under its 12/s.
const MaxUrgentRequestsPerSecond = 11

type urgentKey struct{}

// Urgent marks the calls made with ctx as part of the proxy-less window, so
// the pacer admits them up to MaxUrgentRequestsPerSecond.
func Urgent(ctx context.Context) context.Context { return context.WithValue(ctx, urgentKey{}, true) }

func isUrgent(ctx context.Context) bool {
	u, _ := ctx.Value(urgentKey{}).(bool)
	return u
}

// pacer admits at most max request attempts (urgent ones: maxUrgent)
// within any per-long window, waiting on the client's clock (virtual in
// tests) for enough of the recent attempts to leave the window. It is
// shared by every service client of one Client and safe for concurrent use.
type pacer struct {
	clock     clock.Clock
	per       time.Duration
	max       int
	maxUrgent int

	mu       sync.Mutex
	starts   []time.Time // ring of the last len(starts) admitted attempts
	next     int         // the oldest entry, overwritten by the next admission
	filled   int
	admitted int64 // every attempt admitted so far (Pacer.Admitted)
}

func newPacer(clk clock.Clock, ordinary, urgent int, per time.Duration) *pacer {
	urgent = max(ordinary, urgent)
	return &pacer{clock: clk, per: per, max: ordinary, maxUrgent: urgent, starts: make([]time.Time, urgent)}
}

// wait blocks until one more attempt fits in the window, then admits it.
func (p *pacer) wait(ctx context.Context) error {
	release, err := p.admit(ctx)
	if err == nil {
		release()
	}
	return err
}

// admit is wait that, on a clock that can be held (clock.Events, the
// fleet's benchmark), returns with the clock held at the instant of
// admission: the attempt then takes no model time, so the simulator sees
// the request at the time the pacer counted it and measures the pacer's
// own rate. release ends the hold (a no-op on other clocks).
func (p *pacer) admit(ctx context.Context) (release func(), err error) {
	limit := p.max
	if isUrgent(ctx) {
		limit = p.maxUrgent
	}
	for {
		p.mu.Lock()
		now, hold := clock.NowHolding(p.clock)
		delay := time.Duration(0)
		if p.filled >= limit {
			// The limit-th most recent attempt: while it is inside the
			// window, the window already holds limit attempts.
			i := (p.next - limit + len(p.starts)) % len(p.starts)
			delay = p.starts[i].Add(p.per).Sub(now)
		}
		if delay <= 0 {
			p.starts[p.next] = now
			p.next = (p.next + 1) % len(p.starts)
			p.filled = min(p.filled+1, len(p.starts))
			p.admitted++
			p.mu.Unlock()
			return hold, nil
		}
		p.mu.Unlock()
		hold()
		if err := p.clock.Sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// retryer makes r ask the pacer before every attempt, retries included:
// AWS counts HTTP requests, not operations.
func (p *pacer) retryer(r aws.RetryerV2) aws.RetryerV2 {
	return pacedRetryer{RetryerV2: r, pace: p}
}

type pacedRetryer struct {
	aws.RetryerV2
	pace *pacer
}

func (r pacedRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	hold, err := r.pace.admit(ctx) // held until the attempt ends
	if err != nil {
		return nil, err
	}
	release, err := r.RetryerV2.GetAttemptToken(ctx)
	if err != nil {
		hold()
		return nil, err
	}
	return func(err error) error { hold(); return release(err) }, nil
}

// Pacer is a request budget that several Clients share: a fleet gives
// every run in one account and Region the same Pacer (Options.Pacer), so
// that all of them together stay within the budget AWS counts per account
// and Region (12 requests/s sustained, rds-facts §7), whatever each run
// does. A Client without one keeps its own, as before.
type Pacer struct{ p *pacer }

// pacerGuard widens a shared budget's window a little beyond a second: a
// request's time on the wire varies, so two admitted exactly a second
// apart may reach AWS closer together than that.
const pacerGuard = 50 * time.Millisecond

// NewPacer admits at most perSecond attempts within any second (plus
// pacerGuard). Ordinary calls get all but a quarter of it (at least one
// attempt): the rest is kept for Urgent calls, so that a run whose proxy
// is empty never waits behind the other runs' polls, and still no call
// exceeds the budget.
func NewPacer(clk clock.Clock, perSecond int) *Pacer {
	if clk == nil {
		clk = clock.Real{}
	}
	perSecond = max(perSecond, 1)
	reserve := max(perSecond/4, 1)
	ordinary := max(perSecond-reserve, 1)
	return &Pacer{p: newPacer(clk, ordinary, perSecond, time.Second+pacerGuard)}
}

// Budget is the most attempts the pacer admits within a second.
func (p *Pacer) Budget() int { return p.p.maxUrgent }

// Admitted counts the attempts admitted so far: a screen's calls per
// second are the difference between two reads.
func (p *Pacer) Admitted() int64 {
	p.p.mu.Lock()
	defer p.p.mu.Unlock()
	return p.p.admitted
}
