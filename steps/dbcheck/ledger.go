package dbcheck

import (
	"context"
	"fmt"
	"slices"
)

// Ledger is what the database's dependants must do after the switchover:
// the replication objects that existed on blue (they do not move to the
// new primary) and the consumers seen reading blue's log. It holds names
// only, never credentials, so it may be journalled.
type Ledger struct {
	Driver          string   `json:"driver,omitempty"`
	Publications    []string `json:"publications,omitempty"`
	Subscriptions   []string `json:"subscriptions,omitempty"`
	Slots           []string `json:"slots,omitempty"`
	Consumers       []string `json:"consumers,omitempty"`
	ExternalSources []string `json:"external_sources,omitempty"`
}

// Merge adds what o saw that l has not (a gate read after the preflight)
// and reports whether l changed.
func (l *Ledger) Merge(o Ledger) bool {
	changed := false
	if l.Driver == "" && o.Driver != "" {
		l.Driver, changed = o.Driver, true
	}
	add := func(dst *[]string, src []string) {
		for _, s := range src {
			if !slices.Contains(*dst, s) {
				*dst = append(*dst, s)
				changed = true
			}
		}
	}
	add(&l.Publications, o.Publications)
	add(&l.Subscriptions, o.Subscriptions)
	add(&l.Slots, o.Slots)
	add(&l.Consumers, o.Consumers)
	add(&l.ExternalSources, o.ExternalSources)
	return changed
}

// Items are the follow-ups after the switchover, each with what to run,
// for the summary, `status` and the epilogue. newPrimary names the
// database that now serves (blue's name). Empty when the checks never
// connected.
func (l Ledger) Items(newPrimary string) []string {
	if l.Driver == "" {
		return nil
	}
	var out []string
	for _, p := range l.Publications {
		out = append(out, fmt.Sprintf("publication %s existed on blue: recreate it on %s (CREATE PUBLICATION … with its old definition) if subscribers still need it", p, newPrimary))
	}
	for _, s := range l.Subscriptions {
		out = append(out, fmt.Sprintf("subscription %s existed on blue: recreate it on %s (CREATE SUBSCRIPTION …) and check its publisher", s, newPrimary))
	}
	for _, s := range l.Slots {
		out = append(out, fmt.Sprintf("logical slot %s existed on blue: create it on %s (SELECT pg_create_logical_replication_slot(…)) and restart its consumer from a fresh snapshot", s, newPrimary))
	}
	for _, c := range l.Consumers {
		if l.Driver == DriverMySQL {
			out = append(out, fmt.Sprintf("binlog consumer %s read blue's binary log: re-point it at %s from the binlog position in the new primary's switchover event (aws rds describe-events --source-identifier %s --source-type db-instance)", c, newPrimary, newPrimary))
		} else {
			out = append(out, fmt.Sprintf("replication consumer %s read blue's WAL: re-point it at %s", c, newPrimary))
		}
	}
	for _, s := range l.ExternalSources {
		out = append(out, fmt.Sprintf("blue replicated from %s: set that replication up again on %s if it is still needed (CALL mysql.rds_set_external_master …)", s, newPrimary))
	}
	out = append(out, "AWS DMS tasks that read this database must be recreated with a new checkpoint (start position): their old one points into blue's log")
	return out
}

// ledgerPG reads the consumers of blue's WAL: walsenders other than
// AWS's own replicas.
func ledgerPG(ctx context.Context, s *session, l *Ledger) {
	l.Driver = DriverPostgres
	rows, err := s.query(ctx, `SELECT coalesce(nullif(application_name, ''), usename, 'walsender') || ' from ' || coalesce(client_addr::text, 'local') || ' (' || coalesce(state, '') || ')'
FROM pg_stat_replication WHERE coalesce(application_name, '') NOT LIKE 'rds%' ORDER BY 1`)
	if err == nil {
		l.Consumers = firstColumn(rows)
	}
}

// ledgerMySQL reads the binlog consumers: Binlog Dump threads.
func ledgerMySQL(ctx context.Context, s *session, l *Ledger) {
	l.Driver = DriverMySQL
	rows, err := s.query(ctx, `SELECT CONCAT(user, '@', SUBSTRING_INDEX(host, ':', 1), ' (', command, ')') FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%' AND user NOT LIKE 'rdsrepladmin%' ORDER BY 1`)
	if err == nil {
		l.Consumers = firstColumn(rows)
	}
}
