package record

import (
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/cqlerr"
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

func rowsOf(t *testing.T, ld plog.Logs) []Row {
	t.Helper()
	rows, rejected := Rows(ld, time.Hour)
	require.Empty(t, rejected)
	return rows
}

func TestRowsColumns(t *testing.T) {
	ld := sampleLogs()
	Stamp(ld)
	rows := rowsOf(t, ld)
	require.Len(t, rows, 4)
	r := rows[0]
	assert.Equal(t, "checkout", r.ValueOf("service_name"))
	assert.Equal(t, time.Date(2023, 11, 14, 22, 0, 0, 0, time.UTC), r.ValueOf("time_bucket"))
	assert.Equal(t, time.Unix(0, t0).UTC(), r.ValueOf("timestamp"))
	assert.Equal(t, int64(t0), r.ValueOf("time_unix_nano"))
	assert.Equal(t, "aa010000000000000000000000000000", r.ValueOf("trace_id"))
	assert.Equal(t, "bb02000000000000", r.ValueOf("span_id"))
	assert.Equal(t, int(plog.SeverityNumberError), r.ValueOf("severity_number"))
	assert.Equal(t, "ERROR", r.ValueOf("severity_text"))
	assert.Equal(t, "payment failed ✗ ошибка", r.ValueOf("body"))
	assert.Equal(t, "shop/checkout", r.ValueOf("scope_name"))
	assert.Equal(t, "1.2.3", r.ValueOf("scope_version"))
	assert.Equal(t, gocql.UnsetValue, r.ValueOf("scope_attributes"))
	assert.Equal(t, map[string]string{"service.name": "checkout", "host.name": "h1"}, r.ValueOf("resource_attributes"))
	assert.Equal(t, map[string]string{"attempt": "0"}, r.ValueOf("log_attributes"), "the stamped id is not stored as an attribute")
	assert.Equal(t, r.ID, r.ValueOf("record_id"))
	assert.Equal(t, PartitionKey{Service: "checkout", Bucket: time.Date(2023, 11, 14, 22, 0, 0, 0, time.UTC).UnixMilli()}, r.Key)
	assert.False(t, r.Repaired)
	assert.Equal(t, Ref{0, 0, 0}, r.Ref)

	noTrace := rows[3]
	assert.Equal(t, Ref{1, 0, 0}, noTrace.Ref)
	assert.Equal(t, UnknownService, noTrace.ValueOf("service_name"))
	assert.Equal(t, gocql.UnsetValue, noTrace.ValueOf("trace_id"), "absent ids are unset, not empty strings")
	assert.Equal(t, gocql.UnsetValue, noTrace.ValueOf("span_id"))
	assert.Equal(t, int64(t0), noTrace.ValueOf("time_unix_nano"), "observed time stands in for a missing timestamp")
	assert.Equal(t, `{"k":"v"}`, noTrace.ValueOf("body"))
	assert.Equal(t, gocql.UnsetValue, noTrace.ValueOf("log_attributes"), "only the stamped id: no attributes to store")
	for _, col := range []string{"trace_flags", "severity_number", "severity_text", "event_name", "scope_name", "scope_version", "dropped_attributes_count"} {
		assert.Equal(t, gocql.UnsetValue, noTrace.ValueOf(col), "zero %s is not written", col)
	}
	assert.Equal(t, int64(t0), noTrace.ValueOf("observed_time_unix_nano"))
	assert.Equal(t, gocql.UnsetValue, r.ValueOf("observed_time_unix_nano"))
}

func TestStampedIDsAreKeptAcrossRetriesAndNewForRepeats(t *testing.T) {
	// One record sent in three export calls: three stamps, three ids, three rows.
	seen := map[gocql.UUID]bool{}
	for call := 0; call < 3; call++ {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetTimestamp(t0)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.Body().SetStr("same line")
		Stamp(ld)
		first := rowsOf(t, ld)[0].ID
		// The exporter's own retries read the same request again: the same id every time,
		// also after the request went through the persistent queue's encoding.
		assert.Equal(t, first, rowsOf(t, ld)[0].ID)
		raw, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		require.NoError(t, err)
		decoded, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(raw)
		require.NoError(t, err)
		assert.Equal(t, first, rowsOf(t, decoded)[0].ID)
		assert.Equal(t, byte(0x40), first[6]&0xf0, "UUID version 4")
		assert.Equal(t, byte(0x80), first[8]&0xc0, "RFC 9562 variant")
		seen[first] = true
	}
	assert.Len(t, seen, 3)
}

func TestStampGivesEveryRecordOfACallItsOwnID(t *testing.T) {
	ld := plog.NewLogs()
	for r := 0; r < 3; r++ {
		sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
		for i := 0; i < 1000; i++ {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetTimestamp(t0)
			lr.Body().SetStr("dup")
		}
	}
	Stamp(ld)
	ids := map[gocql.UUID]bool{}
	for _, r := range rowsOf(t, ld) {
		ids[r.ID] = true
	}
	assert.Len(t, ids, 3000)

	// Restamping (the same data consumed again) replaces the ids rather than adding attributes.
	before := rowsOf(t, ld)[0].ID
	Stamp(ld)
	assert.NotEqual(t, before, rowsOf(t, ld)[0].ID)
	assert.Equal(t, 1, ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Len())
}

func TestUnstampedRecordsFallBackToContentIDs(t *testing.T) {
	a, b := rowsOf(t, sampleLogs()), rowsOf(t, sampleLogs())
	ids := map[gocql.UUID]bool{}
	for i := range a {
		assert.Equal(t, a[i].ID, b[i].ID, "same content -> same id")
		ids[a[i].ID] = true
		assert.Equal(t, byte(0x80), a[i].ID[6]&0xf0, "UUID version 8")
	}
	assert.Len(t, ids, len(a))

	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for i := 0; i < 5; i++ {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(t0)
		lr.Body().SetStr("dup")
	}
	ids = map[gocql.UUID]bool{}
	for _, r := range rowsOf(t, ld) {
		ids[r.ID] = true
	}
	assert.Len(t, ids, 5, "identical records of one request get ordinals")

	mk := func(set func(pcommon.Map)) gocql.UUID {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		set(lr.Attributes())
		return rowsOf(t, ld)[0].ID
	}
	assert.NotEqual(t, mk(func(m pcommon.Map) { m.PutInt("n", 1) }), mk(func(m pcommon.Map) { m.PutStr("n", "1") }))
	assert.NotEqual(t, mk(func(m pcommon.Map) { m.PutStr("ab", "c") }), mk(func(m pcommon.Map) { m.PutStr("a", "bc") }))
}

func TestInvalidUTF8IsRepairedEverywhere(t *testing.T) {
	bad := string([]byte{'o', 'k', 0xff, 0xfe, '!'})
	want := "ok\uFFFD!"
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", bad)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(bad)
	body := sl.LogRecords().AppendEmpty()
	body.Body().SetStr(bad)
	attr := sl.LogRecords().AppendEmpty()
	attr.Attributes().PutStr(bad, bad)
	sev := sl.LogRecords().AppendEmpty()
	sev.SetSeverityText(bad)
	clean := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	clean.Body().SetStr("fine")
	Stamp(ld)

	rows := rowsOf(t, ld)
	require.Len(t, rows, 4)
	for _, r := range rows[:3] {
		assert.True(t, r.Repaired)
		assert.Equal(t, want, r.ValueOf("service_name"))
		assert.Equal(t, want, r.ValueOf("scope_name"))
	}
	assert.Equal(t, want, rows[0].ValueOf("body"))
	assert.Equal(t, map[string]string{want: want}, rows[1].ValueOf("log_attributes"))
	assert.Equal(t, want, rows[2].ValueOf("severity_text"))
	assert.False(t, rows[3].Repaired)
	assert.Equal(t, "fine", rows[3].ValueOf("body"))
}

func TestOversizedPartitionKeyIsRejected(t *testing.T) {
	ld := plog.NewLogs()
	big := ld.ResourceLogs().AppendEmpty()
	big.Resource().Attributes().PutStr("service.name", strings.Repeat("s", MaxServiceNameBytes+1))
	big.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("poison")
	edge := ld.ResourceLogs().AppendEmpty()
	edge.Resource().Attributes().PutStr("service.name", strings.Repeat("s", MaxServiceNameBytes))
	edge.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("fits exactly")
	rows, rejected := Rows(ld, time.Hour)
	require.Len(t, rejected, 1)
	assert.Equal(t, cqlerr.PartitionKeyTooLarge, rejected[0].Reason)
	assert.Equal(t, Ref{0, 0, 0}, rejected[0].Row.Ref)
	require.Len(t, rows, 1)
	assert.Equal(t, "fits exactly", rows[0].ValueOf("body"))
}

func TestSubsetKeepsResourcesScopesAndIDs(t *testing.T) {
	ld := sampleLogs()
	Stamp(ld)
	all := rowsOf(t, ld)
	sub := Subset(ld, []Ref{all[3].Ref, all[1].Ref})
	require.Equal(t, 2, sub.LogRecordCount())
	rows := rowsOf(t, sub)
	assert.Equal(t, all[1].ID, rows[0].ID)
	assert.Equal(t, all[3].ID, rows[1].ID)
	assert.Equal(t, all[1].Values, rows[0].Values)
	assert.Equal(t, all[3].Values, rows[1].Values)
	assert.Equal(t, 2, sub.ResourceLogs().Len())
}

func TestBucketStart(t *testing.T) {
	assert.Equal(t, int64(0), bucketStart(0, time.Hour))
	assert.Equal(t, int64(3_600_000), bucketStart(int64(time.Hour)+5, time.Hour))
	assert.Equal(t, int64(-3_600_000), bucketStart(-5, time.Hour))
	assert.Equal(t, int64(900_000), bucketStart(int64(29*time.Minute), 15*time.Minute))
}
