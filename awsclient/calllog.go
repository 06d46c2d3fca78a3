package awsclient

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// recentCalls bounds the ring kept for the UI's API panel; the journal gets
// every call through Subscribe, so nothing is lost by forgetting old ones.
const recentCalls = 200

// CallLog fans Call records out to subscribers (the journal, the UI) and
// keeps the most recent ones. It is safe for concurrent use.
type CallLog struct {
	mu     sync.Mutex
	nextID int
	subs   map[int]func(Call)
	// retrySubs hear of each retry while the client waits for it.
	retrySubs map[int]func(Retry)
	ring      []Call // chronological, at most recentCalls
}

// NewCallLog returns an empty log.
func NewCallLog() *CallLog {
	return &CallLog{subs: map[int]func(Call){}, retrySubs: map[int]func(Retry){}}
}

// SubscribeRetries calls fn for every retry the client is about to wait
// for (degrade.go), on the calling goroutine.
func (l *CallLog) SubscribeRetries(fn func(Retry)) (unsubscribe func()) {
	l.mu.Lock()
	id := l.nextID
	l.nextID++
	l.retrySubs[id] = fn
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.retrySubs, id)
			l.mu.Unlock()
		})
	}
}

// RecordRetry hands r to every retry subscriber.
func (l *CallLog) RecordRetry(r Retry) {
	if l == nil {
		return
	}
	l.mu.Lock()
	subs := make([]func(Retry), 0, len(l.retrySubs))
	for _, fn := range l.retrySubs {
		subs = append(subs, fn)
	}
	l.mu.Unlock()
	for _, fn := range subs {
		fn(r)
	}
}

// Subscribe calls fn for every Call recorded from now on, on the recording
// goroutine. fn must not block for long: it delays the AWS call's return.
func (l *CallLog) Subscribe(fn func(Call)) (unsubscribe func()) {
	l.mu.Lock()
	id := l.nextID
	l.nextID++
	l.subs[id] = fn
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs, id)
			l.mu.Unlock()
		})
	}
}

// Record keeps c and hands it to every subscriber, in subscription order.
func (l *CallLog) Record(c Call) {
	l.mu.Lock()
	if len(l.ring) == recentCalls {
		copy(l.ring, l.ring[1:])
		l.ring = l.ring[:recentCalls-1]
	}
	l.ring = append(l.ring, c)
	ids := make([]int, 0, len(l.subs))
	for id := range l.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	fns := make([]func(Call), 0, len(ids))
	for _, id := range ids {
		fns = append(fns, l.subs[id])
	}
	l.mu.Unlock()
	// Outside the lock, so a subscriber may call Recent or Subscribe.
	for _, fn := range fns {
		fn(c)
	}
}

// Recent returns up to n of the latest calls, oldest first.
func (l *CallLog) Recent(n int) []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n <= 0 {
		return nil
	}
	if n > len(l.ring) {
		n = len(l.ring)
	}
	return append([]Call(nil), l.ring[len(l.ring)-n:]...)
}

// readOnlyPrefixes are the operation name prefixes AWS uses for calls that
// change nothing. Everything else (Create, Modify, Delete, Register,
// Switchover, Reboot, Add…, Promote…) mutates.
var readOnlyPrefixes = [...]string{"Describe", "List", "Get", "Download"}

// IsMutating reports whether an AWS operation changes state.
func IsMutating(operation string) bool {
	if operation == "" {
		return false
	}
	for _, p := range readOnlyPrefixes {
		if strings.HasPrefix(operation, p) {
			return false
		}
	}
	return true
}

// callLogAPIOptions installs the call-log middleware in every client made
// from the config. With a nil log there is nothing to install.
func callLogAPIOptions(clk clock.Clock, log *CallLog) []func(*middleware.Stack) error {
	if log == nil {
		return nil
	}
	return []func(*middleware.Stack) error{func(s *middleware.Stack) error {
		return s.Initialize.Add(&callLogMiddleware{clock: clk, log: log}, middleware.After)
	}}
}

// callLogMiddleware records one Call per operation, not per HTTP attempt:
// it sits in the Initialize step, outside the retry loop, so Duration
// includes every attempt and backoff, Attempts says how many HTTP requests
// were sent, and status, request id and error code are the final
// attempt's. One line per operation is what an operator reads in the API
// panel and the audit trail; the attempt count still shows throttling.
type callLogMiddleware struct {
	clock clock.Clock
	log   *CallLog
}

func (*callLogMiddleware) ID() string { return "rdsbgCallLog" }

func (m *callLogMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	start := m.clock.Now()
	out, metadata, err := next.HandleInitialize(ctx, in)
	operation := awsmiddleware.GetOperationName(ctx)
	c := Call{
		Service:   awsmiddleware.GetServiceID(ctx),
		Operation: operation,
		Start:     start,
		Duration:  m.clock.Now().Sub(start),
		Mutating:  IsMutating(operation),
	}
	if results, ok := retry.GetAttemptResults(metadata); ok {
		c.Attempts = len(results.Results)
	}
	if raw, ok := awsmiddleware.GetRawResponse(metadata).(*smithyhttp.Response); ok && raw != nil {
		c.HTTPStatus = raw.StatusCode
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(metadata); ok {
		c.RequestID = Sanitize(id)
	}
	if err != nil {
		var respErr *awshttp.ResponseError
		if errors.As(err, &respErr) {
			if c.HTTPStatus == 0 {
				c.HTTPStatus = respErr.HTTPStatusCode()
			}
			if c.RequestID == "" {
				c.RequestID = Sanitize(respErr.ServiceRequestID())
			}
		}
		c.ErrorCode = errorCode(err)
		c.Expected = probeExpected(ctx, err, c.HTTPStatus)
	}
	m.log.Record(c)
	return out, metadata, err
}

// errorCode is the API error code, or a short name for errors that never
// got an API answer, so that Call.OK is false for every failed call.
func errorCode(err error) string {
	var apiErr smithy.APIError
	switch {
	case serverStatus(err) != 0 && (!errors.As(err, &apiErr) || apiErr.ErrorCode() == "" || apiErr.ErrorCode() == "UnknownError"):
		// A 5xx whose body is not AWS's error format (an emulator's HTML
		// page): the server failed, not the client.
		return "ServerError"
	case errors.As(err, &apiErr) && apiErr.ErrorCode() != "":
		return Sanitize(apiErr.ErrorCode())
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded"
	case httpStatus(err) != 0:
		// An HTTP answer without AWS's error format (an emulator's 404
		// for a service it lacks): name the status, not "ClientError".
		return fmt.Sprintf("HTTP%d", httpStatus(err))
	default:
		return "ClientError"
	}
}
