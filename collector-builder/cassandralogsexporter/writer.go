package cassandralogsexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
)

const (
	// A single-partition UNLOGGED batch is applied as one mutation, which Cassandra caps at half a
	// commit-log segment (16 MiB by default); these bounds keep every batch far below that.
	maxBatchRows  = 200
	maxBatchBytes = 2 << 20
)

// batchExecutor writes rows that share one partition.
type batchExecutor interface {
	execBatch(ctx context.Context, rows []logRow) error
}

// batchesByPartition groups rows by partition, in first-seen order, and cuts each group into
// batches of at most maxBatchRows rows and about maxBatchBytes bytes (a larger single row is a
// batch of its own).
func batchesByPartition(rows []logRow) [][]logRow {
	var order []partitionKey
	groups := make(map[partitionKey][]logRow)
	for _, r := range rows {
		if _, ok := groups[r.key]; !ok {
			order = append(order, r.key)
		}
		groups[r.key] = append(groups[r.key], r)
	}
	var batches [][]logRow
	for _, k := range order {
		group := groups[k]
		start, size := 0, 0
		for i, r := range group {
			if i > start && (i-start >= maxBatchRows || size+r.size > maxBatchBytes) {
				batches = append(batches, group[start:i])
				start, size = i, 0
			}
			size += r.size
		}
		batches = append(batches, group[start:])
	}
	return batches
}

// writeRows writes every batch with at most concurrency batches in flight and returns an error
// if any batch failed, so the whole export call is retried (rewriting rows is idempotent).
func writeRows(ctx context.Context, exec batchExecutor, rows []logRow, concurrency int, tel *metadata.TelemetryBuilder) error {
	batches := batchesByPartition(rows)
	sem := make(chan struct{}, concurrency)
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		firstErr   error
		failed     int
		failedRows int
	)
	for _, b := range batches {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			mu.Lock()
			if firstErr == nil {
				firstErr = ctx.Err()
			}
			failed++
			failedRows += len(b)
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func(b []logRow) {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			err := exec.execBatch(ctx, b)
			if tel != nil {
				outcome := metric.WithAttributeSet(outcomeAttrs(err))
				tel.CassandraLogsWriteLatency.Record(context.Background(), float64(time.Since(start).Microseconds())/1000, outcome)
				if err != nil {
					tel.CassandraLogsWriteErrors.Add(context.Background(), 1)
				} else {
					tel.CassandraLogsRecordsWritten.Add(context.Background(), int64(len(b)))
				}
			}
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				failed++
				failedRows += len(b)
				mu.Unlock()
			}
		}(b)
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("cassandra_logs: %d of %d batches (%d of %d records) not written, the batch will be retried: %w",
			failed, len(batches), failedRows, len(rows), firstErr)
	}
	return nil
}

// errNotConnected is returned while the exporter waits for Cassandra; it is retryable.
var errNotConnected = errors.New("cassandra_logs: not connected to Cassandra yet")

func outcomeAttrs(err error) attribute.Set {
	if err != nil {
		return attribute.NewSet(attribute.String("outcome", "failure"))
	}
	return attribute.NewSet(attribute.String("outcome", "success"))
}
