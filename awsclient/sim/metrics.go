package sim

import (
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch GetMetricData over smithy-rpcv2-cbor, the protocol of the
// SDK's CloudWatch client: POST /service/<service>/operation/<op>, CBOR
// bodies, header Smithy-Protocol: rpc-v2-cbor.
const (
	cloudWatchPathPrefix = "/service/GraniteServiceVersion20100801/operation/"
	opGetMetricData      = "GetMetricData"
	// maxMetricPoints bounds one answer; CloudWatch paginates at 100,800,
	// rdsbg asks for at most a few hundred.
	maxMetricPoints = 1440
	// metricSamples is how many instants one period is averaged over, so
	// that a period with a short outage shows a dip rather than nothing.
	metricSamples = 12
)

// Metric model. Connections follow a base load with a slow wave while the
// proxy has an AVAILABLE target and are zero while it has none: with no
// target the proxy refuses the applications. Lag is high when green has
// just been created, falls as green catches up and rises during the
// engine upgrade.
const (
	defaultBaseConnections = 40
	connectionWave         = 0.15             // ± fraction of the base load
	connectionWavePeriod   = 10 * time.Minute // one full wave
	poolRatio              = 0.6              // DatabaseConnections per ClientConnection
	initialLagSeconds      = 300.0
	steadyLagSeconds       = 0.5
	upgradeLagSeconds      = 25.0
	replicaLagSeconds      = 0.2
	slotBytesPerLagSecond  = 2 << 20 // WAL a busy primary writes per second
)

// proxySnapshot is a proxy's registrations from at until the next snapshot.
// AvailableAt is kept per registration, so the time a target turns
// AVAILABLE inside a snapshot is exact.
type proxySnapshot struct {
	at   time.Time
	regs []ProxyRegistration
}

// instanceSnapshot is what the lag model needs of an instance from at on.
type instanceSnapshot struct {
	at      time.Time
	exists  bool
	status  string
	green   bool // target of a deployment not yet switched over
	replica bool // an ordinary read replica
}

// metricHistory is the record of the model over time that lets the
// simulator answer for past periods although it computes state lazily.
type metricHistory struct {
	proxies   map[string][]proxySnapshot    // by proxy name, lower case
	instances map[string][]instanceSnapshot // by DbiResourceId
	// availableSince is when an instance was first seen not "creating":
	// replication starts catching up from there.
	availableSince map[string]time.Time
	// drops are the instants each proxy dropped its client connections
	// (by proxy name, lower case): connection_drops.go.
	drops map[string][]time.Time
	away  map[string]time.Time // from then on no client reconnects (fault)
}

func newMetricHistory() *metricHistory {
	return &metricHistory{proxies: map[string][]proxySnapshot{}, instances: map[string][]instanceSnapshot{},
		availableSince: map[string]time.Time{}, drops: map[string][]time.Time{}, away: map[string]time.Time{}}
}

// observeLocked records what changed at at. It runs after every applied
// transition and every served call, so the history holds each change at
// the model time it happened.
func (s *Simulator) observeLocked(at time.Time) {
	h := s.history
	for _, p := range s.st.Proxies {
		key := strings.ToLower(p.Name)
		regs := make([]ProxyRegistration, 0, len(p.Targets))
		for _, r := range p.Targets {
			regs = append(regs, *r)
		}
		snaps := h.proxies[key]
		if n := len(snaps); n > 0 && sameRegistrations(snaps[n-1].regs, regs) {
			continue
		}
		h.proxies[key] = append(snaps, proxySnapshot{at: at, regs: regs})
	}
	seen := map[string]bool{}
	for _, in := range s.st.Instances {
		seen[in.ResourceID] = true
		snap := instanceSnapshot{at: at, exists: true, status: in.Status, replica: in.ReplicaOf != ""}
		if d := s.st.activeDeploymentFor(in.ResourceID); d != nil && d.Status != bgSwitchoverCompleted && isGreen(d, in.ResourceID) {
			snap.green = true
		}
		s.appendInstanceSnapshot(in.ResourceID, snap)
		if in.Status != "creating" {
			if _, ok := h.availableSince[in.ResourceID]; !ok {
				h.availableSince[in.ResourceID] = at
			}
		}
	}
	for res, snaps := range h.instances {
		if !seen[res] && snaps[len(snaps)-1].exists {
			h.instances[res] = append(snaps, instanceSnapshot{at: at})
		}
	}
}

func (s *Simulator) appendInstanceSnapshot(res string, snap instanceSnapshot) {
	snaps := s.history.instances[res]
	if n := len(snaps); n > 0 {
		last := snaps[n-1]
		last.at = snap.at
		if last == snap {
			return
		}
	}
	s.history.instances[res] = append(snaps, snap)
}

func isGreen(d *Deployment, res string) bool {
	if d.TargetResourceID == res {
		return true
	}
	for _, m := range d.Members {
		if m.Kind == "instance" && m.Target == res {
			return true
		}
	}
	return false
}

func sameRegistrations(a, b []ProxyRegistration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// proxyHealthyAt reports whether the proxy had an AVAILABLE target at t.
// Before the first snapshot the first one applies: the scenario's
// proxies existed before the simulator started.
func (h *metricHistory) proxyHealthyAt(name string, t time.Time) (healthy, known bool) {
	snaps := h.proxies[strings.ToLower(name)]
	if len(snaps) == 0 {
		return false, false
	}
	snap := snaps[0]
	for _, sn := range snaps {
		if sn.at.After(t) {
			break
		}
		snap = sn
	}
	for _, r := range snap.regs {
		if !t.Before(r.AvailableAt) {
			return true, true
		}
	}
	return false, true
}

func (h *metricHistory) instanceAt(res string, t time.Time) instanceSnapshot {
	var out instanceSnapshot
	for _, sn := range h.instances[res] {
		if sn.at.After(t) {
			break
		}
		out = sn
	}
	return out
}

// ProxyHealthy reports whether the proxy has an AVAILABLE target now. The
// connection forwarder asks it for every new connection.
func (s *Simulator) ProxyHealthy(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advanceLocked(now)
	s.observeLocked(now)
	healthy, _ := s.history.proxyHealthyAt(name, now)
	return healthy
}

// baseConnections is the applications' load at t: a slow wave, the same
// for every run, so golden views stay stable.
func (s *Simulator) baseConnections(t time.Time) float64 {
	base := float64(s.opts.BaseConnections)
	if base == 0 {
		base = defaultBaseConnections
	}
	phase := 2 * math.Pi * float64(t.UnixNano()%int64(connectionWavePeriod)) / float64(connectionWavePeriod)
	return base * (1 + connectionWave*math.Sin(phase))
}

// lagSecondsAt is green's (or a replica's) lag at t; ok is false when the
// instance publishes no lag then (not there, still creating, a primary).
func (s *Simulator) lagSecondsAt(res string, t time.Time) (float64, bool) {
	snap := s.history.instanceAt(res, t)
	if !snap.exists || snap.status == "creating" {
		return 0, false
	}
	switch {
	case snap.green:
		lag := steadyLagSeconds
		if since, ok := s.history.availableSince[res]; ok && !t.Before(since) && s.timings.LagCatchUp > 0 {
			age := t.Sub(since).Seconds()
			lag += initialLagSeconds * math.Exp(-age/s.timings.LagCatchUp.Seconds())
		}
		if snap.status == "upgrading" {
			lag += upgradeLagSeconds
		}
		return lag, true
	case snap.replica:
		return replicaLagSeconds, true
	}
	return 0, false
}

// metricValueAt is the value of one metric at one instant.
func (s *Simulator) metricValueAt(name, dimName, dimValue string, t time.Time) (float64, bool) {
	switch {
	case dimName == "ProxyName" && (name == "ClientConnections" || name == "DatabaseConnections"):
		healthy, known := s.history.proxyHealthyAt(dimValue, t)
		if !known {
			return 0, false
		}
		if !healthy {
			return 0, true
		}
		v := s.baseConnections(t) * s.history.reconnected(dimValue, t)
		if name == "DatabaseConnections" {
			v *= poolRatio
		}
		return math.Round(v), true
	case dimName == "DBInstanceIdentifier" && name == "ReplicaLag":
		in := s.st.findInstance(dimValue)
		if in == nil {
			return 0, false
		}
		return s.lagSecondsAt(in.ResourceID, t)
	case dimName == "DBInstanceIdentifier" && name == "OldestReplicationSlotLag":
		// Logical replication: the slot is on blue, the publisher, and
		// lags as far as green is behind.
		in := s.st.findInstance(dimValue)
		if in == nil {
			return 0, false
		}
		for _, d := range s.st.Deployments {
			if d.SourceResourceID == in.ResourceID && d.TargetResourceID != "" {
				lag, ok := s.lagSecondsAt(d.TargetResourceID, t)
				return math.Round(lag * slotBytesPerLagSecond), ok
			}
		}
		return 0, false
	}
	return 0, false
}

// metricQuery is one decoded MetricDataQuery.
type metricQuery struct {
	id, name, dimName, dimValue, stat string
	period                            time.Duration
}

// serveCloudWatch answers one rpcv2-cbor CloudWatch request.
func (s *Simulator) serveCloudWatch(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.URL.Path, cloudWatchPathPrefix)
	s.mu.Lock()
	s.calls[op]++
	s.totalCalls++
	reqID := s.newRequestID()
	latency, injected := s.callFaultsLocked(op)
	s.mu.Unlock()
	if latency > 0 {
		if err := s.clock.Sleep(r.Context(), latency); err != nil {
			writeCBORError(w, reqID, fail("RequestTimeout", "request abandoned: %v", err))
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeCBORError(w, reqID, fail(codeInvalidParameterValue, "cannot read the request: %v", err))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advanceLocked(now)
	s.observeLocked(now)
	if injected == nil && op == opGetMetricData {
		injected = s.iamRequestDenied(op, nil) // iam.go
	}
	if injected != nil {
		writeCBORError(w, reqID, injected)
		return
	}
	if op != opGetMetricData {
		writeCBORError(w, reqID, &apiError{Code: "UnknownOperationException", Message: "The operation " + op + " is not served by the rdsbg simulator.", Status: http.StatusBadRequest})
		return
	}
	if r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		writeCBORError(w, reqID, fail(codeInvalidParameterValue, "missing header Smithy-Protocol: rpc-v2-cbor"))
		return
	}
	result, apiErr := s.getMetricData(body, now)
	if apiErr != nil {
		writeCBORError(w, reqID, apiErr)
		return
	}
	s.accepted[op]++
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(cbor.Encode(result))
}

func (s *Simulator) getMetricData(body []byte, now time.Time) (cbor.Value, *apiError) {
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, fail(codeInvalidParameterValue, "cannot decode the CBOR body: %v", err)
	}
	in, ok := v.(cbor.Map)
	if !ok {
		return nil, fail(codeInvalidParameterValue, "the body is not a CBOR map")
	}
	start, err1 := cbor.AsTime(in["StartTime"])
	end, err2 := cbor.AsTime(in["EndTime"])
	if err1 != nil || err2 != nil {
		return nil, fail(codeMissingParameter, "StartTime and EndTime are required epoch-seconds timestamps")
	}
	if !end.After(start) {
		return nil, fail(codeInvalidParameterValue, "The parameter StartTime must be less than the parameter EndTime.")
	}
	// A caller on another clock (Options.Callers): read its window in the
	// model's time, and answer in its own.
	stamp := func(t time.Time) time.Time { return t }
	speed := 1.0
	if c := s.opts.Callers; c != nil && c.Speed() != 1 {
		if callerNow := c.Now(); absDuration(end.Sub(callerNow)) < absDuration(end.Sub(now)) {
			start, end = c.ModelAt(start), c.ModelAt(end)
			stamp, speed = c.CallerAt, c.Speed()
		}
	}
	ascending := false
	if sb, ok := in["ScanBy"].(cbor.String); ok {
		ascending = sb == "TimestampAscending"
	}
	rawQueries, _ := in["MetricDataQueries"].(cbor.List)
	if len(rawQueries) == 0 {
		return nil, fail(codeMissingParameter, "The parameter MetricDataQueries is required.")
	}
	var queries []metricQuery
	for _, rq := range rawQueries {
		q, apiErr := decodeMetricQuery(rq)
		if apiErr != nil {
			return nil, apiErr
		}
		q.period = time.Duration(float64(q.period) * speed)
		if n := end.Sub(start) / q.period; n > maxMetricPoints {
			return nil, fail(codeInvalidParameterCombination, "%d datapoints requested for %s; the simulator answers at most %d per query", n, q.id, maxMetricPoints)
		}
		queries = append(queries, q)
	}

	results := cbor.List{}
	for _, q := range queries {
		var stamps, values cbor.List
		// Periods are aligned to the epoch, as CloudWatch aligns them, and
		// only periods that have begun by now have data.
		first := start.Truncate(q.period)
		if first.Before(start) {
			first = first.Add(q.period)
		}
		for p := first; p.Before(end) && !p.After(now); p = p.Add(q.period) {
			v, ok := s.periodValue(q, p, now)
			if !ok {
				continue
			}
			stamps = append(stamps, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(stamp(p).UnixMilli()) / 1e3)})
			values = append(values, cbor.Float64(v))
		}
		if !ascending {
			reverse(stamps)
			reverse(values)
		}
		label := q.name
		results = append(results, cbor.Map{
			"Id": cbor.String(q.id), "Label": cbor.String(label), "StatusCode": cbor.String("Complete"),
			"Timestamps": stamps, "Values": values,
		})
	}
	return cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}, nil
}

// periodValue aggregates the samples of one period that are not in the
// future: Average, Maximum, Minimum or Sum.
func (s *Simulator) periodValue(q metricQuery, from, now time.Time) (float64, bool) {
	step := q.period / metricSamples
	var sum, maxV, minV float64
	n := 0
	for i := 0; i < metricSamples; i++ {
		t := from.Add(time.Duration(i) * step)
		if t.After(now) {
			break
		}
		v, ok := s.metricValueAt(q.name, q.dimName, q.dimValue, t)
		if !ok {
			continue
		}
		if n == 0 || v > maxV {
			maxV = v
		}
		if n == 0 || v < minV {
			minV = v
		}
		sum += v
		n++
	}
	if n == 0 {
		return 0, false
	}
	switch q.stat {
	case "Maximum":
		return maxV, true
	case "Minimum":
		return minV, true
	case "Sum":
		return sum, true
	}
	return sum / float64(n), true
}

func decodeMetricQuery(v cbor.Value) (metricQuery, *apiError) {
	m, _ := v.(cbor.Map)
	id, _ := m["Id"].(cbor.String)
	if id == "" {
		return metricQuery{}, fail(codeMissingParameter, "MetricDataQueries: every query needs an Id")
	}
	stat, _ := m["MetricStat"].(cbor.Map)
	metric, _ := stat["Metric"].(cbor.Map)
	if metric == nil {
		return metricQuery{}, fail(codeInvalidParameterValue, "query %s: the simulator serves MetricStat queries only", id)
	}
	q := metricQuery{id: string(id)}
	ns, _ := metric["Namespace"].(cbor.String)
	name, _ := metric["MetricName"].(cbor.String)
	statName, _ := stat["Stat"].(cbor.String)
	if ns != "AWS/RDS" {
		return metricQuery{}, fail(codeInvalidParameterValue, "query %s: namespace %q is not simulated (AWS/RDS only)", id, ns)
	}
	q.name, q.stat = string(name), string(statName)
	period, err := cbor.AsInt64(stat["Period"])
	if err != nil || period <= 0 {
		return metricQuery{}, fail(codeInvalidParameterValue, "query %s: Period must be a positive number of seconds", id)
	}
	q.period = time.Duration(period) * time.Second
	dims, _ := metric["Dimensions"].(cbor.List)
	if len(dims) == 1 {
		d, _ := dims[0].(cbor.Map)
		dn, _ := d["Name"].(cbor.String)
		dv, _ := d["Value"].(cbor.String)
		q.dimName, q.dimValue = string(dn), string(dv)
	}
	return q, nil
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func reverse(l cbor.List) {
	for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
		l[i], l[j] = l[j], l[i]
	}
}

// writeCBORError answers in the rpcv2-cbor error shape: a map with __type
// and message. The query-compatible header carries the awsQuery code, as
// CloudWatch sends it.
func writeCBORError(w http.ResponseWriter, reqID string, e *apiError) {
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.Header().Set("X-Amzn-Query-Error", e.Code+";"+fault)
	w.WriteHeader(e.Status)
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + e.Code), "message": cbor.String(e.Message)}))
}
