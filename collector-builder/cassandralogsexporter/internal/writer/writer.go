// Package writer writes rows to Cassandra as single-partition batches, concurrently, and sorts
// the outcome row by row: written, to retry (Cassandra may take them later), or dropped (Cassandra
// will never take them). A batch refused for one row's sake is written apart, so the rows beside
// a bad one are stored once and never rewritten again and again.
package writer // import "github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/writer"

import (
	"context"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/cqlerr"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/record"
)

const (
	// A single-partition UNLOGGED batch is applied as one mutation. Cassandra refuses a request
	// above its message limit (at most the mutation limit, half a commit-log segment: 16 MiB by
	// default, less on a small heap); these bounds keep every batch far below that.
	MaxBatchRows  = 200
	MaxBatchBytes = 2 << 20
)

// Executor writes rows that share one partition.
type Executor interface {
	ExecBatch(ctx context.Context, rows []record.Row) error
}

// Drop is a row Cassandra will never accept, with the reason and its answer.
type Drop struct {
	Row    record.Row
	Reason string
	Err    error
}

// Result sorts every row of one Write.
type Result struct {
	Written []record.Row
	Dropped []Drop
	Retry   []record.Row
	// RetryErr is the first retryable error, nil when Retry is empty.
	RetryErr error
}

// BatchesByPartition groups rows by partition, in first-seen order, and cuts each group into
// batches of at most MaxBatchRows rows and about MaxBatchBytes bytes (a larger single row is a
// batch of its own).
func BatchesByPartition(rows []record.Row) [][]record.Row {
	var order []record.PartitionKey
	groups := make(map[record.PartitionKey][]record.Row)
	for _, r := range rows {
		if _, ok := groups[r.Key]; !ok {
			order = append(order, r.Key)
		}
		groups[r.Key] = append(groups[r.Key], r)
	}
	var batches [][]record.Row
	for _, k := range order {
		group := groups[k]
		start, size := 0, 0
		for i, r := range group {
			if i > start && (i-start >= MaxBatchRows || size+r.Size > MaxBatchBytes) {
				batches = append(batches, group[start:i])
				start, size = i, 0
			}
			size += r.Size
		}
		batches = append(batches, group[start:])
	}
	return batches
}

// Write writes every batch with at most concurrency batches in flight. A batch that fails with a
// retryable error goes to Retry whole; one refused for good is split in halves and written
// again until the refused rows stand alone (they are dropped) and the others are written. A
// refusal that concerns every row (a table whose columns differ) drops the batch at once.
func Write(ctx context.Context, exec Executor, rows []record.Row, concurrency int, tel *metadata.TelemetryBuilder) Result {
	w := &write{exec: exec, tel: tel}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, b := range BatchesByPartition(rows) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			w.retry(b, ctx.Err())
			continue
		}
		wg.Add(1)
		go func(b []record.Row) {
			defer func() { <-sem; wg.Done() }()
			w.batch(ctx, b)
		}(b)
	}
	wg.Wait()
	return w.res
}

type write struct {
	exec Executor
	tel  *metadata.TelemetryBuilder
	mu   sync.Mutex
	res  Result
}

func (w *write) batch(ctx context.Context, b []record.Row) {
	start := time.Now()
	err := w.exec.ExecBatch(ctx, b)
	reason, permanent := cqlerr.Classify(err)
	w.observe(start, err, permanent)
	switch {
	case err == nil:
		w.mu.Lock()
		w.res.Written = append(w.res.Written, b...)
		w.mu.Unlock()
	case !permanent:
		w.retry(b, err)
	case len(b) == 1 || !cqlerr.RowSpecific(reason):
		w.mu.Lock()
		for _, r := range b {
			w.res.Dropped = append(w.res.Dropped, Drop{Row: r, Reason: reason, Err: err})
		}
		w.mu.Unlock()
	default:
		half := len(b) / 2
		w.batch(ctx, b[:half])
		w.batch(ctx, b[half:])
	}
}

func (w *write) retry(b []record.Row, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.res.Retry = append(w.res.Retry, b...)
	if w.res.RetryErr == nil {
		w.res.RetryErr = err
	}
}

var (
	outcomeSuccess = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "success")))
	outcomeFailure = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "failure")))
	retryableTrue  = metric.WithAttributeSet(attribute.NewSet(attribute.Bool("retryable", true)))
	retryableFalse = metric.WithAttributeSet(attribute.NewSet(attribute.Bool("retryable", false)))
)

func (w *write) observe(start time.Time, err error, permanent bool) {
	if w.tel == nil {
		return
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	if err == nil {
		w.tel.CassandraLogsWriteLatency.Record(context.Background(), ms, outcomeSuccess)
		return
	}
	w.tel.CassandraLogsWriteLatency.Record(context.Background(), ms, outcomeFailure)
	if permanent {
		w.tel.CassandraLogsWriteErrors.Add(context.Background(), 1, retryableFalse)
	} else {
		w.tel.CassandraLogsWriteErrors.Add(context.Background(), 1, retryableTrue)
	}
}

// SessionExecutor writes one partition's rows as a single UNLOGGED batch (one mutation on the
// replicas, no batch log), or a plain INSERT for a single row.
type SessionExecutor struct {
	Session *gocql.Session
	Insert  string
}

func (s SessionExecutor) ExecBatch(ctx context.Context, rows []record.Row) error {
	if len(rows) == 1 {
		return s.Session.Query(s.Insert, rows[0].Values...).Idempotent(true).WithContext(ctx).Exec()
	}
	b := s.Session.Batch(gocql.UnloggedBatch).WithContext(ctx)
	for _, r := range rows {
		b.Entries = append(b.Entries, gocql.BatchEntry{Stmt: s.Insert, Args: r.Values, Idempotent: true})
	}
	return b.Exec()
}
