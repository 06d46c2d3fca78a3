package sim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

// Each test here is one of issue 15's differences from AWS, fixed; the
// sources are in docs/simulator.md ("Differences fixed").

func TestUnknownFilterNameIsRefusedAndValuesAreCaseSensitive(t *testing.T) {
	e := newEnv(t, sim.Options{})
	_, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("DBInstanceStatus"), Values: []string{"available"}}}})
	ae := requireCode(t, err, "InvalidParameterValue")
	if !strings.Contains(ae.ErrorMessage(), "Unrecognized filter name") || !strings.Contains(ae.ErrorMessage(), "DBInstanceStatus") {
		t.Fatalf("message %q", ae.ErrorMessage())
	}
	for _, op := range []func() error{
		func() error {
			_, err := e.rds.DescribeDBClusters(ctx(), &rds.DescribeDBClustersInput{Filters: []types.Filter{{Name: aws.String("status"), Values: []string{"x"}}}})
			return err
		},
		func() error {
			_, err := e.rds.DescribeBlueGreenDeployments(ctx(), &rds.DescribeBlueGreenDeploymentsInput{Filters: []types.Filter{{Name: aws.String("Source"), Values: []string{"x"}}}})
			return err
		},
		func() error {
			_, err := e.rds.DescribeDBEngineVersions(ctx(), &rds.DescribeDBEngineVersionsInput{Filters: []types.Filter{{Name: aws.String("major"), Values: []string{"16"}}}})
			return err
		},
	} {
		requireCode(t, op(), "InvalidParameterValue")
	}
	count := func(v string) int {
		out, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("db-instance-id"), Values: []string{v}}}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.DBInstances)
	}
	if count("orders-db") != 1 || count("ORDERS-DB") != 0 {
		t.Fatalf("filter values must match case-sensitively: %d %d", count("orders-db"), count("ORDERS-DB"))
	}
}

func TestBlueCannotBeUpgradedPastGreen(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db")), TargetEngineVersion: aws.String("10.11.10")}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", time.Hour)
	_, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("catalog-db"), EngineVersion: aws.String("11.4.3"), AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	ae := requireCode(t, err, "InvalidParameterCombination")
	if !strings.Contains(ae.ErrorMessage(), "10.11.10") {
		t.Fatalf("the refusal should name green's version: %q", ae.ErrorMessage())
	}
	// Up to green's version is allowed.
	if _, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("catalog-db"), EngineVersion: aws.String("10.11.10"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatalf("blue up to green's version: %v", err)
	}
}

func TestOldBlueIsReadOnlyAfterSwitchover(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	d := e.waitStatus(id, "AVAILABLE", time.Hour)
	green := strings.TrimPrefix(aws.ToString(d.Target), arn("db", ""))
	if got := readOnly(t, e); strings.Join(got, ",") != green {
		t.Fatalf("before the switchover only green is read-only: %v", got)
	}
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Switchover)
	if got := readOnly(t, e); strings.Join(got, ",") != "catalog-db-old1" {
		t.Fatalf("after the switchover old blue is read-only, production writable: %v", got)
	}
	if _, err := e.rds.DeleteBlueGreenDeployment(ctx(), &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if got := readOnly(t, e); strings.Join(got, ",") != "catalog-db-old1" {
		t.Fatalf("RDS keeps old blue read-only after the deployment's deletion: %v", got)
	}
}

func TestAuroraDeploymentDeletionLiftsTheReadOnlyGuard(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	e.deregister("ledger-proxy", nil, []string{"ledger-cluster"})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("l"), Source: aws.String(arn("cluster", "ledger-cluster"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", 2*time.Hour)
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Switchover)
	if got := readOnly(t, e); len(got) != 4 || got[0] != "ledger-cluster-old1" {
		t.Fatalf("old blue cluster and its 3 instances read-only: %v", got)
	}
	if _, err := e.rds.DeleteBlueGreenDeployment(ctx(), &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if got := readOnly(t, e); len(got) != 0 {
		t.Fatalf("deleting an Aurora deployment lifts the guard: %v", got)
	}
}

func readOnly(t *testing.T, e *env) []string {
	t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + sim.ReadOnlyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(e.sim.ReadOnly(), ",") {
		t.Fatalf("endpoint %v disagrees with ReadOnly() %v", got, e.sim.ReadOnly())
	}
	return got
}

func events(t *testing.T, e *env, sourceType types.SourceType, id string) []types.Event {
	t.Helper()
	out, err := e.rds.DescribeEvents(ctx(), &rds.DescribeEventsInput{SourceType: sourceType, SourceIdentifier: aws.String(id), Duration: aws.Int32(24 * 60)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Events
}

func TestDescribeEventsTellsTheDeploymentsLife(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioAuroraPostgres})
	e.deregister("ledger-proxy", nil, []string{"ledger-cluster"})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("l"), Source: aws.String(arn("cluster", "ledger-cluster"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", 2*time.Hour)
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Switchover)
	if _, err := e.rds.DeleteBlueGreenDeployment(ctx(), &rds.DeleteBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.DeploymentDelete)
	got := events(t, e, types.SourceTypeBlueGreenDeployment, id)
	var lines []string
	for _, ev := range got {
		if aws.ToString(ev.SourceIdentifier) != id || ev.SourceType != types.SourceTypeBlueGreenDeployment || !strings.HasSuffix(aws.ToString(ev.SourceArn), ":deployment:"+id) || ev.Date == nil {
			t.Fatalf("event shape %+v", ev)
		}
		lines = append(lines, aws.ToString(ev.Message))
	}
	joined := strings.Join(lines, "\n")
	for _, want := range []string{"tasks completed", "DB cluster ledger-cluster to ledger-cluster-green-", "Renamed ledger-cluster to ledger-cluster-old1", "deleted"} {
		if !strings.Contains(joined, want) {
			t.Errorf("events lack %q:\n%s", want, joined)
		}
	}
	ids := strings.Join(e.sim.EventIDs(), ",")
	for _, want := range []string{"RDS-EVENT-0244", "RDS-EVENT-0259", "RDS-EVENT-0260", "RDS-EVENT-0246"} {
		if !strings.Contains(ids, want) {
			t.Errorf("no %s in %s", want, ids)
		}
	}
	// The default window is the last hour; SourceIdentifier needs SourceType.
	e.advance(2 * time.Hour)
	out, err := e.rds.DescribeEvents(ctx(), &rds.DescribeEventsInput{})
	if err != nil || len(out.Events) != 0 {
		t.Fatalf("events older than an hour are outside the default window: %v %d", err, len(out.Events))
	}
	_, err = e.rds.DescribeEvents(ctx(), &rds.DescribeEventsInput{SourceIdentifier: aws.String(id)})
	requireCode(t, err, "InvalidParameterCombination")
}

func TestCreationFailureFaultEmits0245WithTheReason(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy, Faults: []sim.Fault{{CreationFail: "the green instance could not be restored from the snapshot"}}})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	d := e.waitStatus(id, "INVALID_CONFIGURATION", time.Hour)
	if taskStatuses(d)["CREATING_READ_REPLICA_OF_SOURCE"] != "FAILED" || !strings.Contains(aws.ToString(d.StatusDetails), "snapshot") {
		t.Fatalf("failed creation: %v %q", taskStatuses(d), aws.ToString(d.StatusDetails))
	}
	e.advance(time.Hour)
	if s := aws.ToString(e.deployment(id).Status); s != "INVALID_CONFIGURATION" {
		t.Fatalf("a failed creation never becomes %s", s)
	}
	got := events(t, e, types.SourceTypeBlueGreenDeployment, id)
	if len(got) != 1 || !strings.Contains(aws.ToString(got[0].Message), "failed because the green instance could not be restored") || got[0].EventCategories[0] != "failure" {
		t.Fatalf("events %+v", got)
	}
	if !strings.Contains(strings.Join(e.sim.EventIDs(), ","), "RDS-EVENT-0245") {
		t.Fatal("no RDS-EVENT-0245")
	}
}

func TestNativeSwitchoverGuardrailRefusesAnUnreachableProxy(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("s"), Source: aws.String(arn("db", "shop-db"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", time.Hour)
	e.sim.AddFault(sim.Fault{ProxyUnreachable: true})
	_, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)})
	f := requireFault[*types.InvalidBlueGreenDeploymentStateFault](t, err)
	if !strings.Contains(f.ErrorMessage(), "shop-proxy") {
		t.Fatalf("message %q", f.ErrorMessage())
	}
	if s := aws.ToString(e.deployment(id).Status); s != "AVAILABLE" {
		t.Fatalf("a refused switchover changes nothing: %s", s)
	}
	e.sim.ClearFaults()
	if _, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id)}); err != nil {
		t.Fatalf("with the proxy reachable: %v", err)
	}
}

func TestMySQLReplicasAreUpgradedFirstPostgreSQLWithThePrimary(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMySQLNative})
	e.sim.Update(func(st *sim.State) {
		var primary *sim.Instance
		for _, in := range st.Instances {
			if in.ID == "shop-db" {
				primary = in
			}
		}
		r := *primary
		r.ID, r.ResourceID, r.ReplicaOf, r.MultiAZ = "shop-db-replica", "", primary.ResourceID, false
		st.Instances = append(st.Instances, &r)
	})
	_, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("shop-db"), EngineVersion: aws.String("8.4.3"), AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	if ae := requireCode(t, err, "InvalidParameterCombination"); !strings.Contains(ae.ErrorMessage(), "shop-db-replica") {
		t.Fatalf("the refusal should name the replica: %q", ae.ErrorMessage())
	}
	// A minor upgrade of the primary leaves the replica alone.
	if _, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("shop-db"), EngineVersion: aws.String("8.0.39"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Modify)
	if v := aws.ToString(e.instance("shop-db-replica").EngineVersion); v != "8.0.36" {
		t.Fatalf("MySQL replica upgraded with its primary: %s", v)
	}
	// Replica first, then the primary.
	if _, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("shop-db-replica"), EngineVersion: aws.String("8.4.3"), AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	e.advance(e.tm.Modify)
	if _, err := e.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("shop-db"), EngineVersion: aws.String("8.4.3"), AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatalf("primary after its replica: %v", err)
	}

	pg := newEnv(t, sim.Options{})
	if _, err := pg.rds.ModifyDBInstance(ctx(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("orders-db"), EngineVersion: aws.String("15.8"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	pg.advance(pg.tm.Modify)
	if v := aws.ToString(pg.instance("orders-db-replica-1").EngineVersion); v != "15.8" {
		t.Fatalf("PostgreSQL replicas are upgraded with the primary: %s", v)
	}
}

func TestSmallWireDifferences(t *testing.T) {
	e := newEnv(t, sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
	id := aws.ToString(e.create(&rds.CreateBlueGreenDeploymentInput{BlueGreenDeploymentName: aws.String("c"), Source: aws.String(arn("db", "catalog-db"))}).BlueGreenDeploymentIdentifier)
	e.waitStatus(id, "AVAILABLE", time.Hour)
	_, err := e.rds.SwitchoverBlueGreenDeployment(ctx(), &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: aws.String(id), SwitchoverTimeout: aws.Int32(3601)})
	requireCode(t, err, "InvalidParameterValue")

	post := func(body string) (*http.Response, string) {
		resp, err := e.srv.Client().Post(e.srv.URL, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, b.String()
	}
	resp, body := post("Action=DescribeDBInstances&Version=2014-10-31&%zz")
	if resp.StatusCode != 404 || !strings.Contains(body, "<Code>MalformedQueryString</Code>") {
		t.Fatalf("malformed query: %d %s", resp.StatusCode, body)
	}
	resp, body = post(url.Values{"Version": {"2014-10-31"}}.Encode())
	if resp.StatusCode != 400 || !strings.Contains(body, "<Code>MissingAction</Code>") {
		t.Fatalf("no action: %d %s", resp.StatusCode, body)
	}

	// Request ids: two unseeded simulators never answer the same sequence.
	ids := func() string {
		s, err := sim.New(sim.Options{Scenario: sim.ScenarioRDSMariaDBNoProxy})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{header: http.Header{}}
		s.ServeHTTP(rec, mustRequest(t, "Action=DescribeDBInstances&Version=2014-10-31"))
		return rec.header.Get("X-Amzn-Requestid")
	}
	if a, b := ids(), ids(); a == b || a == "" {
		t.Fatalf("request ids repeat across simulators: %q %q", a, b)
	}
}

func TestAllowOnlyFaultAnswersAccessDenied(t *testing.T) {
	e := newEnv(t, sim.Options{Faults: []sim.Fault{{AllowOnly: []string{"rds:DescribeDBInstances"}}}})
	if _, err := e.rds.DescribeDBInstances(ctx(), &rds.DescribeDBInstancesInput{}); err != nil {
		t.Fatalf("an allowed action: %v", err)
	}
	_, err := e.rds.DescribeDBEngineVersions(ctx(), &rds.DescribeDBEngineVersionsInput{})
	ae := requireCode(t, err, "AccessDenied")
	requireHTTPStatus(t, err, 403)
	if !strings.Contains(ae.ErrorMessage(), "rds:DescribeDBEngineVersions") {
		t.Fatalf("message %q", ae.ErrorMessage())
	}
	if _, err := e.sts.GetCallerIdentity(ctx(), nil); err != nil {
		t.Fatalf("STS needs no permission: %v", err)
	}
	if len(e.sim.Mutations()) != 0 {
		t.Fatal("nothing changed")
	}
}

type recorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

func mustRequest(t *testing.T, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://sim/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
