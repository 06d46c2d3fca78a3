package sim

import (
	"net/url"
	"sort"
	"strings"
)

// engineLine is one engine's versions, oldest first, grouped by major.
type engineLine struct {
	engine   string
	versions []string
	major    func(version string) string
	family   func(major string) string
}

func firstDot(v string) string { return strings.SplitN(v, ".", 2)[0] }

func firstTwo(v string) string {
	p := strings.SplitN(v, ".", 3)
	if len(p) < 2 {
		return v
	}
	return p[0] + "." + p[1]
}

// catalogue returns the engine versions the simulator offers, with their
// valid upgrade targets: every later minor of the same major and every
// version of a later major (IsMajorVersionUpgrade).
func catalogue() []*EngineVersion {
	lines := []engineLine{
		{"postgres", []string{"14.12", "14.15", "15.7", "15.8", "15.10", "16.3", "16.4", "16.6", "17.2", "17.4"}, firstDot,
			func(m string) string { return "postgres" + m }},
		{"mysql", []string{"8.0.36", "8.0.39", "8.0.40", "8.0.41", "8.4.3", "8.4.4"}, firstTwo,
			func(m string) string { return "mysql" + m }},
		// MariaDB 11.8 and 12.3: the releases the RDS blue/green feature
		// page lists beside 10.x and 11.4 (2026-12, rds-facts §5.1).
		{"mariadb", []string{"10.6.18", "10.6.20", "10.11.9", "10.11.10", "11.4.3", "11.4.4", "11.8.3", "12.3.1"}, firstTwo,
			func(m string) string { return "mariadb" + m }},
		{"aurora-postgresql", []string{"15.6", "15.8", "16.4", "16.6", "17.4"}, firstDot,
			func(m string) string { return "aurora-postgresql" + m }},
		{"aurora-mysql", []string{"8.0.mysql_aurora.3.05.2", "8.0.mysql_aurora.3.07.1", "8.0.mysql_aurora.3.08.0"},
			func(string) string { return "8.0" }, func(string) string { return "aurora-mysql8.0" }},
	}
	var out []*EngineVersion
	for _, l := range lines {
		for i, v := range l.versions {
			ev := &EngineVersion{Engine: l.engine, Version: v, Major: l.major(v), Family: l.family(l.major(v))}
			// The newest version of each engine is its default.
			ev.Default = i == len(l.versions)-1
			for _, later := range l.versions[i+1:] {
				ev.Targets = append(ev.Targets, UpgradeTarget{Engine: l.engine, Version: later, Major: l.major(later) != ev.Major})
			}
			out = append(out, ev)
		}
	}
	return out
}

// validUpgrade reports whether to is a valid upgrade target of from, and
// whether it is a major upgrade.
func (st *State) validUpgrade(engine, from, to string) (ok, major bool) {
	ev := st.findEngine(engine, from)
	if ev == nil {
		return false, false
	}
	for _, t := range ev.Targets {
		if t.Version == to {
			return true, t.Major
		}
	}
	return false, false
}

// resolveVersion turns a major-only version ("16") into the engine's
// default minor of that major; exact versions pass through.
func (st *State) resolveVersion(engine, v string) string {
	if st.findEngine(engine, v) != nil {
		return v
	}
	var best string
	for _, e := range st.Engines {
		if e.Engine == engine && e.Major == v {
			best = e.Version
		}
	}
	if best == "" {
		return v
	}
	return best
}

func (s *Simulator) describeDBEngineVersions(c *call) (any, *apiError) {
	engine := c.form.Get("Engine")
	version := c.form.Get("EngineVersion")
	family := c.form.Get("DBParameterGroupFamily")
	defaultOnly, _, err := boolParam(c.form, "DefaultOnly")
	if err != nil {
		return nil, err
	}
	f, ferr := filtersFor(c.form, "db-parameter-group-family", "engine", "engine-version", "engine-mode", "status")
	if ferr != nil {
		return nil, ferr
	}
	var items []xmlEngineVersion
	for _, e := range s.st.Engines {
		if engine != "" && !strings.EqualFold(e.Engine, engine) {
			continue
		}
		// EngineVersion matches the exact version or, like RDS, a major prefix.
		if version != "" && e.Version != version && e.Major != version {
			continue
		}
		if family != "" && !strings.EqualFold(e.Family, family) {
			continue
		}
		if defaultOnly && !e.Default {
			continue
		}
		if v, ok := f["engine"]; ok && !matchesAny(e.Engine, v) {
			continue
		}
		if v, ok := f["engine-version"]; ok && !matchesAny(e.Version, v) {
			continue
		}
		if v, ok := f["db-parameter-group-family"]; ok && !matchesAny(e.Family, v) {
			continue
		}
		if v, ok := f["engine-mode"]; ok && !matchesAny("provisioned", v) {
			continue
		}
		if v, ok := f["status"]; ok && !matchesAny("available", v) {
			continue
		}
		x := xmlEngineVersion{Engine: e.Engine, EngineVersion: e.Version, MajorEngineVersion: e.Major, DBParameterGroupFamily: e.Family,
			DBEngineDescription: engineDescription(e.Engine), DBEngineVersionDescription: engineDescription(e.Engine) + " " + e.Version, Status: "available"}
		for _, t := range e.Targets {
			x.ValidUpgradeTarget = append(x.ValidUpgradeTarget, xmlUpgradeTarget{Engine: t.Engine, EngineVersion: t.Version,
				Description: engineDescription(t.Engine) + " " + t.Version, IsMajorVersionUpgrade: t.Major})
		}
		items = append(items, x)
	}
	page, marker, err := paginate(c.form, items)
	if err != nil {
		return nil, err
	}
	var r engineVersionsResult
	r.DBEngineVersions.Items = page
	r.Marker = marker
	return r, nil
}

func engineDescription(engine string) string {
	switch engine {
	case "postgres":
		return "PostgreSQL"
	case "mysql":
		return "MySQL Community Edition"
	case "mariadb":
		return "MariaDB Community Edition"
	case "aurora-postgresql":
		return "Aurora (PostgreSQL)"
	case "aurora-mysql":
		return "Aurora MySQL"
	}
	return engine
}

// defaultParameterGroups builds one default group per family, DB and
// cluster level, with the parameters blue/green cares about in a state
// that allows a deployment (rds-facts §5.2).
func defaultParameterGroups(engines []*EngineVersion) []*ParameterGroup {
	families := map[string]string{}
	for _, e := range engines {
		families[e.Family] = e.Engine
	}
	names := make([]string, 0, len(families))
	for f := range families {
		names = append(names, f)
	}
	sort.Strings(names)
	var out []*ParameterGroup
	for _, fam := range names {
		engine := families[fam]
		out = append(out, &ParameterGroup{Name: "default." + fam, Family: fam, Parameters: engineParameters(engine, false, "engine-default")})
		if strings.HasPrefix(engine, "aurora") {
			out = append(out, &ParameterGroup{Name: "default." + fam, Family: fam, Cluster: true, Parameters: engineParameters(engine, true, "engine-default")})
		}
	}
	return out
}

// engineParameters returns realistic parameters for an engine. source is
// what a group built from them reports ("engine-default" or "user").
func engineParameters(engine string, cluster bool, source string) []Parameter {
	p := func(name, value, apply, typ string) Parameter {
		return Parameter{Name: name, Value: value, ApplyType: apply, Source: source, DataType: typ}
	}
	switch engine {
	case "postgres":
		return []Parameter{
			p("max_connections", "LEAST({DBInstanceClassMemory/9531392},5000)", "dynamic", "integer"),
			p("max_logical_replication_workers", "10", "static", "integer"),
			p("max_replication_slots", "20", "static", "integer"),
			p("max_wal_senders", "20", "static", "integer"),
			p("max_worker_processes", "20", "static", "integer"),
			p("rds.logical_replication", "1", "static", "boolean"),
			p("shared_preload_libraries", "pg_stat_statements", "static", "list"),
			p("synchronous_commit", "on", "dynamic", "string"),
		}
	case "aurora-postgresql":
		if cluster {
			return []Parameter{
				p("max_logical_replication_workers", "10", "static", "integer"),
				p("max_replication_slots", "20", "static", "integer"),
				p("rds.logical_replication", "1", "static", "boolean"),
				p("synchronous_commit", "on", "dynamic", "string"),
			}
		}
		return []Parameter{
			p("log_min_duration_statement", "1000", "dynamic", "integer"),
			p("shared_preload_libraries", "pg_stat_statements", "static", "list"),
		}
	case "aurora-mysql":
		if cluster {
			return []Parameter{
				p("binlog_format", "ROW", "dynamic", "string"),
				p("binlog_row_image", "FULL", "dynamic", "string"),
				p("event_scheduler", "OFF", "dynamic", "string"),
			}
		}
		return []Parameter{
			p("max_connections", "{DBInstanceClassMemory/12582880}", "dynamic", "integer"),
			p("read_only", "{TrueIfReplica}", "dynamic", "boolean"),
		}
	default: // mysql, mariadb
		return []Parameter{
			p("binlog_format", "ROW", "dynamic", "string"),
			p("binlog_row_image", "FULL", "dynamic", "string"),
			p("event_scheduler", "OFF", "dynamic", "string"),
			p("max_connections", "{DBInstanceClassMemory/12582880}", "dynamic", "integer"),
			p("read_only", "{TrueIfReplica}", "dynamic", "boolean"),
		}
	}
}

func (s *Simulator) describeDBParameters(c *call) (any, *apiError) {
	return s.describeParameters(c.form, "DBParameterGroupName", false)
}

func (s *Simulator) describeDBClusterParameters(c *call) (any, *apiError) {
	return s.describeParameters(c.form, "DBClusterParameterGroupName", true)
}

// describeParameters serves both parameter calls. A missing group is
// DBParameterGroupNotFound for both: it is the only fault either models.
func (s *Simulator) describeParameters(form url.Values, nameParam string, cluster bool) (any, *apiError) {
	name := form.Get(nameParam)
	if name == "" {
		return nil, missing(nameParam)
	}
	g := s.st.findParameterGroup(name, cluster)
	if g == nil {
		return nil, fail(codeParameterGroupNotFound, "DBParameterGroup not found: %s", name)
	}
	source := form.Get("Source")
	f, ferr := filtersFor(form, "parameter-name")
	if ferr != nil {
		return nil, ferr
	}
	var items []xmlParameter
	for _, p := range g.Parameters {
		if source != "" && p.Source != source {
			continue
		}
		if v, ok := f["parameter-name"]; ok && !matchesAny(p.Name, v) {
			continue
		}
		items = append(items, xmlParameter{ParameterName: p.Name, ParameterValue: p.Value, Description: p.Name, Source: p.Source,
			ApplyType: p.ApplyType, DataType: p.DataType, IsModifiable: true})
	}
	page, marker, err := paginate(form, items)
	if err != nil {
		return nil, err
	}
	var r parametersResult
	r.Parameters.Items = page
	r.Marker = marker
	return r, nil
}
