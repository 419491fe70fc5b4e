// Package events carries the processor's anomaly events (OTLP log records, one per alarm onset
// and resolve) to the anomaly_events receiver of the same collector, which feeds them into a
// logs pipeline. They meet at a Hub named after the processor's component id. The processor
// never waits for the logs pipeline: it offers a batch of events to a bounded queue, and a
// batch that finds no receiver or a full queue is dropped and counted by the processor.
package events

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Hub is where one processor's events meet the receiver that emits them.
type Hub struct {
	mu    sync.Mutex
	queue chan plog.Logs // nil while no receiver is attached
	done  chan struct{}
}

var (
	hubsMu sync.Mutex
	hubs   = map[string]*Hub{}
)

// Lookup returns the hub of the processor with the given component id ("isolationforest",
// "isolationforest/slo"), creating it on first use by either side.
func Lookup(id string) *Hub {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	h := hubs[id]
	if h == nil {
		h = &Hub{}
		hubs[id] = h
	}
	return h
}

// Why an offer failed.
const (
	NoReceiver = "no_receiver" // no anomaly_events receiver names this processor
	QueueFull  = "queue_full"  // the logs pipeline is behind: the queue of queueSize batches is full
)

// Offer hands a batch of events over without blocking; it returns "" or why it could not.
func (h *Hub) Offer(ld plog.Logs) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.queue == nil {
		return NoReceiver
	}
	select {
	case h.queue <- ld:
		return ""
	default:
		return QueueFull
	}
}

// Attach starts delivering the hub's batches to next (one goroutine, in order) until Detach.
// onError sees what next refused (the logs pipeline's own retry and queue come first).
func (h *Hub) Attach(next consumer.Logs, queueSize int, onError func(error)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	q, done := make(chan plog.Logs, queueSize), make(chan struct{})
	h.queue, h.done = q, done
	go func() {
		defer close(done)
		for ld := range q {
			if err := next.ConsumeLogs(context.Background(), ld); err != nil {
				onError(err)
			}
		}
	}()
}

// Detach stops accepting batches, delivers those queued, and returns when done or ctx ends.
func (h *Hub) Detach(ctx context.Context) error {
	h.mu.Lock()
	q, done := h.queue, h.done
	h.queue, h.done = nil, nil
	h.mu.Unlock()
	if q == nil {
		return nil
	}
	close(q)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
