package cassandralogsexporter

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSchemaStatementsDefault(t *testing.T) {
	s := schema{cfg: createDefaultConfig().(*Config)}
	stmts := s.statements()
	require.Len(t, stmts, 3)
	assert.Equal(t, "CREATE KEYSPACE IF NOT EXISTS mirador WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", stmts[0])
	assert.True(t, strings.HasPrefix(stmts[1], "CREATE TABLE IF NOT EXISTS mirador.logs ("), stmts[1])
	assert.Contains(t, stmts[1], "PRIMARY KEY ((service_name, time_bucket), timestamp, record_id)")
	assert.Contains(t, stmts[1], "CLUSTERING ORDER BY (timestamp DESC, record_id ASC)")
	assert.Contains(t, stmts[1], "default_time_to_live = 0")
	assert.Contains(t, stmts[1], "'compaction_window_unit': 'HOURS', 'compaction_window_size': 1")
	for _, col := range []string{"trace_id text", "span_id text", "severity_number int", "body text", "scope_name text",
		"resource_attributes frozen<map<text, text>>", "log_attributes frozen<map<text, text>>"} {
		assert.Contains(t, stmts[1], col)
	}
	assert.Equal(t, "CREATE INDEX IF NOT EXISTS logs_trace_id_idx ON mirador.logs (trace_id) USING 'sai'", stmts[2])
	assert.NotContains(t, s.insert(), "USING TTL")
}

func TestSchemaInsertBindsEveryColumn(t *testing.T) {
	s := schema{cfg: createDefaultConfig().(*Config)}
	ins := s.insert()
	assert.True(t, strings.HasPrefix(ins, "INSERT INTO mirador.logs (service_name, time_bucket, timestamp, record_id, "), ins)
	assert.Equal(t, len(insertColumns), strings.Count(ins, "?"))
	for _, col := range insertColumns {
		assert.Contains(t, tableColumns, "\t"+col+" ", "column %s is inserted but not in the table", col)
	}
}

func TestSchemaWithOptions(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Keyspace, cfg.Table = "obs", "app_logs"
	cfg.Replication = ReplicationConfig{Class: networkTopologyStrategy, Datacenters: map[string]int{"eu": 3, "us": 2}}
	cfg.TTL = 7 * 24 * time.Hour
	cfg.TimeBucket = 24 * time.Hour
	cfg.TraceIDIndex = false
	s := schema{cfg: cfg}
	stmts := s.statements()
	require.Len(t, stmts, 2, "no index when trace_id_index is false")
	assert.Equal(t, "CREATE KEYSPACE IF NOT EXISTS obs WITH replication = {'class': 'NetworkTopologyStrategy', 'eu': 3, 'us': 2}", stmts[0])
	assert.Contains(t, stmts[1], "CREATE TABLE IF NOT EXISTS obs.app_logs (")
	assert.Contains(t, stmts[1], "default_time_to_live = 604800")
	assert.Contains(t, stmts[1], "'compaction_window_unit': 'DAYS', 'compaction_window_size': 1")
	assert.True(t, strings.HasSuffix(s.insert(), " USING TTL 604800"), s.insert())

	cfg.TimeBucket = 15 * time.Minute
	assert.Contains(t, s.createTable(), "'compaction_window_unit': 'MINUTES', 'compaction_window_size': 15")
}
