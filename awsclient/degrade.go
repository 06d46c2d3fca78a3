package awsclient

import (
	"errors"
	"fmt"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// KindServerError is an answer with an HTTP status of 500 or above (after
// the retries): AWS, or the endpoint standing in for it, failed, not the
// request. It is never a ClientError.
const KindServerError ErrorKind = "server-error"

// KindUnsupported is an action the endpoint does not implement
// (InvalidAction, UnknownOperation): an emulator, or a partition without
// the feature.
const KindUnsupported ErrorKind = "unsupported"

// serverStatus is the HTTP status of err's response when it is 500 or
// above, else 0.
func serverStatus(err error) int {
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
		return respErr.HTTPStatusCode()
	}
	return 0
}

// httpStatus is the HTTP status of err's response, 0 without one.
func httpStatus(err error) int {
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		return respErr.HTTPStatusCode()
	}
	return 0
}

// Unavailable reports whether a read failed for a reason that says nothing
// about the request itself: the caller's role lacks the permission, the
// endpoint does not implement the action, or it kept answering 5xx. For a
// read that only informs a check, the check becomes a warning and the run
// goes on (issue 15: degrade, don't die). why is a short phrase for the
// warning.
func Unavailable(err error) (why string, ok bool) {
	if err == nil {
		return "", false
	}
	switch Classify(err) {
	case KindAccessDenied:
		return "access denied", true
	case KindUnsupported:
		return "the endpoint does not implement it", true
	case KindServerError:
		return fmt.Sprintf("AWS answered HTTP %d on every attempt", serverStatus(err)), true
	}
	return "", false
}

// Retry is one retry of a failed attempt, reported while the client waits
// for it, so that a run never sits silent through minutes of backoff.
type Retry struct {
	Time        time.Time     `json:"time"`
	Attempt     int           `json:"attempt"`      // the attempt that failed (1-based)
	MaxAttempts int           `json:"max_attempts"` // including the first
	Delay       time.Duration `json:"delay_ns"`
	HTTPStatus  int           `json:"http_status,omitempty"`
	Code        string        `json:"code,omitempty"`
}

// String reads "AWS answered 500; retry 3 of 8 in 4s".
func (r Retry) String() string {
	what := r.Code
	switch {
	case r.HTTPStatus != 0 && r.Code != "":
		what = fmt.Sprintf("%d %s", r.HTTPStatus, r.Code)
	case r.HTTPStatus != 0:
		what = fmt.Sprint(r.HTTPStatus)
	case what == "":
		what = "no answer"
	}
	return fmt.Sprintf("AWS answered %s; retry %d of %d in %s", what, r.Attempt, r.MaxAttempts-1, r.Delay.Round(100*time.Millisecond))
}

func retryOf(attempt, max int, delay time.Duration, err error, now time.Time) Retry {
	r := Retry{Time: now, Attempt: attempt, MaxAttempts: max, Delay: delay}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		r.HTTPStatus = respErr.HTTPStatusCode()
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() != "UnknownError" {
		r.Code = apiErr.ErrorCode()
	}
	return r
}
