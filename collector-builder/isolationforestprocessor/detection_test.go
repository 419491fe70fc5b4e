package isolationforestprocessor

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Detection behaviour with the default settings, on the small inputs an on-call engineer meets
// (each named after what it checks). The NAB benchmark (npm run bench:detection) measures the
// same detector on real streams.

// seriesAt is one point of one gauge series at time t.
func seriesAt(name string, t time.Time, v float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(t))
	dp.SetDoubleValue(v)
	return md
}

// run feeds values (one point each, step apart from testEpoch) through a processor with cfg and
// returns each point's score (NaN when unscored) and whether it opened an alarm.
func run(t *testing.T, cfg *Config, name string, step time.Duration, values []float64) (scores []float64, onsets []bool) {
	t.Helper()
	p := newInternal(t, cfg)
	for i, v := range values {
		out, err := p.processMetrics(context.Background(), seriesAt(name, testEpoch.Add(time.Duration(i)*step), v))
		require.NoError(t, err)
		s := scoresOf(t, out)
		if len(s) == 0 {
			scores, onsets = append(scores, math.NaN()), append(onsets, false)
			continue
		}
		scores, onsets = append(scores, s[0].score), append(onsets, s[0].anomalous)
	}
	return scores, onsets
}

func onsetIndices(onsets []bool) []int {
	var at []int
	for i, o := range onsets {
		if o {
			at = append(at, i)
		}
	}
	return at
}

// A gauge at 42 for 300 points, then 1000 for 3 points: the change from a constant is the clearest
// anomaly there is, and one alarm (the sustained change is one episode).
func TestChangeFromConstantIsFlagged(t *testing.T) {
	values := make([]float64, 303)
	for i := range values {
		values[i] = 42
		if i >= 300 {
			values[i] = 1000
		}
	}
	scores, onsets := run(t, createDefaultConfig(), "pool_size", 15*time.Second, values)
	assert.Equal(t, []int{300}, onsetIndices(onsets))
	assert.Greater(t, scores[300], 0.99)
	for i := 20; i < 300; i++ {
		require.Less(t, scores[i], 0.01, "point %d of the constant", i)
	}
}

// A cumulative counter that rises by 1 with probability 0.05 per 15 s step, 1000 points, no
// incident: ordinary increments of a sparse, low-rate counter do not alarm (at most 1%).
func TestSparseCounterRarelyAlarms(t *testing.T) {
	p, sink := startTestProcessor(t, createDefaultConfig())
	r := rand.New(rand.NewPCG(3, 4))
	total := 0.0
	start := testEpoch.Add(-time.Minute)
	for step := 0; step < 1000; step++ {
		if r.Float64() < 0.05 {
			total++
		}
		v := total
		md := counterBatch("rare_errors_total", step, 1, start, func(int) float64 { return v })
		dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * 15 * time.Second)))
		require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	}
	var scored, flagged int
	for _, md := range sink.AllMetrics() {
		n, o := flagsOf(t, md)
		scored, flagged = scored+n, flagged+o
	}
	t.Logf("%d of %d scored points flagged", flagged, scored)
	require.Greater(t, scored, 900)
	assert.LessOrEqual(t, float64(flagged)/float64(scored), 0.01)
}

// Noise with a few large spikes: each spike higher than any before opens one alarm; a spike no
// higher than one the series showed recently (within range_horizon points) is part of its
// behaviour and does not; ordinary points never alarm.
func TestSpikesAreFlagged(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	values := make([]float64, 1300)
	spikes := map[int]float64{400: 100, 700: 200, 1000: 300, 1150: 290}
	for i := range values {
		values[i] = 100 + r.NormFloat64()*5 + spikes[i]
	}
	_, onsets := run(t, createDefaultConfig(), "latency_ms", 15*time.Second, values)
	assert.Equal(t, []int{400, 700, 1000}, onsetIndices(onsets))
}

// A level shift that lasts: one alarm at its start, however long it lasts; the series learns its
// new level and does not alarm again.
func TestSustainedShiftIsOneAlarm(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	values := make([]float64, 1500)
	for i := range values {
		values[i] = 50 + r.NormFloat64()*2
		if i >= 800 {
			values[i] += 30
		}
	}
	_, onsets := run(t, createDefaultConfig(), "queue_depth", 15*time.Second, values)
	at := onsetIndices(onsets)
	require.Len(t, at, 1, "one alarm: %v", at)
	assert.InDelta(t, 800, at[0], 3, "at the shift")
}

// A daily pattern learnt from the points' timestamps (5-minute points with gaps of several hours):
// a departure from the pattern alarms at an hour when the value would be ordinary at another.
func TestDailyPatternFromTimestamps(t *testing.T) {
	const step = 5 * time.Minute
	var values []float64
	var times []time.Time
	r := rand.New(rand.NewPCG(9, 10))
	day := func(ts time.Time) bool { h := ts.UTC().Hour(); return h >= 8 && h < 18 }
	anomaly := testEpoch.Add(10*24*time.Hour + 12*time.Hour) // noon of day 10
	for ts := testEpoch; ts.Before(testEpoch.Add(12 * 24 * time.Hour)); ts = ts.Add(step) {
		if ts.Hour() == 3 && ts.YearDay()%3 == 0 { // gaps: some nights have no points at all
			ts = ts.Add(3 * time.Hour)
		}
		v := 20 + r.NormFloat64()
		if day(ts) {
			v = 80 + r.NormFloat64()
		}
		if !ts.Before(anomaly) && ts.Before(anomaly.Add(2*time.Hour)) {
			v = 20 + r.NormFloat64() // the night level at noon: the daily pattern broke
		}
		values = append(values, v)
		times = append(times, ts)
	}
	p := newInternal(t, createDefaultConfig())
	var onsets []time.Time
	for i, v := range values {
		out, err := p.processMetrics(context.Background(), seriesAt("requests_per_s", times[i], v))
		require.NoError(t, err)
		for _, s := range scoresOf(t, out) {
			if s.anomalous {
				onsets = append(onsets, times[i])
			}
		}
	}
	var late []time.Time
	for _, o := range onsets {
		if o.After(testEpoch.Add(3 * 24 * time.Hour)) { // once the pattern is learnt
			late = append(late, o)
		}
	}
	require.Len(t, late, 1, "one alarm after the pattern is learnt: %v", late)
	assert.WithinDuration(t, anomaly, late[0], 15*time.Minute)
}

// min_deviation: changes smaller than it, in the metric's unit, are never evidence.
func TestMinDeviation(t *testing.T) {
	values := make([]float64, 400)
	for i := range values {
		values[i] = 3 // a replica count
		if i >= 300 {
			values[i] = 4
		}
	}
	_, onsets := run(t, createDefaultConfig(), "replicas", 15*time.Second, values)
	assert.Equal(t, []int{300}, onsetIndices(onsets), "by default a change from a constant alarms")
	cfg := createDefaultConfig()
	cfg.MinDeviation = 5
	_, onsets = run(t, cfg, "replicas", 15*time.Second, values)
	assert.Empty(t, onsetIndices(onsets), "a change of 1 is below min_deviation 5")
}
