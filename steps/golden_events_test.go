package steps

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rdsbg/rdsbg/awsclient/sim"
	"github.com/rdsbg/rdsbg/steps/contract"
)

// The event streams of whole headless runs, as goldens: every scenario,
// the detach procedure with an upgrade on green, a run paused ready then
// resumed, and an abort. The engine's structure may change; what it says
// and does may not: these NDJSON streams (what `rdsbg run --output json`
// prints) and their text (--output text) stay byte-identical through a refactor, and a change of
// behaviour shows here, line by line, and is regenerated with -update.
//
// Everything runs on the virtual clock with the simulator's seeded request
// ids, so a stream is deterministic; the only machine-dependent text (the
// state directory in the journal's and the runbook's paths) is replaced by
// <state-dir>, and the owner lease's holder is fixed.

// goldenRun is one run of the event-stream goldens.
type goldenRun struct {
	name     string
	scenario string
	opts     contract.Options
	// then runs after the first execution on the same state directory and
	// simulator (a resume, an abort); nil: none.
	then  func(t *testing.T, env *engineEnv, eng func(contract.Options, string) *Engine, o contract.Options)
	until string
}

func goldenRuns() []goldenRun {
	resume := func(t *testing.T, env *engineEnv, eng func(contract.Options, string) *Engine, o contract.Options) {
		if _, err := eng(o, "").Resume(context.Background()); err != nil {
			t.Fatalf("Resume: %v", err)
		}
	}
	abort := func(t *testing.T, env *engineEnv, eng func(contract.Options, string) *Engine, o contract.Options) {
		if _, err := eng(o, "").Abort(context.Background()); err != nil {
			t.Fatalf("Abort: %v", err)
		}
	}
	return []goldenRun{
		{name: "native-postgres-upgrade", scenario: sim.ScenarioRDSPostgresNative, opts: contract.Options{Source: "orders-db", TargetEngineVersion: "16.4"}},
		{name: "legacy-postgres-fallback", scenario: sim.ScenarioRDSPostgresLegacy, opts: contract.Options{Source: "orders-db"}},
		{name: "native-mysql", scenario: sim.ScenarioRDSMySQLNative, opts: contract.Options{Source: "shop-db"}},
		{name: "aurora-postgres-detach", scenario: sim.ScenarioAuroraPostgres, opts: contract.Options{Source: "ledger-cluster", ProxyMode: contract.ProxyModeDetach}},
		{name: "aurora-global", scenario: sim.ScenarioAuroraGlobal, opts: contract.Options{Source: "payments-cluster"}},
		{name: "mariadb-no-proxy-upgrade-via-modify", scenario: sim.ScenarioRDSMariaDBNoProxy,
			opts: contract.Options{Source: "catalog-db", TargetEngineVersion: "11.4.3", UpgradeVia: contract.UpgradeViaModify, Cleanup: contract.CleanupOldBlue}},
		{name: "detach-major-upgrade", scenario: sim.ScenarioRDSPostgresLegacy,
			opts: contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "16.4"}},
		{name: "detach-upgrade-via-modify-cleanup-old-blue", scenario: sim.ScenarioRDSPostgresLegacy,
			opts: contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach, TargetEngineVersion: "15.10", UpgradeVia: contract.UpgradeViaModify, Cleanup: contract.CleanupOldBlue}},
		{name: "ready-then-resume", scenario: sim.ScenarioRDSPostgresLegacy, until: contract.UntilReady, then: resume,
			opts: contract.Options{Source: "orders-db", ProxyMode: contract.ProxyModeDetach}},
		{name: "ready-then-abort", scenario: sim.ScenarioAuroraPostgres, until: contract.UntilReady, then: abort,
			opts: contract.Options{Source: "ledger-cluster", ProxyMode: contract.ProxyModeDetach}},
	}
}

func TestEventStreamGoldens(t *testing.T) {
	t.Parallel() // heavy: runs beside the other heavy tests
	for _, g := range goldenRuns() {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			got, text := goldenStream(t, g)
			path := filepath.Join("testdata", "events", g.name+".ndjson.gz")
			textPath := filepath.Join("testdata", "events", g.name+".txt")
			if *updateGoldens {
				writeGzipGolden(t, path, got)
				if err := os.WriteFile(textPath, text, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := readGzipGolden(t, path); !bytes.Equal(got, want) {
				t.Errorf("the event stream of %s changed; first difference:\n%s", g.name, firstDifference(want, got))
			}
			want, err := os.ReadFile(textPath)
			if err != nil {
				t.Fatalf("%v (-update writes it)", err)
			}
			if !bytes.Equal(text, want) {
				t.Errorf("the text output of %s changed; first difference:\n%s", g.name, firstDifference(want, text))
			}
		})
	}
}

// goldenStream runs g headless and returns its NDJSON (--output json) and
// its text (--output text), normalised.
func goldenStream(t *testing.T, g goldenRun) (ndjson, text []byte) {
	t.Helper()
	env := newEngineEnv(t, sim.Options{Scenario: g.scenario, Seed: 24}) // seeded: the same request ids and names every time
	var out, txt bytes.Buffer
	jsonSink, textSink := contract.NewNDJSONSink(&out), contract.NewTextSink(&txt)
	sink := func(ev contract.Event) { jsonSink(ev); textSink(ev) }
	holder := Holder{Host: "golden-host", PID: 4242, User: "dba", Alive: func(int) bool { return true }}
	eng := func(o contract.Options, until string) *Engine {
		return env.engineCfg(t, o, func(c *Config) {
			c.Sink, c.Holder, c.Until, c.Metrics = sink, holder, until, env.client
		})
	}
	if _, err := eng(g.opts, g.until).Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if g.then != nil {
		g.then(t, env, eng, g.opts)
	}
	normal := func(b []byte) []byte {
		b = bytes.ReplaceAll(b, []byte(env.stateDir), []byte("<state-dir>"))
		return runIDSuffix.ReplaceAll(b, []byte("${1}-rand"))
	}
	return normal(out.Bytes()), normal(txt.Bytes())
}

// runIDSuffix is the random part of a run id (newRunID).
var runIDSuffix = regexp.MustCompile(`(?i)(\d{8}T\d{6}Z)-[0-9a-f]{4}`)

// The streams are a megabyte each, mostly progress events that repeat
// the deployment; gzip keeps them a few dozen kilobytes in the repository
// (zcat shows one). gzip.Writer's zero header has no time and no name, so
// an unchanged stream rewrites the same bytes.
func writeGzipGolden(t *testing.T, path string, b []byte) {
	t.Helper()
	var z bytes.Buffer
	w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGzipGolden(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (go test ./steps -run TestEventStreamGoldens -update writes it)", err)
	}
	defer f.Close()
	r, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstDifference shows the first line where got departs from want.
func firstDifference(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			at := 0
			for at < len(wl) && at < len(gl) && wl[at] == gl[at] {
				at++
			}
			from := max(0, at-150)
			return fmt.Sprintf("line %d, byte %d\nwant: …%s\n got: …%s", i+1, at, wl[from:min(len(wl), at+150)], gl[from:min(len(gl), at+150)])
		}
	}
	return "(none)"
}
