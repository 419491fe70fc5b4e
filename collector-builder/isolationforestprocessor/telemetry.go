package isolationforestprocessor

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// reasonAttrs and transitionAttrs are built once: recording with a prebuilt attribute set
// allocates nothing.
var (
	reasonAttrs  [unscoredReasons]metric.MeasurementOption
	onsetAttrs   = metric.WithAttributeSet(attribute.NewSet(attribute.String("transition", "onset")))
	resolveAttrs = metric.WithAttributeSet(attribute.NewSet(attribute.String("transition", "resolve")))
)

var dropAttrs = map[string]metric.MeasurementOption{}

func init() {
	for _, r := range []string{"no_receiver", "queue_full", "rate_limited"} {
		dropAttrs[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("drop_reason", r)))
	}
	for i, name := range reasonNames {
		reasonAttrs[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", name)))
	}
}

// recordStats adds a batch's counts to the processor's own telemetry.
func (p *isolationForestProcessor) recordStats(ctx context.Context, b *batch) {
	var t shardStats
	for _, s := range b.stats {
		t.scored += s.scored
		t.anomalies += s.anomalies
		t.resolves += s.resolves
		t.created += s.created
		t.evicted += s.evicted
		t.expired += s.expired
		t.rateLimited += s.rateLimited
		for r := range t.unscored {
			t.unscored[r] += s.unscored[r]
		}
	}
	tel := p.tel
	if t.scored > 0 {
		tel.ProcessorIsolationforestPointsScored.Add(ctx, t.scored)
	}
	for r, n := range t.unscored {
		if n > 0 {
			tel.ProcessorIsolationforestPointsUnscored.Add(ctx, n, reasonAttrs[r])
		}
	}
	if t.anomalies > 0 {
		tel.ProcessorIsolationforestAlarms.Add(ctx, t.anomalies, onsetAttrs)
	}
	if t.resolves > 0 {
		tel.ProcessorIsolationforestAlarms.Add(ctx, t.resolves, resolveAttrs)
	}
	if d := t.created - t.evicted - t.expired; d != 0 {
		tel.ProcessorIsolationforestActiveSeries.Add(ctx, d)
	}
	if t.rateLimited > 0 {
		tel.ProcessorIsolationforestEventsDropped.Add(ctx, t.rateLimited, dropAttrs["rate_limited"])
	}
	if t.evicted > 0 {
		tel.ProcessorIsolationforestEvictions.Add(ctx, t.evicted)
	}
	if t.expired > 0 {
		tel.ProcessorIsolationforestSeriesExpired.Add(ctx, t.expired)
	}
	var errs, noForest, forests int64
	for _, ps := range b.pstats {
		errs += ps.KernelErrors
		noForest += ps.NoForest
		forests += ps.Forests
		if ps.Refreshes > 0 {
			tel.ProcessorIsolationforestModelRefreshDuration.Record(ctx, ps.Refresh.Seconds()/float64(ps.Refreshes))
		}
	}
	if errs > 0 {
		tel.ProcessorIsolationforestKernelErrors.Add(ctx, errs)
	}
	if noForest > 0 {
		tel.ProcessorIsolationforestForestCapReached.Add(ctx, noForest)
	}
	if forests != 0 {
		tel.ProcessorIsolationforestForests.Add(ctx, forests)
	}
}

// rateLimitedLog logs the first error of each interval with the count suppressed since the last line.
type rateLimitedLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (r *rateLimitedLog) log(logger *zap.Logger, msg string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < errorLogInterval {
		r.suppressed++
		return
	}
	logger.Warn(msg, zap.Error(err), zap.Int("suppressed_since_last_message", r.suppressed))
	r.last, r.suppressed = now, 0
}
