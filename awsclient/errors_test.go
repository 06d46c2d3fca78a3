package awsclient

import (
	"context"
	"errors"
	"fmt"
	"testing"

	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// Every wire code below comes back through the real SDK deserializer, so the
// test covers the code ⇒ typed fault mapping as well as Classify.
func TestClassifyWireCodes(t *testing.T) {
	cases := []struct {
		status int
		code   string
		want   ErrorKind
	}{
		{404, "DBInstanceNotFound", KindNotFound},
		{404, "DBClusterNotFoundFault", KindNotFound},
		{404, "BlueGreenDeploymentNotFoundFault", KindNotFound},
		{404, "DBProxyNotFoundFault", KindNotFound},
		{404, "DBProxyTargetNotFoundFault", KindNotFound},
		{404, "DBParameterGroupNotFound", KindNotFound},
		{404, "DBClusterParameterGroupNotFound", KindNotFound},
		{400, "InvalidDBInstanceState", KindInvalidState},
		{400, "InvalidDBClusterStateFault", KindInvalidState},
		{400, "InvalidBlueGreenDeploymentStateFault", KindInvalidState},
		{400, "InvalidDBProxyStateFault", KindInvalidState},
		// A shape name instead of the wire code: untyped, still classified.
		{400, "InvalidDBInstanceStateFault", KindInvalidState},
		{400, "BlueGreenDeploymentAlreadyExistsFault", KindAlreadyExists},
		{400, "DBProxyTargetAlreadyRegisteredFault", KindAlreadyExists},
		{400, "DBSnapshotAlreadyExists", KindAlreadyExists},
		{403, "AccessDenied", KindAccessDenied},
		{400, "AccessDeniedException", KindAccessDenied},
		{400, "InvalidParameterValue", KindInvalidParameter},
		{400, "InvalidParameterCombination", KindInvalidParameter},
		{400, "MissingParameter", KindInvalidParameter},
		{400, "SourceDatabaseNotSupportedFault", KindOther},
		{400, "Throttling", KindThrottled},
		{400, "ThrottlingException", KindThrottled},
		// Every code the SDK's retryer backs off from is throttling here too
		// (retry.DefaultThrottleErrorCodes), not a hand-kept subset.
		{400, "RequestLimitExceeded", KindThrottled},
		{400, "TooManyRequestsException", KindThrottled},
		{400, "RequestThrottled", KindThrottled},
		{503, "SlowDown", KindThrottled},
		{500, "InternalFailure", KindServerError}, // a 5xx is the server's failure (issue 15)
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			clk := clock.NewVirtual(testStart)
			ws, srv := newWireServer(t, clk)
			ws.on("DescribeDBInstances", failing(tc.status, tc.code, "message for "+tc.code, "req-"+tc.code))
			// One attempt: retryable codes must not be retried here.
			c := wireClient(t, srv, clk, nil, 1)
			_, err := c.DescribeInstance(context.Background(), "db-1")
			if err == nil {
				t.Fatal("no error")
			}
			if got := Classify(err); got != tc.want {
				t.Errorf("Classify = %q, want %q (err: %v)", got, tc.want, err)
			}
			info, ok := Inspect(err)
			if !ok {
				t.Fatalf("Inspect: not an API error: %v", err)
			}
			want := APIErrorInfo{
				Operation: "DescribeDBInstances", Code: tc.code, Message: "message for " + tc.code,
				RequestID: "req-" + tc.code, HTTPStatus: tc.status, Kind: tc.want,
			}
			if info != want {
				t.Errorf("Inspect = %+v\nwant      %+v", info, want)
			}
		})
	}
}

func TestWireCodeBecomesTypedFault(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBInstances", failing(404, "DBInstanceNotFound", "DBInstance doc-example-instance not found.", "67279f88"))
	c := wireClient(t, srv, clk, nil, 0)
	_, err := c.DescribeInstance(context.Background(), "doc-example-instance")
	var fault *rdstypes.DBInstanceNotFoundFault
	if !errors.As(err, &fault) {
		t.Fatalf("err %v (%T) is not a *DBInstanceNotFoundFault", err, err)
	}
	// Wrapping by a caller keeps the classification.
	if Classify(fmt.Errorf("discover: %w", err)) != KindNotFound {
		t.Errorf("wrapped error lost its kind")
	}
}

func TestClassifyNonAPIErrors(t *testing.T) {
	if Classify(nil) != "" {
		t.Errorf("Classify(nil) = %q, want empty", Classify(nil))
	}
	for _, err := range []error{context.Canceled, context.DeadlineExceeded, errors.New("boom")} {
		if got := Classify(err); got != KindOther {
			t.Errorf("Classify(%v) = %q, want other", err, got)
		}
		if _, ok := Inspect(err); ok {
			t.Errorf("Inspect(%v) claims an API error", err)
		}
	}
	if got := Classify(&NotFoundError{What: "engine version", ID: "postgres 9.9"}); got != KindNotFound {
		t.Errorf("NotFoundError classified %q", got)
	}
}

func TestTransportErrorIsOtherAndLogged(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	_, srv := newWireServer(t, clk)
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 2)
	srv.Close() // connection refused from now on
	_, err := c.ListProxies(context.Background())
	if err == nil {
		t.Fatal("call to a closed server succeeded")
	}
	if Classify(err) != KindOther {
		t.Errorf("Classify = %q, want other", Classify(err))
	}
	if _, ok := Inspect(err); ok {
		t.Errorf("Inspect reports an API error for a refused connection")
	}
	rec := calls.Recent(1)
	if len(rec) != 1 || rec[0].OK() || rec[0].ErrorCode == "" || rec[0].Attempts != 2 || rec[0].HTTPStatus != 0 {
		t.Errorf("call log = %+v, want one failed record with 2 attempts and no status", rec)
	}
}

func TestCancelledContextIsOther(t *testing.T) {
	clk := clock.NewVirtual(testStart)
	ws, srv := newWireServer(t, clk)
	ws.on("DescribeDBInstances", fixed("DescribeDBInstances", oneInstanceXML, "r"))
	calls := NewCallLog()
	c := wireClient(t, srv, clk, calls, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.DescribeInstance(ctx, "db-1")
	if !errors.Is(err, context.Canceled) || Classify(err) != KindOther {
		t.Fatalf("err %v kind %q, want context.Canceled / other", err, Classify(err))
	}
	if rec := calls.Recent(1); len(rec) != 1 || rec[0].ErrorCode != "Canceled" {
		t.Errorf("call log = %+v, want one Canceled record", rec)
	}
}
