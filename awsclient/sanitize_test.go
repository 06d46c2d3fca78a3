package awsclient

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/sim"
)

func TestSanitizeNeutralisesTerminalControl(t *testing.T) {
	cases := map[string]string{
		"plain text, ümlauts and 日本":       "plain text, ümlauts and 日本",
		"line\n\rrdsbg: done":              "line  rdsbg: done",
		"\x1b[2J\x1b]0;pwned\x07":          `\x1b[2J\x1b]0;pwned\x07`,
		"csi \u009b31m red":                `csi \x9b31m red`,
		"bidi \u202egnp.exe\u202c":         `bidi \u202egnp.exe\u202c`,
		"isolate \u2066x\u2069":            `isolate \u2066x\u2069`,
		"tab\tsep\u2028line":               "tab sep line",
		"del\x7f and nul\x00":              `del\x7f and nul\x00`,
		"bad utf8 \xff\xfe end":            "bad utf8 \uFFFD\uFFFD end",
		"lrm \u200e rlm \u200f alm \u061c": `lrm \u200e rlm \u200f alm \u061c`,
	}
	for in, want := range cases {
		got := Sanitize(in)
		if got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
		if Sanitize(got) != got {
			t.Errorf("Sanitize is not idempotent on %q", got)
		}
	}
}

// unsafeText reports the first byte or rune of s that could drive a terminal.
func unsafeText(s string) (rune, bool) {
	for _, r := range s {
		if unsafeRune(r) || r == '\u2028' || r == '\u2029' {
			return r, true
		}
	}
	return 0, false
}

// An RDS error whose message carries CR/LF and ESC sequences reaches the
// program as one harmless line: in err.Error(), in Inspect and in the call
// log.
func TestRDSErrorMessageIsSanitizedWhereItEnters(t *testing.T) {
	h := newSimHarness(t, sim.ScenarioRDSPostgresNative)
	h.sim.AddFault(sim.Fault{Operation: "DescribeDBInstances", Code: "InvalidParameterValue",
		Message: "bad\n\rrdsbg: done\x1b[2J\x1b[31mred\u009b0m\u202eevil"})
	_, err := h.client.DescribeInstance(context.Background(), "orders-db")
	if err == nil {
		t.Fatal("DescribeInstance succeeded, want the injected error")
	}
	if r, bad := unsafeText(err.Error()); bad {
		t.Errorf("err.Error() carries %U: %q", r, err.Error())
	}
	if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "\r") {
		t.Errorf("err.Error() has a line break: %q", err.Error())
	}
	// (The XML of awsquery cannot carry ESC itself; the simulator sends
	// U+FFFD there. C1 and bidi codes do cross, and are escaped.)
	if !strings.Contains(err.Error(), `bad  rdsbg: done`) || !strings.Contains(err.Error(), `\x9b0m\u202eevil`) {
		t.Errorf("err.Error() = %q, want the text kept visibly on one line", err.Error())
	}
	info, ok := Inspect(err)
	if !ok || info.Code != "InvalidParameterValue" {
		t.Fatalf("Inspect = %+v, %v", info, ok)
	}
	if r, bad := unsafeText(info.Message); bad {
		t.Errorf("Inspect().Message carries %U: %q", r, info.Message)
	}
	if Classify(err) != KindInvalidParameter {
		t.Errorf("Classify = %s: sanitizing must keep the typed fault reachable", Classify(err))
	}
}

// A CloudWatch error (smithy-rpcv2-cbor, another protocol) is sanitized
// the same way.
func TestCloudWatchErrorIsSanitized(t *testing.T) {
	h := newSimHarness(t, sim.ScenarioRDSPostgresNative)
	h.sim.AddFault(sim.Fault{Operation: "GetMetricData", Code: "InvalidParameterValue", Message: "metric\x1b]52;c;cm0gLXJmIH4=\x07gone\n"})
	t0 := h.clock.Now()
	h.clock.Advance(5 * time.Minute)
	_, err := h.client.GetMetricSeries(context.Background(), ProxyConnectionQueries("orders-proxy"), t0, h.clock.Now(), time.Minute)
	if err == nil {
		t.Fatal("GetMetricSeries succeeded, want the injected error")
	}
	if r, bad := unsafeText(err.Error()); bad {
		t.Errorf("err.Error() carries %U: %q", r, err.Error())
	}
	if !strings.Contains(err.Error(), `metric\x1b]52`) {
		t.Errorf("err.Error() = %q, want the escape shown, not obeyed", err.Error())
	}
}

// Names from AWS pass the same filter in the conversions.
func TestConvertedNamesAreSanitized(t *testing.T) {
	got := strs([]string{"ok", "x\x1b[1my"})
	if got[0] != "ok" || got[1] != `x\x1b[1my` {
		t.Errorf("strs = %q", got)
	}
	p := "db\u202e1"
	if s := str(&p); s != `db\u202e1` {
		t.Errorf("str = %q", s)
	}
}
