package detect

import "math"

// Signal is the running state of one signal of a series (a gauge's value, a counter's rate, a
// histogram's mean or its count rate): 72 bytes.
//
// It keeps three scale-free views of the signal's history:
//   - Range: the values the series has shown, [Lo, Hi], which widens at once to a new value and
//     shrinks back toward the recent level over about RangeHorizon points. A value beyond it is
//     a new high or low ("spatial" anomaly: Ahmad et al. 2017 add the same check to HTM).
//   - Shift: short means (4 and 16 points) against a long mean and spread (256 points, a point
//     moves them by at most 5σ), so a move within the range shows up within a few points, and a
//     smaller one that lasts within a few more.
//   - Level: the recent mean (64 points) the range shrinks toward.
type Signal struct {
	Level  EWMA    // 64-point mean (and variance)
	Long   EWMA    // 256-point mean and variance (clipped at 5σ once warm)
	Short  float64 // 4-point mean
	Medium float64 // 16-point mean
	Hi, Lo float64 // remembered range
}

// Horizons of the signal statistics, in points.
const (
	levelHorizon  = 64
	longHorizon   = 256
	shortHorizon  = 4
	mediumHorizon = 16
)

// mediumScale: the shift of the 16-point mean counts this many times that of the 4-point mean,
// the ratio of their noise for independent points (an EWMA of weight a has sqrt(a/(2-a)) of the
// points' spread), so both alarm at the same improbability. The 4-point mean sees a sudden move
// within a point or two; the 16-point mean a smaller one that lasts (a traffic drop, a slow leak).
var mediumScale = math.Sqrt((1.0/shortHorizon)/(2-1.0/shortHorizon)) / math.Sqrt((1.0/mediumHorizon)/(2-1.0/mediumHorizon))

// Evidence is what one point shows against its series' history, each in its own scale-free unit.
type Evidence struct {
	Range float64 // distance beyond the remembered range, in range widths (0 inside)
	Shift float64 // |short mean - long mean| in long spreads
	Width float64 // the range width the others were measured in (for the seasonal residual)
	// What the history expected, for an alarm's explanation: the range bound the value went
	// beyond, and the long mean the short mean moved away from (with the short mean observed).
	RangeBound, LongMean, ShortMean float64
}

// floor is the smallest spread a deviation is measured against: max(MinAbs, MinRel·|level|), so a
// series that never moved (zero spread) still measures a change, and sub-noise jitter of a large
// level does not.
func floor(p *Params, level float64) float64 {
	return math.Max(math.Max(p.MinAbs, p.MinRel*math.Abs(level)), 1e-300)
}

// Observe returns the evidence of value v against the state before it; n counts the series'
// points including v (1 for the first) and warm says whether the state is trusted yet.
func (s *Signal) Observe(v float64, n uint32, warm bool, p *Params) (e Evidence) {
	if n == 1 {
		s.Hi, s.Lo, s.Short, s.Medium = v, v, v, v
	}
	if warm {
		// A deviation smaller than the floor, in the metric's unit, is never evidence; the floor
		// also bounds every spread from below.
		fl := floor(p, s.Level.Mean)
		width := math.Max(math.Max(s.Hi-s.Lo, rangeSigmas*s.Long.Std()), fl)
		e.Width = width
		e.RangeBound, e.LongMean, e.ShortMean = s.Hi, s.Long.Mean, s.Short
		if v < s.Lo {
			e.RangeBound = s.Lo
		}
		if excess := math.Max(v-s.Hi, s.Lo-v); excess >= fl {
			young := math.Min(1, float64(n-1)/rangeFullPoints)
			e.Range = excess / width * young * young
		}
		spread := math.Max(math.Max(s.Long.Std(), shiftWidthFloor*(s.Hi-s.Lo)), fl)
		if shift := math.Abs(s.Short - s.Long.Mean); shift >= fl {
			e.Shift = shift / spread
		}
		if shift := math.Abs(s.Medium - s.Long.Mean); shift >= fl && n > 2*mediumHorizon {
			e.Shift = math.Max(e.Shift, shift/spread*mediumScale)
		}
	}
	s.learn(v, n, warm, p)
	return e
}

// rangeSigmas: the range is measured as at least this many long spreads wide. A series' range
// over few points is narrower than its spread implies (about 3.6σ over 18 normal points, 6.5σ
// over 1000), so without this floor a young or calm series would find "new highs" in noise.
const rangeSigmas = 4

// rangeFullPoints: range evidence is discounted by (n/rangeFullPoints)² until the range has this
// much history: among n ordinary points, point n+1 is a new high or low with probability 2/(n+1),
// and by more than the alarm level far more often early on (for normal noise, per point: about
// 1e-4 from 200 points on; without the discount 1e-2 around point 30).
const rangeFullPoints = 200

// shiftWidthFloor: the shift is measured against at least this share of the range width, so a
// series that is flat for a while (tiny spread) between wide swings does not alarm on every
// ripple.
const shiftWidthFloor = 0.1

func (s *Signal) learn(v float64, n uint32, warm bool, p *Params) {
	s.Short += (v - s.Short) / float64(min(n, shortHorizon))
	s.Medium += (v - s.Medium) / float64(min(n, mediumHorizon))
	lv := v
	if warm {
		lv = s.Long.Clip(v, clipSigma)
	}
	s.Long.Add(lv, n, longHorizon)
	s.Level.Add(v, n, levelHorizon)
	// shrink the range toward the recent level, then widen it to v
	g := 1 / float64(p.RangeHorizon)
	s.Hi -= (s.Hi - s.Level.Mean) * g
	s.Lo -= (s.Lo - s.Level.Mean) * g
	s.Hi = math.Max(s.Hi, v)
	s.Lo = math.Min(s.Lo, v)
}

// clipSigma: see EWMA.Clip.
const clipSigma = 5
