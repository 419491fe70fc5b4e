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
	first  uint64  // timestamp of the first point (ns), until Season is allocated
}

// Strength is one point's evidence, each kind divided by its alarm level (1 = at the level).
type Strength struct {
	Range, Shift, Season float64
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
	if hasB {
		if s.B == nil {
			s.B = &Signal{}
		}
		eb := s.B.Observe(b, s.N, warm, p)
		st.Range = math.Max(st.Range, eb.Range/p.RangeAlarm)
		st.Shift = math.Max(st.Shift, eb.Shift/p.ShiftAlarm)
	}
	if p.Seasonal {
		if s.Season == nil {
			switch {
			case s.first == 0 || t < s.first:
				s.first = t
			case t >= s.first+dayNs:
				s.Season = &Season{First: s.first}
			}
		}
		if s.Season != nil {
			width := math.Max(s.A.Hi-s.A.Lo, floor(p, s.A.Level.Mean))
			st.Season = s.Season.Observe(a, t, width, p) / p.SeasonAlarm
		}
	}
	if !warm {
		return Strength{}, false
	}
	return st, true
}

// Score maps evidence strength x (1 = at the alarm level) to the anomaly score 1 - 2^(-x) in
// [0, 1): 0.5 at the alarm level, 0.75 at twice it, near 0 for ordinary points.
func Score(x float64) float64 { return 1 - math.Exp2(-x) }

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
