package awsclient

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

func TestPacerAdmitsABurstThenSpacesToTheWindow(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	p := newPacer(clk, 3, 3, time.Second)
	var at []time.Duration
	for range 7 {
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now().Sub(testStart))
		clk.Advance(100 * time.Millisecond) // the request's round trip
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond,
		time.Second, 1100 * time.Millisecond, 1200 * time.Millisecond, 2 * time.Second}
	for i := range want {
		if at[i] != want[i] {
			t.Errorf("attempt %d admitted at %v, want %v (all: %v)", i+1, at[i], want[i], at)
		}
	}
}

func TestPacerWaitEndsWithTheContext(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	p := newPacer(clk, 1, 1, time.Second)
	if err := p.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(ctx); err != context.Canceled {
		t.Errorf("wait on a cancelled context: %v, want context.Canceled", err)
	}
}

// Urgent attempts use the headroom between the ordinary and the urgent
// ceiling; ordinary ones still wait for the ordinary one.
func TestPacerLetsUrgentCallsUseTheHeadroom(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	p := newPacer(clk, 2, 4, time.Second)
	urgent := Urgent(context.Background())
	admit := func(ctx context.Context) time.Duration {
		t.Helper()
		if err := p.wait(ctx); err != nil {
			t.Fatal(err)
		}
		return clk.Now().Sub(testStart)
	}
	admit(context.Background())
	admit(context.Background())
	if at := admit(urgent); at != 0 {
		t.Errorf("3rd attempt (urgent) admitted at %v, want at once", at)
	}
	if at := admit(urgent); at != 0 {
		t.Errorf("4th attempt (urgent) admitted at %v, want at once", at)
	}
	if at := admit(urgent); at != time.Second {
		t.Errorf("5th attempt (urgent) admitted at %v, want 1s: four are in the window", at)
	}
	// At 1s the window holds one attempt: an ordinary call goes at once, a
	// second one waits for the first of the two to leave.
	if at := admit(context.Background()); at != time.Second {
		t.Errorf("ordinary attempt admitted at %v, want 1s", at)
	}
	if at := admit(context.Background()); at != 2*time.Second {
		t.Errorf("second ordinary attempt admitted at %v, want 2s", at)
	}
}

// requestClock records when each HTTP request leaves the client.
type requestClock struct {
	next  http.RoundTripper
	clock clock.Clock
	mu    sync.Mutex
	sent  []time.Time
}

func (r *requestClock) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.sent = append(r.sent, r.clock.Now())
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// Back-to-back calls through the real client, throttling retries included,
// never put more than MaxRequestsPerSecond requests in one second.
func TestClientStaysUnderTheRequestCeiling(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	s := simtest.NewServer(t, sim.Options{Scenario: sim.ScenarioRDSPostgresNative, Clock: clock.NewVirtual(testStart), Seed: 1,
		Faults: []sim.Fault{{LatencyMS: 20}, {Operation: "DescribeDBInstances", ThrottleRate: 0.3}}})
	clk := s.Clock
	rc := &requestClock{next: s.HTTPClient().Transport, clock: clk}
	c, err := New(context.Background(), Options{Region: "us-east-1", EndpointURL: s.URL, Simulator: true,
		Clock: clk, HTTPClient: &http.Client{Transport: rc}})
	if err != nil {
		t.Fatal(err)
	}
	for range 40 {
		if _, err := c.DescribeInstance(context.Background(), "orders-db"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CallerIdentity(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rc.sent) <= 41 {
		t.Fatalf("%d requests: the throttling fault never caused a retry", len(rc.sent))
	}
	lo := 0
	for hi := range rc.sent {
		for rc.sent[hi].Sub(rc.sent[lo]) >= time.Second {
			lo++
		}
		if n := hi - lo + 1; n > MaxRequestsPerSecond {
			t.Fatalf("%d requests within one second ending at %v, want at most %d", n, rc.sent[hi].Sub(testStart), MaxRequestsPerSecond)
		}
	}
}

// A fleet's shared budget: ordinary calls get all but a quarter of it, the
// rest is kept for calls made while a proxy is empty, and no second holds
// more than the budget however the two mix.
func TestSharedPacerKeepsAReserveForUrgentCallsWithinTheBudget(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	p := NewPacer(clk, 8)
	if p.Budget() != 8 {
		t.Fatalf("budget %d", p.Budget())
	}
	var at []time.Time
	for i := range 40 {
		ctx := context.Background()
		if i%3 == 0 {
			ctx = Urgent(ctx)
		}
		if err := p.p.wait(ctx); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now())
	}
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second; j++ {
			n++
		}
		if n > 8 {
			t.Fatalf("%d admissions within a second from %s: over the budget", n, at[i].Sub(testStart))
		}
	}
	// Only ordinary calls: six a second, the reserve stays free.
	q := NewPacer(clock.NewVirtual(testStart), 8)
	for range 6 {
		if err := q.p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	before := q.p.clock.Now()
	if err := q.p.wait(Urgent(context.Background())); err != nil || !q.p.clock.Now().Equal(before) {
		t.Fatalf("an urgent call waited behind six ordinary ones (err %v)", err)
	}
	if q.Admitted() != 7 {
		t.Fatalf("admitted %d, want 7", q.Admitted())
	}
}
