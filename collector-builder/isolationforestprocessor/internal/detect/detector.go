package detect

import "math"

// Params are the detection settings shared by all series of a processor.
type Params struct {
	Warmup uint32 // points a series must have seen before its evidence is trusted
	// RangeHorizon: how slowly a series' remembered range (and its seasonal record) shrinks back,
	// in points.
	RangeHorizon uint32
	// MinAbs and MinRel floor every spread a deviation is measured against:
	// max(MinAbs, MinRel·|level|), in the metric's own unit.
	MinAbs, MinRel float64
	// The alarm level of each kind of evidence (see Series.Observe).
	RangeAlarm, ShiftAlarm, SeasonAlarm float64
	// Seasonal: learn daily and weekly patterns.
	Seasonal bool
}

// Series is one series' detection state: its signals' statistics and, once it has a day of
// history, its seasonal pattern.
type Series struct {
	A      Signal  // the primary signal
	B      *Signal // the second signal of histograms and summaries (allocated for them only)
	Season *Season // nil until the series has sent points a day apart (or with Seasonal off)
	N      uint32  // points seen (saturating)
	First  uint64  // timestamp of the first point (ns), until Season is allocated
}

// Strength is one point's evidence, each kind divided by its alarm level (1 = at the level), and
// for each kind what the series' history expected and what the point showed (its explanation).
type Strength struct {
	Range, Shift, Season float64
	Expected, Observed   [3]float64 // by kind: range, shift, season
	OnB                  [3]bool    // the kind's evidence came from the second signal
}

// Explain returns what drove kind d: the history's expectation, the observation, and whether it
// was the point's second signal.
func (s *Strength) Explain(d Driver) (expected, observed float64, onB bool) {
	i := int(d) - int(DriverRange)
	if i < 0 || i > 2 {
		return 0, 0, false
	}
	return s.Expected[i], s.Observed[i], s.OnB[i]
}

// Max is the strongest kind of evidence and its name.
func (s Strength) Max() (float64, Driver) {
	x, d := s.Range, DriverRange
	if s.Shift > x {
		x, d = s.Shift, DriverShift
	}
	if s.Season > x {
		x, d = s.Season, DriverSeason
	}
	return x, d
}

// Driver names the kind of evidence that drove a score.
type Driver uint8

const (
	DriverNone   Driver = iota
	DriverRange         // a new high or low: the value left the range the series has shown
	DriverShift         // a level shift within the range
	DriverSeason        // a departure from the series' daily/weekly pattern
	DriverForest        // an unusual combination of features, judged by the forest
)

func (d Driver) String() string {
	switch d {
	case DriverRange:
		return "range"
	case DriverShift:
		return "shift"
	case DriverSeason:
		return "seasonality"
	case DriverForest:
		return "forest"
	}
	return "none"
}

// Observe folds one point in: a, and b when hasB, at time t (ns). It returns the point's evidence
// and whether the series is warm (before that, the evidence is zero and means nothing).
func (s *Series) Observe(a, b float64, hasB bool, t uint64, p *Params) (st Strength, warm bool) {
	if s.N < math.MaxUint32 {
		s.N++
	}
	warm = s.N > p.Warmup
	ea := s.A.Observe(a, s.N, warm, p)
	st.Range, st.Shift = ea.Range/p.RangeAlarm, ea.Shift/p.ShiftAlarm
	st.Expected = [3]float64{ea.RangeBound, ea.LongMean}
	st.Observed = [3]float64{a, ea.ShortMean}
	if hasB {
		if s.B == nil {
			s.B = &Signal{}
		}
		eb := s.B.Observe(b, s.N, warm, p)
		if r := eb.Range / p.RangeAlarm; r > st.Range {
			st.Range, st.Expected[0], st.Observed[0], st.OnB[0] = r, eb.RangeBound, b, true
		}
		if sh := eb.Shift / p.ShiftAlarm; sh > st.Shift {
			st.Shift, st.Expected[1], st.Observed[1], st.OnB[1] = sh, eb.LongMean, eb.ShortMean, true
		}
	}
	if p.Seasonal {
		if s.Season == nil {
			switch {
			case s.First == 0 || t < s.First:
				s.First = t
			case t >= s.First+dayNs:
				s.Season = &Season{First: s.First}
			}
		}
		if s.Season != nil {
			width := math.Max(s.A.Hi-s.A.Lo, floor(p, s.A.Level.Mean))
			ev, expected := s.Season.Observe(a, t, width, p)
			st.Season = ev / p.SeasonAlarm
			st.Expected[2], st.Observed[2] = expected, a
		}
	}
	if !warm {
		return Strength{}, false
	}
	return st, true
}

// Score maps evidence strength x (1 = at the alarm level) to the anomaly score 1 - 2^(-x) in
// [0, 1] (1 in floating point from x ≈ 53 on): 0.5 at the alarm level, 0.75 at twice it, near 0 for ordinary points.
func Score(x float64) float64 { return 1 - math.Exp2(-x) }

// Confirm is evidence x after the forest's confirmation c (Confirmation): x·c, but never less
// than x - ConclusiveMargin. The forest can veto evidence near its alarm level; evidence many
// times the level is conclusive whatever the forest has seen (a forest whose window holds one
// enormous excursion would otherwise find a later, merely large one unremarkable).
func Confirm(x, s, lo, hi float64) float64 {
	return math.Max(x*Confirmation(s, lo, hi), x-ConclusiveMargin)
}

// ConclusiveMargin: evidence beyond this many alarm levels is not subject to the forest's veto
// (no effect on the NAB corpus; it keeps a second large excursion from hiding behind a first
// enormous one, TestEventsDroppedAndCapped).
const ConclusiveMargin = 3.0

// Confirmation is how much the forest confirms a point's evidence, from the forest's isolation
// score s of the point's evidence vector: 0 up to lo (the forest's window holds many vectors like
// it: evidence of this size is common for the metric), 1 from hi on (the vector is rare), linear
// between. The statistics propose an alarm; the forest, which has learnt what evidence the
// metric's series usually show, confirms it.
func Confirmation(s, lo, hi float64) float64 {
	return math.Min(1, math.Max(0, (s-lo)/(hi-lo)))
}

// Alarm levels of each kind of evidence, chosen on the NAB corpus (README "Detection quality"):
// a value 8% of the range width beyond the range, a short mean three long spreads away,
// a seasonal residual two and a half times the largest the series showed recently.
const (
	RangeAlarm  = 0.08
	ShiftAlarm  = 3
	SeasonAlarm = 2.5
)
