package detect

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func params() *Params {
	return &Params{Warmup: 10, RangeHorizon: 8000, MinRel: 0.001, RangeAlarm: RangeAlarm, ShiftAlarm: ShiftAlarm, SeasonAlarm: SeasonAlarm, Seasonal: true}
}

func TestScoreScale(t *testing.T) {
	assert.Equal(t, 0.0, Score(0))
	assert.InDelta(t, 0.5, Score(1), 1e-15, "at the alarm level")
	assert.InDelta(t, 0.75, Score(2), 1e-15)
	assert.Less(t, Score(1e9), 1.0+1e-15)
}

func TestConfirmationRamp(t *testing.T) {
	assert.Equal(t, 0.0, Confirmation(0.5, 0.55, 0.65))
	assert.InDelta(t, 0.5, Confirmation(0.6, 0.55, 0.65), 1e-12)
	assert.Equal(t, 1.0, Confirmation(0.9, 0.55, 0.65))
}

// Onset opens an episode, scores at or above the resolve level hold it, ResolvePoints scores
// below it close it; only then can the next onset happen.
func TestAlarmEpisodes(t *testing.T) {
	p := &AlarmParams{Threshold: 0.5, Resolve: 0.3, ResolvePoints: 3}
	var a Alarm
	scores := []float64{0.1, 0.6, 0.9, 0.2, 0.4, 0.2, 0.7, 0.1, 0.1, 0.1, 0.8}
	want := []Transition{None, Onset, None, None, None, None, None, None, None, Resolve, Onset}
	for i, s := range scores {
		assert.Equal(t, want[i], a.Step(s, uint64(i+1), DriverRange, p), "point %d (score %v)", i, s)
	}
	assert.Equal(t, 0.8, a.Peak)
}

// The seasonal pattern's slots come from the points' timestamps (UTC hour of day, day of week),
// not from their position in the stream.
func TestSeasonSlotsFromTimestamps(t *testing.T) {
	ts := time.Date(2026, 11, 30, 13, 20, 0, 0, time.UTC) // a Monday, 13:20 UTC
	ns := uint64(ts.UnixNano())
	assert.Equal(t, 13, hourOf(ns))
	assert.Equal(t, weekday(uint64(ts.Add(7*24*time.Hour).UnixNano())), weekday(ns), "a week later")
	assert.NotEqual(t, weekday(uint64(ts.Add(24*time.Hour).UnixNano())), weekday(ns), "a day later")
}

// A series' range evidence: zero inside the range, the distance beyond it in range widths
// outside, discounted while the range has little history.
func TestRangeEvidence(t *testing.T) {
	p := params()
	var s Series
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 1000; i++ {
		st, _ := s.Observe(100+r.NormFloat64(), 0, false, uint64(i+1)*1e9, p)
		require.False(t, math.IsNaN(st.Range))
	}
	width := s.A.Hi - s.A.Lo
	st, warm := s.Observe(s.A.Hi+width*RangeAlarm*2, 0, false, 1001e9, p)
	require.True(t, warm)
	assert.InDelta(t, 2, st.Range, 0.05, "twice the alarm level beyond the range")
	st, _ = s.Observe(100, 0, false, 1002e9, p)
	assert.Zero(t, st.Range, "inside the range")

	var young Series
	for i := 0; i < 50; i++ {
		young.Observe(100+r.NormFloat64(), 0, false, uint64(i+1)*1e9, p)
	}
	w := math.Max(young.A.Hi-young.A.Lo, rangeSigmas*young.A.Long.Std())
	st, _ = young.Observe(young.A.Hi+w*RangeAlarm*2, 0, false, 51e9, p)
	assert.InDelta(t, 2*(50.0/rangeFullPoints)*(50.0/rangeFullPoints), st.Range, 0.01, "a young range counts (n/200)²")
}

// min_deviation: a deviation smaller than it, in the metric's unit, is never evidence.
func TestMinDeviationGatesEvidence(t *testing.T) {
	p := params()
	p.MinAbs = 5
	var s Series
	for i := 0; i < 300; i++ {
		s.Observe(3, 0, false, uint64(i+1)*1e9, p)
	}
	st, _ := s.Observe(4, 0, false, 301e9, p)
	assert.Zero(t, st.Range)
	assert.Zero(t, st.Shift)
	st, _ = s.Observe(30, 0, false, 302e9, p)
	assert.Positive(t, st.Range, "a change of 27 is beyond it")
}

// The 16-point mean is judged against the noise it has shown. A series whose neighbouring points
// move together (AR(1), φ = 0.95: most real metrics are like this, NAB's too) has a 16-point mean
// that wanders about three times further than independent points would make it: that wandering
// alone raises no alarm (against the independent-point noise, as before, 414-585 points of
// 20,000 reached the alarm level for these seeds). A sustained move of independent points, two
// spreads for 30 points, still does.
func TestMediumShiftAgainstItsOwnNoise(t *testing.T) {
	p := params()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) uint64 { return uint64(base.Add(time.Duration(i) * time.Second).UnixNano()) }
	for seed := uint64(1); seed <= 3; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		var wander Series
		x, loud := 0.0, 0
		for i := 0; i < 20000; i++ {
			x = 0.95*x + r.NormFloat64()
			if st, _ := wander.Observe(100+x, 0, false, at(i), p); st.Shift >= 1 {
				loud++
			}
		}
		assert.Less(t, loud, 10, "seed %d: points at the shift alarm level in 20,000 of a correlated series without incidents", seed)

		var moved Series
		for i := 0; i < 600; i++ {
			moved.Observe(100+r.NormFloat64(), 0, false, at(i), p)
		}
		strongest := 0.0
		for i := 600; i < 630; i++ {
			st, _ := moved.Observe(102+r.NormFloat64(), 0, false, at(i), p)
			strongest = math.Max(strongest, st.Shift)
		}
		assert.GreaterOrEqual(t, strongest, 1.0, "seed %d: a move of two spreads for 30 points reaches the alarm level", seed)
	}
}
