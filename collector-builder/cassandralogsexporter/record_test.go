package cassandralogsexporter

import (
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

const t0 = 1_700_000_123_456_789_000 // 2023-11-14T22:15:23.456789Z

func sampleLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "checkout")
	rl.Resource().Attributes().PutStr("host.name", "h1")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("shop/checkout")
	sl.Scope().SetVersion("1.2.3")
	for i := 0; i < 3; i++ {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.Timestamp(t0 + i))
		lr.SetTraceID([16]byte{0xaa, 1})
		lr.SetSpanID([8]byte{0xbb, 2})
		lr.SetSeverityNumber(plog.SeverityNumberError)
		lr.SetSeverityText("ERROR")
		lr.Body().SetStr("payment failed ✗ ошибка")
		lr.Attributes().PutInt("attempt", int64(i))
	}
	// a record without trace context, in a resource without service.name
	other := ld.ResourceLogs().AppendEmpty()
	lr := other.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(pcommon.Timestamp(t0))
	lr.Body().SetEmptyMap().PutStr("k", "v")
	return ld
}

func value(r logRow, column string) any {
	for i, c := range insertColumns {
		if c == column {
			return r.values[i]
		}
	}
	panic(column)
}

func TestToRowsColumns(t *testing.T) {
	rows := toRows(sampleLogs(), time.Hour)
	require.Len(t, rows, 4)
	r := rows[0]
	require.Len(t, r.values, len(insertColumns))
	assert.Equal(t, "checkout", value(r, "service_name"))
	assert.Equal(t, time.Date(2023, 11, 14, 22, 0, 0, 0, time.UTC), value(r, "time_bucket"))
	assert.Equal(t, time.Unix(0, t0).UTC(), value(r, "timestamp"))
	assert.Equal(t, int64(t0), value(r, "time_unix_nano"))
	assert.Equal(t, "aa010000000000000000000000000000", value(r, "trace_id"))
	assert.Equal(t, "bb02000000000000", value(r, "span_id"))
	assert.Equal(t, int(plog.SeverityNumberError), value(r, "severity_number"))
	assert.Equal(t, "ERROR", value(r, "severity_text"))
	assert.Equal(t, "payment failed ✗ ошибка", value(r, "body"))
	assert.Equal(t, "shop/checkout", value(r, "scope_name"))
	assert.Equal(t, "1.2.3", value(r, "scope_version"))
	assert.Equal(t, gocql.UnsetValue, value(r, "scope_attributes"))
	assert.Equal(t, map[string]string{"service.name": "checkout", "host.name": "h1"}, value(r, "resource_attributes"))
	assert.Equal(t, map[string]string{"attempt": "0"}, value(r, "log_attributes"))
	assert.Equal(t, r.id, value(r, "record_id"))
	assert.Equal(t, partitionKey{service: "checkout", bucket: time.Date(2023, 11, 14, 22, 0, 0, 0, time.UTC).UnixMilli()}, r.key)

	noTrace := rows[3]
	assert.Equal(t, unknownService, value(noTrace, "service_name"))
	assert.Equal(t, gocql.UnsetValue, value(noTrace, "trace_id"), "absent ids are unset, not empty strings")
	assert.Equal(t, gocql.UnsetValue, value(noTrace, "span_id"))
	assert.Equal(t, int64(t0), value(noTrace, "time_unix_nano"), "observed time stands in for a missing timestamp")
	assert.Equal(t, `{"k":"v"}`, value(noTrace, "body"))
	for _, col := range []string{"trace_flags", "severity_number", "severity_text", "event_name", "scope_name", "scope_version", "dropped_attributes_count"} {
		assert.Equal(t, gocql.UnsetValue, value(noTrace, col), "zero %s is not written", col)
	}
	assert.Equal(t, int64(t0), value(noTrace, "observed_time_unix_nano"))
	assert.Equal(t, gocql.UnsetValue, value(r, "observed_time_unix_nano"))
}

func TestRecordIDsAreStableAndDistinct(t *testing.T) {
	a, b := toRows(sampleLogs(), time.Hour), toRows(sampleLogs(), time.Hour)
	ids := map[gocql.UUID]bool{}
	for i := range a {
		assert.Equal(t, a[i].id, b[i].id, "same content -> same id on a retry")
		ids[a[i].id] = true
		assert.Equal(t, byte(0x80), a[i].id[6]&0xf0, "UUID version 8")
	}
	assert.Len(t, ids, len(a), "records sharing trace, span and severity still get their own rows")
}

func TestRecordIDDependsOnContentNotOnBatchLayout(t *testing.T) {
	// The same record, alone or after other resources, gets the same id: a batch split or merged
	// by the sending queue still rewrites the same rows.
	full := toRows(sampleLogs(), time.Hour)
	ld := sampleLogs()
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		_, ok := rl.Resource().Attributes().Get("service.name")
		return ok
	})
	alone := toRows(ld, time.Hour)
	require.Len(t, alone, 1)
	assert.Equal(t, full[3].id, alone[0].id)

	changed := sampleLogs()
	changed.ResourceLogs().At(1).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr("x", "y")
	assert.NotEqual(t, full[3].id, toRows(changed, time.Hour)[3].id)

	resChanged := sampleLogs()
	resChanged.ResourceLogs().At(0).Resource().Attributes().PutStr("host.name", "h2")
	assert.NotEqual(t, full[0].id, toRows(resChanged, time.Hour)[0].id, "the resource is part of the content")
}

func TestIdenticalRecordsGetOrdinals(t *testing.T) {
	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for i := 0; i < 5; i++ {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(t0)
		lr.Body().SetStr("dup")
	}
	rows := toRows(ld, time.Hour)
	again := toRows(ld, time.Hour)
	ids := map[gocql.UUID]bool{}
	for i, r := range rows {
		ids[r.id] = true
		assert.Equal(t, again[i].id, r.id)
	}
	assert.Len(t, ids, 5, "five identical records are five rows")
}

func TestAttributeTypesAreDistinguished(t *testing.T) {
	mk := func(set func(pcommon.Map)) gocql.UUID {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		set(lr.Attributes())
		return toRows(ld, time.Hour)[0].id
	}
	assert.NotEqual(t, mk(func(m pcommon.Map) { m.PutInt("n", 1) }), mk(func(m pcommon.Map) { m.PutStr("n", "1") }))
	assert.NotEqual(t, mk(func(m pcommon.Map) { m.PutStr("ab", "c") }), mk(func(m pcommon.Map) { m.PutStr("a", "bc") }))
}

func TestBucketStart(t *testing.T) {
	assert.Equal(t, int64(0), bucketStart(0, time.Hour))
	assert.Equal(t, int64(3_600_000), bucketStart(int64(time.Hour)+5, time.Hour))
	assert.Equal(t, int64(-3_600_000), bucketStart(-5, time.Hour))
	assert.Equal(t, int64(900_000), bucketStart(int64(29*time.Minute), 15*time.Minute))
}
