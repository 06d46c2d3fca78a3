// Package sim is the one fake of AWS used by every test, by `rdsbg demo` and
// by `rdsbg sim`: an http.Handler that speaks the awsQuery protocol of RDS
// (and STS GetCallerIdentity) closely enough that the real aws-sdk-go-v2
// client and the AWS CLI talk to it unchanged (rds-facts.md §6).
//
// The model is computed lazily: every request first applies, in time order,
// the scheduled transitions that fell due on Options.Clock, all under one
// mutex. There are no background goroutines, so a virtual clock makes the
// whole simulator deterministic.
package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rdsbg/rdsbg/awsclient/clock"
)

// Proxy regimes (design.md §2).
const (
	// RegimeLegacy refuses CreateBlueGreenDeployment while the source is a
	// registered proxy target (the pre-April-2026 behaviour).
	RegimeLegacy = "legacy"
	// RegimeNative refuses registering a DB that has a deployment, and the
	// proxy follows the new primary at switchover.
	RegimeNative = "native"
)

// Options configure a Simulator. Zero values mean the documented defaults.
type Options struct {
	Scenario string      // default "rds-postgres-native-proxy" (today's AWS)
	Clock    clock.Clock // default clock.Real{}
	Region   string      // default "us-east-1"
	Account  string      // default "123456789012"
	Faults   []Fault
	Seed     int64    // deterministic names, request ids and throttling draws
	Timings  *Timings // nil ⇒ DefaultTimings()

	// ProxyRegime overrides the scenario's regime: RegimeLegacy or
	// RegimeNative ("" ⇒ the scenario's own).
	ProxyRegime string

	// LegacyProxyRefusalCode is the wire code CreateBlueGreenDeployment
	// answers in the legacy regime when the source is a proxy target. The
	// real code is undocumented (rds-facts §5.3), so it is configurable.
	// "" ⇒ SourceDatabaseNotSupportedFault for an instance,
	// SourceClusterNotSupportedFault for a cluster.
	LegacyProxyRefusalCode string
	// NativeRegisterRefusalCode is the wire code RegisterDBProxyTargets
	// answers in the native regime for a DB that has a deployment
	// (undocumented, rds-facts §5.4). "" ⇒ InvalidDBInstanceState for an
	// instance, InvalidDBClusterStateFault for a cluster.
	NativeRegisterRefusalCode string

	// BaseConnections is the applications' load on each proxy, the level
	// of ClientConnections while the proxy has a healthy target (0 ⇒ 40).
	BaseConnections int

	// Callers, when set, is the clock the simulator's callers read by when
	// it is not Clock: `rdsbg sim --speed X` serves a wizard that picks its
	// CloudWatch windows by the wall clock while the model runs X times
	// faster (walkthrough D28). A GetMetricData window that lies nearer the
	// callers' now than the model's is read in their time: each instant is
	// the model's at that caller instant, each period the model time that
	// passed meanwhile, and the answer's timestamps are the callers'. A
	// caller on the model's own clock (the demo, --time-scale) is answered
	// as before.
	Callers CallerClock

	// ProxyForwardTo maps a proxy name to the host:port of a real database:
	// the proxy's Endpoint becomes a loopback listener that relays to it
	// while the proxy has an AVAILABLE target (forward.go). Call Close.
	// A DB instance or cluster named here is bound to that database: its
	// endpoint is the real server's, and every proxy targeting it relays
	// there (the database checks run end to end against it).
	ProxyForwardTo map[string]string

	// ProxySecrets maps a proxy name to the SecretString its Auth secret
	// holds (GetSecretValue, secretsmanager.go); a proxy not named gets
	// {"username":"dbadmin","password":"rdsbg-sim-<proxy>"}.
	ProxySecrets map[string]string
}

// CallerClock is the callers' clock and its relation to the model's
// (clock.Wall of a clock.Scaled).
type CallerClock interface {
	Now() time.Time
	ModelAt(caller time.Time) time.Time
	CallerAt(model time.Time) time.Time
	Speed() float64
}

// Timings hold every duration of the model, in clock time. The figures of
// DefaultTimings and their sources are in docs/simulator.md ("Timings").
type Timings struct {
	ProvisioningStart      time.Duration // creation → first task IN_PROGRESS
	ReplicaCreate          time.Duration // CREATING_READ_REPLICA_OF_SOURCE, RDS instance
	EngineUpgrade          time.Duration // DB_ENGINE_VERSION_UPGRADE, RDS instance
	ConfigureBackups       time.Duration // CONFIGURE_BACKUPS
	CreateTopology         time.Duration // CREATING_TOPOLOGY_OF_SOURCE (green replicas)
	CreateClusterInstances time.Duration // CREATE_DB_INSTANCES_FOR_CLUSTER
	CreateCustomEndpoints  time.Duration // CREATE_CUSTOM_ENDPOINTS
	// AuroraReplicaCreate and AuroraEngineUpgrade are the same tasks for
	// an Aurora cluster (a storage clone, then the cluster's upgrade);
	// 0 ⇒ ReplicaCreate / EngineUpgrade.
	AuroraReplicaCreate time.Duration
	AuroraEngineUpgrade time.Duration
	Switchover          time.Duration // SWITCHOVER_IN_PROGRESS → SWITCHOVER_COMPLETED
	Rename              time.Duration // last part of the switchover: instances show "renaming"
	Rollback            time.Duration // SWITCHOVER_FAILED → AVAILABLE
	TargetRegister      time.Duration // proxy target REGISTERING → AVAILABLE
	// ProxyFollow is how long the native regime shows the new primary
	// UNAVAILABLE after the switchover before AVAILABLE. No source
	// documents such a phase: 0 in DefaultTimings, kept in FastTimings so
	// that tests exercise an engine that tolerates it.
	ProxyFollow      time.Duration
	Modify           time.Duration // ModifyDB* engine upgrade: upgrading → available
	InstanceDelete   time.Duration // deleting → gone
	ClusterDelete    time.Duration // deleting → gone
	DeploymentDelete time.Duration // DELETING → gone
	Snapshot         time.Duration // creating → available
	// LagCatchUp is the time constant with which green's replica lag
	// falls once green is available (0 ⇒ green is caught up at once).
	LagCatchUp time.Duration
}

// Timing profiles by name (`rdsbg sim --timings`, `rdsbg demo --timings`).
const (
	TimingsAWS = "aws" // DefaultTimings: AWS's documented or measured figures
	// TimingsAWS2025 is AWS before 2026-01-20, when the user guides said a
	// switchover "typically takes under a minute": DefaultTimings with
	// that switchover.
	TimingsAWS2025 = "aws-2025"
	TimingsFast    = "fast" // FastTimings: compressed, for tests
)

// TimingsProfiles are the profile names, for help texts and errors.
func TimingsProfiles() []string { return []string{TimingsAWS, TimingsAWS2025, TimingsFast} }

// TimingsNamed returns the profile of that name.
func TimingsNamed(name string) (Timings, error) {
	switch name {
	case TimingsAWS, "":
		return DefaultTimings(), nil
	case TimingsAWS2025:
		return AWS2025Timings(), nil
	case TimingsFast:
		return FastTimings(), nil
	}
	return Timings{}, fmt.Errorf("sim: unknown timings %q (valid: %s)", name, strings.Join(TimingsProfiles(), ", "))
}

// DefaultTimings are AWS's own figures where a source documents or
// measured them, and labelled assumptions where none does; each figure's
// source is in docs/simulator.md ("Timings"). In short:
//   - switchover 3 s: AWS states "typically under five seconds" for a
//     single-Region switchover since 2026-01-20; public measurements found
//     1.6 s (Aurora MySQL) and about 2 s (RDS PostgreSQL) (rds-facts §4.7);
//   - proxy registration 5 min: one public measurement (a new proxy, an
//     Aurora PostgreSQL cluster); a second write-up measured about 7 min
//     (rds-facts §1.10, §4.7). Re-registration was never measured;
//   - provisioning: RDS MySQL (small) about 12 min to AVAILABLE, Aurora
//     PostgreSQL 16.9 → 17.6 about 30 min (rds-facts §2.4, §4.1); other
//     engines and sizes are assumed to take as long.
func DefaultTimings() Timings {
	return Timings{
		ProvisioningStart:      10 * time.Second,
		ReplicaCreate:          9 * time.Minute,
		EngineUpgrade:          8 * time.Minute,
		ConfigureBackups:       3 * time.Minute,
		CreateTopology:         4 * time.Minute,
		CreateClusterInstances: 4 * time.Minute,
		CreateCustomEndpoints:  1 * time.Minute,
		AuroraReplicaCreate:    18 * time.Minute,
		AuroraEngineUpgrade:    8 * time.Minute,
		Switchover:             3 * time.Second,
		Rename:                 1 * time.Second,
		Rollback:               15 * time.Second,
		TargetRegister:         5 * time.Minute,
		ProxyFollow:            0,
		Modify:                 8 * time.Minute,
		InstanceDelete:         3 * time.Minute,
		ClusterDelete:          2 * time.Minute,
		DeploymentDelete:       30 * time.Second,
		Snapshot:               2 * time.Minute,
		LagCatchUp:             2 * time.Minute,
	}
}

// AWS2025Timings are DefaultTimings with the switchover AWS documented
// before 2026-01-20, "typically under a minute": 50 s, an assumption just
// under that bound (no source gives a figure).
func AWS2025Timings() Timings {
	t := DefaultTimings()
	t.Switchover = 50 * time.Second
	t.Rename = 5 * time.Second
	return t
}

// FastTimings are the compressed figures the simulator used before it had
// sources (registration in 20 s, ~14 min of provisioning): what the tests
// pin, so that their assertions keep their meaning and their virtual runs
// stay short.
func FastTimings() Timings {
	return Timings{
		ProvisioningStart:      10 * time.Second,
		ReplicaCreate:          8 * time.Minute,
		EngineUpgrade:          6 * time.Minute,
		ConfigureBackups:       2 * time.Minute,
		CreateTopology:         4 * time.Minute,
		CreateClusterInstances: 4 * time.Minute,
		CreateCustomEndpoints:  1 * time.Minute,
		Switchover:             45 * time.Second,
		Rename:                 5 * time.Second,
		Rollback:               15 * time.Second,
		TargetRegister:         20 * time.Second,
		ProxyFollow:            8 * time.Second,
		Modify:                 5 * time.Minute,
		InstanceDelete:         3 * time.Minute,
		ClusterDelete:          2 * time.Minute,
		DeploymentDelete:       30 * time.Second,
		Snapshot:               2 * time.Minute,
		LagCatchUp:             2 * time.Minute,
	}
}

func (t Timings) auroraReplicaCreate() time.Duration {
	if t.AuroraReplicaCreate > 0 {
		return t.AuroraReplicaCreate
	}
	return t.ReplicaCreate
}

func (t Timings) auroraEngineUpgrade() time.Duration {
	if t.AuroraEngineUpgrade > 0 {
		return t.AuroraEngineUpgrade
	}
	return t.EngineUpgrade
}

// Mutation is one accepted state-changing call.
type Mutation struct {
	Time      time.Time
	Operation string
	Target    string // the main identifier acted on
	RequestID string
}

// Simulator is the fake RDS endpoint. It is safe for concurrent use.
type Simulator struct {
	mu      sync.Mutex
	opts    Options
	timings Timings
	clock   clock.Clock
	st      *State
	ops     map[string]operation // read-only after New

	names    *rand.Rand // green suffixes, ids, resource ids
	requests *rand.Rand // request ids
	throttle *rand.Rand // throttling draws

	events   []event
	eventSeq uint64

	rdsEvents []rdsEvent // what DescribeEvents answers (rdsevents.go)

	mutations          []Mutation
	tags               map[any]*map[string]string // proxy, instance and cluster tags (tags.go)
	calls              map[string]int
	totalCalls         int
	accepted           map[string]int // accepted calls per operation (for Fault.After/Until)
	faults             []*activeFault
	deploymentsCreated int
	stats              Stats          // fault counters; the rest is filled in by Stats()
	history            *metricHistory // what CloudWatch answers for past periods
	forwarders         []*forwarder   // read-only after New
	// bound maps a DB instance's or cluster's resource id to the real
	// database standing in for it (ProxyForwardTo naming it; forward.go).
	bound map[string]string // read-only after New
	fleet *fleetRouter      // scenario fleet:N: the members (fleet.go); nil otherwise
}

// Stats are the simulator's counters, what `GET /_sim/stats` answers: a
// test driving a separate `rdsbg sim` process reads them to prove, for
// example, that exactly one deployment was ever created.
type Stats struct {
	TotalCalls         int `json:"total_calls"`
	Mutations          int `json:"mutations"`
	DeploymentsCreated int `json:"deployments_created"`
	ThrottledCalls     int `json:"throttled_calls"` // answered Throttling by a ThrottleRate fault
	FailedCalls        int `json:"failed_calls"`    // answered with an injected error code
	DelayedCalls       int `json:"delayed_calls"`   // slowed by a LatencyMS fault
	ModelFaults        int `json:"model_faults"`    // Switchover / GreenInvalidAfterMS faults that fired
}

// event is a scheduled state transition. fn gets its own due time so that
// chained transitions stay exact however late the next request arrives.
type event struct {
	at  time.Time
	seq uint64
	fn  func(at time.Time)
}

// New builds a simulator for a scenario.
func New(o Options) (*Simulator, error) {
	if o.Scenario == "" {
		o.Scenario = ScenarioRDSPostgresNative
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "123456789012"
	}
	switch o.ProxyRegime {
	case "", RegimeLegacy, RegimeNative:
	default:
		return nil, fmt.Errorf("sim: unknown proxy regime %q (valid: %s, %s)", o.ProxyRegime, RegimeLegacy, RegimeNative)
	}
	if n, isFleet, err := FleetScenarioSize(o.Scenario); isFleet {
		if err != nil {
			return nil, err
		}
		return newFleet(o, n)
	}
	build, ok := scenarioBuilders()[o.Scenario]
	if !ok {
		return nil, fmt.Errorf("sim: unknown scenario %q (valid: %s, or %sN)", o.Scenario, strings.Join(scenarioNames(), ", "), ScenarioFleetPrefix)
	}
	return newSimulator(o, build)
}

// newSimulator builds one account and Region from build.
func newSimulator(o Options, build scenarioBuilder) (*Simulator, error) {
	t := DefaultTimings()
	if o.Timings != nil {
		t = *o.Timings
	}
	seed := uint64(o.Seed)
	s := &Simulator{
		opts:     o,
		timings:  t,
		clock:    o.Clock,
		names:    rand.New(rand.NewPCG(seed, 0x6e616d6573)),
		requests: requestIDSource(o.Seed),
		throttle: rand.New(rand.NewPCG(seed, 0x7468726f74746c65)),
		ops:      operations(),
		calls:    map[string]int{},
		accepted: map[string]int{},
		history:  newMetricHistory(),
	}
	s.st = &State{Region: o.Region, Account: o.Account, hash: s.randLower(12)}
	build(s, s.st, s.clock.Now())
	if o.ProxyRegime != "" {
		s.st.Regime = o.ProxyRegime
	}
	s.normalizeLocked(s.clock.Now())
	s.observeLocked(s.clock.Now())
	for _, f := range o.Faults {
		s.faults = append(s.faults, newActiveFault(f, s.accepted))
	}
	if err := s.startForwarders(); err != nil {
		return nil, err
	}
	return s, nil
}

// Mutations returns every accepted state-changing call, in order.
func (s *Simulator) Mutations() []Mutation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mutation(nil), s.mutations...)
}

// CallCounts returns the number of calls per operation, refused ones included.
func (s *Simulator) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// TotalCalls is the number of calls of any operation.
func (s *Simulator) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalCalls
}

// AddFault injects a fault; its Nth counts calls from now on.
func (s *Simulator) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, newActiveFault(f, s.accepted))
}

// ClearFaults disarms every fault, e.g. when a test's fault window (the
// critical section) ends on an engine event rather than on an operation.
// The counters in Stats keep what already fired.
func (s *Simulator) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Update runs fn on the model under the lock, after applying the
// transitions due now. Resources added without ids get them afterwards.
func (s *Simulator) Update(fn func(st *State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advanceLocked(now)
	fn(s.st)
	s.normalizeLocked(now)
	s.observeLocked(now)
}

// DeploymentsCreated counts deployments ever created.
func (s *Simulator) DeploymentsCreated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deploymentsCreated
}

// Stats returns the counters.
func (s *Simulator) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.TotalCalls = s.totalCalls
	st.Mutations = len(s.mutations)
	st.DeploymentsCreated = s.deploymentsCreated
	return st
}

// Regime is the proxy regime in force (RegimeLegacy or RegimeNative).
func (s *Simulator) Regime() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Regime
}

// schedule queues fn to run once the clock reaches at.
func (s *Simulator) schedule(at time.Time, fn func(at time.Time)) {
	s.eventSeq++
	s.events = append(s.events, event{at: at, seq: s.eventSeq, fn: fn})
}

// advanceLocked runs every due transition in time order. A transition may
// schedule further ones; those run in the same pass when they are due too.
func (s *Simulator) advanceLocked(now time.Time) {
	for {
		best := -1
		for i, e := range s.events {
			if e.at.After(now) {
				continue
			}
			if best < 0 || e.at.Before(s.events[best].at) || (e.at.Equal(s.events[best].at) && e.seq < s.events[best].seq) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		e := s.events[best]
		s.events = append(s.events[:best], s.events[best+1:]...)
		e.fn(e.at)
		s.observeLocked(e.at)
	}
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (s *Simulator) randFrom(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.names.IntN(len(alphabet))]
	}
	return string(b)
}

func (s *Simulator) randLower(n int) string { return s.randFrom(lowerAlnum, n) }

func (s *Simulator) newInstanceResourceID() string { return "db-" + s.randFrom(upperAlnum, 26) }
func (s *Simulator) newClusterResourceID() string  { return "cluster-" + s.randFrom(upperAlnum, 26) }

// newRequestID returns a UUID-shaped id, deterministic by Seed.
func (s *Simulator) newRequestID() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[s.requests.IntN(16)]
		}
	}
	return string(b)
}

// normalizeLocked fills in what a test (or a scenario) left out when adding
// resources: resource ids, creation times, sorted order.
func (s *Simulator) normalizeLocked(now time.Time) {
	for _, in := range s.st.Instances {
		if in.ResourceID == "" {
			in.ResourceID = s.newInstanceResourceID()
		}
		if in.CreateTime.IsZero() {
			in.CreateTime = now
		}
		if in.Status == "" {
			in.Status = "available"
		}
	}
	for _, c := range s.st.Clusters {
		if c.ResourceID == "" {
			c.ResourceID = s.newClusterResourceID()
		}
		if c.CreateTime.IsZero() {
			c.CreateTime = now
		}
		if c.Status == "" {
			c.Status = "available"
		}
	}
	for _, p := range s.st.Proxies {
		if p.ARNSuffix == "" {
			p.ARNSuffix = "prx-" + s.randFrom("0123456789abcdef", 17)
		}
		if p.TargetGroupSuffix == "" {
			p.TargetGroupSuffix = "prx-tg-" + s.randFrom("0123456789abcdef", 17)
		}
		if p.Status == "" {
			p.Status = "available"
		}
		if p.CreateTime.IsZero() {
			p.CreateTime = now
		}
	}
	sort.SliceStable(s.st.Instances, func(i, j int) bool { return s.st.Instances[i].ID < s.st.Instances[j].ID })
	sort.SliceStable(s.st.Clusters, func(i, j int) bool { return s.st.Clusters[i].ID < s.st.Clusters[j].ID })
	sort.SliceStable(s.st.Proxies, func(i, j int) bool { return s.st.Proxies[i].Name < s.st.Proxies[j].Name })
}

// requestIDSource draws request ids: from Seed when one is set (tests),
// else from the system's randomness, so that two processes never answer
// with the same sequence of ids.
func requestIDSource(seed int64) *rand.Rand {
	if seed != 0 {
		return rand.New(rand.NewPCG(uint64(seed), 0x7265717565737473))
	}
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}
