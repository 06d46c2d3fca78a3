package awsclient

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

// ErrorKind is what the engine needs to know about a failed call to decide
// between "already done", "wait and poll again", "stop and tell the
// operator" and "retry later".
type ErrorKind string

const (
	KindNotFound      ErrorKind = "not-found"
	KindInvalidState  ErrorKind = "invalid-state"
	KindAlreadyExists ErrorKind = "already-exists"
	KindThrottled     ErrorKind = "throttled"
	KindAccessDenied  ErrorKind = "access-denied"
	// KindCredentials: the credentials themselves are refused or cannot be
	// had (expired session, SSO token, failing credential_process): the
	// operator refreshes them, no IAM change helps (credentials.go).
	KindCredentials      ErrorKind = "credentials"
	KindInvalidParameter ErrorKind = "invalid-parameter"
	KindOther            ErrorKind = "other"
)

// NotFoundError is returned when the API answered without an error but the
// thing asked for is not in the answer (e.g. an engine version missing from
// DescribeDBEngineVersions, which has no not-found fault). Classify reports
// it as KindNotFound.
type NotFoundError struct {
	What string // "engine version", "DB snapshot", …
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.What, e.ID) }

// faultCheck reports whether err wraps one particular typed SDK fault.
type faultCheck func(error) bool

func is[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// Typed faults first: the SDK maps the wire code (which differs from the
// shape name, e.g. DBInstanceNotFound ⇒ *types.DBInstanceNotFoundFault), so
// errors.As is the exact test.
var (
	notFoundFaults = []faultCheck{
		is[*types.DBInstanceNotFoundFault],
		is[*types.DBClusterNotFoundFault],
		is[*types.BlueGreenDeploymentNotFoundFault],
		is[*types.DBProxyNotFoundFault],
		is[*types.DBProxyTargetGroupNotFoundFault],
		is[*types.DBProxyTargetNotFoundFault],
		is[*types.DBParameterGroupNotFoundFault],
		is[*types.DBClusterParameterGroupNotFoundFault],
		is[*types.DBSnapshotNotFoundFault],
		is[*types.DBClusterSnapshotNotFoundFault],
		is[*NotFoundError],
	}
	invalidStateFaults = []faultCheck{
		is[*types.InvalidDBInstanceStateFault],
		is[*types.InvalidDBClusterStateFault],
		is[*types.InvalidBlueGreenDeploymentStateFault],
		is[*types.InvalidDBProxyStateFault],
		is[*types.InvalidGlobalClusterStateFault],
		is[*types.InvalidDBSnapshotStateFault],
		is[*types.InvalidDBClusterSnapshotStateFault],
	}
	alreadyExistsFaults = []faultCheck{
		is[*types.BlueGreenDeploymentAlreadyExistsFault],
		is[*types.DBProxyTargetAlreadyRegisteredFault],
		is[*types.DBSnapshotAlreadyExistsFault],
		is[*types.DBClusterSnapshotAlreadyExistsFault],
		is[*types.DBInstanceAlreadyExistsFault],
		is[*types.DBClusterAlreadyExistsFault],
	}
)

// Unmodeled codes, which the SDK returns as smithy.GenericAPIError. The
// throttle codes are the SDK retryer's own (retry.DefaultThrottleErrorCodes,
// kindOfCode), so that what rdsbg calls throttling is what the SDK backs
// off from.
var codeKinds = map[string]ErrorKind{
	"AccessDenied":                KindAccessDenied,
	"AccessDeniedException":       KindAccessDenied,
	"UnauthorizedOperation":       KindAccessDenied,
	"AuthFailure":                 KindAccessDenied,
	"InvalidClientTokenId":        KindCredentials,
	"ExpiredToken":                KindCredentials,
	"ExpiredTokenException":       KindCredentials,
	"RequestExpired":              KindCredentials,
	"TokenRefreshRequired":        KindCredentials,
	"UnrecognizedClientException": KindCredentials,
	"SignatureDoesNotMatch":       KindCredentials,
	"InvalidParameterValue":       KindInvalidParameter,
	"InvalidParameterCombination": KindInvalidParameter,
	"MissingParameter":            KindInvalidParameter,
	"ValidationError":             KindInvalidParameter,
	"InvalidAction":               KindUnsupported,
	"UnknownOperationException":   KindUnsupported,
}

// IsNotFound: err says the resource does not exist (KindNotFound).
func IsNotFound(err error) bool { return err != nil && Classify(err) == KindNotFound }

// Classify sorts an error from any Client method into an ErrorKind.
// Context cancellation, transport errors and unknown codes are KindOther.
func Classify(err error) ErrorKind {
	if err == nil {
		return ""
	}
	for _, group := range []struct {
		kind   ErrorKind
		checks []faultCheck
	}{
		{KindNotFound, notFoundFaults},
		{KindInvalidState, invalidStateFaults},
		{KindAlreadyExists, alreadyExistsFaults},
	} {
		for _, check := range group.checks {
			if check(err) {
				return group.kind
			}
		}
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		k := kindOfCode(apiErr.ErrorCode())
		generic := apiErr.ErrorCode() == "" || apiErr.ErrorCode() == "UnknownError"
		if k != KindOther || (serverStatus(err) == 0 && !(generic && httpStatus(err) == 404)) {
			return k
		}
	}
	if is[*CredentialsError](err) {
		return KindCredentials
	}
	if serverStatus(err) != 0 {
		return KindServerError
	}
	if httpStatus(err) == 404 {
		return KindUnsupported // no such service or action at this endpoint
	}
	return KindOther
}

// kindOfCode maps a wire code. Besides the known unmodeled codes it
// recognises the fault naming pattern, so that a service (or simulator)
// sending a shape name such as "InvalidDBInstanceStateFault" instead of
// the wire code still classifies right.
func kindOfCode(code string) ErrorKind {
	if k, ok := codeKinds[code]; ok {
		return k
	}
	if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
		return KindThrottled
	}
	switch {
	case strings.Contains(code, "NotFound"):
		return KindNotFound
	case strings.HasPrefix(code, "Invalid") && strings.Contains(code, "State"):
		return KindInvalidState
	case strings.Contains(code, "AlreadyExists"), strings.Contains(code, "AlreadyRegistered"):
		return KindAlreadyExists
	case strings.HasPrefix(code, "Throttl"):
		return KindThrottled
	}
	return KindOther
}

// APIErrorInfo is what an operator needs to see about a failed AWS call.
type APIErrorInfo struct {
	Operation  string
	Code       string
	Message    string
	RequestID  string
	HTTPStatus int
	Kind       ErrorKind
}

// Inspect extracts the API error details of err; false when err is not an
// error answered by an AWS API (e.g. a cancelled context or a refused
// connection).
func Inspect(err error) (APIErrorInfo, bool) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return APIErrorInfo{}, false
	}
	info := APIErrorInfo{
		Code:    Sanitize(apiErr.ErrorCode()),
		Message: Sanitize(apiErr.ErrorMessage()),
		Kind:    Classify(err),
	}
	var opErr *smithy.OperationError
	if errors.As(err, &opErr) {
		info.Operation = opErr.Operation()
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		info.RequestID = Sanitize(respErr.ServiceRequestID())
		info.HTTPStatus = respErr.HTTPStatusCode()
	}
	return info, true
}
