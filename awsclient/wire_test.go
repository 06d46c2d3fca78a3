package awsclient

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// Hand-written awsQuery answers (rds-facts.md §6), for tests that must not
// depend on the simulator: exact wire codes, list item names, request id in
// the header on success and in the body on errors.

// testStart is the virtual clock's origin in every test.
var testStart = time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)

// wireServer answers awsQuery requests from a table of Action ⇒ reply and
// keeps every request's form for assertions.
type wireServer struct {
	t       *testing.T
	mu      sync.Mutex
	replies map[string]func(form url.Values) wireReply
	forms   []url.Values
	auth    []string
}

type wireReply struct {
	status    int
	requestID string // sent in X-Amzn-Requestid on success
	body      string
	advance   time.Duration // how long the call "takes" on the virtual clock
}

func (s *wireServer) on(action string, fn func(form url.Values) wireReply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[action] = fn
}

func (s *wireServer) requests(action string) []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []url.Values
	for _, f := range s.forms {
		if f.Get("Action") == action {
			out = append(out, f)
		}
	}
	return out
}

func (s *wireServer) actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, f := range s.forms {
		out = append(out, f.Get("Action"))
	}
	return out
}

func (s *wireServer) authorizations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...)
}

// newWireServer starts a loopback server; clk (may be nil) is advanced by
// each reply's advance before it is written.
func newWireServer(t *testing.T, clk *clock.Virtual) (*wireServer, *httptest.Server) {
	t.Helper()
	s := &wireServer{t: t, replies: map[string]func(url.Values) wireReply{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.forms = append(s.forms, r.PostForm)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		fn := s.replies[r.PostForm.Get("Action")]
		s.mu.Unlock()
		if fn == nil {
			writeWireError(w, 400, "InvalidAction", "no test reply for "+r.PostForm.Get("Action"), "req-unknown")
			return
		}
		rep := fn(r.PostForm)
		if clk != nil {
			clk.Advance(rep.advance)
		}
		if rep.status >= 400 {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(rep.status)
			fmt.Fprint(w, rep.body)
			return
		}
		if rep.requestID != "" {
			w.Header().Set("X-Amzn-Requestid", rep.requestID)
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, rep.body)
	}))
	t.Cleanup(srv.Close)
	return s, srv
}

func writeWireError(w http.ResponseWriter, status int, code, msg, reqID string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprint(w, errorXML(code, msg, reqID))
}

func errorXML(code, msg, reqID string) string {
	return `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>` +
		code + `</Code><Message>` + msg + `</Message></Error><RequestId>` + reqID + `</RequestId></ErrorResponse>`
}

func okXML(op, result string) string {
	return `<` + op + `Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><` + op + `Result>` + result +
		`</` + op + `Result><ResponseMetadata><RequestId>body-id-ignored</RequestId></ResponseMetadata></` + op + `Response>`
}

func fixed(op, result, requestID string) func(url.Values) wireReply {
	return func(url.Values) wireReply {
		return wireReply{status: 200, requestID: requestID, body: okXML(op, result)}
	}
}

func failing(status int, code, msg, requestID string) func(url.Values) wireReply {
	return func(url.Values) wireReply {
		return wireReply{status: status, body: errorXML(code, msg, requestID)}
	}
}

// wireClient is a simulator-mode client against srv on a virtual clock.
func wireClient(t *testing.T, srv *httptest.Server, clk *clock.Virtual, calls *CallLog, maxAttempts int) *Client {
	t.Helper()
	simtest.IsolateAWSEnv(t)
	c, err := New(context.Background(), Options{
		Region: "us-east-1", EndpointURL: srv.URL, Simulator: true,
		Clock: clk, Calls: calls, MaxAttempts: maxAttempts, HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestWireServerIsLoopback(t *testing.T) {
	_, srv := newWireServer(t, nil)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want loopback", srv.URL)
	}
}
