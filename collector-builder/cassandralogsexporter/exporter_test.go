package cassandralogsexporter

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadatatest"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/record"
)

const t0 = 1_700_000_123_456_789_000

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func sampleLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "checkout")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(t0)
	lr.Body().SetStr("payment failed")
	return ld
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
	require.NoError(t, err)
	assert.True(t, exp.Capabilities().MutatesData, "the exporter stamps record ids into the data")
}

func TestStartsAndWaitsWhenCassandraIsDown(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{closedPort(t)}
	cfg.Timeout = time.Second

	exp, err := newLogsExporter(cfg, set)
	require.NoError(t, err)
	require.NoError(t, exp.start(context.Background(), componenttest.NewNopHost()), "start must not fail while Cassandra is down")

	err = exp.pushLogs(context.Background(), sampleLogs())
	require.ErrorIs(t, err, errNotConnected)
	assert.False(t, consumererror.IsPermanent(err), "the sending queue keeps the data")

	require.Eventually(t, func() bool { return logs.FilterMessageSnippet("waiting for Cassandra").Len() == 1 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(2 * time.Second) // several more connection attempts
	assert.Equal(t, 1, logs.FilterMessageSnippet("waiting for Cassandra").Len(), "said once, not on every attempt")
	require.NoError(t, exp.shutdown(context.Background()))
}

func TestShutdownWithoutStart(t *testing.T) {
	exp, err := newLogsExporter(createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, exp.shutdown(context.Background()))
}

// fakeTable stands in for Cassandra: rows by record id, how often each was written, and a fail
// function that may refuse a batch before (refuse) or after (applied, then timed out) storing it.
type fakeTable struct {
	mu     sync.Mutex
	rows   map[gocql.UUID]string // id -> body
	writes map[gocql.UUID]int
	fail   func(rows []record.Row) (err error, applied bool)
}

func newFakeTable() *fakeTable {
	return &fakeTable{rows: map[gocql.UUID]string{}, writes: map[gocql.UUID]int{}}
}

func (f *fakeTable) ExecBatch(_ context.Context, rows []record.Row) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	applied := true
	if f.fail != nil {
		err, applied = f.fail(rows)
	}
	if applied {
		for _, r := range rows {
			f.rows[r.ID] = r.ValueOf("body").(string)
			f.writes[r.ID]++
		}
	}
	return err
}

func (f *fakeTable) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rows)
}

type serverError struct {
	code int
	msg  string
}

func (e serverError) Code() int       { return e.code }
func (e serverError) Message() string { return e.msg }
func (e serverError) Error() string   { return e.msg }

var (
	errWriteTimeout = serverError{gocql.ErrCodeWriteTimeout, "Operation timed out - received only 0 responses."}
	errTooLarge     = serverError{gocql.ErrCodeInvalid, "CQL Message of size 17825889 bytes exceeds allowed maximum of 16777216 bytes"}
)

// startWithTable builds the exporter as the factory does (stamping, sending queue, retries) with
// table behind it instead of Cassandra.
func startWithTable(t *testing.T, tt *componenttest.Telemetry, table *fakeTable, consumers int) exporter.Logs {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{closedPort(t)}
	cfg.Timeout = 5 * time.Second
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 50 * time.Millisecond
	cfg.QueueConfig.Get().NumConsumers = consumers
	set := metadatatest.NewSettings(tt)
	exp, err := newLogsExporter(cfg, set)
	require.NoError(t, err)
	logs, err := wrapLogsExporter(context.Background(), set, cfg, exp)
	require.NoError(t, err)
	require.NoError(t, logs.Start(context.Background(), componenttest.NewNopHost()))
	exp.exec.Store(&execBox{table})
	return logs
}

func sum(t *testing.T, tt *componenttest.Telemetry, name string) int64 {
	m, err := tt.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	return total
}

func TestRepeatsAreStoredAndOwnRetriesAreIdempotent(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	table := newFakeTable()
	// Every batch is applied but its first answer is a write timeout: the exporter helper retries
	// the request, which must rewrite the same rows.
	seen := map[gocql.UUID]bool{}
	table.fail = func(rows []record.Row) (error, bool) {
		if seen[rows[0].ID] {
			return nil, true
		}
		seen[rows[0].ID] = true
		return errWriteTimeout, true
	}
	exp := startWithTable(t, tt, table, 10)

	// One record (same body, severity, timestamp, no observed timestamp) in three export calls.
	for i := 0; i < 3; i++ {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", "checkout")
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetTimestamp(t0)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.Body().SetStr("user logged in")
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	}
	// Shutdown stops retries at once, so wait for the queue to settle first.
	require.Eventually(t, func() bool { return sum(t, tt, "otelcol_exporter_sent_log_records") == 3 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))
	t.Logf("counts: repeats: records in 3, rows stored %d, writes %d, records_written %d", table.count(), len(seen)*2, sum(t, tt, "otelcol_cassandra_logs_records_written"))
	assert.Equal(t, 3, table.count(), "three export calls, three rows")
	for id, n := range table.writes {
		assert.Equal(t, 2, n, "row %v written, timed out, rewritten", id)
	}
	metadatatest.AssertEqualCassandraLogsRecordsWritten(t, tt, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	assert.Equal(t, int64(3), sum(t, tt, "otelcol_exporter_sent_log_records"))
}

func TestRetryRewritesOnlyTheFailedPartition(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	table := newFakeTable()
	failures := 0
	table.fail = func(rows []record.Row) (error, bool) {
		if rows[0].Key.Service == "flaky" && failures < 3 {
			failures++
			return errWriteTimeout, false
		}
		return nil, true
	}
	exp := startWithTable(t, tt, table, 1)
	ld := plog.NewLogs()
	for _, svc := range []string{"steady", "flaky", "calm"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", svc)
		sl := rl.ScopeLogs().AppendEmpty()
		for i := 0; i < 50; i++ {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetTimestamp(pcommon.Timestamp(t0 + i))
			lr.Body().SetStr(svc)
		}
	}
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	require.Eventually(t, func() bool { return sum(t, tt, "otelcol_exporter_sent_log_records") == 150 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Equal(t, 150, table.count())
	for _, n := range table.writes {
		assert.Equal(t, 1, n, "no row is rewritten: only the failed partition is retried")
	}
	assert.Equal(t, 3, failures)
	assert.Equal(t, int64(150), sum(t, tt, "otelcol_cassandra_logs_records_written"))
	assert.Equal(t, int64(150), sum(t, tt, "otelcol_exporter_sent_log_records"))
}

func TestPoisonRecordsAreDroppedAndNeverBlockConsumers(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	table := newFakeTable()
	table.fail = func(rows []record.Row) (error, bool) {
		for _, r := range rows {
			if r.ValueOf("body") == "poison" {
				return errTooLarge, false
			}
		}
		return nil, true
	}
	exp := startWithTable(t, tt, table, 2)
	const requests, perRequest = 20, 10
	start := time.Now()
	for i := 0; i < requests; i++ {
		ld := plog.NewLogs()
		sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
		for j := 0; j < perRequest; j++ {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetTimestamp(pcommon.Timestamp(t0 + i*perRequest + j))
			lr.Body().SetStr(fmt.Sprintf("good %d", i*perRequest+j))
			if j == 4 {
				lr.Body().SetStr("poison")
			}
		}
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	}
	require.Eventually(t, func() bool { return sum(t, tt, "otelcol_exporter_sent_log_records") == requests*perRequest }, 5*time.Second, 10*time.Millisecond,
		"every request is done at once: no retries of the poison records hold the two consumers")
	took := time.Since(start)
	require.NoError(t, exp.Shutdown(context.Background()))
	t.Logf("counts: poison: records in %d, rows stored %d, dropped %d, in %v", requests*perRequest, table.count(), sum(t, tt, "otelcol_cassandra_logs_records_dropped"), took)
	for _, n := range table.writes {
		assert.Equal(t, 1, n)
	}
	metadatatest.AssertEqualCassandraLogsRecordsDropped(t, tt, []metricdata.DataPoint[int64]{
		{Value: requests, Attributes: attribute.NewSet(attribute.String("reason", "mutation_too_large"))},
	}, metricdatatest.IgnoreTimestamp())
	assert.Equal(t, int64(requests*(perRequest-1)), sum(t, tt, "otelcol_cassandra_logs_records_written"))
	assert.Equal(t, int64(requests*perRequest), sum(t, tt, "otelcol_exporter_sent_log_records"),
		"the helper counts every record the exporter is done with: written plus dropped")
	assert.Equal(t, int64(0), sum(t, tt, "otelcol_exporter_send_failed_log_records"))
}
