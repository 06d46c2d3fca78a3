package sim

import (
	"fmt"
	"net/http"
)

// apiError is an error answer in the awsQuery wire format.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// statusFor is the HTTP status a wire code is answered with (rds-facts §3);
// codes not listed answer 400.
func statusFor(code string) int {
	switch code {
	case "BlueGreenDeploymentNotFoundFault", "DBInstanceNotFound", "DBClusterNotFoundFault",
		"DBParameterGroupNotFound", "DBClusterParameterGroupNotFound", "DBProxyNotFoundFault",
		"DBProxyTargetGroupNotFoundFault", "DBProxyTargetNotFoundFault", "DBSnapshotNotFound",
		"DBClusterSnapshotNotFoundFault", "OptionGroupNotFoundFault",
		// AWS's common errors list MalformedQueryString as 404.
		"MalformedQueryString":
		return http.StatusNotFound
	case "DBClusterQuotaExceededFault", "AccessDenied":
		return http.StatusForbidden
	case "InternalFailure":
		return http.StatusInternalServerError
	case "ServiceUnavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// fail builds an apiError with the status of its code.
func fail(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: statusFor(code)}
}

// Wire codes used in more than one place.
const (
	codeInvalidParameterValue       = "InvalidParameterValue"
	codeInvalidParameterCombination = "InvalidParameterCombination"
	codeMissingParameter            = "MissingParameter"
	codeInstanceNotFound            = "DBInstanceNotFound"
	codeClusterNotFound             = "DBClusterNotFoundFault"
	codeInvalidInstanceState        = "InvalidDBInstanceState"
	codeInvalidClusterState         = "InvalidDBClusterStateFault"
	codeDeploymentNotFound          = "BlueGreenDeploymentNotFoundFault"
	codeInvalidDeploymentState      = "InvalidBlueGreenDeploymentStateFault"
	codeProxyNotFound               = "DBProxyNotFoundFault"
	codeTargetGroupNotFound         = "DBProxyTargetGroupNotFoundFault"
	codeParameterGroupNotFound      = "DBParameterGroupNotFound"
	codeClusterParamGroupNotFound   = "DBClusterParameterGroupNotFound"
	codeThrottling                  = "Throttling"
)

func instanceNotFound(id string) *apiError {
	return fail(codeInstanceNotFound, "DBInstance %s not found.", id)
}

func clusterNotFound(id string) *apiError {
	return fail(codeClusterNotFound, "DBCluster %s not found.", id)
}

func missing(param string) *apiError {
	return fail(codeMissingParameter, "The request must contain the parameter %s", param)
}
