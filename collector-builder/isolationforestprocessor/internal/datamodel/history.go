package datamodel

import "math"

// History is what a series remembers of its previous point, to turn the next one into signals
// (40 bytes).
type History struct {
	Time  uint64  // timestamp of the previous accepted point (ns)
	Start uint64  // its start timestamp (cumulative kinds; 0 when unset)
	X, Y  float64 // its running total / sum and count (cumulative kinds)
	Mean  float64 // the previous interval mean (cumulative histograms and summaries)
	Kind  Kind
}

// Verdict says what a point is to its series.
type Verdict uint8

const (
	Usable     Verdict = iota // the point has signals: it is scored and learnt from
	Baseline                  // first point of a cumulative series, or after a reset: remembered only
	Duplicate                 // the same timestamp as the previous point
	OutOfOrder                // older than the previous point
	NonFinite                 // NaN or ±Inf in its numbers
	Empty                     // an interval without observations and no mean to keep (delta histograms; a cumulative one before its first observation)
	Restart                   // the metric's kind or temporality changed: the series starts over
)

// String names the verdict (for telemetry attributes).
func (v Verdict) String() string {
	return [...]string{"usable", "baseline", "duplicate", "out_of_order", "non_finite", "empty", "restart"}[v]
}

// Next derives the signals of p from the previous point and, unless p is a duplicate, out of
// order or not finite, makes p the previous point: a, the series' primary signal (a gauge's or
// delta's value, a counter's rate per second, a histogram's or summary's interval mean), and for
// histograms and summaries b (the count rate, or the highest quantile) with hasB.
//
// Resets follow the data model: a cumulative point whose start timestamp differs from the
// previous one's, or whose total went down, starts a new baseline instead of yielding a rate
// across the restart. Restart means the series' kind changed (for example delta to cumulative):
// the caller forgets what it learnt of the series, and p starts its new history.
func (h *History) Next(p *Point) (a, b float64, hasB bool, v Verdict) {
	if !finite(p.X) || !finite(p.Y) || p.HasQ && !finite(p.Q) {
		return 0, 0, false, NonFinite
	}
	restart := h.Kind != 0 && h.Kind != p.Kind
	if restart {
		*h = History{}
	}
	if h.Time != 0 {
		switch {
		case p.Time == h.Time:
			return 0, 0, false, Duplicate
		case p.Time < h.Time:
			return 0, 0, false, OutOfOrder
		}
	}
	prev := *h
	h.Time, h.Start, h.X, h.Y, h.Kind = p.Time, p.Start, p.X, p.Y, p.Kind
	if restart {
		return 0, 0, false, Restart
	}
	switch p.Kind {
	case KindGauge, KindDeltaSum:
		return p.X, 0, false, Usable
	case KindDeltaHist:
		if p.Y <= 0 {
			return 0, 0, false, Empty
		}
		if !p.HasSum {
			return p.Y, 0, false, Usable
		}
		return p.X / p.Y, p.Y, true, Usable
	}
	// Cumulative kinds: differences against the previous point.
	reset := prev.Start != 0 && p.Start != 0 && p.Start != prev.Start ||
		p.X < prev.X && p.Kind == KindCumSum || p.Y < prev.Y
	if prev.Time == 0 || reset {
		// An interval in which nothing is observed keeps the mean of the last one that observed
		// something; until the first such interval, that is the mean of all observed so far. With
		// nothing observed yet there is no mean (NaN): such intervals pass unscored. (Taking 0
		// instead taught a sparse series, such as the error spans of one route, that its mean was
		// a constant 0, and its first later error then alarmed as a change from that constant.)
		h.Mean = math.NaN()
		if p.HasSum && p.Y > 0 {
			h.Mean = p.X / p.Y
		}
		return 0, 0, false, Baseline
	}
	dt := float64(p.Time-prev.Time) / 1e9
	if p.Kind == KindCumSum {
		return (p.X - prev.X) / dt, 0, false, Usable
	}
	dy := p.Y - prev.Y
	rate := dy / dt
	switch {
	case dy > 0 && p.HasSum:
		a = (p.X - prev.X) / dy // mean of the observations in this interval
	case p.HasSum:
		if math.IsNaN(prev.Mean) {
			return 0, 0, false, Empty // nothing observed since the series began: no mean yet
		}
		a = prev.Mean // nothing observed in the interval: the mean did not move
	default:
		return rate, 0, false, Usable
	}
	h.Mean = a
	if p.Kind == KindSummary && p.HasQ {
		return a, p.Q, true, Usable
	}
	return a, rate, true, Usable
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
