package awsclient_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// The proxy's Auth names its secret, and the real SDK reads it from the
// simulator over awsJson1.1; the call is logged as a read, without the value.
func TestProxySecretThroughTheSimulator(t *testing.T) {
	s := simtest.NewServer(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres,
		ProxySecrets: map[string]string{"ledger-proxy": `{"username":"app","password":"pw-from-secret"}`}})
	calls := awsclient.NewCallLog()
	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: s.URL, Region: simtest.Region, Simulator: true, Clock: s.Clock, Calls: calls, HTTPClient: s.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	proxies, err := api.ListProxies(context.Background())
	if err != nil || len(proxies) == 0 || len(proxies[0].Auth) != 1 || !strings.HasPrefix(proxies[0].Auth[0].SecretARN, "arn:aws:secretsmanager:us-east-1:") {
		t.Fatalf("%+v %v", proxies, err)
	}
	var secret string
	for _, p := range proxies {
		if p.Name == "ledger-proxy" {
			if secret, err = api.GetSecretString(context.Background(), p.Auth[0].SecretARN); err != nil {
				t.Fatal(err)
			}
		}
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(secret), &v); err != nil || v["password"] != "pw-from-secret" {
		t.Fatalf("secret %q: %v", secret, err)
	}
	if _, err := api.GetSecretString(context.Background(), "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("missing secret: %v", err)
	}
	for _, c := range calls.Recent(1000) {
		if c.Operation == "GetSecretValue" && c.Mutating {
			t.Fatal("GetSecretValue logged as a change")
		}
		if b, _ := json.Marshal(c); strings.Contains(string(b), "pw-from-secret") {
			t.Fatal("the secret is in the call log")
		}
	}
	tok, err := api.DBAuthToken(context.Background(), "db.example.com:5432", "iam_user")
	if err != nil || !strings.HasPrefix(tok, "db.example.com:5432?Action=connect&DBUser=iam_user") {
		t.Fatalf("token %q %v", tok, err)
	}
}
