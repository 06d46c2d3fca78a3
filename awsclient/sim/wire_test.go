package sim_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func post(t *testing.T, e *env, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := e.srv.Client().PostForm(e.srv.URL+"/", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestWireFormat(t *testing.T) {
	e := newEnv(t, sim.Options{})
	resp, body := post(t, e, url.Values{"Action": {"DescribeDBInstances"}, "Version": {"2014-10-31"}, "DBInstanceIdentifier": {"orders-db"}})
	reqID := resp.Header.Get("X-Amzn-Requestid")
	if resp.StatusCode != 200 || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(reqID) {
		t.Fatalf("status %d request id %q", resp.StatusCode, reqID)
	}
	for _, want := range []string{`<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">`, "<DescribeDBInstancesResult>",
		"<DBInstances><DBInstance>", "<ReadReplicaDBInstanceIdentifiers><ReadReplicaDBInstanceIdentifier>orders-db-replica-1</ReadReplicaDBInstanceIdentifier>",
		"<DBParameterGroups><DBParameterGroup>", "<RequestId>" + reqID + "</RequestId>"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s", want)
		}
	}
	if !regexp.MustCompile(`<InstanceCreateTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z</InstanceCreateTime>`).MatchString(body) {
		t.Error("timestamps must be RFC3339 UTC with milliseconds")
	}

	resp, body = post(t, e, url.Values{"Action": {"DeregisterDBProxyTargets"}, "Version": {"2014-10-31"}, "DBProxyName": {"orders-proxy"}, "DBInstanceIdentifiers.member.1": {"orders-db"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "<DeregisterDBProxyTargetsResult/>") {
		t.Fatalf("empty result: %d %s", resp.StatusCode, body)
	}

	resp, body = post(t, e, url.Values{"Action": {"CreateDBInstance"}, "Version": {"2014-10-31"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") || !strings.Contains(body, "<Type>Sender</Type>") ||
		!strings.Contains(body, "<RequestId>"+resp.Header.Get("X-Amzn-Requestid")+"</RequestId>") || !strings.HasPrefix(body, "<?xml") {
		t.Fatalf("unknown action: %d %s", resp.StatusCode, body)
	}

	_, body = post(t, e, url.Values{"Action": {"DescribeBlueGreenDeployments"}, "Version": {"2014-10-31"}})
	if !strings.Contains(body, "<BlueGreenDeployments></BlueGreenDeployments>") {
		t.Fatalf("an empty list is still wrapped: %s", body)
	}
	_, body = post(t, e, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	if !strings.Contains(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>`) {
		t.Fatalf("sts: %s", body)
	}
}
