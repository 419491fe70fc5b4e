package cassandralogsexporter

import (
	"fmt"
	"strings"
	"time"
)

// The log table. Every record is its own row:
//   - partition (service_name, time_bucket): a service's logs of one bucket (time_bucket, default 1h)
//     live together, so reading "service X between t1 and t2" touches few partitions and no
//     partition grows without bound;
//   - clustering (timestamp, record_id): newest first; record_id is derived from the record's
//     content and its ordinal among identical records of the batch, so a retried batch rewrites
//     the same rows instead of adding new ones, and distinct records never overwrite each other.
//
// Maps are frozen: a frozen collection is one cell, so an INSERT writes no range tombstone
// (a non-frozen map does, on every row).
const tableColumns = `
	service_name text,
	time_bucket timestamp,
	timestamp timestamp,
	record_id uuid,
	time_unix_nano bigint,
	observed_time_unix_nano bigint,
	trace_id text,
	span_id text,
	trace_flags int,
	severity_number int,
	severity_text text,
	body text,
	event_name text,
	scope_name text,
	scope_version text,
	scope_attributes frozen<map<text, text>>,
	resource_attributes frozen<map<text, text>>,
	log_attributes frozen<map<text, text>>,
	dropped_attributes_count int,
	PRIMARY KEY ((service_name, time_bucket), timestamp, record_id)`

// insertColumns is the order of the values rowValues binds.
var insertColumns = []string{
	"service_name", "time_bucket", "timestamp", "record_id", "time_unix_nano", "observed_time_unix_nano",
	"trace_id", "span_id", "trace_flags", "severity_number", "severity_text", "body", "event_name",
	"scope_name", "scope_version", "scope_attributes", "resource_attributes", "log_attributes",
	"dropped_attributes_count",
}

// schema renders the statements of one configuration.
type schema struct {
	cfg *Config
}

func (s schema) qualifiedTable() string { return s.cfg.Keyspace + "." + s.cfg.Table }

// replicationMap is the CQL map literal of the keyspace replication.
func (s schema) replicationMap() string {
	r := s.cfg.Replication
	if r.Class == networkTopologyStrategy {
		parts := []string{"'class': 'NetworkTopologyStrategy'"}
		for _, dc := range sortedKeys(r.Datacenters) {
			parts = append(parts, fmt.Sprintf("'%s': %d", strings.ReplaceAll(dc, "'", "''"), r.Datacenters[dc]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("{'class': 'SimpleStrategy', 'replication_factor': %d}", r.ReplicationFactor)
}

func (s schema) createKeyspace() string {
	return fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = %s", s.cfg.Keyspace, s.replicationMap())
}

func (s schema) createTable() string {
	// Time-window compaction keeps each window's rows in their own SSTables, so expired
	// windows are dropped whole; the window follows the partition bucket.
	window := s.cfg.TimeBucket
	unit, size := "HOURS", int(window/time.Hour)
	if window < time.Hour || window%time.Hour != 0 {
		unit, size = "MINUTES", max(1, int(window/time.Minute))
	}
	if unit == "HOURS" && size%24 == 0 {
		unit, size = "DAYS", size/24
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s\n) WITH CLUSTERING ORDER BY (timestamp DESC, record_id ASC)"+
		" AND default_time_to_live = %d"+
		" AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': '%s', 'compaction_window_size': %d}",
		s.qualifiedTable(), tableColumns, int64(s.cfg.TTL/time.Second), unit, size)
}

// createTraceIndex is a storage-attached index (Cassandra 5): WHERE trace_id = ? needs no ALLOW FILTERING.
func (s schema) createTraceIndex() string {
	return fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s_trace_id_idx ON %s (trace_id) USING 'sai'", s.cfg.Table, s.qualifiedTable())
}

// statements are run in order at start; each is idempotent.
func (s schema) statements() []string {
	out := []string{s.createKeyspace(), s.createTable()}
	if s.cfg.TraceIDIndex {
		out = append(out, s.createTraceIndex())
	}
	return out
}

func (s schema) insert() string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(insertColumns)), ", ")
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", s.qualifiedTable(), strings.Join(insertColumns, ", "), marks)
	if s.cfg.TTL > 0 {
		q += fmt.Sprintf(" USING TTL %d", int64(s.cfg.TTL/time.Second))
	}
	return q
}
