package isolationforestprocessor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// typedBatch is one time step of one series of every metric type; spike multiplies the signal.
func typedBatch(step int, r *rand.Rand, spike bool) pmetric.Metrics {
	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	ts := pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * time.Second))
	start := pcommon.NewTimestampFromTime(testEpoch)
	k := 1.0
	if spike {
		k = 30
	}
	noise := func() float64 { return 1 + 0.05*r.NormFloat64() }
	cum := float64(step)*100 + 20*r.Float64() // cumulative totals grow by ~100/s

	g := sm.Metrics().AppendEmpty()
	g.SetName("gauge")
	dp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetDoubleValue(50 * noise() * k)

	s := sm.Metrics().AppendEmpty()
	s.SetName("cumulative_sum")
	sum := s.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	sdp := sum.DataPoints().AppendEmpty()
	sdp.SetStartTimestamp(start)
	sdp.SetTimestamp(ts)
	if spike {
		cum += 3000
	}
	sdp.SetIntValue(int64(cum))

	d := sm.Metrics().AppendEmpty()
	d.SetName("delta_sum")
	dsum := d.SetEmptySum()
	dsum.SetIsMonotonic(true)
	dsum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	ddp := dsum.DataPoints().AppendEmpty()
	ddp.SetTimestamp(ts)
	ddp.SetDoubleValue(100 * noise() * k)

	h := sm.Metrics().AppendEmpty()
	h.SetName("histogram")
	hist := h.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	hdp := hist.DataPoints().AppendEmpty()
	hdp.SetTimestamp(ts)
	hdp.SetCount(100)
	hdp.SetSum(100 * 0.2 * noise() * k)
	hdp.ExplicitBounds().FromRaw([]float64{0.1, 1})
	hdp.BucketCounts().FromRaw([]uint64{10, 80, 10})

	e := sm.Metrics().AppendEmpty()
	e.SetName("exp_histogram")
	eh := e.SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	edp := eh.DataPoints().AppendEmpty()
	edp.SetStartTimestamp(start)
	edp.SetTimestamp(ts)
	edp.SetCount(uint64(step) * 100)
	edp.SetSum(float64(step) * 100 * 0.2 * noise() * k)

	q := sm.Metrics().AppendEmpty()
	q.SetName("summary")
	qdp := q.SetEmptySummary().DataPoints().AppendEmpty()
	qdp.SetStartTimestamp(start)
	qdp.SetTimestamp(ts)
	qdp.SetCount(uint64(step) * 100)
	qdp.SetSum(float64(step) * 100 * 0.2)
	qv := qdp.QuantileValues().AppendEmpty()
	qv.SetQuantile(0.99)
	qv.SetValue(0.5 * noise() * k)
	return md
}

// Every metric type is scored, and a spike in each is flagged.
func TestEveryMetricType(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 1
	p, sink := startTestProcessor(t, cfg)
	r := rand.New(rand.NewPCG(3, 4))
	const steps, spikeAt = 400, 350 // one series per metric: its forest needs sample_size (256) warm points
	for step := 1; step <= steps; step++ {
		require.NoError(t, p.ConsumeMetrics(context.Background(), typedBatch(step, r, step == spikeAt)))
	}
	scored := map[string]int{}
	flaggedAtSpike := map[string]bool{}
	for i, md := range sink.AllMetrics() {
		step := i + 1
		eachPoint(md, func(m pmetric.Metric, attrs pcommon.Map) {
			score, ok := attrs.Get(attrScore)
			if !ok {
				return
			}
			v, err := strconv.ParseFloat(score.Str(), 64)
			require.NoError(t, err)
			require.True(t, v > 0 && v <= 1, "score %v", v)
			assert.Len(t, score.Str(), 4, "two decimals")
			scored[m.Name()]++
			if step == spikeAt {
				is, _ := attrs.Get(attrIsAnomaly)
				flaggedAtSpike[m.Name()] = is.Str() == "true"
				t.Logf("%s at spike: %s", m.Name(), score.Str())
			}
		})
	}
	for _, name := range []string{"gauge", "cumulative_sum", "delta_sum", "histogram", "exp_histogram", "summary"} {
		assert.Greater(t, scored[name], 100, "%s scored", name)
		assert.True(t, flaggedAtSpike[name], "%s spike flagged", name)
	}
}

// metrics mode leaves the original points alone and adds one companion gauge per metric.
func TestMetricsOutputMode(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.OutputMode = OutputModeMetrics
	cfg.Instances = 2
	p, sink, tel := startWithTelemetry(t, cfg)
	value := noisy(5)
	const series, steps = 10, 80
	for step := 0; step < steps; step++ {
		require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("queue_depth", step, series, func(s int) float64 { return value(step, s) })))
	}
	companions := 0
	for _, md := range sink.AllMetrics() {
		eachPoint(md, func(m pmetric.Metric, attrs pcommon.Map) {
			_, hasScore := attrs.Get(attrScore)
			assert.False(t, hasScore, "metrics mode must not add attributes")
			if m.Name() == "queue_depth"+companionSuffix {
				companions++
				_, ok := attrs.Get("instance")
				assert.True(t, ok, "companion keeps the series' attributes")
			}
		})
	}
	last := sink.AllMetrics()[steps-1]
	ms := last.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	require.Equal(t, 2, ms.Len())
	comp := ms.At(1)
	require.Equal(t, "queue_depth_anomaly_score", comp.Name())
	require.Equal(t, series, comp.Gauge().DataPoints().Len())
	v := comp.Gauge().DataPoints().At(0).DoubleValue()
	assert.True(t, v > 0 && v <= 1)
	assert.Equal(t, ms.At(0).Gauge().DataPoints().At(0).Timestamp(), comp.Gauge().DataPoints().At(0).Timestamp())
	assert.Positive(t, companions)
	assert.Equal(t, counterValue(t, tel, "otelcol_processor_isolationforest_points_scored"), int64(companions))
}

// Past max_series the least recently seen series are evicted and the count stays bounded.
func TestEvictionKeepsMaxSeries(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 1
	cfg.MaxSeries = 50
	p, _, tel := startWithTelemetry(t, cfg)
	// 30 "hot" series every step, and 10 new one-off series per step.
	for step := 0; step < 40; step++ {
		md := gaugeBatch("m", step, 30, func(s int) float64 { return float64(s) })
		dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints()
		for j := 0; j < 10; j++ {
			dp := dps.AppendEmpty()
			dp.Attributes().PutStr("instance", fmt.Sprintf("cold-%d-%d", step, j))
			dp.SetTimestamp(pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * time.Second)))
			dp.SetDoubleValue(1)
		}
		require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	}
	assert.Equal(t, int64(50), counterValue(t, tel, "otelcol_processor_isolationforest_active_series"))
	assert.Equal(t, int64(30+40*10-50), counterValue(t, tel, "otelcol_processor_isolationforest_evictions"))
	// The hot series survived eviction: they are warm and scored by now.
	assert.Positive(t, counterValue(t, tel, "otelcol_processor_isolationforest_points_scored"))
}

// CLOCK eviction: new series start unreferenced, a series seen again gets a second chance.
func TestSeriesTableEvictsLeastRecentlySeen(t *testing.T) {
	tab := newSeriesTable(3, nil)
	for k := uint64(1); k <= 3; k++ {
		tab.get(k, 100+k)
	}
	_, _, ev := tab.get(4, 104)
	require.True(t, ev.ok)
	assert.Equal(t, eviction{key: 1, group: 101, ok: true}, ev, "none seen again: the oldest goes first")
	tab.get(3, 103) // seen again
	_, _, ev = tab.get(5, 105)
	assert.Equal(t, uint64(2), ev.key, "2 was not seen again; 3 was")
	tab.get(3, 103)
	tab.get(4, 104)
	_, _, ev = tab.get(6, 106)
	assert.Equal(t, uint64(5), ev.key, "3 and 4 were seen again, 5 was not")
	assert.Equal(t, 3, tab.len())
}

func TestSeriesStateSize(t *testing.T) {
	assert.LessOrEqual(t, int(sizeofSeriesState), 88)
}

// Concurrent batches from many goroutines (run under -race by npm test): nothing lost, all scored.
func TestConcurrentBatches(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 3
	cfg.SampleSize = 64
	cfg.WindowSize = 256
	p, sink, tel := startWithTelemetry(t, cfg)
	const workers, steps, series = 6, 60, 40
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			value := noisy(uint64(w))
			for step := 0; step < steps; step++ {
				md := gaugeBatch("worker"+strconv.Itoa(w%2), step, series, func(s int) float64 { return value(step, s) })
				md.ResourceMetrics().At(0).Resource().Attributes().PutInt("worker", int64(w))
				assert.NoError(t, p.ConsumeMetrics(context.Background(), md))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, workers*steps*series, sink.DataPointCount())
	assert.Equal(t, int64(workers*series), counterValue(t, tel, "otelcol_processor_isolationforest_active_series"))
	assert.Positive(t, counterValue(t, tel, "otelcol_processor_isolationforest_points_scored"))
	assert.Zero(t, counterValue(t, tel, "otelcol_processor_isolationforest_kernel_errors"))
}

// One large batch takes the parallel path; attribute order does not change a series' identity.
func TestLargeBatchAndAttributeOrder(t *testing.T) {
	a, b := pcommon.NewMap(), pcommon.NewMap()
	a.PutStr("x", "1")
	a.PutInt("y", 2)
	b.PutInt("y", 2)
	b.PutStr("x", "1")
	assert.Equal(t, hashAttributes(a), hashAttributes(b))
	b.PutStr("z", "")
	assert.NotEqual(t, hashAttributes(a), hashAttributes(b))

	cfg := createDefaultConfig()
	cfg.Instances = 4
	p, sink, tel := startWithTelemetry(t, cfg)
	value := noisy(9)
	for step := 0; step < 20; step++ {
		require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("big", step, 5000, func(s int) float64 { return value(step, s) })))
	}
	assert.Equal(t, 100000, sink.DataPointCount())
	assert.Equal(t, int64(5000), counterValue(t, tel, "otelcol_processor_isolationforest_active_series"))
	assert.Positive(t, counterValue(t, tel, "otelcol_processor_isolationforest_points_scored"))
}

// max_series is one budget shared by all instances, however unevenly the metrics spread over them.
func TestMaxSeriesSharedAcrossInstances(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 4
	cfg.MaxSeries = 300
	p, _, tel := startWithTelemetry(t, cfg)
	for step := 0; step < 5; step++ {
		for metric := 0; metric < 8; metric++ {
			md := gaugeBatch("m"+strconv.Itoa(metric), step, 100, func(s int) float64 { return float64(s) })
			require.NoError(t, p.ConsumeMetrics(context.Background(), md))
		}
	}
	active := counterValue(t, tel, "otelcol_processor_isolationforest_active_series")
	assert.LessOrEqual(t, active, int64(300+cfg.Instances-1))
	assert.GreaterOrEqual(t, active, int64(300))
	assert.Equal(t, int64(5*8*100)-active, counterValue(t, tel, "otelcol_processor_isolationforest_evictions"),
		"800 series cycling through 300 slots: every point re-creates its series")
}

// A model group that sends nothing for modelIdleTimeout gives its forest back.
func TestIdleModelsAreFreed(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 1
	cfg.WarmupPoints = 2
	cfg.SampleSize = 8
	cfg.WindowSize = 64
	ctx := context.Background()
	p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, p.start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.shutdown(ctx)) })
	consume := func(md pmetric.Metrics) { _, err := p.processMetrics(ctx, md); require.NoError(t, err) }
	value := noisy(1)
	for step := 0; step < 10; step++ {
		for _, name := range []string{"a", "b"} {
			consume(gaugeBatch(name, step, 5, func(s int) float64 { return value(step, s) }))
		}
	}
	s := p.shards[0]
	require.Len(t, s.models, 2)
	require.GreaterOrEqual(t, s.models[hashString("a")].handle, int32(0))
	s.mu.Lock()
	s.models[hashString("a")].lastUsed -= int64(modelIdleTimeout / time.Second) // "a" went quiet long ago
	s.nextSweep = 0
	s.mu.Unlock()
	consume(gaugeBatch("b", 11, 5, func(s int) float64 { return value(11, s) }))
	assert.Equal(t, int32(-1), s.models[hashString("a")].handle, "a's forest freed")
	assert.GreaterOrEqual(t, s.models[hashString("b")].handle, int32(0), "b's forest kept")
	assert.Equal(t, 5, s.models[hashString("a")].series, "a's series are still counted")
}
