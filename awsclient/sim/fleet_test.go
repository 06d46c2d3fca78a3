package sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// fleetCall sends one awsQuery request signed (in form only: the
// simulator reads the credential, not the signature) with key in region.
func fleetCall(t *testing.T, srv *httptest.Server, key, region, service, action string) (int, string) {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {rdsVersion}}
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20261121/"+region+"/"+service+"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFleetServesAccountsByKeyAndRegionsBySigningRegion(t *testing.T) {
	clk := clock.NewVirtual(time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC))
	s, err := New(Options{Scenario: "fleet:12", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	_, body := fleetCall(t, srv, FleetAccessKey("222222222222"), "eu-west-1", "sts", "GetCallerIdentity")
	if !strings.Contains(body, "<Account>222222222222</Account>") {
		t.Fatalf("the second account's key answered as: %s", body)
	}
	_, a := fleetCall(t, srv, FleetAccessKey("111111111111"), "us-east-1", "rds", "DescribeDBInstances")
	_, b := fleetCall(t, srv, FleetAccessKey("222222222222"), "ap-southeast-2", "rds", "DescribeDBInstances")
	if !strings.Contains(a, "<DBInstanceIdentifier>pg-001</DBInstanceIdentifier>") || strings.Contains(b, "pg-001") ||
		!strings.Contains(b, "<DBInstanceIdentifier>mysql-006</DBInstanceIdentifier>") {
		t.Fatalf("account-Regions not told apart:\n%s\n%s", a, b)
	}
	if !strings.Contains(b, "arn:aws:rds:ap-southeast-2:222222222222:db:mysql-006") {
		t.Fatalf("ARNs do not name their account and Region: %s", b)
	}
	if code, body := fleetCall(t, srv, "AKIASOMEONEELSE00000", "us-east-1", "rds", "DescribeDBInstances"); code != http.StatusForbidden || !strings.Contains(body, "InvalidClientTokenId") {
		t.Fatalf("an unknown key: %d %s", code, body)
	}
	if got := len(s.FleetDatabases()); got != 12+1 {
		t.Fatalf("%d databases, want 12 and one blocked", got)
	}
}

// AWS's budget per account and Region: bursts up to 300, then 12/s; the
// other account-Regions are not touched by one's throttling.
func TestFleetThrottlesPerAccountRegionAboveAWSBudget(t *testing.T) {
	clk := clock.NewVirtual(time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC))
	s, err := New(Options{Scenario: "fleet:6", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	key := FleetAccessKey("111111111111")
	for i := 0; i < 300; i++ {
		if code, body := fleetCall(t, srv, key, "us-east-1", "rds", "DescribeDBProxies"); code != 200 {
			t.Fatalf("request %d of the burst: %d %s", i+1, code, body)
		}
	}
	if code, body := fleetCall(t, srv, key, "us-east-1", "rds", "DescribeDBProxies"); code != 400 || !strings.Contains(body, "<Code>Throttling</Code>") {
		t.Fatalf("the 301st request within the second: %d %s", code, body)
	}
	if code, _ := fleetCall(t, srv, key, "eu-west-1", "rds", "DescribeDBProxies"); code != 200 {
		t.Fatalf("another Region of the account was throttled too: %d", code)
	}
	clk.Advance(time.Second)
	ok := 0
	for i := 0; i < 20; i++ {
		if code, _ := fleetCall(t, srv, key, "us-east-1", "rds", "DescribeDBProxies"); code == 200 {
			ok++
		}
	}
	if ok != 12 {
		t.Fatalf("%d requests admitted in the next second, want AWS's 12", ok)
	}
	r := s.FleetRates()[0]
	if r.Throttled != 1+8 || r.Peak < 301 {
		t.Fatalf("measured %+v", r)
	}
}
