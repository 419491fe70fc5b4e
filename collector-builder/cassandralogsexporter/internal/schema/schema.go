// Package schema holds the log table: its columns, the statements that create it, the check that
// an existing table matches it, and what the server supports (the trace_id index needs SAI,
// Cassandra 5.0+).
package schema // import "github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/schema"

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Column kinds as system_schema.columns names them.
const (
	PartitionKey = "partition_key"
	Clustering   = "clustering"
	Regular      = "regular"
)

// Column is one column of the log table, typed as system_schema.columns shows it.
type Column struct {
	Name string
	Type string
	Kind string
	// Position within the partition key or the clustering columns; -1 for regular columns.
	Position int
}

// Columns is the log table. Every record is its own row:
//   - partition (service_name, time_bucket): a service's logs of one bucket (time_bucket, default 1h)
//     live together, so reading "service X between t1 and t2" touches few partitions and no
//     partition grows without bound;
//   - clustering (timestamp DESC, record_id): newest first; record_id is fixed when the record
//     enters the exporter, so a retry rewrites the same row and distinct records never share one.
//
// Maps are frozen: a frozen collection is one cell, so an INSERT writes no range tombstone
// (a non-frozen map does, on every row).
var Columns = []Column{
	{"service_name", "text", PartitionKey, 0},
	{"time_bucket", "timestamp", PartitionKey, 1},
	{"timestamp", "timestamp", Clustering, 0},
	{"record_id", "uuid", Clustering, 1},
	{"time_unix_nano", "bigint", Regular, -1},
	{"observed_time_unix_nano", "bigint", Regular, -1},
	{"trace_id", "text", Regular, -1},
	{"span_id", "text", Regular, -1},
	{"trace_flags", "int", Regular, -1},
	{"severity_number", "int", Regular, -1},
	{"severity_text", "text", Regular, -1},
	{"body", "text", Regular, -1},
	{"event_name", "text", Regular, -1},
	{"scope_name", "text", Regular, -1},
	{"scope_version", "text", Regular, -1},
	{"scope_attributes", "frozen<map<text, text>>", Regular, -1},
	{"resource_attributes", "frozen<map<text, text>>", Regular, -1},
	{"log_attributes", "frozen<map<text, text>>", Regular, -1},
	{"dropped_attributes_count", "int", Regular, -1},
}

// InsertColumns is the order of the values a row binds: every column, in table order.
var InsertColumns = func() []string {
	out := make([]string, len(Columns))
	for i, c := range Columns {
		out[i] = c.Name
	}
	return out
}()

// Settings are the parts of the exporter's configuration the statements depend on.
type Settings struct {
	Keyspace string
	Table    string
	// Replication is the CQL map literal of the keyspace replication.
	Replication  string
	TTL          time.Duration
	TimeBucket   time.Duration
	TraceIDIndex bool
}

// QualifiedTable is keyspace.table.
func (s Settings) QualifiedTable() string { return s.Keyspace + "." + s.Table }

// CreateKeyspace is idempotent; the replication applies only when the keyspace is new.
func (s Settings) CreateKeyspace() string {
	return fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = %s", s.Keyspace, s.Replication)
}

// CreateTable is idempotent; an existing table is left as it is (Check compares it).
func (s Settings) CreateTable() string {
	var b strings.Builder
	for _, c := range Columns {
		fmt.Fprintf(&b, "\n\t%s %s,", c.Name, c.Type)
	}
	b.WriteString("\n\tPRIMARY KEY ((service_name, time_bucket), timestamp, record_id)")
	// Time-window compaction keeps each window's rows in their own SSTables, so expired
	// windows are dropped whole; the window follows the partition bucket.
	window := s.TimeBucket
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
		s.QualifiedTable(), b.String(), int64(s.TTL/time.Second), unit, size)
}

// CreateTraceIndex is a storage-attached index (SAI, Cassandra 5.0+): WHERE trace_id = ? needs no ALLOW FILTERING.
func (s Settings) CreateTraceIndex() string {
	return fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s_trace_id_idx ON %s (trace_id) USING 'sai'", s.Table, s.QualifiedTable())
}

// Insert writes one row, with the configured TTL.
func (s Settings) Insert() string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(InsertColumns)), ", ")
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", s.QualifiedTable(), strings.Join(InsertColumns, ", "), marks)
	if s.TTL > 0 {
		q += fmt.Sprintf(" USING TTL %d", int64(s.TTL/time.Second))
	}
	return q
}

// MismatchError says which column of an existing table differs from the exporter's schema.
type MismatchError struct {
	Table  string
	Column string
	Reason string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("table %s does not match the cassandra_logs schema: column %q %s "+
		"(use another table name, or drop the table so the exporter creates it)", e.Table, e.Column, e.Reason)
}

// Check compares the columns an existing table has (from system_schema.columns) with Columns and
// returns a *MismatchError naming the first column that differs, in table order: one that is
// missing, has another type, or sits elsewhere in the primary key, or a primary-key column the
// exporter does not know (its writes could not name the row). Extra regular columns are
// harmless (they stay null) and accepted.
func Check(table string, actual []Column) error {
	have := make(map[string]Column, len(actual))
	for _, c := range actual {
		have[c.Name] = c
	}
	for _, want := range Columns {
		got, ok := have[want.Name]
		switch {
		case !ok:
			return &MismatchError{table, want.Name, fmt.Sprintf("is missing (want %s)", want.Type)}
		case got.Type != want.Type:
			return &MismatchError{table, want.Name, fmt.Sprintf("is %s, want %s", got.Type, want.Type)}
		case got.Kind != want.Kind || (want.Kind != Regular && got.Position != want.Position):
			return &MismatchError{table, want.Name, fmt.Sprintf("is %s, want %s", describeKind(got), describeKind(want))}
		}
	}
	known := make(map[string]bool, len(Columns))
	for _, c := range Columns {
		known[c.Name] = true
	}
	var extraKeys []string
	for _, c := range actual {
		if !known[c.Name] && c.Kind != Regular && c.Kind != "static" {
			extraKeys = append(extraKeys, c.Name)
		}
	}
	if len(extraKeys) > 0 {
		sort.Strings(extraKeys)
		c := have[extraKeys[0]]
		return &MismatchError{table, c.Name, fmt.Sprintf("is %s, which the exporter does not write", describeKind(c))}
	}
	return nil
}

func describeKind(c Column) string {
	switch c.Kind {
	case PartitionKey:
		return fmt.Sprintf("partition key component %d", c.Position+1)
	case Clustering:
		return fmt.Sprintf("clustering column %d", c.Position+1)
	default:
		return "a " + c.Kind + " column"
	}
}

// Version is a Cassandra release version (system.local release_version).
type Version struct {
	Major, Minor int
	Text         string
}

// ParseVersion reads "4.1.10", "5.0.9", "5.0-beta1" and the like.
func ParseVersion(s string) (Version, error) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' })
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("cannot read Cassandra release version %q", s)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return Version{}, fmt.Errorf("cannot read Cassandra release version %q", s)
	}
	return Version{Major: major, Minor: minor, Text: s}, nil
}

// HasSAI reports whether the release has storage-attached indexes (Cassandra 5.0 and later).
func (v Version) HasSAI() bool { return v.Major >= 5 }
