package isolationforestprocessor

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/detect"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/series"
)

// newInternal creates and starts a processor and returns it without the processorhelper wrapper,
// so tests can drive its clock and look at its tables.
func newInternal(t testing.TB, cfg *Config) *isolationForestProcessor {
	t.Helper()
	p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), nil))
	t.Cleanup(func() { require.NoError(t, p.shutdown(context.Background())) })
	return p
}

func (p *isolationForestProcessor) seriesHeld() int {
	n := 0
	for _, s := range p.shards {
		s.mu.Lock()
		n += s.series.Len()
		s.mu.Unlock()
	}
	return n
}

func (p *isolationForestProcessor) groupsHeld() (groups, forests int) {
	for _, pl := range p.pools {
		g, f := pl.Groups()
		groups += g
		forests += f
	}
	return groups, forests
}

// counterBatch is one step of a cumulative monotonic counter per series: value(s), started at start.
func counterBatch(name string, step, series int, start time.Time, value func(s int) float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	ts := pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * 10 * time.Second))
	for s := 0; s < series; s++ {
		dp := sum.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("instance", strconv.Itoa(s))
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(value(s))
	}
	return md
}

// The default output leaves every input series exactly as it came; the score is a companion gauge
// <name>_anomaly_score with the original labels plus is_anomaly.
func TestDefaultOutputLeavesInputUntouched(t *testing.T) {
	p, sink := startTestProcessor(t, createDefaultConfig())
	value := noisy(3)
	for step := 0; step < 60; step++ {
		md := gaugeBatch("queue_depth", step, 3, func(s int) float64 { return value(step, s) })
		want := pmetric.NewMetrics()
		md.CopyTo(want)
		require.NoError(t, p.ConsumeMetrics(context.Background(), md))
		got := sink.AllMetrics()[step]
		ms := got.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
		orig := ms.At(0)
		wantM := want.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
		require.Equal(t, wantM, orig, "step %d: the input metric is untouched", step)
		if step < createDefaultConfig().WarmupPoints {
			assert.Equal(t, 1, ms.Len(), "no score during warm-up")
			continue
		}
		require.Equal(t, 2, ms.Len())
		comp := ms.At(1)
		assert.Equal(t, "queue_depth_anomaly_score", comp.Name())
		assert.Equal(t, "1", comp.Unit())
		require.Equal(t, 3, comp.Gauge().DataPoints().Len())
		for i := 0; i < 3; i++ {
			dp := comp.Gauge().DataPoints().At(i)
			od := orig.Gauge().DataPoints().At(i)
			assert.Equal(t, od.Timestamp(), dp.Timestamp())
			inst, _ := dp.Attributes().Get("instance")
			oinst, _ := od.Attributes().Get("instance")
			assert.Equal(t, oinst.Str(), inst.Str(), "the original labels")
			flag, ok := dp.Attributes().Get("is_anomaly")
			require.True(t, ok)
			assert.Contains(t, []string{"true", "false"}, flag.Str())
			assert.Equal(t, 2, dp.Attributes().Len(), "original labels plus is_anomaly, nothing else")
			assert.True(t, dp.DoubleValue() >= 0 && dp.DoubleValue() < 1)
		}
	}
}

// attributes mode: the two attributes on every scored point, is_anomaly "true" at an onset only.
func TestAttributesOutputMode(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.OutputMode = OutputModeAttributes
	p, sink := startTestProcessor(t, cfg)
	for step := 0; step < 40; step++ {
		v := 10.0
		if step == 30 {
			v = 500
		}
		require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("pool_size", step, 1, func(int) float64 { return v })))
	}
	var onsets []int
	for step, md := range sink.AllMetrics() {
		require.Equal(t, 1, md.MetricCount(), "no companion in attributes mode")
		for _, s := range scoresOf(t, md) {
			if s.anomalous {
				onsets = append(onsets, step)
			}
		}
	}
	assert.Equal(t, []int{30}, onsets, "one alarm: the change from the constant")
}

// Fault 1: one series budget for all shards. With 2 instances and max_series 100, metric A (100
// series) sends 3 batches and stops; metric B (10 series) then sends 57 batches: B's series take
// the places of A's idle ones and are scored.
func TestMaxSeriesIsOneBudgetForAllShards(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances, cfg.MaxSeries = 2, 100
	p, sink, tel := startWithTelemetry(t, cfg)
	for step := 0; step < 3; step++ {
		require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("a", step, 100, func(s int) float64 { return float64(s) })))
	}
	sink.Reset()
	evictedByA := counterValue(t, tel, "otelcol_processor_isolationforest_evictions")
	value := noisy(5)
	for step := 3; step < 60; step++ {
		require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("b", step, 10, func(s int) float64 { return value(step, s) })))
	}
	scoredB := 0
	for _, md := range sink.AllMetrics() {
		n, _ := flagsOf(t, md)
		scoredB += n
	}
	// each of B's series is scored once warm (warmup_points 10): 57-10 = 47 batches of 10 points.
	// A's series were seen last, so CLOCK may give them a second chance over B's new series for a
	// batch or two: a few of B's points start their warm-up again.
	assert.GreaterOrEqual(t, scoredB, 460, "B's warm points are scored (there are 470)")
	assert.LessOrEqual(t, counterValue(t, tel, "otelcol_processor_isolationforest_evictions")-evictedByA, int64(20),
		"B's series take the places of A's idle ones and keep them")
}

// max_series is one budget, not a share per shard: with exactly max_series active series spread
// by their hash over 4 shards (never evenly), none is evicted and every warm point is scored.
func TestMaxSeriesHoldsExactlyThatManySeries(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances, cfg.MaxSeries = 4, 1000
	p, sink, tel := startWithTelemetry(t, cfg)
	value := noisy(9)
	for step := 0; step < 20; step++ {
		require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("m", step, 1000, func(s int) float64 { return value(step, s) })))
	}
	scored := 0
	for _, md := range sink.AllMetrics() {
		n, _ := flagsOf(t, md)
		scored += n
	}
	assert.Zero(t, counterValue(t, tel, "otelcol_processor_isolationforest_evictions"))
	assert.Equal(t, (20-cfg.WarmupPoints)*1000, scored, "every point after the warm-up")
}

// Series idle longer than series_ttl are forgotten; model groups idle for 30 minutes are released
// (their forests and entries), so metric-name churn does not hold memory forever.
func TestIdleSeriesAndGroupsAreReleased(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances, cfg.MaxSeries = 2, 10
	p := newInternal(t, cfg)
	clock := time.Unix(1_800_000_000, 0)
	p.now = func() time.Time { return clock }
	for name := 0; name < 400; name++ {
		for step := 0; step < 15; step++ { // warm: the point reaches its group's forest
			md := gaugeBatch("churn_"+strconv.Itoa(name), step, 1, func(int) float64 { return float64(step) })
			_, err := p.processMetrics(context.Background(), md)
			require.NoError(t, err)
		}
	}
	groups, _ := p.groupsHeld()
	assert.Equal(t, 400, groups, "a model entry per metric name while they are active")
	assert.Equal(t, 10, p.seriesHeld(), "max_series holds")
	clock = clock.Add(2 * time.Hour) // idle beyond series_ttl (1h) and the group idle timeout (30m)
	_, err := p.processMetrics(context.Background(), gaugeBatch("other", 0, 1, func(int) float64 { return 1 }))
	require.NoError(t, err)
	groups, forests := p.groupsHeld()
	assert.Zero(t, groups, "no model entry is left (the metric that just arrived is still warming up)")
	assert.Zero(t, forests)
	assert.Equal(t, 1, p.seriesHeld(), "idle series expired")
}

// Fault 2: a metric scored twice (two processors in a row) stays the same series for the second
// one: its own output attributes never join the identity, companion gauges are not scored.
func TestScoredTwiceStaysOneSeries(t *testing.T) {
	for _, mode := range []string{OutputModeAttributes, OutputModeMetrics} {
		t.Run(mode, func(t *testing.T) {
			cfg := createDefaultConfig()
			cfg.OutputMode = mode
			first, second := newInternal(t, cfg), newInternal(t, cfg)
			value := noisy(9)
			for step := 0; step < 100; step++ {
				md := gaugeBatch("latency", step, 5, func(s int) float64 { return value(step, s) })
				md, err := first.processMetrics(context.Background(), md)
				require.NoError(t, err)
				_, err = second.processMetrics(context.Background(), md)
				require.NoError(t, err)
			}
			assert.Equal(t, 5, first.seriesHeld())
			assert.Equal(t, 5, second.seriesHeld(), "5 real series, however they were scored upstream")
		})
	}
}

// Fault 8: attribute values hash with their type: {ok: 2} and {ok: true} are two series, as are
// {ok: 5} and {ok: false}.
func TestTypedAttributeIdentity(t *testing.T) {
	p := newInternal(t, createDefaultConfig())
	md := pmetric.NewMetrics()
	dps := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	dps.SetName("flags")
	g := dps.SetEmptyGauge().DataPoints()
	g.AppendEmpty().Attributes().PutInt("ok", 2)
	g.AppendEmpty().Attributes().PutBool("ok", true)
	g.AppendEmpty().Attributes().PutInt("ok", 5)
	g.AppendEmpty().Attributes().PutBool("ok", false)
	for i := 0; i < g.Len(); i++ {
		g.At(i).SetTimestamp(pcommon.NewTimestampFromTime(testEpoch))
	}
	_, err := p.processMetrics(context.Background(), md)
	require.NoError(t, err)
	assert.Equal(t, 4, p.seriesHeld())
}

// Fault 7: instances 0 resolves GOMAXPROCS once, when the processor is created; raising
// GOMAXPROCS before start (Go follows cgroup limits) changes nothing.
func TestInstancesFixedAtCreation(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(before)
	cfg := createDefaultConfig()
	cfg.Instances = 0
	runtime.GOMAXPROCS(1)
	p, sink := startTestProcessorAfter(t, cfg, func() { runtime.GOMAXPROCS(before + 3) })
	for step := 0; step < 20; step++ {
		require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("cpu", step, 50, func(s int) float64 { return float64(s) })))
	}
	assert.Equal(t, 1000, sink.DataPointCount()-countCompanionPoints(sink.AllMetrics()))
}

// Fault 4: a counter whose process restarts (new start time, next value just above the old one)
// starts a new baseline: no rate is computed across the restart and nothing is flagged.
func TestCounterRestartByStartTime(t *testing.T) {
	cfg := createDefaultConfig()
	p, sink, tel := startWithTelemetry(t, cfg)
	start := testEpoch.Add(-time.Hour)
	total := 1000.0
	for step := 0; step < 200; step++ {
		if step == 150 { // the process restarts: a new start time, and its counter starts near where it was
			start = testEpoch.Add(time.Duration(step)*10*time.Second - time.Second)
			total += 1
		} else {
			total += 50 + float64(step%5)
		}
		v := total
		require.NoError(t, p.ConsumeMetrics(context.Background(), counterBatch("requests_total", step, 1, start, func(int) float64 { return v })))
	}
	for step, md := range sink.AllMetrics() {
		_, onsets := flagsOf(t, md)
		assert.Zero(t, onsets, "step %d: a restart is not an anomaly", step)
	}
	assert.Equal(t, int64(2), counterValue(t, tel, "otelcol_processor_isolationforest_points_unscored", "reason", "baseline"),
		"the first point and the first point after the restart are baselines")
}

// Fault 5: a batch delivered twice and a point older than the last are neither scored nor learnt:
// they pass through unscored, and the series goes on exactly as without them.
func TestDuplicatesAndOutOfOrderAreNotScored(t *testing.T) {
	run := func(replay bool) ([]float64, *isolationForestProcessor) {
		value := noisy(11)
		p := newInternal(t, createDefaultConfig())
		var scores []float64
		for step := 0; step < 120; step++ {
			md := gaugeBatch("temp", step, 1, func(s int) float64 { return value(step, s) })
			var dup, old pmetric.Metrics
			if replay {
				dup, old = pmetric.NewMetrics(), gaugeBatch("temp", step-34, 1, func(int) float64 { return 1e6 })
				md.CopyTo(dup)
			}
			out, err := p.processMetrics(context.Background(), md)
			require.NoError(t, err)
			for _, s := range scoresOf(t, out) {
				scores = append(scores, s.score)
			}
			if replay && step >= 40 && step%10 == 0 {
				for _, extra := range []pmetric.Metrics{dup, old} {
					out, err := p.processMetrics(context.Background(), extra)
					require.NoError(t, err)
					assert.Empty(t, scoresOf(t, out), "step %d: a duplicate or out-of-order point gets no score", step)
					assert.Equal(t, 1, out.DataPointCount(), "and passes through")
				}
			}
		}
		return scores, p
	}
	clean, _ := run(false)
	replayed, _ := run(true)
	assert.Equal(t, clean, replayed, "duplicates and late points change nothing")
}

// Fault 10: a summary's tail is its highest quantile by value of q, not its last entry.
func TestSummaryUsesHighestQuantile(t *testing.T) {
	cfg := createDefaultConfig()
	p := newInternal(t, cfg)
	var seen []float64
	judged = func(o *observation, _ *seriesState) { seen = append(seen, o.Q) }
	defer func() { judged = nil }()
	for step := 0; step < 20; step++ {
		md := pmetric.NewMetrics()
		m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("rpc_duration")
		dp := m.SetEmptySummary().DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * time.Second)))
		dp.SetCount(uint64(100 * (step + 1)))
		dp.SetSum(float64(10 * (step + 1)))
		for _, q := range [][2]float64{{0.99, 0.9}, {0.5, 0.1}, {0.9, 0.5}} { // not in order
			v := dp.QuantileValues().AppendEmpty()
			v.SetQuantile(q[0])
			v.SetValue(q[1])
		}
		_, err := p.processMetrics(context.Background(), md)
		require.NoError(t, err)
	}
	require.NotEmpty(t, seen)
	for _, q := range seen {
		assert.Equal(t, 0.9, q, "the p99 value")
	}
}

// Every metric type is scored, nothing is lost, and the output attributes appear.
func TestEveryMetricType(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.OutputMode = OutputModeAttributes
	p, sink := startTestProcessor(t, cfg)
	for step := 0; step < 30; step++ {
		require.NoError(t, p.ConsumeMetrics(context.Background(), allTypes(step)))
	}
	types := map[string]bool{}
	for _, md := range sink.AllMetrics() {
		for _, s := range scoresOf(t, md) {
			types[s.metric] = true
		}
	}
	for _, name := range []string{"gauge", "updown", "delta_sum", "cum_sum", "delta_hist", "cum_hist", "exp_hist", "summary"} {
		assert.True(t, types[name], "%s scored", name)
	}
	assert.Equal(t, 30*8, sink.DataPointCount())
}

// allTypes is one step of one series of every metric type.
func allTypes(step int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	ts := pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * 10 * time.Second))
	start := pcommon.NewTimestampFromTime(testEpoch.Add(-time.Minute))
	f := float64(step)
	number := func(name string, sum bool, mono bool, temp pmetric.AggregationTemporality, v float64) {
		m := ms.AppendEmpty()
		m.SetName(name)
		var dp pmetric.NumberDataPoint
		if sum {
			s := m.SetEmptySum()
			s.SetIsMonotonic(mono)
			s.SetAggregationTemporality(temp)
			dp = s.DataPoints().AppendEmpty()
		} else {
			dp = m.SetEmptyGauge().DataPoints().AppendEmpty()
		}
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(v)
	}
	number("gauge", false, false, 0, 5+float64(step%3))
	number("updown", true, false, pmetric.AggregationTemporalityCumulative, 100+float64(step%4))
	number("delta_sum", true, true, pmetric.AggregationTemporalityDelta, 7+float64(step%2))
	number("cum_sum", true, true, pmetric.AggregationTemporalityCumulative, 10*f+float64(step%3))
	hist := func(name string, temp pmetric.AggregationTemporality, count uint64, sum float64) {
		m := ms.AppendEmpty()
		m.SetName(name)
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(temp)
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetCount(count)
		dp.SetSum(sum)
	}
	hist("delta_hist", pmetric.AggregationTemporalityDelta, 10+uint64(step%3), 50+f)
	hist("cum_hist", pmetric.AggregationTemporalityCumulative, 10*uint64(step+1), 55*(f+1))
	eh := ms.AppendEmpty()
	eh.SetName("exp_hist")
	e := eh.SetEmptyExponentialHistogram()
	e.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	edp := e.DataPoints().AppendEmpty()
	edp.SetTimestamp(ts)
	edp.SetCount(20 + uint64(step%2))
	edp.SetSum(200 + f)
	sm := ms.AppendEmpty()
	sm.SetName("summary")
	sdp := sm.SetEmptySummary().DataPoints().AppendEmpty()
	sdp.SetStartTimestamp(start)
	sdp.SetTimestamp(ts)
	sdp.SetCount(10 * uint64(step+1))
	sdp.SetSum(30 * (f + 1))
	q := sdp.QuantileValues().AppendEmpty()
	q.SetQuantile(0.99)
	q.SetValue(9 + float64(step%2))
	return md
}

// Concurrent batches over the same series: no race (run with -race), nothing lost.
func TestConcurrentBatches(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 3
	p, sink := startTestProcessor(t, cfg)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			for step := 0; step < 40; step++ {
				require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("m"+strconv.Itoa(step%3), step*4+w, 30, func(s int) float64 { return float64(s * step) })))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 4*40*30, sink.DataPointCount()-countCompanionPoints(sink.AllMetrics()))
}

// A batch large enough to run its shards in parallel, and attributes in another order: same series.
func TestLargeBatchAndAttributeOrder(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 4
	p := newInternal(t, cfg)
	const series = 5000
	batch := func(step int, zoneFirst bool) pmetric.Metrics {
		md := pmetric.NewMetrics()
		m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("big")
		dps := m.SetEmptyGauge().DataPoints()
		for s := 0; s < series; s++ {
			dp := dps.AppendEmpty()
			if zoneFirst {
				dp.Attributes().PutStr("zone", "a")
				dp.Attributes().PutStr("instance", strconv.Itoa(s))
			} else {
				dp.Attributes().PutStr("instance", strconv.Itoa(s))
				dp.Attributes().PutStr("zone", "a")
			}
			dp.SetTimestamp(pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * time.Second)))
			dp.SetDoubleValue(float64(s))
		}
		return md
	}
	for step := 0; step < 4; step++ {
		out, err := p.processMetrics(context.Background(), batch(step, step%2 == 0))
		require.NoError(t, err)
		assert.Equal(t, series, out.DataPointCount(), "nothing lost (no companions during warm-up)")
	}
	assert.Equal(t, series, p.seriesHeld(), "the order of attributes does not make new series")
}

func countCompanionPoints(mds []pmetric.Metrics) int {
	n := 0
	for _, md := range mds {
		eachPoint(md, func(m pmetric.Metric, _ pcommon.Map) {
			if len(m.Name()) > len("_anomaly_score") && m.Name()[len(m.Name())-len("_anomaly_score"):] == "_anomaly_score" {
				n++
			}
		})
	}
	return n
}

// The state kept for every series stays small (README "Memory"): the figures quoted there.
func TestSeriesStateSize(t *testing.T) {
	slot := unsafe.Sizeof(series.Slot[seriesState]{})
	t.Logf("per series: slot %d B (state %d B) + 8-16 B of index; seasonal pattern %d B once a series has a day of history",
		slot, unsafe.Sizeof(seriesState{}), unsafe.Sizeof(detect.Season{}))
	assert.LessOrEqual(t, int(slot), 256, "per-series state within 256 B")
	assert.LessOrEqual(t, int(unsafe.Sizeof(detect.Season{})), 200, "seasonal pattern")
}
