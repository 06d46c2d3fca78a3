package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps"
)

// A proxy rdsbg emptied on another machine (or whose journal is lost):
// `rdsbg status` without --source and with an empty state directory finds
// it through its rdsbg:detached tag and reports it EMPTY, in text and in
// JSON, instead of "no unfinished run".
func TestCLIStatusWithoutSourceFindsTheTaggedProxy(t *testing.T) {
	env := newCLIEnv(t, "rds-postgres-legacy-proxy")
	code, out, errOut := env.rdsbg(t, "status")
	// Nothing pending is an answer (exit 0) that says so (walkthrough
	// D11), not misuse.
	if code != 0 || !strings.Contains(out, "AWS shows no proxy tagged rdsbg:detached") || !strings.Contains(out, "No rdsbg run is recorded in") {
		t.Errorf("status with nothing anywhere: exit %d\n%s%s", code, out, errOut)
	}

	api, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: env.endpoint, Region: "us-east-1", Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	empty := func(proxy, db string) {
		t.Helper()
		proxies, err := api.ListProxies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range proxies {
			if p.Name != proxy {
				continue
			}
			tag := steps.DetachedTag{TargetKind: steps.KindInstance, Target: db, Source: db, Run: "20261121T220000Z", At: time.Date(2026, 11, 21, 22, 0, 5, 0, time.UTC)}
			if err := api.AddTagsToResource(ctx, p.ARN, map[string]string{steps.TagDetached: tag.Value()}); err != nil {
				t.Fatal(err)
			}
			if err := api.DeregisterTargets(ctx, proxy, awsclient.TargetRef{InstanceID: db}); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("no proxy %s in %+v", proxy, proxies)
	}
	empty("orders-proxy", "orders-db")

	code, out, errOut = env.rdsbg(t, "status")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"orders-proxy was emptied by rdsbg run 20261121T220000Z", "NO target", "orders-db", "read from AWS alone"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = env.rdsbg(t, "status", "--output", "json")
	var rep steps.StatusReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("status --output json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if rep.Source != "orders-db" || rep.ProxyState != steps.ProxyEmpty || len(rep.Detached) != 1 || rep.Detached[0].Proxy != "orders-proxy" || !rep.Unfinished {
		t.Errorf("status report %+v: want orders-db, proxy none, orders-proxy detached, unfinished", rep)
	}
	if m := env.sim.Mutations(); len(m) != 2 {
		t.Errorf("status changed AWS: %+v", m)
	}

	// Two sources emptied: status lists both, resume asks which.
	empty("billing-proxy", "billing-db")
	code, out, errOut = env.rdsbg(t, "status")
	if code != 0 || !strings.Contains(out, "billing-proxy was emptied") || !strings.Contains(out, "orders-proxy was emptied") || !strings.Contains(out, "--source") {
		t.Errorf("status with two sources emptied: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = env.rdsbg(t, "resume", "--yes")
	if code != steps.ExitUsage || !strings.Contains(errOut, "billing-db, orders-db") || !strings.Contains(errOut, "pass --source") {
		t.Errorf("resume with two sources emptied: exit %d\n%s%s", code, out, errOut)
	}
	if m := env.sim.Mutations(); len(m) != 4 {
		t.Errorf("status and a refused resume changed AWS: %+v", m)
	}
}
