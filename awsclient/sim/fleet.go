package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A fleet: several accounts and Regions behind one endpoint (issue 25).
// Scenario "fleet:N" builds one ordinary Simulator per account and Region
// (a member) and spreads N proxied databases over them; the fleet's own
// ServeHTTP picks the member from the request's SigV4 credential (the
// access key names the account, the credential scope the Region) and
// applies the throttling AWS applies per account and Region. Every other
// scenario is a single member and is served exactly as before.

// ScenarioFleetPrefix starts the fleet scenario's name: "fleet:200".
const ScenarioFleetPrefix = "fleet:"

// MaxFleetDatabases bounds fleet:N, so that a typo cannot ask for a
// million databases.
const MaxFleetDatabases = 2000

// FleetAccounts and FleetRegions are where fleet:N puts its databases.
var (
	fleetAccounts = []string{"111111111111", "222222222222"}
	fleetRegions  = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
)

// simulatorAccessKey is the key awsclient signs with against a simulator
// when no profile is given.
const simulatorAccessKey = "rdsbg-simulator"

// FleetAccounts are the accounts of fleet:N.
func FleetAccounts() []string { return append([]string(nil), fleetAccounts...) }

// FleetRegions are the Regions of fleet:N.
func FleetRegions() []string { return append([]string(nil), fleetRegions...) }

// FleetAccessKey is the access key the fleet simulator reads as account's
// (any secret key is accepted: signatures are not checked). The key
// rdsbg uses for a simulator without a profile ("rdsbg-simulator") names
// the first account.
func FleetAccessKey(account string) string { return "AKIASIM" + account }

// FleetAWSConfig is an AWS CLI config file with one profile per account
// of fleet:N (fleet-a, fleet-b…), for `rdsbg fleet plan --profile …`
// against `rdsbg sim --scenario fleet:N`.
func FleetAWSConfig() string {
	var b strings.Builder
	for i, a := range fleetAccounts {
		fmt.Fprintf(&b, "[profile %s]\naws_access_key_id = %s\naws_secret_access_key = not-a-secret\nregion = %s\n\n", FleetProfile(i), FleetAccessKey(a), fleetRegions[0])
	}
	return b.String()
}

// FleetProfile is the profile name FleetAWSConfig gives the i-th account.
func FleetProfile(i int) string { return "fleet-" + string(rune('a'+i)) }

// FleetScenarioSize reads N from "fleet:N"; ok is false for any other name.
func FleetScenarioSize(name string) (n int, ok bool, err error) {
	rest, found := strings.CutPrefix(name, ScenarioFleetPrefix)
	if !found {
		return 0, false, nil
	}
	n, perr := strconv.Atoi(rest)
	if perr != nil || n < 1 || n > MaxFleetDatabases {
		return 0, true, fmt.Errorf("sim: scenario %q: want fleet:N with N from 1 to %d", name, MaxFleetDatabases)
	}
	return n, true, nil
}

// Budget AWS applies to RDS API requests per account and Region
// (rds-facts §7): 12 requests/s sustained with bursts up to 300, then
// Throttling.
const (
	awsRequestsPerSecond = 12
	awsRequestBurst      = 300
)

// fleetRouter serves the members of a fleet.
type fleetRouter struct {
	mu      sync.Mutex
	members map[memberKey]*member
	order   []memberKey // accounts × Regions, as built
	keys    map[string]string
}

type memberKey struct{ account, region string }

// member is one account and Region: its simulator, the token bucket AWS
// throttles with and the measured request rate.
type member struct {
	sim *Simulator

	mu        sync.Mutex
	tokens    float64
	refilled  time.Time
	throttled int
	window    []time.Time // RDS requests of the last second, oldest first
	peak      int         // most requests seen within any second
	peakAt    time.Time
	requests  int
}

// FleetRate is what the simulator measured for one account and Region.
type FleetRate struct {
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Requests  int       `json:"requests"`  // RDS requests received
	Peak      int       `json:"peak"`      // most requests within any rolling second
	PeakAt    time.Time `json:"peak_at"`   // when that second ended
	Throttled int       `json:"throttled"` // answered Throttling (over AWS's budget)
	Databases int       `json:"databases"`
}

func newFleet(o Options, n int) (*Simulator, error) {
	parent := &Simulator{opts: o, clock: o.Clock, fleet: &fleetRouter{members: map[memberKey]*member{}, keys: map[string]string{}}}
	parent.fleet.keys[simulatorAccessKey] = fleetAccounts[0]
	for _, a := range fleetAccounts {
		parent.fleet.keys[FleetAccessKey(a)] = a
	}
	slots := len(fleetAccounts) * len(fleetRegions)
	for ai, a := range fleetAccounts {
		for ri, r := range fleetRegions {
			slot := ai*len(fleetRegions) + ri
			var mine []int
			for i := slot; i < n; i += slots {
				mine = append(mine, i)
			}
			mo := o
			mo.Scenario, mo.Account, mo.Region, mo.Faults = "", a, r, nil
			mo.Seed = o.Seed + int64(slot)*7919
			// The last account-Region is a hypothetical one without native
			// proxy support (the detach procedure); the rest are today's AWS.
			regime := RegimeNative
			if slot == slots-1 {
				regime = RegimeLegacy
			}
			// Blocked databases come on top of the N that can run: one per
			// fifty, at least one, placed in the first account-Regions.
			blocked := 0
			if slot < max(1, (n+49)/50) && slot < slots {
				blocked = 1
			}
			s, err := newSimulator(mo, func(s *Simulator, st *State, now time.Time) {
				buildFleetMember(s, st, now, mine, regime, blocked, slot)
			})
			if err != nil {
				return nil, err
			}
			k := memberKey{a, r}
			parent.fleet.members[k] = &member{sim: s, tokens: awsRequestBurst, refilled: o.Clock.Now()}
			parent.fleet.order = append(parent.fleet.order, k)
		}
	}
	return parent, nil
}

// fleet database kinds: engine, version, port and proxy family.
type fleetKind struct {
	prefix, engine, version, family string
	port                            int
	aurora                          bool
}

var fleetKinds = []fleetKind{
	{"pg", "postgres", "15.7", "POSTGRESQL", 5432, false},
	{"mysql", "mysql", "8.0.36", "MYSQL", 3306, false},
	{"apg", "aurora-postgresql", "15.6", "POSTGRESQL", 5432, true},
	{"maria", "mariadb", "10.11.9", "MYSQL", 3306, false},
}

// fleetGlobal is every tenth database: an Aurora MySQL cluster in a global
// database, where native proxy support does not apply (the detach
// procedure, planned as such).
var fleetGlobal = fleetKind{"global", "aurora-mysql", "8.0.mysql_aurora.3.05.2", "MYSQL", 3306, true}

var fleetTeams = []string{"orders", "payments", "search", "catalog"}

// buildFleetMember adds this account-Region's databases: each index i of
// the fleet becomes <kind>-<i> behind <kind>-<i>-proxy (RDS PostgreSQL,
// RDS MySQL, Aurora PostgreSQL, RDS MariaDB in turn; every tenth an
// Aurora MySQL global database member), tagged env=prod and team=…; the
// fleet's first two databases are tagged wave=canary.
// blocked adds databases preflight refuses (automated backups off).
func buildFleetMember(s *Simulator, st *State, now time.Time, indexes []int, regime string, blocked, slot int) {
	baseState(st)
	st.Regime = regime
	created := now.Add(-365 * 24 * time.Hour)
	vpc := fmt.Sprintf("vpc-0f1ee7%011d", slot)
	add := func(i int, k fleetKind, id string) (any, string) {
		if k.aurora {
			group := "default." + familyOf(k.engine, k.version)
			c := auroraCluster(s, st, id, id, k.engine, k.version, group, group, 1, k.port, created)
			c.DeletionProtection = false
			if k == fleetGlobal {
				c.GlobalClusterID = id + "-global"
			}
			return c, c.ResourceID
		}
		in := instance(id, k.engine, k.version, "db.t4g.medium", "default."+familyOf(k.engine, k.version), k.port, created)
		in.ResourceID = s.newInstanceResourceID()
		st.Instances = append(st.Instances, in)
		return in, in.ResourceID
	}
	for _, i := range indexes {
		k := fleetKinds[i%len(fleetKinds)]
		if i%10 == 9 {
			k = fleetGlobal
		}
		id := fmt.Sprintf("%s-%03d", k.prefix, i+1)
		res, rid := add(i, k, id)
		tags := s.tagSet(res)
		(*tags)["env"] = "prod"
		(*tags)["team"] = fleetTeams[(i/len(fleetKinds))%len(fleetTeams)]
		if i < 2 {
			(*tags)["wave"] = "canary"
		}
		st.Proxies = append(st.Proxies, &Proxy{Name: id + "-proxy", EngineFamily: k.family, VpcID: vpc,
			Targets: []*ProxyRegistration{registered(rid, k.aurora, now)}})
	}
	for b := 0; b < blocked; b++ {
		id := fmt.Sprintf("nobackup-%d", slot+1)
		in := instance(id, "postgres", "15.7", "db.t4g.medium", "default.postgres15", 5432, created)
		in.ResourceID = s.newInstanceResourceID()
		in.BackupRetentionDays = 0
		st.Instances = append(st.Instances, in)
		(*s.tagSet(in))["env"] = "prod"
		st.Proxies = append(st.Proxies, &Proxy{Name: id + "-proxy", EngineFamily: "POSTGRESQL", VpcID: vpc,
			Targets: []*ProxyRegistration{registered(in.ResourceID, false, now)}})
	}
}

// familyOf is the default parameter group family of engine version v.
func familyOf(engine, v string) string {
	switch engine {
	case "postgres":
		return "postgres" + firstDot(v)
	case "mysql", "mariadb":
		return engine + firstTwo(v)
	case "aurora-mysql":
		return "aurora-mysql8.0"
	}
	return engine + firstDot(v)
}

// IsFleet says whether this simulator serves a fleet (scenario fleet:N).
func (s *Simulator) IsFleet() bool { return s.fleet != nil }

// Member is the simulator of one account and Region of a fleet (nil when
// there is none): tests inject faults into it and read its state.
func (s *Simulator) Member(account, region string) *Simulator {
	if s.fleet == nil {
		return nil
	}
	s.fleet.mu.Lock()
	defer s.fleet.mu.Unlock()
	if m := s.fleet.members[memberKey{account, region}]; m != nil {
		return m.sim
	}
	return nil
}

// FleetRates is the measured request rate per account and Region, in the
// order the fleet was built.
func (s *Simulator) FleetRates() []FleetRate {
	if s.fleet == nil {
		return nil
	}
	s.fleet.mu.Lock()
	keys := append([]memberKey(nil), s.fleet.order...)
	members := make([]*member, len(keys))
	for i, k := range keys {
		members[i] = s.fleet.members[k]
	}
	s.fleet.mu.Unlock()
	var out []FleetRate
	for i, m := range members {
		m.mu.Lock()
		r := FleetRate{Account: keys[i].account, Region: keys[i].region, Requests: m.requests, Peak: m.peak, PeakAt: m.peakAt, Throttled: m.throttled}
		m.mu.Unlock()
		m.sim.mu.Lock()
		r.Databases = len(m.sim.st.Proxies)
		m.sim.mu.Unlock()
		out = append(out, r)
	}
	return out
}

// serveFleet routes one request to its account and Region.
func (s *Simulator) serveFleet(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == StatsPath && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Rates []FleetRate `json:"rates"`
		}{s.FleetRates()})
		return
	}
	key, region, service := credentialOf(r.Header.Get("Authorization"))
	s.fleet.mu.Lock()
	account, known := s.fleet.keys[key]
	if region == "" {
		region = fleetRegions[0]
	}
	m := s.fleet.members[memberKey{account, region}]
	if known && m == nil {
		// A Region of the account with nothing in it: AWS serves every
		// Region, so an empty one answers with empty lists.
		mo := s.opts
		mo.Scenario, mo.Account, mo.Region, mo.Faults = "", account, region, nil
		sim, err := newSimulator(mo, func(_ *Simulator, st *State, _ time.Time) { baseState(st); st.Regime = RegimeNative })
		if err == nil {
			m = &member{sim: sim, tokens: awsRequestBurst, refilled: s.clock.Now()}
			s.fleet.members[memberKey{account, region}] = m
			s.fleet.order = append(s.fleet.order, memberKey{account, region})
		}
	}
	s.fleet.mu.Unlock()
	if !known || m == nil {
		// STS and RDS answer an unknown access key the same way.
		writeError(w, "00000000-0000-0000-0000-000000000000", &apiError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden})
		return
	}
	if service == "rds" && !m.admit(s.clock.Now()) {
		writeError(w, "00000000-0000-0000-0000-00000000th01", &apiError{Code: "Throttling", Message: "Rate exceeded", Status: http.StatusBadRequest})
		return
	}
	m.sim.ServeHTTP(w, r)
}

// admit counts one RDS request and answers whether AWS's token bucket
// lets it through; the rolling-second peak is measured either way.
func (m *member) admit(now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	cut := now.Add(-time.Second)
	drop := 0
	for drop < len(m.window) && !m.window[drop].After(cut) {
		drop++
	}
	m.window = append(m.window[drop:], now)
	if len(m.window) > m.peak {
		m.peak, m.peakAt = len(m.window), now
	}
	if el := now.Sub(m.refilled); el > 0 {
		m.tokens = min(awsRequestBurst, m.tokens+el.Seconds()*awsRequestsPerSecond)
		m.refilled = now
	}
	if m.tokens < 1 {
		m.throttled++
		return false
	}
	m.tokens--
	return true
}

// credentialOf reads the access key, Region and service from a SigV4
// Authorization header: "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/
// SERVICE/aws4_request, SignedHeaders=…, Signature=…".
func credentialOf(auth string) (key, region, service string) {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", "", ""
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) < 4 {
		return parts[0], "", ""
	}
	return parts[0], parts[2], parts[3]
}

// FleetDatabases lists the fleet's databases as account/region/id, sorted.
func (s *Simulator) FleetDatabases() []string {
	var out []string
	for _, r := range s.FleetRates() {
		m := s.Member(r.Account, r.Region)
		m.mu.Lock()
		for _, p := range m.st.Proxies {
			out = append(out, r.Account+"/"+r.Region+"/"+strings.TrimSuffix(p.Name, "-proxy"))
		}
		m.mu.Unlock()
	}
	sort.Strings(out)
	return out
}
