package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Secrets Manager's GetSecretValue, for the database checks' proxy-secret
// credentials (issue 22): each proxy's Auth names a secret, and the
// simulator answers it. Secrets Manager speaks awsJson1.1, not awsQuery:
// POST / with X-Amz-Target: secretsmanager.<Operation> and a JSON body;
// errors are {"__type": ..., "message": ...} with HTTP 400.

const secretsTargetPrefix = "secretsmanager."

// proxySecretARN is the secret a proxy's Auth names: the account's, in the
// proxy's Region, with the 6-character suffix Secrets Manager adds.
func (s *Simulator) proxySecretARN(p *Proxy) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-db-credentials-%s", s.st.Region, s.st.Account, p.Name, s.st.hash[:6])
}

func clientPasswordAuth(family string) string {
	if strings.EqualFold(family, "MYSQL") {
		return "MYSQL_NATIVE_PASSWORD"
	}
	return "POSTGRES_SCRAM_SHA_256"
}

// proxySecretString is what the proxy's secret holds.
func (s *Simulator) proxySecretString(p *Proxy) string {
	if v, ok := s.opts.ProxySecrets[p.Name]; ok {
		return v
	}
	b, _ := json.Marshal(map[string]string{"username": "dbadmin", "password": "rdsbg-sim-" + p.Name})
	return string(b)
}

// serveSecretsManager answers one awsJson1.1 Secrets Manager request.
func (s *Simulator) serveSecretsManager(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), secretsTargetPrefix)
	s.mu.Lock()
	s.calls[op]++
	s.totalCalls++
	reqID := s.newRequestID()
	_, injected := s.callFaultsLocked(op)
	s.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", reqID)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(code, msg string) {
		reply(http.StatusBadRequest, map[string]string{"__type": code, "message": msg})
	}
	if injected != nil {
		fail(injected.Code, injected.Message)
		return
	}
	if op != "GetSecretValue" {
		fail("UnknownOperationException", "The action "+op+" is not valid for this web service.")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	var in struct{ SecretId string }
	if err := json.Unmarshal(body, &in); err != nil || in.SecretId == "" {
		fail("InvalidParameterException", "SecretId is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.st.Proxies {
		arn := s.proxySecretARN(p)
		name := strings.TrimPrefix(arn[:len(arn)-7], "arn:aws:secretsmanager:"+s.st.Region+":"+s.st.Account+":secret:")
		if in.SecretId != arn && in.SecretId != name {
			continue
		}
		// A Policy fault authorizes the read as IAM would (iam.go).
		if len(s.policyFaults()) > 0 {
			if denied := s.iamRefusal(op, []authorization{s.authorize("secretsmanager:"+op, arn, requestTags{})}, false); denied != nil {
				fail("AccessDeniedException", denied.Message)
				return
			}
		}
		s.accepted[op]++
		reply(http.StatusOK, map[string]any{
			"ARN": arn, "Name": name, "SecretString": s.proxySecretString(p),
			"VersionId": "00000000-0000-4000-8000-" + s.st.hash, "VersionStages": []string{"AWSCURRENT"},
			"CreatedDate": float64(p.CreateTime.Unix()),
		})
		return
	}
	fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}
