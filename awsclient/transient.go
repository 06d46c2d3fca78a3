package awsclient

import (
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Transient reports whether err is the kind of failure that goes away by
// itself: throttling, an AWS-side (5xx) error, a refused, reset or
// timed-out connection, an answer cut short. The caller retries these
// (steps/poll); an API answer that refuses the request (4xx other
// than throttling) is not transient.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if Classify(err) == KindThrottled {
		return true
	}
	if info, ok := Inspect(err); ok {
		return info.HTTPStatus >= 500 || info.HTTPStatus == 429
	}
	var sendErr *smithyhttp.RequestSendError
	var opErr *net.OpError
	var netErr net.Error
	var deserErr *smithy.DeserializationError
	var maxAttempts *retry.MaxAttemptsError
	switch {
	case errors.As(err, &sendErr), errors.As(err, &opErr), errors.As(err, &deserErr):
		return true
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &maxAttempts):
		// The SDK's retries ran out on errors it considered retryable.
		return true
	}
	return false
}
