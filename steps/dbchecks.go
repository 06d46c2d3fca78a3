package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rdsbg/rdsbg/awsclient"
	"github.com/rdsbg/rdsbg/steps/contract"
	"github.com/rdsbg/rdsbg/steps/dbcheck"
	"github.com/rdsbg/rdsbg/steps/journal"
	"github.com/rdsbg/rdsbg/steps/preflight"
)

// The database checks in a run (issue 22): the preflight rows of
// steps/dbcheck, the schema watch while green replicates logically, the
// ready-check's database gates and the ledger after the switchover. The
// checks connect read-only to blue, through the proxy by default; the
// credentials come from a DSN (RDSBG_DB_DSN, --db-dsn), an IAM token
// (--db-iam-user) or the proxy's own secret (--db-credentials
// proxy-secret). Without credentials the checks show as "not run" and the
// run goes on, unless --require-db-checks asks for them.

// dbScope is what AWS will do (rds-facts §4.1): Aurora PostgreSQL always
// replicates logically; RDS for PostgreSQL logically when a major upgrade
// is asked for at creation (older sources cannot, and preflight says so),
// else physically; the MySQL family through the binary log.
func dbScope(d preflight.Discovery, o contract.Options, upgrade *awsclient.UpgradeTarget) dbcheck.Scope {
	engine := d.Source.Engine
	switch {
	case engine == "aurora-postgresql":
		return dbcheck.Scope{Engine: engine, Mode: dbcheck.ModeLogical}
	case strings.Contains(engine, "postgres"):
		o = preflight.ResolveUpgradeVia(d, o, upgrade)
		if upgrade != nil && upgrade.Major && o.UpgradeVia != contract.UpgradeViaModify {
			return dbcheck.Scope{Engine: engine, Mode: dbcheck.ModeLogical}
		}
		return dbcheck.Scope{Engine: engine, Mode: dbcheck.ModePhysical}
	}
	return dbcheck.Scope{Engine: engine, Mode: dbcheck.ModeBinlog}
}

// dbRun is a run's connection to blue's database: where, as whom, and
// what the checks have seen. Its target holds the password: never print it.
type dbRun struct {
	target  dbcheck.Target
	scope   dbcheck.Scope
	opts    dbcheck.Options
	require bool
	watch   *dbcheck.Watch // logical mode, once the baseline was read
	// nextWatch: no watch read before (schemaWatchGap after the last).
	nextWatch time.Time
	ledger    dbcheck.Ledger
	// gate is the ready-check's memory of a database gate that holds.
	gate     lagGate
	gateSaid string // the last gate notice, so a holding gate is told once
	// gateNext: the gates are read at most every schemaWatchGap; between
	// reads the last one (gateLast) stands.
	gateNext time.Time
	gateLast *dbcheck.Gate
}

// dbEndpoint is one place the checks may connect.
type dbEndpoint struct {
	label      string // "proxy orders-proxy", "blue orders-db"
	host       string
	port       int
	portGiven  bool // the endpoint named its port (the simulator's loopback)
	proxy      *awsclient.Proxy
	sourceSelf bool
}

// dbEndpoints lists the source's writer endpoint and its proxies'.
func dbEndpoints(d preflight.Discovery) (blue *dbEndpoint, proxies []dbEndpoint) {
	defaultPort := 5432
	if !strings.Contains(d.Source.Engine, "postgres") {
		defaultPort = 3306
	}
	split := func(endpoint string, port int) (string, int, bool) {
		if h, p, err := net.SplitHostPort(endpoint); err == nil {
			n, _ := strconv.Atoi(p)
			return h, n, true
		}
		if port == 0 {
			port = defaultPort
		}
		return endpoint, port, false
	}
	switch {
	case d.Instance != nil && d.Instance.Endpoint != "":
		h, p, given := split(d.Instance.Endpoint, d.Instance.Port)
		blue = &dbEndpoint{label: "blue " + d.Source.ID, host: h, port: p, portGiven: given || d.Instance.Port != 0, sourceSelf: true}
	case d.Cluster != nil && d.Cluster.Endpoint != "":
		port := 0
		for _, m := range d.Members {
			if m.Port != 0 {
				port = m.Port
				break
			}
		}
		h, p, given := split(d.Cluster.Endpoint, port)
		blue = &dbEndpoint{label: "blue " + d.Source.ID + " (cluster writer endpoint)", host: h, port: p, portGiven: given, sourceSelf: true}
	}
	ours := map[string]bool{}
	for _, r := range d.Proxies {
		ours[r.Proxy] = true
	}
	for i := range d.ProxyInfo {
		px := d.ProxyInfo[i]
		if !ours[px.Name] || px.Endpoint == "" {
			continue
		}
		h, p, given := split(px.Endpoint, 0)
		proxies = append(proxies, dbEndpoint{label: "proxy " + px.Name, host: h, port: p, portGiven: given, proxy: &d.ProxyInfo[i]})
	}
	sort.Slice(proxies, func(i, j int) bool { return proxies[i].label < proxies[j].label })
	return blue, proxies
}

// isLoopbackHost: the simulator's stand-ins and tests.
func isLoopbackHost(h string) bool {
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}

// dbLogin is what a database login is read with: the proxy's secret or
// an IAM token.
type dbLogin interface {
	awsclient.Secrets
	awsclient.DBAuth
}

// resolveDBTarget decides where and as whom the checks connect. An
// *InputError (exit 2) is input that cannot be right (a DSN naming another
// host, proxy-secret without a proxy); a CheckResult is a reason the
// checks cannot run that is not the input's fault (a secret that cannot
// be read), shown as a row.
func resolveDBTarget(ctx context.Context, api dbLogin, d preflight.Discovery, o contract.DBOptions, scope dbcheck.Scope) (*dbcheck.Target, *contract.CheckResult, error) {
	blue, proxies := dbEndpoints(d)
	ep, err := chooseDBEndpoint(d, o, blue, proxies)
	if err != nil {
		return nil, nil, err
	}
	if ep == nil {
		row := dbNotRunRow(fmt.Sprintf("AWS reports no endpoint for %s yet, so the database checks cannot connect.", d.Source.ID), o.Require)
		return nil, &row, nil
	}
	var t dbcheck.Target
	switch {
	case o.DSN != "":
		var err error
		if t, err = dsnTarget(d, o, ep, blue, proxies); err != nil {
			return nil, nil, err
		}
	case o.IAMUser != "":
		t = dbcheck.Target{Driver: scope.Driver(), Host: ep.host, Port: ep.port, User: o.IAMUser, IAM: true, Label: ep.label}
		token, err := api.DBAuthToken(ctx, t.Address(), o.IAMUser)
		if err != nil {
			row := dbNotRunRow(fmt.Sprintf("Could not make an IAM authentication token for %s at %s: %v.", o.IAMUser, t.Address(), err), o.Require)
			row.Remediation = "check the AWS credentials rdsbg runs with; the user needs rds-db:connect (rdsbg iam-policy --db-iam-user " + o.IAMUser + " lists it)"
			return nil, &row, nil
		}
		t.Password = token
	case o.Credentials == contract.DBCredentialsProxySecret:
		var row *contract.CheckResult
		var err error
		if t, row, err = proxySecretLogin(ctx, api, o, scope, ep, proxies); err != nil || row != nil {
			return nil, row, err
		}
	default:
		return nil, nil, nil
	}
	if t.Driver != scope.Driver() {
		return nil, nil, contract.UsageError(o.DSNFlag(), "%s is a %s connection string, but %s runs %s", o.DSNInput(), t.Driver, d.Source.ID, d.Source.Engine)
	}
	if o.DSN == "" {
		// rdsbg picked the endpoint: TLS is required on AWS (IAM tokens,
		// proxies with RequireTLS); the simulator's loopback stand-ins
		// speak it when they can.
		t.TLS = dbcheck.TLSRequire
		if isLoopbackHost(t.Host) {
			t.TLS = dbcheck.TLSPrefer
		}
	}
	return &t, nil, nil
}

// chooseDBEndpoint is where the checks connect: blue, or its first proxy
// (the default when it has one); nil when AWS shows no endpoint yet.
func chooseDBEndpoint(d preflight.Discovery, o contract.DBOptions, blue *dbEndpoint, proxies []dbEndpoint) (*dbEndpoint, error) {
	var ep *dbEndpoint
	switch {
	case o.Endpoint == contract.DBEndpointBlue || (o.Endpoint == "" && len(proxies) == 0 && o.Credentials != contract.DBCredentialsProxySecret):
		ep = blue
	case len(proxies) > 0:
		ep = &proxies[0]
	case o.Endpoint == contract.DBEndpointProxy:
		return nil, contract.UsageError("--db-endpoint", "--db-endpoint proxy: no proxy targets %s; use --db-endpoint blue", d.Source.ID)
	}
	if o.Credentials == contract.DBCredentialsProxySecret && len(proxies) == 0 {
		return nil, contract.UsageError("--db-credentials", "--db-credentials proxy-secret: no proxy targets %s, so there is no proxy secret to use; give a DSN in %s or use --db-iam-user", d.Source.ID, contract.EnvDBDSN)
	}
	return ep, nil
}

// dsnTarget is the target a DSN names: its own host when it names one
// (blue's endpoint or one of its proxies', nothing else), else ep's.
// Its messages name the input the DSN came from.
func dsnTarget(d preflight.Discovery, o contract.DBOptions, ep, blue *dbEndpoint, proxies []dbEndpoint) (dbcheck.Target, error) {
	t, err := dbcheck.ParseDSN(o.DSN)
	if err != nil {
		return t, contract.UsageError(o.DSNFlag(), "%s: %v", o.DSNInput(), err)
	}
	t.DSNFrom = o.DSNInput()
	if t.HasHost() {
		named := matchEndpoint(t, blue, proxies)
		if named == nil {
			return t, contract.UsageError(o.DSNFlag(), "%s names %s, which is neither %s's endpoint nor one of its proxies': the checks read only the database being changed. Leave the host out of the DSN, or name %s", o.DSNInput(), t.Address(), d.Source.ID, endpointList(blue, proxies))
		}
		t.Label = named.label
		return t, nil
	}
	t = t.WithEndpoint(ep.host, ep.port)
	t.Label = ep.label
	return t, nil
}

// proxySecretLogin is --db-credentials proxy-secret: the login in the
// Secrets Manager secret the proxy authenticates with. A secret that
// cannot be read or used is a row, not an input error.
func proxySecretLogin(ctx context.Context, api dbLogin, o contract.DBOptions, scope dbcheck.Scope, ep *dbEndpoint, proxies []dbEndpoint) (dbcheck.Target, *contract.CheckResult, error) {
	px := ep.proxy
	if px == nil {
		px = proxies[0].proxy
	}
	secretARN := ""
	for _, a := range px.Auth {
		if a.SecretARN != "" {
			secretARN = a.SecretARN
			break
		}
	}
	if secretARN == "" {
		return dbcheck.Target{}, nil, contract.UsageError("--db-credentials", "--db-credentials proxy-secret: proxy %s names no Secrets Manager secret (it authenticates with IAM only); use --db-iam-user or a DSN in %s", px.Name, contract.EnvDBDSN)
	}
	secret, err := api.GetSecretString(ctx, secretARN)
	if err != nil {
		row := dbNotRunRow(fmt.Sprintf("Could not read proxy %s's secret %s: %s.", px.Name, secretARN, awsclient.Sanitize(err.Error())), o.Require)
		row.Remediation = "grant secretsmanager:GetSecretValue on " + secretARN + " (and kms:Decrypt on its key), or give a DSN in " + contract.EnvDBDSN
		return dbcheck.Target{}, &row, nil
	}
	var creds struct {
		Username string `json:"username"`
		Password string `json:"password"`
		DBName   string `json:"dbname"`
	}
	if err := json.Unmarshal([]byte(secret), &creds); err != nil || creds.Username == "" {
		row := dbNotRunRow(fmt.Sprintf("Proxy %s's secret %s does not hold {\"username\", \"password\"} as RDS Proxy expects.", px.Name, secretARN), o.Require)
		return dbcheck.Target{}, &row, nil
	}
	return dbcheck.Target{Driver: scope.Driver(), Host: ep.host, Port: ep.port, User: creds.Username, Password: creds.Password, Database: creds.DBName, Label: ep.label}, nil, nil
}

// matchEndpoint finds the endpoint a DSN's host names (and its port, when
// the endpoint is known to use a particular one).
func matchEndpoint(t dbcheck.Target, blue *dbEndpoint, proxies []dbEndpoint) *dbEndpoint {
	all := append([]dbEndpoint(nil), proxies...)
	if blue != nil {
		all = append(all, *blue)
	}
	for i := range all {
		e := all[i]
		if !strings.EqualFold(strings.TrimSuffix(t.Host, "."), e.host) {
			continue
		}
		if e.portGiven && t.Port != 0 && t.Port != e.port {
			continue
		}
		return &e
	}
	return nil
}

func endpointList(blue *dbEndpoint, proxies []dbEndpoint) string {
	var out []string
	if blue != nil {
		out = append(out, net.JoinHostPort(blue.host, strconv.Itoa(blue.port))+" ("+blue.label+")")
	}
	for _, p := range proxies {
		out = append(out, net.JoinHostPort(p.host, strconv.Itoa(p.port))+" ("+p.label+")")
	}
	return strings.Join(out, " or ")
}

// dbNotRunRow: the checks could not run; with --require-db-checks that
// blocks the run.
func dbNotRunRow(why string, require bool) contract.CheckResult {
	status := contract.CheckNotRun
	if require {
		status = contract.CheckFail
		why += " --require-db-checks makes that a blocker."
	}
	return contract.CheckResult{ID: contract.CheckDatabase, Title: "Database checks", Status: status, Explanation: why,
		Remediation: "export " + contract.EnvDBDSN + "='postgres://user:password@<endpoint>:5432/postgres' (MySQL: mysql://user:password@<endpoint>:3306/), or pass --db-iam-user NAME or --db-credentials proxy-secret"}
}

// fromDBRow makes a preflight row of a database check's row.
func fromDBRow(r dbcheck.Row, require bool) contract.CheckResult {
	c := contract.CheckResult{ID: r.ID, Title: r.Title, Status: contract.CheckStatus(r.Status), Explanation: r.Explanation, Remediation: r.Remediation,
		SQL: r.SQL, Source: r.Source, Found: r.Found, FoundTotal: r.FoundTotal}
	if require && r.ID == dbcheck.RowConnection && c.Status != contract.CheckPass {
		c.Status = contract.CheckFail
		c.Explanation += " --require-db-checks makes that a blocker."
	}
	return c
}

// databasePreflight runs the database checks for a preparation: the
// rows, and the connection the run keeps for the watch and the gates.
func databasePreflight(ctx context.Context, api awsclient.API, d preflight.Discovery, o contract.Options, upgrade *awsclient.UpgradeTarget) ([]contract.CheckResult, *dbRun, error) {
	if !o.DB.Enabled() {
		return []contract.CheckResult{dbNotRunRow("Not run: no database credentials. Without them rdsbg cannot see what AWS's API does not show and what makes blue/green fail: tables without a primary key, replication slots and publications, extensions, long transactions, DDL while green replicates.", false)}, nil, nil
	}
	scope := dbScope(d, o, upgrade)
	t, row, err := resolveDBTarget(ctx, api, d, o.DB, scope)
	if err != nil {
		return nil, nil, err
	}
	if row != nil {
		return []contract.CheckResult{*row}, nil, nil
	}
	db := &dbRun{target: *t, scope: scope, opts: dbcheck.Options{MaxTransactionAge: o.DB.TransactionAgeLimit()}, require: o.DB.Require}
	rep := dbcheck.Preflight(ctx, *t, scope, db.opts)
	var rows []contract.CheckResult
	for _, r := range rep.Rows {
		rows = append(rows, fromDBRow(r, o.DB.Require))
	}
	if !rep.Connected {
		return rows, nil, nil
	}
	db.ledger = rep.Ledger
	if scope.Mode == dbcheck.ModeLogical {
		// The baseline now: DDL from here on is what degrades green.
		w := dbcheck.NewWatch(*t)
		err := w.Baseline(ctx)
		w.Close() // the reads reopen them: `plan` keeps no session
		if err == nil {
			db.watch = w
		} else {
			rows = append(rows, contract.CheckResult{ID: "db-schema-watch", Title: "Schema watch", Status: contract.CheckWarn,
				Explanation: "The schema watch could not read blue's catalog, so DDL during provisioning will not be seen: " + err.Error() + "."})
		}
	}
	return rows, db, nil
}

// ---- the schema watch (provision-green and ready-check waits) ----

// schemaWatchGap keeps the watch and the gates from reading at every poll
// of a wait's first fast ramp (1 s, 1.2 s, …): at most one read per 5 s,
// so after the ramp they read at each 15 s poll.
const schemaWatchGap = 5 * time.Second

// watchSchema reads blue's schema fingerprint at each poll of the
// provision-green and ready-check waits (every 15 s once a wait has ramped
// up: a modest cadence, one digest query per database) and, when DDL moved
// it, says so and asks the way on: abort and recreate, or continue while
// AWS still reports the deployment healthy. DDL is named at the first read
// after it: within one poll interval.
func (r *run) watchSchema(ctx context.Context, step contract.StepID, depStatus string) error {
	db := r.database(ctx)
	if db == nil || db.scope.Mode != dbcheck.ModeLogical {
		return nil
	}
	if db.watch == nil {
		w := dbcheck.NewWatch(db.target)
		if err := w.Baseline(ctx); err != nil {
			r.e.notice(step, "schema watch: cannot read blue's catalog (%v); DDL on blue is not being watched", err)
			return nil
		}
		db.watch = w
		return nil
	}
	if r.e.cfg.Clock.Now().Before(db.nextWatch) {
		return nil
	}
	db.nextWatch = r.e.cfg.Clock.Now().Add(schemaWatchGap)
	ch, err := db.watch.Read(ctx)
	if err != nil {
		r.e.notice(step, "schema watch: cannot read blue's catalog this time (%v)", err)
		return nil
	}
	if ch.Empty() {
		return nil
	}
	c := ch
	if !ch.Degrades() {
		r.e.emit(contract.Event{Type: contract.EventDBSchemaChanged, Step: step, DBChange: &c,
			Message: "privileges changed on blue (" + strings.Join(ch.DCL, "; ") + "): GRANT and REVOKE are not replicated to green; repeat them on the new primary after the switchover"})
		return nil
	}
	msg := fmt.Sprintf("DDL on blue while green replicates: %s. Green's replication will degrade (AWS reports \"Replication degraded\"); the only fix is to delete the deployment and create it again (`rdsbg abort --source %s`, then `rdsbg run`). AWS reports the deployment %s now.",
		strings.Join(ch.Objects(), "; "), r.plan.Source.ID, depStatus)
	r.e.emit(contract.Event{Type: contract.EventDBSchemaChanged, Step: step, DBChange: &c, Message: msg})
	d, err := r.decide(ctx, contract.Approval{Kind: "db-schema-change", Step: step, Title: "DDL on blue: green's replication will degrade",
		Text:     msg + " approve: continue while AWS still reports the deployment healthy. decline: stop here; then abort and run again.",
		Severity: contract.SeverityReversible, Choices: []contract.Decision{contract.DecisionApprove, contract.DecisionDecline}})
	if err != nil {
		return err
	}
	if d != contract.DecisionApprove {
		return fmt.Errorf("%w: DDL on blue during provisioning (%s); `rdsbg abort --source %s` deletes the deployment, then `rdsbg run` creates it again", contract.ErrDeclined, strings.Join(ch.Objects(), "; "), r.plan.Source.ID)
	}
	r.e.notice(step, "continuing after DDL on blue, at the operator's word: AWS reports the deployment %s", depStatus)
	return nil
}

// database is the run's connection to blue: the preparation's, or on
// resume one resolved again from the journalled options and this
// process's DSN (no preflight). nil without credentials.
func (r *run) database(ctx context.Context) *dbRun {
	if r.db != nil || r.dbResolved {
		return r.db
	}
	r.dbResolved = true
	o := r.plan.Options.DB
	if o.DSN == "" {
		o.DSN = r.e.cfg.Options.DB.DSN
	}
	if !o.Enabled() {
		return nil
	}
	scope := dbScope(r.disc, r.plan.Options, r.upgrade)
	t, row, err := resolveDBTarget(ctx, r.api, r.disc, o, scope)
	switch {
	case err != nil:
		r.e.notice(contract.StepReadyCheck, "database checks off for this run: %v", err)
		return nil
	case row != nil:
		r.e.notice(contract.StepReadyCheck, "database checks off for this run: %s", row.Explanation)
		return nil
	}
	r.db = &dbRun{target: *t, scope: scope, opts: dbcheck.Options{MaxTransactionAge: o.TransactionAgeLimit()}, require: o.Require}
	return r.db
}

// ---- the ready-check's database gates ----

// errDBGatePaused ends a run in the ready state: the database gate held
// and the operator (or the headless bound) stopped before the critical
// section. It is no failure of the ready-check.
type errDBGatePaused struct{ why string }

func (e *errDBGatePaused) Error() string {
	return "stopped before the critical section: " + e.why
}
func (e *errDBGatePaused) Unwrap() error    { return errPausedReady }
func (e *errDBGatePaused) notAStepFailure() {}

// dbGate reads the gates once: ok when nothing on blue would make the
// switchover refuse or time out. While it holds, p says why and the
// sessions; after Poll.ReadyGateAsk the operator is asked (headless: the
// run stops in ready).
func (r *run) dbGate(ctx context.Context, ps contract.PlannedStep, p *contract.Progress) (bool, error) {
	db := r.database(ctx)
	if db == nil || db.gate.overridden {
		return true, nil
	}
	now := r.e.cfg.Clock.Now()
	if now.Before(db.gateNext) && db.gateLast != nil {
		// The wait's fast first polls: the last read stands.
		if db.gateLast.Open() {
			return true, nil
		}
		p.Waiting, p.DBSessions = "the database: "+strings.Join(db.gateLast.Holding, "; "), db.gateLast.Sessions
		return false, nil
	}
	db.gateNext, db.gateLast = now.Add(schemaWatchGap), nil
	g, err := dbcheck.Gates(ctx, db.target, db.scope, db.opts)
	if err != nil {
		if db.require {
			p.Waiting = "database gates cannot be read (--require-db-checks): " + err.Error()
			return false, r.holdOnDB(ctx, ps, db, []string{"the database gates cannot be read: " + err.Error()}, nil)
		}
		if said := "database gates not checked: " + err.Error(); db.gateSaid != said {
			db.gateSaid = said
			r.e.notice(ps.ID, "%s", said)
		}
		return true, nil
	}
	db.gateLast = &g
	if db.ledger.Merge(g.Ledger) {
		r.journalDBLedger()
	}
	if g.Open() {
		db.gate.since = time.Time{}
		return true, nil
	}
	p.Waiting = "the database: " + strings.Join(g.Holding, "; ")
	p.DBSessions = g.Sessions
	if said := strings.Join(g.Holding, "; "); db.gateSaid != said {
		db.gateSaid = said
		r.e.notice(ps.ID, "the switchover waits for the database: %s", said)
	}
	return false, r.holdOnDB(ctx, ps, db, g.Holding, g.Sessions)
}

// holdOnDB asks, once the gate has held for Poll.ReadyGateAsk, to keep
// waiting, to go on anyway (severe) or to stop in ready.
func (r *run) holdOnDB(ctx context.Context, ps contract.PlannedStep, db *dbRun, holding []string, sessions []dbcheck.Session) error {
	now := r.e.cfg.Clock.Now()
	if db.gate.since.IsZero() {
		db.gate.since = now
		return nil
	}
	held := now.Sub(db.gate.since)
	if held < r.e.cfg.Poll.ReadyGateAsk {
		return nil
	}
	var lines []string
	for _, s := range sessions {
		lines = append(lines, "  "+s.String())
	}
	text := fmt.Sprintf("For %s the database has held the switchover: %s.", held.Round(time.Second), strings.Join(holding, "; "))
	if len(lines) > 0 {
		text += "\nSessions:\n" + strings.Join(lines, "\n")
	}
	text += fmt.Sprintf("\nAWS's switchover guardrails refuse, or run into the %s timeout, while these last. wait: keep checking (asked again after %s). approve: go on to the critical section anyway (type %s). decline: stop here with green ready; `rdsbg resume` re-checks and switches over later.",
		r.plan.Options.SwitchoverTimeout, r.e.cfg.Poll.ReadyGateAsk, r.plan.Source.ID)
	d, err := r.decide(ctx, contract.Approval{Kind: "db-gate", Step: ps.ID, Title: "The database holds the switchover: wait, go on, or stop?",
		Text: text, Severity: contract.SeveritySevere, Confirm: r.plan.Source.ID, Choices: []contract.Decision{contract.DecisionWait, contract.DecisionApprove, contract.DecisionDecline}})
	if err != nil {
		return err
	}
	switch d {
	case contract.DecisionApprove:
		db.gate.overridden = true
		r.e.notice(ps.ID, "going on past the database gate at the operator's severe confirmation: %s", strings.Join(holding, "; "))
		return nil
	case contract.DecisionWait:
		db.gate.since = now
		return nil
	}
	return &errDBGatePaused{why: fmt.Sprintf("the database held the switchover for %s (%s)", held.Round(time.Second), strings.Join(holding, "; "))}
}

// ---- the ledger ----

// dbFinish closes the watch's sessions and puts the ledger into the
// run's summary once the switchover has happened (nil before, or without
// database checks).
func (r *run) dbFinish(f *contract.Finished) {
	if r.db != nil && r.db.watch != nil {
		r.db.watch.Close()
	}
	// What the runs this one continues saw, with what this one saw.
	var l dbcheck.Ledger
	if r.prior.DBLedger != nil {
		l.Merge(*r.prior.DBLedger)
	}
	if r.db != nil {
		l.Merge(r.db.ledger)
	}
	if l.Driver == "" || !f.SwitchedOver() {
		return
	}
	f.DBLedger = &l
}

// journalDBLedger records what the checks saw of blue's replication, so a
// resumed run (another process) still lists it after the switchover. It
// holds names only.
func (r *run) journalDBLedger() {
	if r.db == nil || r.db.ledger.Driver == "" {
		return
	}
	l := r.db.ledger
	_ = r.journal.Append(journal.Record{Kind: journal.RecordDBLedger, DBLedger: &l})
}
