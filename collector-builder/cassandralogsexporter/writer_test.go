package cassandralogsexporter

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
)

// fakeExecutor records batches and fails those its fail function picks.
type fakeExecutor struct {
	mu       sync.Mutex
	batches  [][]logRow
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	delay    time.Duration
	fail     func(rows []logRow) error
}

func (f *fakeExecutor) execBatch(_ context.Context, rows []logRow) error {
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

func rowsFor(services []string, perService, size int) []logRow {
	var rows []logRow
	for _, s := range services {
		for i := 0; i < perService; i++ {
			rows = append(rows, logRow{key: partitionKey{service: s, bucket: 0}, size: size})
		}
	}
	return rows
}

func TestBatchesArePerPartitionAndBounded(t *testing.T) {
	rows := rowsFor([]string{"a", "b"}, 450, 100)
	rows = append(rows, logRow{key: partitionKey{service: "a", bucket: 3_600_000}, size: 100})
	batches := batchesByPartition(rows)
	var sizes []int
	for _, b := range batches {
		sizes = append(sizes, len(b))
		for _, r := range b {
			assert.Equal(t, b[0].key, r.key, "a batch never spans partitions")
		}
	}
	assert.Equal(t, []int{200, 200, 50, 200, 200, 50, 1}, sizes)

	big := rowsFor([]string{"a"}, 5, 1<<20) // 1 MiB rows: two per 2 MiB batch
	sizes = nil
	for _, b := range batchesByPartition(big) {
		sizes = append(sizes, len(b))
	}
	assert.Equal(t, []int{2, 2, 1}, sizes)

	huge := rowsFor([]string{"a"}, 2, 5<<20) // a row above the byte bound still goes, alone
	assert.Len(t, batchesByPartition(huge), 2)
}

func TestWriteRowsBoundsConcurrency(t *testing.T) {
	exec := &fakeExecutor{delay: 5 * time.Millisecond}
	services := make([]string, 40)
	for i := range services {
		services[i] = string(rune('a' + i))
	}
	require.NoError(t, writeRows(context.Background(), exec, rowsFor(services, 3, 10), 4, nil))
	assert.Len(t, exec.batches, 40)
	assert.LessOrEqual(t, exec.maxSeen.Load(), int32(4))
	assert.Greater(t, exec.maxSeen.Load(), int32(1), "writes run concurrently")
}

func TestAnyFailedBatchFailsTheExport(t *testing.T) {
	boom := errors.New("WriteTimeout: Timeout during write query")
	exec := &fakeExecutor{fail: func(rows []logRow) error {
		if rows[0].key.service == "b" {
			return boom
		}
		return nil
	}}
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	tel, err := metadata.NewTelemetryBuilder(tt.NewTelemetrySettings())
	require.NoError(t, err)

	err = writeRows(context.Background(), exec, rowsFor([]string{"a", "b", "c"}, 10, 10), 2, tel)
	require.Error(t, err)
	assert.ErrorIs(t, err, boom)
	assert.False(t, consumererror.IsPermanent(err), "the exporter helper must retry it")
	assert.Contains(t, err.Error(), "1 of 3 batches (10 of 30 records) not written")
	assert.Len(t, exec.batches, 3, "the other partitions are still written")

	written, err := tt.GetMetric("otelcol_cassandra_logs_records_written")
	require.NoError(t, err)
	assert.Equal(t, int64(20), written.Data.(metricdata.Sum[int64]).DataPoints[0].Value)
	errs, err := tt.GetMetric("otelcol_cassandra_logs_write_errors")
	require.NoError(t, err)
	assert.Equal(t, int64(1), errs.Data.(metricdata.Sum[int64]).DataPoints[0].Value)
	lat, err := tt.GetMetric("otelcol_cassandra_logs_write_latency")
	require.NoError(t, err)
	var count uint64
	for _, dp := range lat.Data.(metricdata.Histogram[float64]).DataPoints {
		count += dp.Count
	}
	assert.Equal(t, uint64(3), count)
}

func TestCancelledContextFailsTheExport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	exec := &fakeExecutor{}
	// one slot, so every batch but possibly the first waits for the semaphore and sees the cancellation
	err := writeRows(ctx, exec, rowsFor([]string{"a", "b", "c"}, 1, 10), 1, nil)
	if err == nil {
		t.Fatalf("a cancelled export must fail, %d batches written", len(exec.batches))
	}
}
