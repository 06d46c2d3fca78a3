package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/simtest"
)

// The outage table (issue 11, "Done when"): the total time a proxy that
// served production had no AVAILABLE target, per whole run, per scenario
// and proxy mode, for two rdsbg binaries (the current order against the
// previous one) on the same simulator. The observer reads the proxies
// every -observe-every of wall time; both clocks run -outage-speed times
// faster than AWS (rdsbg sim --speed N, rdsbg --time-scale N), so the
// figures are AWS time = wall time × N.
//
//	go build -o /tmp/rdsbg-new . &&
//	git worktree add /tmp/rdsbg-prev 69a86a2 && (cd /tmp/rdsbg-prev && go build -o /tmp/rdsbg-prev-bin .) &&
//	go run ./tools/windowbench -outage -rdsbg /tmp/rdsbg-new -vs /tmp/rdsbg-prev-bin

// outageCase is one cell of the table.
type outageCase struct {
	scenario, source, mode string
}

var outageCases = []outageCase{
	{"rds-postgres-legacy-proxy", "orders-db", "auto"},
	{"rds-postgres-legacy-proxy", "orders-db", "detach"},
	{"aurora-postgres-proxy", "ledger-cluster", "auto"},
	{"aurora-postgres-proxy", "ledger-cluster", "detach"},
	{"rds-mysql-native-proxy", "shop-db", "auto"},
	{"rds-mysql-native-proxy", "shop-db", "native"},
	{"rds-mysql-native-proxy", "shop-db", "detach"},
}

// outageRun is what one run showed.
type outageRun struct {
	outcome, regime string
	windows         int
	total, longest  time.Duration // AWS time
	own             string        // rdsbg's own figures from run-finished
}

func outageTable(o options) error {
	tmp, err := os.MkdirTemp("", "windowbench-outage")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.bin == "" {
		if o.bin, err = simtest.Build(tmp); err != nil {
			return err
		}
	}
	bins := []string{o.bin}
	if o.vs != "" {
		bins = append(bins, o.vs)
	}
	fmt.Printf("total proxy outage per run (AWS time; rdsbg sim --speed %g and rdsbg --time-scale %g; observer every %s of wall time = %s of AWS time; simulator of %s)\n\n",
		o.outageSpeed, o.outageSpeed, o.observe, time.Duration(float64(o.observe)*o.outageSpeed), filepath.Base(o.bin))
	fmt.Printf("| scenario | --proxy-mode | rdsbg | regime | outcome | outage windows | total outage | longest | rdsbg's own figures |\n")
	fmt.Printf("|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range outageCases {
		for _, bin := range bins {
			dir, err := os.MkdirTemp(tmp, "run")
			if err != nil {
				return err
			}
			r, err := runOutage(o, bin, c, dir)
			if err != nil {
				fmt.Printf("| %s | %s | %s | | error: %v | | | | |\n", c.scenario, c.mode, filepath.Base(bin), err)
				continue
			}
			fmt.Printf("| %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", c.scenario, c.mode, filepath.Base(bin), r.regime, r.outcome,
				r.windows, r.total.Round(time.Second), r.longest.Round(time.Second), r.own)
		}
	}
	return nil
}

// runOutage runs one headless `rdsbg run` (cleanup none) against a fresh
// simulator started from o.bin, with the observer on from the start.
func runOutage(o options, bin string, c outageCase, dir string) (outageRun, error) {
	var r outageRun
	so := o
	so.scenario, so.speed = c.scenario, o.outageSpeed
	ss, err := openSession(so, dir, c.source)
	if err != nil {
		return r, err
	}
	defer ss.close()
	ob, err := watch(ss.api, ss.proxies, o.observe)
	if err != nil {
		return r, err
	}
	time.Sleep(100 * time.Millisecond) // the observer's first reads see the proxy serving
	var finished map[string]any
	_, _ = ss.runJSON(bin, dir, func(line []byte) {
		var ev map[string]any
		if json.Unmarshal(line, &ev) != nil {
			return
		}
		switch ev["type"] {
		case "plan-ready":
			if p, ok := ev["plan"].(map[string]any); ok {
				r.regime, _ = p["regime"].(string)
			}
		case "run-finished":
			finished = ev
		}
	}, "run", "--source", c.source, "--proxy-mode", c.mode, "--cleanup", "none", "--yes", "--confirm", c.source,
		"--time-scale", fmt.Sprint(o.outageSpeed))
	ob.last(time.Time{}) // stop the observer once the proxy serves again
	ob.mu.Lock()
	for _, s := range ob.outages {
		d := time.Duration(float64(s.to.Sub(s.from)) * o.outageSpeed)
		r.windows++
		r.total += d
		r.longest = max(r.longest, d)
	}
	if ob.open {
		r.outcome = "proxy still empty; "
	}
	ob.mu.Unlock()
	if finished == nil {
		r.outcome += "no run-finished event"
		return r, nil
	}
	out, _ := finished["outcome"].(string)
	r.outcome += out
	var own []string
	for _, k := range []string{"proxyless_window_ms", "proxy_outage_total_ms"} {
		if v, ok := finished[k].(float64); ok {
			own = append(own, fmt.Sprintf("%s %s", strings.TrimSuffix(k, "_ms"), (time.Duration(v)*time.Millisecond).Round(time.Second)))
		}
	}
	r.own = strings.Join(own, ", ")
	return r, nil
}
