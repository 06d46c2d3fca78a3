package awsclient

import (
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

var throttled = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}

func TestRetryerRetriesThrottlingAndCapsBackoff(t *testing.T) {
	r := newRetryer(DefaultMaxAttempts, clock.Real{})
	if r.MaxAttempts() != DefaultMaxAttempts {
		t.Errorf("MaxAttempts = %d", r.MaxAttempts())
	}
	for _, code := range []string{"Throttling", "ThrottlingException", "RequestLimitExceeded"} {
		if !r.IsErrorRetryable(&smithy.GenericAPIError{Code: code}) {
			t.Errorf("%s is not retried", code)
		}
	}
	for _, code := range []string{"InvalidDBInstanceState", "AccessDenied", "DBInstanceNotFound"} {
		if r.IsErrorRetryable(&smithy.GenericAPIError{Code: code}) {
			t.Errorf("%s is retried: a refusal must reach the engine at once", code)
		}
	}
	// On the wall clock the SDK sleeps: the delay is returned, capped.
	for attempt := 1; attempt <= 12; attempt++ {
		d, err := r.RetryDelay(attempt, throttled)
		if err != nil || d < 0 || d > maxRetryBackoff {
			t.Errorf("attempt %d: delay %v, %v; want within [0, %v]", attempt, d, err, maxRetryBackoff)
		}
	}
}

// Under a virtual clock the backoff is waited on that clock and the SDK is
// told to sleep 0, so throttled tests take no wall time.
func TestRetryerWaitsOnTheInjectedClock(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	r := newRetryer(DefaultMaxAttempts, clk)
	var waited time.Duration
	for attempt := 1; attempt <= 12; attempt++ {
		before := clk.Now()
		d, err := r.RetryDelay(attempt, throttled)
		if err != nil || d != 0 {
			t.Fatalf("attempt %d: SDK asked to sleep %v (%v), want 0", attempt, d, err)
		}
		step := clk.Now().Sub(before)
		if step > maxRetryBackoff {
			t.Errorf("attempt %d waited %v, above the %v cap", attempt, step, maxRetryBackoff)
		}
		waited += step
	}
	if waited <= 0 {
		t.Errorf("no backoff at all was waited on the virtual clock")
	}
}
