// Command windowbench measures the critical section's proxy-less window
// with real processes, from outside: `rdsbg sim --speed S` in one process,
// `rdsbg run` (its own clock real: no --time-scale) in another, and an
// independent observer in this one that reads the proxy's targets every
// 10 ms. As the limit it runs the same section as a bare SDK client that
// polls every 10 ms (AWS's own time plus almost nothing).
//
//	go run ./tools/windowbench -runs 5            # rdsbg and the bare client, 5 runs each
//	go run ./tools/windowbench -runs 3 -only rdsbg
//	go run ./tools/windowbench -outage -rdsbg NEW -vs PREVIOUS   # outage.go
//
// Figures, each as min / median / max over the runs (docs/performance.md):
//
//   - outage: the observer's view, from the first read with no AVAILABLE
//     target to the first read with one again (the applications' view);
//   - window: the contender's own measure, from the deregistration's
//     answer to the first read that shows the new primary AVAILABLE
//     (rdsbg's proxyless_window_ms);
//   - section: rdsbg's critical section as its steps span it, from
//     detach-proxy-blue's start to attach-proxy-primary's end (with
//     whatever confirmation reads that step makes);
//   - polls/s: the section's wait reads (deregistration, switchover and
//     health waits) per second of section, and all of its calls per second.
//
// Only loopback is used; every process and loop is bounded in time.
// WINDOWBENCH_DEBUG=1 prints what the observer saw in each run.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/rdsbg/rdsbg/awsclient/simtest"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/journal"
)

type options struct {
	runs     int
	speed    float64
	scenario string
	source   string
	bin      string
	only     string
	timeout  time.Duration
	observe  time.Duration
	verbose  bool
	keep     string

	outage      bool
	vs          string
	outageSpeed float64
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 5, "runs of each contender")
	flag.Float64Var(&o.speed, "speed", 30, "rdsbg sim --speed")
	flag.StringVar(&o.scenario, "scenario", "rds-postgres-legacy-proxy", "simulator scenario (an RDS instance or Aurora cluster behind a proxy)")
	flag.StringVar(&o.source, "source", "orders-db", "the scenario's source identifier")
	flag.StringVar(&o.bin, "rdsbg", "", "rdsbg binary (default: go build this module into a temporary directory)")
	flag.StringVar(&o.only, "only", "", "rdsbg or raw: run one contender only")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound of one run")
	flag.DurationVar(&o.observe, "observe-every", 10*time.Millisecond, "the observer's read interval")
	flag.BoolVar(&o.verbose, "v", false, "print each run's figures")
	flag.StringVar(&o.keep, "keep", "", "keep every run's state directory (rdsbg's journal) under this directory")
	flag.BoolVar(&o.outage, "outage", false, "instead: the table of total proxy outage per whole run, per scenario and proxy mode (outage.go)")
	flag.StringVar(&o.vs, "vs", "", "with -outage: a second rdsbg binary (the previous order) to run on the same simulator")
	flag.Float64Var(&o.outageSpeed, "outage-speed", 20, "with -outage: rdsbg sim --speed and rdsbg --time-scale")
	flag.Parse()
	run := bench
	if o.outage {
		run = outageTable
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "windowbench:", err)
		os.Exit(1)
	}
}

// result is one run of one contender.
type result struct {
	outage, window, section time.Duration
	switchover              time.Duration // switchover sent → completion seen
	register                time.Duration // registration sent → AVAILABLE seen
	waitReads, calls        int           // in the section
}

func bench(o options) error {
	tmp := o.keep
	if tmp == "" {
		var err error
		if tmp, err = os.MkdirTemp("", "windowbench"); err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
	}
	if o.bin == "" {
		var err error
		if o.bin, err = simtest.Build(tmp); err != nil {
			return err
		}
	}
	contenders := []string{"rdsbg", "raw"}
	if o.only != "" {
		contenders = []string{o.only}
	}
	all := map[string][]result{}
	for i := 0; i < o.runs; i++ {
		for _, c := range contenders {
			dir := filepath.Join(tmp, fmt.Sprintf("%s-%d", c, i))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			var r result
			var err error
			switch c {
			case "rdsbg":
				r, err = runRdsbg(o, dir)
			case "raw":
				r, err = runRaw(o, dir)
			default:
				return fmt.Errorf("-only %q: rdsbg or raw", c)
			}
			if err != nil {
				return fmt.Errorf("%s run %d: %w", c, i+1, err)
			}
			if o.verbose {
				fmt.Printf("%-5s run %d: outage %s  window %s  section %s  switchover %s  register %s  wait reads %d  calls %d\n",
					c, i+1, ms(r.outage), ms(r.window), ms(r.section), ms(r.switchover), ms(r.register), r.waitReads, r.calls)
			}
			all[c] = append(all[c], r)
		}
	}
	fmt.Printf("scenario %s, rdsbg sim --speed %g, %d runs; seconds as min / median / max\n", o.scenario, o.speed, o.runs)
	fmt.Printf("%-6s %-20s %-20s %-20s %-20s %-20s %-17s %s\n", "", "outage (observer)", "window (own)", "section (steps)", "switchover seen", "registration seen", "wait reads/s", "calls/s")
	for _, c := range contenders {
		rs := all[c]
		pick := func(f func(result) float64) string { return spread(rs, f) }
		rate := func(n func(result) int) string {
			return spread(rs, func(r result) float64 {
				if r.section <= 0 {
					return math.NaN()
				}
				return float64(n(r)) / r.section.Seconds()
			})
		}
		fmt.Printf("%-6s %-20s %-20s %-20s %-20s %-20s %-17s %s\n", c,
			pick(func(r result) float64 { return r.outage.Seconds() }),
			pick(func(r result) float64 { return r.window.Seconds() }),
			pick(func(r result) float64 { return r.section.Seconds() }),
			pick(func(r result) float64 { return r.switchover.Seconds() }),
			pick(func(r result) float64 { return r.register.Seconds() }),
			rate(func(r result) int { return r.waitReads }),
			rate(func(r result) int { return r.calls }))
	}
	if len(all["rdsbg"]) > 0 && len(all["raw"]) > 0 {
		med := func(c string, f func(result) float64) float64 {
			var v []float64
			for _, r := range all[c] {
				v = append(v, f(r))
			}
			return median(v)
		}
		for _, f := range []struct {
			name string
			get  func(result) float64
		}{
			{"outage", func(r result) float64 { return r.outage.Seconds() }},
			{"window", func(r result) float64 { return r.window.Seconds() }},
			{"section", func(r result) float64 { return r.section.Seconds() }},
		} {
			fmt.Printf("rdsbg − raw, medians, %s: %+.2f s\n", f.name, med("rdsbg", f.get)-med("raw", f.get))
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func spread(rs []result, f func(result) float64) string {
	var v []float64
	for _, r := range rs {
		if x := f(r); !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return "—"
	}
	slices.Sort(v)
	return fmt.Sprintf("%.2f / %.2f / %.2f", v[0], median(v), v[len(v)-1])
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// startSim starts `rdsbg sim` on a free loopback port and returns its URL.
func startSim(o options, dir string) (string, func(), error) {
	sp, err := simtest.StartSim(o.bin, []string{"--scenario", o.scenario, "--speed", fmt.Sprint(o.speed)}, simtest.ProcessEnv(dir),
		dieWithParent(), 30*time.Second) // never outlives the harness
	if err != nil {
		return "", nil, err
	}
	return sp.URL, sp.Stop, nil
}

// session is one fresh simulator, bounded in time, with the source's
// proxies resolved: what every measured run starts from.
type session struct {
	ctx     context.Context
	api     *rds.Client
	url     string
	proxies []string
	close   func()
}

func openSession(o options, dir, source string) (*session, error) {
	url, stop, err := startSim(o, dir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	s := &session{ctx: ctx, api: client(url), url: url, close: func() { cancel(); stop() }}
	if s.proxies, err = sourceProxies(ctx, s.api, source); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// runJSON runs `rdsbg <args> --output json --endpoint-url … --region …
// --state-dir dir/state` (args end with its own flags) and hands each
// NDJSON line to each; it returns the run's stderr and Wait's error.
func (s *session) runJSON(bin, dir string, each func(line []byte), args ...string) (stderr string, err error) {
	args = append(args, "--output", "json", "--endpoint-url", s.url, "--region", "us-east-1", "--state-dir", filepath.Join(dir, "state"))
	cmd := exec.CommandContext(s.ctx, bin, args...)
	cmd.Env = simtest.ProcessEnv(dir)
	cmd.SysProcAttr = dieWithParent()
	var errOut strings.Builder
	cmd.Stderr = &errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		each(sc.Bytes())
	}
	err = cmd.Wait()
	return errOut.String(), err
}

// client is a bare SDK client of the simulator: no pacer, no retries.
func client(url string) *rds.Client {
	return rds.New(rds.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "simulator", ""),
		RetryMaxAttempts: 1,
	})
}

// observer reads every proxy's targets at a fixed interval and keeps the
// proxy-less periods it sees: from the first read in which some proxy has
// no AVAILABLE target to the first read in which all have one again.
type observer struct {
	mu      sync.Mutex
	outages []span
	reads   int
	errors  int
	open    bool // inside an outage now
	cancel  context.CancelFunc
	done    chan struct{}
}

type span struct{ from, to time.Time }

func watch(api *rds.Client, proxies []string, every time.Duration) (*observer, error) {
	if len(proxies) == 0 {
		return nil, errors.New("the source is behind no proxy")
	}
	ctx, cancel := context.WithCancel(context.Background())
	ob := &observer{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(ob.done)
		var since time.Time
		for ctx.Err() == nil {
			at := time.Now()
			serving, failed := true, false
			for _, p := range proxies {
				ok, err := proxyServing(ctx, api, p)
				if err != nil {
					serving, failed = since.IsZero(), true // unknown: keep the last state
					break
				}
				serving = serving && ok
			}
			ob.mu.Lock()
			ob.reads++
			if failed {
				ob.errors++
			}
			switch {
			case !serving && since.IsZero():
				since = at
			case serving && !since.IsZero():
				ob.outages = append(ob.outages, span{since, at})
				since = time.Time{}
			}
			ob.open = !since.IsZero()
			ob.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(every):
			}
		}
	}()
	return ob, nil
}

func proxyServing(ctx context.Context, api *rds.Client, proxy string) (bool, error) {
	out, err := api.DescribeDBProxyTargets(ctx, &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String(proxy)})
	if err != nil {
		return false, err
	}
	for _, t := range out.Targets {
		if t.TargetHealth != nil && t.TargetHealth.State == "AVAILABLE" && t.Type != "TRACKED_CLUSTER" {
			return true, nil
		}
	}
	return false, nil
}

// last stops the observer and returns the last outage that began at or
// after from (the critical section's).
func (ob *observer) last(from time.Time) time.Duration {
	// The contender may see the proxy serving a read before the observer
	// does: let the observer catch up (bounded).
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		ob.mu.Lock()
		open := ob.open
		ob.mu.Unlock()
		if !open {
			break
		}
	}
	ob.cancel()
	<-ob.done
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if os.Getenv("WINDOWBENCH_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "observer: from %s, reads %d, errors %d, outages %v\n", from.Format("15:04:05.000"), ob.reads, ob.errors, ob.outages)
	}
	for i := len(ob.outages) - 1; i >= 0; i-- {
		if !ob.outages[i].from.Before(from) {
			return ob.outages[i].to.Sub(ob.outages[i].from)
		}
	}
	return 0
}

// sourceProxies names the proxies that have the source registered.
func sourceProxies(ctx context.Context, api *rds.Client, id string) ([]string, error) {
	ps, err := api.DescribeDBProxies(ctx, &rds.DescribeDBProxiesInput{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range ps.DBProxies {
		name := aws.ToString(p.DBProxyName)
		ts, err := api.DescribeDBProxyTargets(ctx, &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String(name)})
		if err != nil {
			return nil, err
		}
		for _, t := range ts.Targets {
			if strings.EqualFold(aws.ToString(t.RdsResourceId), id) || strings.EqualFold(aws.ToString(t.TrackedClusterId), id) {
				out = append(out, name)
				break
			}
		}
	}
	return out, nil
}

// runRdsbg runs a whole headless detach run against a fresh simulator and
// reads the section's figures from its run-finished event and journal.
func runRdsbg(o options, dir string) (result, error) {
	var r result
	ss, err := openSession(o, dir, o.source)
	if err != nil {
		return r, err
	}
	defer ss.close()
	var ob *observer
	var fin *contract.Finished
	stderr, werr := ss.runJSON(o.bin, dir, func(line []byte) {
		var ev contract.Event
		if json.Unmarshal(line, &ev) != nil {
			return
		}
		// The observer reads fast from the readiness gate on: the
		// critical section follows it.
		if ev.Type == contract.EventStepStarted && ev.Step == contract.StepReadyCheck && ob == nil && err == nil {
			ob, err = watch(ss.api, ss.proxies, o.observe)
		}
		if ev.Type == contract.EventRunFinished && ev.Finished != nil {
			f := *ev.Finished
			fin = &f
		}
	}, "run", "--source", o.source, "--proxy-mode", "detach", "--cleanup", "none", "--yes", "--confirm", o.source)
	if err != nil {
		return r, err
	}
	if fin == nil || fin.Outcome != contract.OutcomeDone {
		return r, fmt.Errorf("rdsbg run did not finish done (%v): %s", werr, tail(stderr))
	}
	r.window = time.Duration(fin.ProxylessWindowMS) * time.Millisecond
	r.switchover = time.Duration(fin.SwitchoverMS) * time.Millisecond
	var sectionStart time.Time
	for _, t := range fin.Timeline {
		switch t.Step {
		case contract.StepDetachProxyBlue:
			sectionStart = t.Started
		case contract.StepAttachProxyPrimary:
			r.section = t.Started.Add(t.Duration).Sub(sectionStart)
		}
	}
	if ob != nil {
		r.outage = ob.last(sectionStart.Add(-time.Second))
	}
	recs, err := journal.Read(fin.JournalPath)
	if err != nil {
		return r, err
	}
	countSection(recs, &r)
	return r, nil
}

// countSection reads the section's calls from the journal's audit
// records: the wait reads are the reads that follow the deregistration,
// the switchover request and the registration within their steps.
func countSection(recs []journal.Record, r *result) {
	in := false
	waiting := ""
	var regSent time.Time
	for _, rec := range recs {
		if rec.Kind == journal.RecordStep && rec.Step == contract.StepDetachProxyBlue && rec.State == journal.StepStateStarted {
			in = true
		}
		if !in {
			continue
		}
		if rec.Kind == journal.RecordOutage && rec.State == "closed" && rec.Outage != nil && rec.Outage.Cause == contract.OutageCriticalSection && !regSent.IsZero() {
			r.register = rec.Time.Sub(regSent)
		}
		if rec.Kind == journal.RecordStep && rec.State == journal.StepStateDone {
			waiting = ""
			if rec.Step == contract.StepAttachProxyPrimary {
				return
			}
		}
		if rec.Kind != journal.RecordCall || rec.Call == nil {
			continue
		}
		c := rec.Call
		r.calls++
		switch c.Operation {
		case "DeregisterDBProxyTargets":
			waiting = "DescribeDBProxyTargets"
		case "SwitchoverBlueGreenDeployment":
			waiting = "DescribeBlueGreenDeployments"
		case "RegisterDBProxyTargets":
			waiting, regSent = "DescribeDBProxyTargets", c.Start
		case waiting:
			r.waitReads++
		}
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// runRaw is the limit: the same section run by a bare SDK client against a
// fresh simulator, reading every 10 ms. It prepares the deployment as the
// detach procedure does (deregister, create, register blue again, wait
// until AVAILABLE), then times deregister → switch over → wait for
// SWITCHOVER_COMPLETED → register → wait for AVAILABLE.
func runRaw(o options, dir string) (result, error) {
	var r result
	ss, err := openSession(o, dir, o.source)
	if err != nil {
		return r, err
	}
	defer ss.close()
	ctx, api, proxies, url := ss.ctx, ss.api, ss.proxies, ss.url
	src, err := resolveSource(ctx, api, o.source)
	if err != nil {
		return r, err
	}
	calls := 0
	deregister := func() error {
		for _, p := range proxies {
			in := &rds.DeregisterDBProxyTargetsInput{DBProxyName: aws.String(p)}
			src.set(&in.DBInstanceIdentifiers, &in.DBClusterIdentifiers)
			calls++
			if _, err := api.DeregisterDBProxyTargets(ctx, in); err != nil {
				return fmt.Errorf("deregister from %s: %w", p, err)
			}
		}
		return nil
	}
	register := func() error {
		for _, p := range proxies {
			in := &rds.RegisterDBProxyTargetsInput{DBProxyName: aws.String(p)}
			src.set(&in.DBInstanceIdentifiers, &in.DBClusterIdentifiers)
			calls++
			if _, err := api.RegisterDBProxyTargets(ctx, in); err != nil {
				return fmt.Errorf("register with %s: %w", p, err)
			}
		}
		return nil
	}
	serving := func() (bool, error) {
		for _, p := range proxies {
			calls++
			ok, err := proxyServing(ctx, api, p)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	poll := func(every time.Duration, done func() (bool, error)) error {
		for {
			ok, err := done()
			if err != nil || ok {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(every):
			}
		}
	}
	// Preparation (not timed).
	if err := deregister(); err != nil {
		return r, err
	}
	dep, err := api.CreateBlueGreenDeployment(ctx, &rds.CreateBlueGreenDeploymentInput{
		BlueGreenDeploymentName: aws.String("windowbench"), Source: aws.String(src.arn)})
	if err != nil {
		return r, fmt.Errorf("create deployment: %w", err)
	}
	id := dep.BlueGreenDeployment.BlueGreenDeploymentIdentifier
	if err := register(); err != nil {
		return r, err
	}
	status := func() (string, error) {
		calls++
		out, err := api.DescribeBlueGreenDeployments(ctx, &rds.DescribeBlueGreenDeploymentsInput{BlueGreenDeploymentIdentifier: id})
		if err != nil {
			return "", err
		}
		if len(out.BlueGreenDeployments) != 1 {
			return "", fmt.Errorf("deployment %s: %d answers", aws.ToString(id), len(out.BlueGreenDeployments))
		}
		return aws.ToString(out.BlueGreenDeployments[0].Status), nil
	}
	if err := poll(500*time.Millisecond, func() (bool, error) {
		s, err := status()
		return s == "AVAILABLE", err
	}); err != nil {
		return r, fmt.Errorf("wait for the deployment: %w", err)
	}
	if err := poll(100*time.Millisecond, serving); err != nil {
		return r, err
	}
	ob, err := watch(client(url), proxies, o.observe)
	if err != nil {
		return r, err
	}
	time.Sleep(200 * time.Millisecond) // the observer sees the proxy serving first

	// The section.
	calls = 0
	start := time.Now()
	if err := deregister(); err != nil {
		return r, err
	}
	dereg := time.Now()
	sent := time.Now()
	calls++
	if _, err := api.SwitchoverBlueGreenDeployment(ctx, &rds.SwitchoverBlueGreenDeploymentInput{BlueGreenDeploymentIdentifier: id, SwitchoverTimeout: aws.Int32(300)}); err != nil {
		return r, fmt.Errorf("switch over: %w", err)
	}
	reads := 0
	if err := poll(10*time.Millisecond, func() (bool, error) {
		reads++
		s, err := status()
		if s == "SWITCHOVER_FAILED" {
			return false, errors.New("the switchover failed")
		}
		return s == "SWITCHOVER_COMPLETED", err
	}); err != nil {
		return r, err
	}
	r.switchover = time.Since(sent)
	regSent := time.Now()
	if err := register(); err != nil {
		return r, err
	}
	if err := poll(10*time.Millisecond, func() (bool, error) { reads++; return serving() }); err != nil {
		return r, err
	}
	end := time.Now()
	r.window, r.section, r.register = end.Sub(dereg), end.Sub(start), end.Sub(regSent)
	r.waitReads, r.calls = reads, calls
	r.outage = ob.last(start.Add(-time.Second))
	return r, nil
}

// source is the deployment's source: an RDS instance or an Aurora cluster.
type source struct {
	id, arn string
	cluster bool
}

func (s source) set(instances, clusters *[]string) {
	if s.cluster {
		*clusters = []string{s.id}
	} else {
		*instances = []string{s.id}
	}
}

func resolveSource(ctx context.Context, api *rds.Client, id string) (source, error) {
	if out, err := api.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}); err == nil && len(out.DBInstances) == 1 {
		return source{id: id, arn: aws.ToString(out.DBInstances[0].DBInstanceArn)}, nil
	}
	out, err := api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil || len(out.DBClusters) != 1 {
		return source{}, fmt.Errorf("source %s is neither an instance nor a cluster: %v", id, err)
	}
	return source{id: id, arn: aws.ToString(out.DBClusters[0].DBClusterArn), cluster: true}, nil
}
