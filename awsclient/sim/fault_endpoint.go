package sim

import (
	"net/http"
	"strings"
)

// FaultsPath lets a test that drives a separate `rdsbg sim` process act as
// "someone else" at a moment of its choosing (issue 20's hostile cases):
// POST a JSON array of faults (the --faults format) to arm them, DELETE
// to clear every fault. Like StatsPath it is not an AWS path.
const FaultsPath = "/_sim/faults"

func (s *Simulator) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		faults, err := ParseFaults(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, f := range faults {
			s.AddFault(f)
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "POST a JSON array of faults, or DELETE", http.StatusMethodNotAllowed)
	}
}

// unavailableHealth is the TargetHealth a TargetUnavailable fault reports
// instead of AVAILABLE, with the description AWS gives for that reason.
func unavailableHealth(reason string) xmlTargetHealth {
	desc := map[string]string{
		"AUTH_FAILURE":              "The proxy can't authenticate to the database: check the secret in Secrets Manager and the proxy's IAM role",
		"CONNECTION_FAILED":         "The proxy can't connect to the database: check the security groups and the database's status",
		"UNREACHABLE":               "The database is unreachable from the proxy's subnets",
		"INVALID_REPLICATION_STATE": "The target is not in a valid replication state",
	}[strings.ToUpper(reason)]
	return xmlTargetHealth{State: "UNAVAILABLE", Reason: strings.ToUpper(reason), Description: desc}
}

// targetUnavailable is the Reason an armed TargetUnavailable fault
// reports for targets that would be AVAILABLE, "" when none is armed.
func (s *Simulator) targetUnavailable() string {
	for _, f := range s.faults {
		if f.TargetUnavailable != "" && s.faultWindowOpen(f) {
			return f.TargetUnavailable
		}
	}
	return ""
}
