package schema

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaults() Settings {
	return Settings{Keyspace: "mirador", Table: "logs", Replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
		TimeBucket: time.Hour, TraceIDIndex: true}
}

func TestStatementsDefault(t *testing.T) {
	s := defaults()
	assert.Equal(t, "CREATE KEYSPACE IF NOT EXISTS mirador WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", s.CreateKeyspace())
	table := s.CreateTable()
	assert.True(t, strings.HasPrefix(table, "CREATE TABLE IF NOT EXISTS mirador.logs ("), table)
	assert.Contains(t, table, "PRIMARY KEY ((service_name, time_bucket), timestamp, record_id)")
	assert.Contains(t, table, "CLUSTERING ORDER BY (timestamp DESC, record_id ASC)")
	assert.Contains(t, table, "default_time_to_live = 0")
	assert.Contains(t, table, "'compaction_window_unit': 'HOURS', 'compaction_window_size': 1")
	for _, col := range []string{"trace_id text", "span_id text", "severity_number int", "body text", "scope_name text",
		"resource_attributes frozen<map<text, text>>", "log_attributes frozen<map<text, text>>"} {
		assert.Contains(t, table, col)
	}
	assert.Equal(t, "CREATE INDEX IF NOT EXISTS logs_trace_id_idx ON mirador.logs (trace_id) USING 'sai'", s.CreateTraceIndex())
	assert.NotContains(t, s.Insert(), "USING TTL")
}

func TestInsertBindsEveryColumnInTableOrder(t *testing.T) {
	ins := defaults().Insert()
	assert.True(t, strings.HasPrefix(ins, "INSERT INTO mirador.logs (service_name, time_bucket, timestamp, record_id, "), ins)
	assert.Equal(t, len(Columns), strings.Count(ins, "?"))
	require.Len(t, InsertColumns, len(Columns))
	for i, c := range Columns {
		assert.Equal(t, c.Name, InsertColumns[i])
		assert.Contains(t, defaults().CreateTable(), "\t"+c.Name+" "+c.Type+",")
	}
}

func TestStatementsWithOptions(t *testing.T) {
	s := defaults()
	s.Keyspace, s.Table = "obs", "app_logs"
	s.TTL = 7 * 24 * time.Hour
	s.TimeBucket = 24 * time.Hour
	assert.Contains(t, s.CreateTable(), "CREATE TABLE IF NOT EXISTS obs.app_logs (")
	assert.Contains(t, s.CreateTable(), "default_time_to_live = 604800")
	assert.Contains(t, s.CreateTable(), "'compaction_window_unit': 'DAYS', 'compaction_window_size': 1")
	assert.True(t, strings.HasSuffix(s.Insert(), " USING TTL 604800"), s.Insert())
	s.TimeBucket = 15 * time.Minute
	assert.Contains(t, s.CreateTable(), "'compaction_window_unit': 'MINUTES', 'compaction_window_size': 15")
}

func TestCheckNamesTheColumnThatDiffers(t *testing.T) {
	assert.NoError(t, Check("ks.logs", Columns))
	extra := append(append([]Column(nil), Columns...), Column{"note", "text", Regular, -1})
	assert.NoError(t, Check("ks.logs", extra), "an extra regular column stays null and is harmless")

	with := func(change func([]Column) []Column) error {
		return Check("ks.logs", change(append([]Column(nil), Columns...)))
	}
	cases := map[string]struct {
		change func([]Column) []Column
		column string
		says   string
	}{
		"missing":   {func(c []Column) []Column { return append(c[:11], c[12:]...) }, "body", `column "body" is missing (want text)`},
		"type":      {func(c []Column) []Column { c[11].Type = "blob"; return c }, "body", `column "body" is blob, want text`},
		"map type":  {func(c []Column) []Column { c[17].Type = "map<text, text>"; return c }, "log_attributes", "is map<text, text>, want frozen<map<text, text>>"},
		"kind":      {func(c []Column) []Column { c[3].Kind, c[3].Position = Regular, -1; return c }, "record_id", "is a regular column, want clustering column 2"},
		"order":     {func(c []Column) []Column { c[0].Position, c[1].Position = 1, 0; return c }, "service_name", "is partition key component 2, want partition key component 1"},
		"extra key": {func(c []Column) []Column { return append(c, Column{"shard", "int", Clustering, 2}) }, "shard", "is clustering column 3, which the exporter does not write"},
	}
	for name, tc := range cases {
		err := with(tc.change)
		var m *MismatchError
		require.True(t, errors.As(err, &m), name)
		assert.Equal(t, tc.column, m.Column, name)
		assert.Contains(t, err.Error(), tc.says, name)
		assert.Contains(t, err.Error(), "table ks.logs does not match", name)
	}
}

func TestVersions(t *testing.T) {
	for text, want := range map[string]Version{
		"4.1.10": {4, 1, "4.1.10"}, "5.0.9": {5, 0, "5.0.9"}, "5.0-beta1": {5, 0, "5.0-beta1"}, "3.11.17": {3, 11, "3.11.17"},
	} {
		v, err := ParseVersion(text)
		require.NoError(t, err, text)
		assert.Equal(t, want, v)
	}
	_, err := ParseVersion("five")
	assert.Error(t, err)
	v41, _ := ParseVersion("4.1.10")
	v50, _ := ParseVersion("5.0.9")
	assert.False(t, v41.HasSAI())
	assert.True(t, v50.HasSAI())
}
