package isolationforestprocessor

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Point kinds: how a data point's raw numbers turn into the two signals.
const (
	kindGauge     uint8 = iota // x = value
	kindDeltaSum               // x = value of the interval
	kindCumSum                 // x = running total: becomes a rate
	kindDeltaHist              // x = sum, y = count of the interval (histograms, exponential histograms)
	kindCumHist                // x = running sum, y = running count
	kindSummary                // x = running sum, y = running count, q = highest quantile
)

// observation is one data point of a batch on its way through the processor.
type observation struct {
	key, group uint64      // series identity and model group
	attrs      pcommon.Map // the data point's attributes (output is written here)
	time       uint64      // data point timestamp (ns)
	x, y, q    float64
	kind       uint8
	hasSum     bool // histograms: sum present
	hasQ       bool // summaries: a quantile present
	scored     bool
	metric     int32 // index into the batch's metric list (metrics output mode)
	slot       int32 // the series' state slot found before processing, or -1
	score      float64
}

// signals derives the two signals of o from the series' previous point and records o as the new
// previous point. ok is false when o carries no usable information yet (first point of a
// cumulative series, a counter reset, a timestamp that does not move forward).
func signals(st *seriesState, o *observation) (a, b float64, ok bool) {
	switch o.kind {
	case kindGauge, kindDeltaSum:
		a = o.x
		if st.count > 0 {
			b = a - st.prevA
		}
		return a, b, true
	case kindDeltaHist:
		if o.y <= 0 {
			return 0, 0, false
		}
		if !o.hasSum {
			a = o.y
			if st.count > 0 {
				b = a - st.prevA
			}
			return a, b, true
		}
		return o.x / o.y, o.y, true
	}
	// Cumulative kinds: differences against the previous point.
	first := st.lastTime == 0
	prevT, prevX, prevY := st.lastTime, st.prevX, st.prevY
	if !first && o.time <= prevT {
		return 0, 0, false // out of order or duplicate: keep the baseline
	}
	st.lastTime, st.prevX, st.prevY = o.time, o.x, o.y
	if first || o.x < prevX && o.kind == kindCumSum || o.y < prevY {
		return 0, 0, false // new baseline, or a reset of the counter
	}
	dt := float64(o.time-prevT) / 1e9
	if o.kind == kindCumSum {
		a = (o.x - prevX) / dt
		if st.count > 0 {
			b = a - st.prevA
		}
		return a, b, true
	}
	dy := o.y - prevY
	rate := dy / dt
	switch {
	case o.kind == kindSummary && o.hasQ:
		b = o.q
	default:
		b = rate
	}
	switch {
	case dy > 0 && o.hasSum:
		a = (o.x - prevX) / dy // mean of the observations in this interval
	case o.hasSum:
		a = st.prevA // nothing observed in the interval: the mean did not move
	default:
		a = rate
		if o.kind != kindSummary || !o.hasQ {
			b = 0
			if st.count > 0 {
				b = a - st.prevA
			}
		}
	}
	return a, b, true
}

// zScores turns o into the z-scores of its two signals against the series' history, updating the
// series' statistics; the feature vector is (squash(z0), squash(z1)). warm is false while the
// series is in warm-up (then the scores are not computed). ok is false when the point carries no
// usable signal.
func zScores(st *seriesState, o *observation, warmup uint32) (z0, z1 float64, warm, ok bool) {
	a, b, ok := signals(st, o)
	if !ok || !isFinite(a) || !isFinite(b) {
		return 0, 0, false, false
	}
	warm = st.count >= warmup
	if warm {
		z0, z1 = st.a.z(a), st.b.z(b)
	}
	if st.count < math.MaxUint32 {
		st.count++
	}
	st.a.add(a, st.count, warm)
	st.b.add(b, st.count, warm)
	st.prevA = a
	return z0, z1, warm, true
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
