package writer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/cqlerr"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/record"
)

type serverError struct {
	code int
	msg  string
}

func (e serverError) Code() int       { return e.code }
func (e serverError) Message() string { return e.msg }
func (e serverError) Error() string   { return e.msg }

var (
	errTooLarge = serverError{gocql.ErrCodeInvalid, "CQL Message of size 17825889 bytes exceeds allowed maximum of 16777216 bytes"}
	errColumn   = serverError{gocql.ErrCodeInvalid, "Undefined column name body in table ks.logs"}
	errTimeout  = serverError{gocql.ErrCodeWriteTimeout, "Operation timed out - received only 0 responses."}
)

// fakeExecutor records batches and fails those its fail function picks.
type fakeExecutor struct {
	mu       sync.Mutex
	batches  [][]record.Row
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	delay    time.Duration
	fail     func(rows []record.Row) error
}

func (f *fakeExecutor) ExecBatch(_ context.Context, rows []record.Row) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(f.delay)
	f.mu.Lock()
	f.batches = append(f.batches, rows)
	f.mu.Unlock()
	if f.fail != nil {
		return f.fail(rows)
	}
	return nil
}

func rowsFor(services []string, perService, size int) []record.Row {
	var rows []record.Row
	for _, s := range services {
		for i := 0; i < perService; i++ {
			rows = append(rows, record.Row{Key: record.PartitionKey{Service: s}, Size: size,
				ID: gocql.UUID{byte(len(rows) >> 8), byte(len(rows))}, Ref: record.Ref{Record: len(rows)}})
		}
	}
	return rows
}

func ids(rows []record.Row) map[gocql.UUID]bool {
	out := map[gocql.UUID]bool{}
	for _, r := range rows {
		out[r.ID] = true
	}
	return out
}

func TestBatchesArePerPartitionAndBounded(t *testing.T) {
	rows := rowsFor([]string{"a", "b"}, 450, 100)
	rows = append(rows, record.Row{Key: record.PartitionKey{Service: "a", Bucket: 3_600_000}, Size: 100})
	var sizes []int
	for _, b := range BatchesByPartition(rows) {
		sizes = append(sizes, len(b))
		for _, r := range b {
			assert.Equal(t, b[0].Key, r.Key, "a batch never spans partitions")
		}
	}
	assert.Equal(t, []int{200, 200, 50, 200, 200, 50, 1}, sizes)

	sizes = nil
	for _, b := range BatchesByPartition(rowsFor([]string{"a"}, 5, 1<<20)) { // 1 MiB rows: two per 2 MiB batch
		sizes = append(sizes, len(b))
	}
	assert.Equal(t, []int{2, 2, 1}, sizes)
	assert.Len(t, BatchesByPartition(rowsFor([]string{"a"}, 2, 5<<20)), 2, "a row above the byte bound still goes, alone")
}

func TestWriteBoundsConcurrency(t *testing.T) {
	exec := &fakeExecutor{delay: 5 * time.Millisecond}
	services := make([]string, 40)
	for i := range services {
		services[i] = fmt.Sprintf("s%d", i)
	}
	res := Write(context.Background(), exec, rowsFor(services, 3, 10), 4, nil)
	assert.Len(t, res.Written, 120)
	assert.Empty(t, res.Retry)
	assert.Len(t, exec.batches, 40)
	assert.LessOrEqual(t, exec.maxSeen.Load(), int32(4))
	assert.Greater(t, exec.maxSeen.Load(), int32(1), "writes run concurrently")
}

func TestRetryableFailureRetriesOnlyItsBatch(t *testing.T) {
	exec := &fakeExecutor{fail: func(rows []record.Row) error {
		if rows[0].Key.Service == "b" {
			return errTimeout
		}
		return nil
	}}
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	tel, err := metadata.NewTelemetryBuilder(tt.NewTelemetrySettings())
	require.NoError(t, err)

	rows := rowsFor([]string{"a", "b", "c"}, 10, 10)
	res := Write(context.Background(), exec, rows, 2, tel)
	assert.Len(t, res.Written, 20)
	assert.Empty(t, res.Dropped)
	require.Len(t, res.Retry, 10)
	assert.Equal(t, ids(rows[10:20]), ids(res.Retry), "exactly the failed partition's rows are retried")
	assert.ErrorIs(t, res.RetryErr, errTimeout)
	assert.Len(t, exec.batches, 3, "a retryable error is not split")

	errs, err := tt.GetMetric("otelcol_cassandra_logs_write_errors")
	require.NoError(t, err)
	dps := errs.Data.(metricdata.Sum[int64]).DataPoints
	require.Len(t, dps, 1)
	assert.Equal(t, int64(1), dps[0].Value)
	v, _ := dps[0].Attributes.Value(attribute.Key("retryable"))
	assert.True(t, v.AsBool())
	lat, err := tt.GetMetric("otelcol_cassandra_logs_write_latency")
	require.NoError(t, err)
	var count uint64
	for _, dp := range lat.Data.(metricdata.Histogram[float64]).DataPoints {
		count += dp.Count
	}
	assert.Equal(t, uint64(3), count)
}

func TestOneBadRowIsDroppedAndItsBatchNeighboursWritten(t *testing.T) {
	rows := rowsFor([]string{"a"}, 150, 10)
	poison := rows[77].ID
	exec := &fakeExecutor{fail: func(b []record.Row) error {
		for _, r := range b {
			if r.ID == poison {
				return errTooLarge
			}
		}
		return nil
	}}
	res := Write(context.Background(), exec, rows, 4, nil)
	require.Len(t, res.Dropped, 1)
	assert.Equal(t, poison, res.Dropped[0].Row.ID)
	assert.Equal(t, cqlerr.MutationTooLarge, res.Dropped[0].Reason)
	assert.ErrorIs(t, res.Dropped[0].Err, errTooLarge)
	assert.Len(t, res.Written, 149)
	assert.NotContains(t, ids(res.Written), poison)
	assert.Empty(t, res.Retry)
	// Halving finds one bad row among 150 in about 2*log2(150) writes, and writes each good row once.
	assert.LessOrEqual(t, len(exec.batches), 17)
	written := 0
	for _, b := range exec.batches {
		if exec.fail(b) == nil {
			written += len(b)
		}
	}
	assert.Equal(t, 149, written, "no good row is written twice")
}

func TestSchemaMismatchDropsTheBatchWithoutSplitting(t *testing.T) {
	exec := &fakeExecutor{fail: func([]record.Row) error { return errColumn }}
	res := Write(context.Background(), exec, rowsFor([]string{"a", "b"}, 100, 10), 4, nil)
	assert.Len(t, res.Dropped, 200)
	assert.Equal(t, cqlerr.SchemaMismatch, res.Dropped[0].Reason)
	assert.Len(t, exec.batches, 2)
	assert.Empty(t, res.Retry)
}

func TestCancelledContextLeavesRowsToRetry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	exec := &fakeExecutor{fail: func([]record.Row) error { return context.Canceled }}
	res := Write(ctx, exec, rowsFor([]string{"a", "b", "c"}, 1, 10), 1, nil)
	assert.Len(t, res.Retry, 3)
	assert.Empty(t, res.Written)
	assert.Error(t, res.RetryErr)
}
