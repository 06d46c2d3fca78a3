package awsclient

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

const identityXML = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
	`<Arn>arn:aws:iam::123456789012:user/night-operator</Arn><UserId>AIDAEXAMPLEUSERID</UserId><Account>123456789012</Account>` +
	`</GetCallerIdentityResult><ResponseMetadata><RequestId>sts-req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

// writeProfile writes a shared config and credentials file with profile
// "night" (region eu-west-1, access key AKIDNIGHT) into the files that
// isolateAWSEnv pointed the loader at.
func writeProfile(t *testing.T) {
	t.Helper()
	cfg := "[default]\nregion = sa-east-1\n\n[profile night]\nregion = eu-west-1\n"
	creds := "[night]\naws_access_key_id = AKIDNIGHT\naws_secret_access_key = night-secret-value\n"
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestProfileSuppliesRegionAndCredentials(t *testing.T) {
	ws, srv := newWireServer(t, nil)
	ws.on("DescribeDBInstances", fixed("DescribeDBInstances", oneInstanceXML, "r1"))
	simtest.IsolateAWSEnv(t)
	writeProfile(t)

	c, err := New(context.Background(), Options{Profile: "night", EndpointURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.Region() != "eu-west-1" {
		t.Errorf("Region = %q, want the profile's eu-west-1", c.Region())
	}
	if _, err := c.DescribeInstance(context.Background(), "db-1"); err != nil {
		t.Fatalf("DescribeInstance: %v", err)
	}
	auth := ws.authorizations()
	if len(auth) != 1 || !strings.Contains(auth[0], "Credential=AKIDNIGHT/") || !strings.Contains(auth[0], "/eu-west-1/rds/aws4_request") {
		t.Errorf("request not signed with the profile's key for eu-west-1 RDS")
	}
}

func TestAWSProfileEnvSelectsProfile(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	writeProfile(t)
	t.Setenv("AWS_PROFILE", "night")
	c, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.Region() != "eu-west-1" {
		t.Errorf("Region = %q, want eu-west-1 from AWS_PROFILE=night", c.Region())
	}
}

func TestRegionPrecedenceFlagThenEnvThenProfile(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	writeProfile(t)
	t.Setenv("AWS_REGION", "ap-southeast-2")
	region := func(flag string) string {
		t.Helper()
		c, err := New(context.Background(), Options{Profile: "night", Region: flag})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return c.Region()
	}
	if got := region("us-west-2"); got != "us-west-2" {
		t.Errorf("with --region: %q, want us-west-2", got)
	}
	if got := region(""); got != "ap-southeast-2" {
		t.Errorf("with AWS_REGION: %q, want ap-southeast-2", got)
	}
	os.Unsetenv("AWS_REGION")
	if got := region(""); got != "eu-west-1" {
		t.Errorf("profile only: %q, want eu-west-1", got)
	}
}

func TestMissingProfileSaysWhatToFix(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	writeProfile(t)
	_, err := New(context.Background(), Options{Profile: "no-such-profile"})
	if err == nil || !strings.Contains(err.Error(), `"no-such-profile"`) || !strings.Contains(err.Error(), "--profile") {
		t.Fatalf("err = %v, want it to name the profile and --profile", err)
	}
}

func TestNoRegionSaysWhatToFix(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	_, err := New(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "--region") || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Fatalf("err = %v, want it to mention --region and AWS_REGION", err)
	}
}

func TestSimulatorNeedsNoRegion(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	c, err := New(context.Background(), Options{Simulator: true, EndpointURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.Region() != simulatorRegion {
		t.Errorf("Region = %q, want %q", c.Region(), simulatorRegion)
	}
}

func TestBadEndpointURLIsRefused(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	for _, u := range []string{"localhost:4566", "ftp://127.0.0.1", "http://", "://x"} {
		_, err := New(context.Background(), Options{Region: "us-east-1", EndpointURL: u})
		if err == nil || !strings.Contains(err.Error(), "--endpoint-url") {
			t.Errorf("endpoint %q: err = %v, want an --endpoint-url error", u, err)
		}
	}
}

// The endpoint override reaches both RDS and STS: the simulator answers
// both on one URL.
func TestEndpointAppliesToRDSAndSTS(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBInstances", fixed("DescribeDBInstances", oneInstanceXML, "r1"))
	ws.on("GetCallerIdentity", func(url.Values) wireReply {
		return wireReply{status: 200, requestID: "sts-req-1", body: identityXML}
	})
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 0)

	id, err := c.CallerIdentity(context.Background())
	if err != nil {
		t.Fatalf("CallerIdentity: %v", err)
	}
	want := Identity{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/night-operator", UserID: "AIDAEXAMPLEUSERID", Partition: "aws"}
	if id != want {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
	if _, err := c.DescribeInstance(context.Background(), "db-1"); err != nil {
		t.Fatalf("DescribeInstance: %v", err)
	}
	if got := strings.Join(ws.actions(), ","); got != "GetCallerIdentity,DescribeDBInstances" {
		t.Errorf("server saw %s, want both services", got)
	}
	rec := calls.Recent(2)
	if len(rec) != 2 || rec[0].Service != "STS" || rec[0].Operation != "GetCallerIdentity" || rec[0].RequestID != "sts-req-1" || rec[1].Service != "RDS" {
		t.Errorf("call log = %+v", rec)
	}
}

func TestSimulatorUsesStaticCredentialsWithoutAnyConfigured(t *testing.T) {
	ws, srv := newWireServer(t, nil)
	ws.on("DescribeDBInstances", fixed("DescribeDBInstances", oneInstanceXML, "r1"))
	simtest.IsolateAWSEnv(t)
	c, err := New(context.Background(), Options{Simulator: true, EndpointURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := c.DescribeInstance(context.Background(), "db-1"); err != nil {
		t.Fatalf("DescribeInstance: %v", err)
	}
	if auth := ws.authorizations(); len(auth) != 1 || !strings.Contains(auth[0], "Credential="+simulatorAccessKeyID+"/") {
		t.Errorf("request not signed with the simulator's static key")
	}
}

func TestWithoutCredentialsNoRequestIsSent(t *testing.T) {
	ws, srv := newWireServer(t, nil)
	ws.on("DescribeDBInstances", fixed("DescribeDBInstances", oneInstanceXML, "r1"))
	simtest.IsolateAWSEnv(t)
	calls := NewCallLog()
	c, err := New(context.Background(), Options{Region: "us-east-1", EndpointURL: srv.URL, HTTPClient: srv.Client(), Calls: calls, MaxAttempts: 1})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.DescribeInstance(context.Background(), "db-1")
	if err == nil {
		t.Fatal("call without credentials succeeded")
	}
	if n := len(ws.actions()); n != 0 {
		t.Errorf("server saw %d unsigned requests", n)
	}
	if rec := calls.Recent(1); len(rec) != 1 || rec[0].OK() {
		t.Errorf("call log = %+v, want one failed record", rec)
	}
	var credErr *CredentialsError
	if !errors.As(err, &credErr) || Classify(err) != KindCredentials {
		t.Errorf("err = %v (kind %s), want a CredentialsError classified credentials", err, Classify(err))
	}
}

// Without an injected HTTP client the SDK's own client is used, and it
// honours AWS_CA_BUNDLE: a TLS endpoint signed by that CA is trusted.
func TestDefaultHTTPClientHonoursCABundle(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", "tls-req")
		fmt.Fprint(w, okXML("DescribeDBInstances", oneInstanceXML))
	}))
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	c, err := New(context.Background(), Options{Simulator: true, EndpointURL: srv.URL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	inst, err := c.DescribeInstance(context.Background(), "db-1")
	if err != nil || inst.ID != "db-1" {
		t.Fatalf("DescribeInstance over TLS = %+v, %v", inst, err)
	}
}

// The SDK's client-side retry quota is off: a long throttled stretch keeps
// being retried call after call instead of failing fast once the token
// bucket (100 retries' worth by default) is empty.
func TestNoClientSideRetryQuota(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBInstances", failing(400, "Throttling", "Rate exceeded", "r"))
	c := wireClient(t, srv, clk, nil, 0)
	const calls = 20
	for i := 0; i < calls; i++ {
		if _, err := c.DescribeInstance(context.Background(), "db-1"); Classify(err) != KindThrottled {
			t.Fatalf("call %d: %v, want throttled", i, err)
		}
	}
	if n := len(ws.requests("DescribeDBInstances")); n != calls*DefaultMaxAttempts {
		t.Errorf("server saw %d requests, want %d: retries were cut short", n, calls*DefaultMaxAttempts)
	}
}

// An injected HTTP client is used as is, even when AWS_CA_BUNDLE is set:
// the loader would otherwise refuse a plain *http.Client.
func TestInjectedHTTPClientIgnoresCABundle(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, okXML("DescribeDBInstances", oneInstanceXML))
	}))
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	c, err := New(context.Background(), Options{Simulator: true, EndpointURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatalf("New with an injected client and AWS_CA_BUNDLE: %v", err)
	}
	if inst, err := c.DescribeInstance(context.Background(), "db-1"); err != nil || inst.ID != "db-1" {
		t.Fatalf("DescribeInstance = %+v, %v", inst, err)
	}
}

// An SSO profile loads like any other (region from the profile, no network
// at New); without a cached SSO token the first call fails before any
// request reaches the endpoint, with an error that says SSO.
func TestSSOProfileLoadsAndNeedsALogin(t *testing.T) {
	ws, srv := newWireServer(t, nil)
	ws.on("DescribeDBInstances", fixed("DescribeDBInstances", oneInstanceXML, "r1"))
	simtest.IsolateAWSEnv(t)
	t.Setenv("HOME", t.TempDir()) // the SSO token cache lives under ~/.aws/sso/cache
	cfg := "[profile night-sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = DBA\nregion = eu-central-1\n\n" +
		"[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-central-1\nsso_registration_scopes = sso:account:access\n"
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(context.Background(), Options{Profile: "night-sso", EndpointURL: srv.URL, HTTPClient: srv.Client(), MaxAttempts: 1})
	if err != nil {
		t.Fatalf("New with an SSO profile: %v", err)
	}
	if c.Region() != "eu-central-1" {
		t.Errorf("Region = %q, want eu-central-1", c.Region())
	}
	_, err = c.DescribeInstance(context.Background(), "db-1")
	var credErr *CredentialsError
	if !errors.As(err, &credErr) || credErr.Profile != "night-sso" || !strings.Contains(err.Error(), "aws sso login --profile night-sso") {
		t.Errorf("call without an SSO login: %v, want a CredentialsError telling to run aws sso login --profile night-sso", err)
	}
	if Classify(err) != KindCredentials {
		t.Errorf("Classify = %q, want credentials", Classify(err))
	}
	if n := len(ws.actions()); n != 0 {
		t.Errorf("server saw %d requests without credentials", n)
	}

	// The same profile chosen through AWS_PROFILE is named too.
	t.Setenv("AWS_PROFILE", "night-sso")
	c, err = New(context.Background(), Options{EndpointURL: srv.URL, HTTPClient: srv.Client(), MaxAttempts: 1})
	if err != nil {
		t.Fatalf("New with AWS_PROFILE: %v", err)
	}
	_, err = c.DescribeInstance(context.Background(), "db-1")
	if !errors.As(err, &credErr) || credErr.Profile != "night-sso" {
		t.Errorf("with AWS_PROFILE: %v, want a CredentialsError naming night-sso", err)
	}
}

// Issue 20 (C2): a server-side ExpiredToken is a credentials error, not a
// missing permission: it names the refresh, and the next call resolves
// the credentials again (the operator rotated the keys in the credentials
// file meanwhile), without a restart.
func TestRefusedCredentialsAreRefreshedFromTheProfile(t *testing.T) {
	ws, srv := newWireServer(t, nil)
	var expired atomic.Bool
	expired.Store(true)
	ws.on("DescribeDBInstances", func(v url.Values) wireReply {
		if expired.Load() {
			return wireReply{status: 403, body: errorXML("ExpiredToken", "The security token included in the request is expired", "r-exp")}
		}
		return wireReply{status: 200, requestID: "r1", body: okXML("DescribeDBInstances", oneInstanceXML)}
	})
	simtest.IsolateAWSEnv(t)
	writeProfile(t)
	c, err := New(context.Background(), Options{Profile: "night", EndpointURL: srv.URL, HTTPClient: srv.Client(), MaxAttempts: 1})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.DescribeInstance(context.Background(), "db-1")
	var credErr *CredentialsError
	if !errors.As(err, &credErr) || !credErr.Refused || Classify(err) != KindCredentials {
		t.Fatalf("ExpiredToken: %v (kind %s), want a refused-credentials error", err, Classify(err))
	}
	for _, want := range []string{"aws sso login --profile night", "not a missing IAM permission", "without a restart"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if info, ok := Inspect(err); !ok || info.Code != "ExpiredToken" || info.HTTPStatus != 403 {
		t.Errorf("Inspect = %+v %v, want the wire code and status", info, ok)
	}
	// The operator puts fresh keys in the credentials file.
	creds := "[night]\naws_access_key_id = AKIDFRESH\naws_secret_access_key = fresh-secret-value\n"
	if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	expired.Store(false)
	if _, err := c.DescribeInstance(context.Background(), "db-1"); err != nil {
		t.Fatalf("after the refresh: %v", err)
	}
	auth := ws.authorizations()
	if last := auth[len(auth)-1]; !strings.Contains(last, "Credential=AKIDFRESH/") {
		t.Errorf("the call after the refusal was signed with %q, want the fresh key", last)
	}
}
