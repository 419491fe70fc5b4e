package isolationforestprocessor

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// fakeClockProcessor starts a processor whose refresh clock the test moves.
func fakeClockProcessor(t *testing.T, cfg *Config) (*isolationForestProcessor, *time.Time, *componenttest.Telemetry) {
	t.Helper()
	ctx := context.Background()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	p, err := newProcessor(set, cfg)
	require.NoError(t, err)
	clock := testEpoch
	p.now = func() time.Time { return clock }
	require.NoError(t, p.start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.shutdown(ctx)) })
	return p, &clock, tel
}

// refreshes is the number of forest_update calls so far.
func refreshes(t *testing.T, tel *componenttest.Telemetry) uint64 {
	m, err := tel.GetMetric("otelcol_processor_isolationforest_model_refresh_duration")
	if err != nil {
		return 0
	}
	var n uint64
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		n += dp.Count
	}
	return n
}

// Learning follows the clock, not the ingest rate: once a forest has trees it is refreshed at most
// once per refresh_interval, with at most refresh_points vectors, however many batches arrive.
func TestRefreshIntervalBoundsLearning(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 1
	cfg.WarmupPoints = 2
	cfg.SampleSize = 16
	cfg.WindowSize = 64
	cfg.RefreshPoints = 8
	p, clock, tel := fakeClockProcessor(t, cfg)
	value := noisy(3)
	step := 0
	consume := func() {
		md := gaugeBatch("cpu", step, 10, func(s int) float64 { return value(step, s) })
		_, err := p.processMetrics(context.Background(), md)
		require.NoError(t, err)
		step++
	}
	for range 5 { // warm-up (2 batches), then every vector until the window holds 16
		consume()
	}
	m := p.shards[0].models[hashString("cpu")]
	require.True(t, m.fitted, "forest has trees")
	base := refreshes(t, tel)
	for range 50 { // a burst within one interval: learning waits
		consume()
	}
	assert.LessOrEqual(t, refreshes(t, tel)-base, uint64(1), "at most one refresh per interval")
	assert.Len(t, m.learn.rows, 8*featureDims, "the sample is bounded by refresh_points")
	assert.Greater(t, m.learn.seen, uint64(400), "every vector of the interval competed for it")
	before := refreshes(t, tel)
	*clock = clock.Add(cfg.RefreshInterval)
	consume()
	assert.Equal(t, before+1, refreshes(t, tel), "the interval passed: one refresh")
	assert.Empty(t, m.learn.rows, "the sample was fed and drained")
}

// Algorithm R: every offered vector has the same chance to be in the sample.
func TestReservoirIsUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const offered, size, rounds = 1000, 50, 400
	var firstHalf, secondHalf int
	for range rounds {
		r := reservoir{size: size}
		for i := range offered {
			r.offer(float64(i), 0, rng)
		}
		require.Len(t, r.rows, size*featureDims)
		for j := 0; j < len(r.rows); j += featureDims {
			if r.rows[j] < offered/2 {
				firstHalf++
			} else {
				secondHalf++
			}
		}
		r.drain()
		require.Empty(t, r.rows)
	}
	total := float64(firstHalf + secondHalf)
	assert.InDelta(t, 0.5, float64(firstHalf)/total, 0.03, "early and late vectors equally likely")
}

func TestSnapAndCache(t *testing.T) {
	g := newGrid(0.01)
	unsquash := func(f float64) float64 { return math.Copysign(math.Expm1(math.Abs(f)), f) }
	snap := func(f0, f1 float64) uint32 { return g.cellOfZ(unsquash(f0), unsquash(f1)) }
	cellA := snap(0.004, -0.006)
	c0, c1 := cellCentre(int16(cellA>>16), int16(cellA), 0.01)
	assert.InDelta(t, 0, c0, 1e-12)
	assert.InDelta(t, -0.01, c1, 1e-3, "fine cells near the centre")
	assert.Equal(t, cellA, snap(-0.004, -0.012), "same cell")
	assert.NotEqual(t, cellA, snap(-0.004, 0.006))
	far := snap(5, 5)
	assert.Equal(t, far, snap(5.01, 4.99), "cells widen away from the centre")
	fine := newGrid(minScoreCache)
	assert.Equal(t, packCell(exactCell(-maxFeature, minScoreCache), exactCell(maxFeature, minScoreCache)), fine.cellOfZ(-maxZ, maxZ),
		"the full feature range fits the packing")
	// The borders in z give the cell that the definition gives for the feature squash(z).
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		z := r.NormFloat64() * 5
		assert.Equal(t, exactCell(squash(z), 0.01), g.axis(z), "z=%v", z)
	}
	for _, f := range []float64{-13.8, -2, -0.3, 0, 0.7, 3, 13.8} {
		assert.InDelta(t, f, unwarp(warp(f)), 1e-9)
	}

	var c scoreCache
	_, hit := c.lookup(cellA)
	assert.False(t, hit)
	block, at := cellIndex(cellA)
	scores := make([]float64, blockCells)
	scores[at] = 0.42
	c.store(block, scores)
	got, hit := c.lookup(cellA)
	assert.True(t, hit)
	assert.InDelta(t, 0.42, got, 1e-7)
	// The block's rows are the centres of its cells, in blockCells order.
	rows := blockRows(nil, block, 0.01)
	assert.Equal(t, snap(rows[2*at], rows[2*at+1]), cellA)
	c.invalidate()
	_, hit = c.lookup(cellA)
	assert.False(t, hit, "a changed forest forgets every score")
}

// The memoised scores stay close to the exact ones, the same points are flagged, and nothing is
// lost: both processors see the same data with the same clock (the forests are identical; only
// the score cache differs).
func TestScoreCacheCloseToExact(t *testing.T) {
	scores := func(resolution float64) []float64 {
		cfg := createDefaultConfig()
		cfg.Instances = 1
		cfg.ScoreCache = resolution
		cfg.ScorePrecision = 17
		p, clock, _ := fakeClockProcessor(t, cfg)
		value := noisy(5)
		var out []float64
		for step := range 200 {
			*clock = testEpoch.Add(time.Duration(step) * time.Second) // a refresh every 10 batches
			md := gaugeBatch("latency", step, 30, func(s int) float64 {
				v := value(step, s)
				if step%40 == 27 && s%5 == 0 {
					v += 60
				}
				return v
			})
			out2, err := p.processMetrics(context.Background(), md)
			require.NoError(t, err)
			eachPoint(out2, func(_ pmetric.Metric, attrs pcommon.Map) {
				if sv, ok := attrs.Get(attrScore); ok {
					f, err := strconv.ParseFloat(sv.Str(), 64)
					require.NoError(t, err)
					out = append(out, f)
				} else {
					out = append(out, math.NaN())
				}
			})
		}
		return out
	}
	exact, cached := scores(0), scores(defaultScoreCache)
	require.Len(t, cached, len(exact))
	var sum, worst float64
	var n, flips int
	for i := range exact {
		if math.IsNaN(exact[i]) || math.IsNaN(cached[i]) {
			require.Equal(t, math.IsNaN(exact[i]), math.IsNaN(cached[i]), "point %d scored in one run only", i)
			continue
		}
		d := math.Abs(exact[i] - cached[i])
		sum += d
		worst = max(worst, d)
		n++
		if (exact[i] >= defaultThreshold) != (cached[i] >= defaultThreshold) {
			flips++
		}
	}
	require.Positive(t, n)
	t.Logf("score cache %v vs exact over %d points: mean |diff| %.5f, max %.5f, is_anomaly changed %d", defaultScoreCache, n, sum/float64(n), worst, flips)
	assert.Less(t, sum/float64(n), 0.005)
	assert.Less(t, worst, 0.05)
	assert.LessOrEqual(t, float64(flips)/float64(n), 0.002)
}
