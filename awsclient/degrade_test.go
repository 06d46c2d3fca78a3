package awsclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// An emulator's HTML 500 page (moto without DescribeDBEngineVersions) is a
// server error, retried visibly, never a "ClientError".
func TestHTML500IsAServerErrorAndItsRetriesAreVisible(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(500)
		_, _ = w.Write([]byte("<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>"))
	}))
	defer srv.Close()
	calls := NewCallLog()
	var retries []string
	calls.SubscribeRetries(func(r Retry) { retries = append(retries, r.String()) })
	var last Call
	calls.Subscribe(func(c Call) { last = c })
	c, err := New(context.Background(), Options{EndpointURL: srv.URL, Region: "us-east-1", Simulator: true, Clock: clock.NewVirtual(testStart), Calls: calls, HTTPClient: srv.Client(), MaxAttempts: 4})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeEngineVersion(context.Background(), "postgres", "15.7")
	if Classify(err) != KindServerError {
		t.Fatalf("kind %s: %v", Classify(err), err)
	}
	if why, ok := Unavailable(err); !ok || !strings.Contains(why, "HTTP 500") {
		t.Fatalf("Unavailable: %q %v", why, ok)
	}
	if last.ErrorCode != "ServerError" || last.Attempts != 4 {
		t.Fatalf("call %+v", last)
	}
	if len(retries) != 3 || !strings.HasPrefix(retries[0], "AWS answered 500; retry 1 of 3 in ") {
		t.Fatalf("retries %q", retries)
	}
}

// A 404 without AWS's error format (moto has no CloudWatch rpcv2-cbor) is
// an unsupported action, shown as HTTP404.
func TestHTML404IsUnsupported(t *testing.T) {
	simtest.IsolateAWSEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		_, _ = w.Write([]byte("<html>not found</html>"))
	}))
	defer srv.Close()
	calls := NewCallLog()
	var last Call
	calls.Subscribe(func(c Call) { last = c })
	c, err := New(context.Background(), Options{EndpointURL: srv.URL, Region: "us-east-1", Simulator: true, Clock: clock.NewVirtual(testStart), Calls: calls, HTTPClient: srv.Client(), MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeEngineVersion(context.Background(), "postgres", "15.7")
	if k := Classify(err); k != KindUnsupported {
		t.Fatalf("kind %s: %v", k, err)
	}
	if last.ErrorCode == "ClientError" {
		t.Fatalf("call %+v", last)
	}
}
