package awsclient

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

const oneInstanceXML = `<DBInstances><DBInstance><DBInstanceIdentifier>db-1</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus></DBInstance></DBInstances>`

func TestCallLogRecordsSuccessfulCall(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBInstances", func(url.Values) wireReply {
		return wireReply{status: 200, requestID: "req-ok-1", body: okXML("DescribeDBInstances", oneInstanceXML), advance: 1500 * time.Millisecond}
	})
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 0)

	if _, err := c.DescribeInstance(context.Background(), "db-1"); err != nil {
		t.Fatalf("DescribeInstance: %v", err)
	}
	got := calls.Recent(10)
	if len(got) != 1 {
		t.Fatalf("recorded %d calls, want 1: %+v", len(got), got)
	}
	want := Call{
		Service: "RDS", Operation: "DescribeDBInstances", Start: testStart, Duration: 1500 * time.Millisecond,
		HTTPStatus: 200, RequestID: "req-ok-1", Attempts: 1,
	}
	if got[0] != want {
		t.Errorf("call = %+v\nwant   %+v", got[0], want)
	}
	if !got[0].OK() {
		t.Errorf("successful call reports !OK")
	}
}

func TestCallLogRecordsErrorCodeStatusAndBodyRequestID(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("ModifyDBInstance", failing(400, "InvalidDBInstanceState", "Database instance is not in available state.", "req-err-7"))
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 0)

	_, err := c.ModifyInstance(context.Background(), ModifyInstanceInput{ID: "db-1", EngineVersion: "16.4"})
	if err == nil {
		t.Fatal("ModifyInstance succeeded, want InvalidDBInstanceState")
	}
	got := calls.Recent(1)
	if len(got) != 1 {
		t.Fatalf("recorded %d calls, want 1", len(got))
	}
	want := Call{
		Service: "RDS", Operation: "ModifyDBInstance", Start: testStart,
		HTTPStatus: 400, RequestID: "req-err-7", ErrorCode: "InvalidDBInstanceState", Mutating: true, Attempts: 1,
	}
	if got[0] != want {
		t.Errorf("call = %+v\nwant   %+v", got[0], want)
	}
	if got[0].OK() {
		t.Errorf("failed call reports OK")
	}
}

// Throttling is retried by the SDK's standard retryer; the call log keeps
// one record for the operation, with the attempts counted and the backoff
// measured on the virtual clock.
func TestThrottlingIsRetriedAndCountedInOneRecord(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	var mu sync.Mutex
	n := 0
	ws.on("DescribeDBInstances", func(url.Values) wireReply {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= 3 {
			return wireReply{status: 400, body: errorXML("Throttling", "Rate exceeded", fmt.Sprintf("req-throttled-%d", n))}
		}
		return wireReply{status: 200, requestID: "req-finally", body: okXML("DescribeDBInstances", oneInstanceXML)}
	})
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 0)

	wallStart := time.Now()
	inst, err := c.DescribeInstance(context.Background(), "db-1")
	if err != nil {
		t.Fatalf("DescribeInstance after throttling: %v", err)
	}
	if inst.ID != "db-1" {
		t.Errorf("instance id %q", inst.ID)
	}
	got := calls.Recent(10)
	if len(got) != 1 {
		t.Fatalf("recorded %d calls, want one per operation: %+v", len(got), got)
	}
	if got[0].Attempts != 4 || got[0].ErrorCode != "" || got[0].RequestID != "req-finally" || got[0].HTTPStatus != 200 {
		t.Errorf("call = %+v, want 4 attempts ending in success req-finally", got[0])
	}
	if got[0].Duration <= 0 || got[0].Duration != clk.Now().Sub(testStart) {
		t.Errorf("duration %v, want the virtual time spent backing off (%v)", got[0].Duration, clk.Now().Sub(testStart))
	}
	// Backoff ran on the virtual clock, not the wall clock.
	if wall := time.Since(wallStart); wall > 5*time.Second {
		t.Errorf("retries took %v of wall time", wall)
	}
}

func TestThrottlingGivesUpAfterMaxAttempts(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeBlueGreenDeployments", failing(400, "Throttling", "Rate exceeded", "req-thr"))
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 3)

	_, err := c.DescribeDeployment(context.Background(), "bgd-x")
	if got := Classify(err); got != KindThrottled {
		t.Fatalf("Classify = %q (err %v), want throttled", got, err)
	}
	rec := calls.Recent(5)
	if len(rec) != 1 || rec[0].Attempts != 3 || rec[0].ErrorCode != "Throttling" || rec[0].RequestID != "req-thr" {
		t.Fatalf("calls = %+v, want one Throttling record with 3 attempts", rec)
	}
	if len(ws.requests("DescribeBlueGreenDeployments")) != 3 {
		t.Errorf("server saw %d requests, want 3", len(ws.requests("DescribeBlueGreenDeployments")))
	}
}

func TestDefaultMaxAttemptsIsEight(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBClusters", failing(400, "Throttling", "Rate exceeded", "r"))
	c := wireClient(t, srv, clk, nil, 0)
	if _, err := c.DescribeCluster(context.Background(), "c"); Classify(err) != KindThrottled {
		t.Fatalf("err %v, want throttled", err)
	}
	if n := len(ws.requests("DescribeDBClusters")); n != DefaultMaxAttempts {
		t.Errorf("attempts = %d, want %d", n, DefaultMaxAttempts)
	}
}

func TestCallLogRecentIsBoundedAndOrdered(t *testing.T) {
	l := NewCallLog()
	for i := 0; i < recentCalls+50; i++ {
		l.Record(Call{Operation: fmt.Sprintf("Op%d", i)})
	}
	all := l.Recent(1000)
	if len(all) != recentCalls {
		t.Fatalf("kept %d, want %d", len(all), recentCalls)
	}
	if all[0].Operation != "Op50" || all[len(all)-1].Operation != fmt.Sprintf("Op%d", recentCalls+49) {
		t.Errorf("kept %s … %s, want the latest in order", all[0].Operation, all[len(all)-1].Operation)
	}
	last3 := l.Recent(3)
	if len(last3) != 3 || last3[2].Operation != all[len(all)-1].Operation || last3[0].Operation != all[len(all)-3].Operation {
		t.Errorf("Recent(3) = %+v", last3)
	}
	if l.Recent(0) != nil {
		t.Errorf("Recent(0) not empty")
	}
	// Recent returns a copy: changing it does not change the log.
	last3[2].Operation = "changed"
	if l.Recent(1)[0].Operation == "changed" {
		t.Errorf("Recent shares the ring")
	}
}

func TestCallLogSubscribeAndUnsubscribe(t *testing.T) {
	l := NewCallLog()
	var a, b []string
	unsubA := l.Subscribe(func(c Call) { a = append(a, c.Operation) })
	l.Subscribe(func(c Call) {
		b = append(b, c.Operation)
		_ = l.Recent(1) // a subscriber may read the log without deadlocking
	})
	l.Record(Call{Operation: "One"})
	unsubA()
	unsubA() // twice is harmless
	l.Record(Call{Operation: "Two"})
	if fmt.Sprint(a) != "[One]" || fmt.Sprint(b) != "[One Two]" {
		t.Errorf("a=%v b=%v, want a=[One] b=[One Two]", a, b)
	}
}

func TestCallLogConcurrentRecord(t *testing.T) {
	l := NewCallLog()
	var mu sync.Mutex
	seen := 0
	l.Subscribe(func(Call) { mu.Lock(); seen++; mu.Unlock() })
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				l.Record(Call{Operation: "Describe"})
				_ = l.Recent(5)
			}
		}()
	}
	wg.Wait()
	if seen != 800 || len(l.Recent(1000)) != recentCalls {
		t.Errorf("seen %d (want 800), kept %d (want %d)", seen, len(l.Recent(1000)), recentCalls)
	}
}

func TestIsMutating(t *testing.T) {
	for op, want := range map[string]bool{
		"DescribeDBInstances": false, "DescribeBlueGreenDeployments": false, "GetCallerIdentity": false,
		"ListTagsForResource": false, "DownloadDBLogFilePortion": false, "": false,
		"CreateBlueGreenDeployment": true, "SwitchoverBlueGreenDeployment": true, "DeleteBlueGreenDeployment": true,
		"ModifyDBInstance": true, "ModifyDBCluster": true, "RegisterDBProxyTargets": true,
		"DeregisterDBProxyTargets": true, "DeleteDBInstance": true, "CreateDBSnapshot": true, "RebootDBInstance": true,
	} {
		if got := IsMutating(op); got != want {
			t.Errorf("IsMutating(%q) = %v, want %v", op, got, want)
		}
	}
}
