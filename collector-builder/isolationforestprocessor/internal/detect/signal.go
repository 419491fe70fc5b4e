package detect

import "math"

// Signal is the running state of one signal of a series (a gauge's value, a counter's rate, a
// histogram's mean or its count rate): 80 bytes.
//
// It keeps three scale-free views of the signal's history:
//   - Range: the values the series has shown, [Lo, Hi], which widens at once to a new value and
//     shrinks back toward the recent level over about RangeHorizon points. A value beyond it is
//     a new high or low ("spatial" anomaly: Ahmad et al. 2017 add the same check to HTM).
//   - Shift: short means (4 and 16 points) against a long mean and spread (256 points, a point
//     moves them by at most 5σ), so a move within the range shows up within a few points, and a
//     smaller one that lasts within a few more. The 16-point mean's shift is measured against
//     its own noise as the series has shown it (MediumVar), not as independent points would
//     make it: a series whose neighbouring points move together (most real metrics) has a noisy
//     16-point mean and needs a larger move; one of independent points (a request count per
//     interval) a smaller one.
//   - Level: the recent mean (64 points) the range shrinks toward.
type Signal struct {
	Level  EWMA    // 64-point mean (and variance)
	Long   EWMA    // 256-point mean and variance (clipped at 5σ once warm)
	Short  float64 // 4-point mean
	Medium float64 // 16-point mean
	Hi, Lo float64 // remembered range
	// MediumVar: 512-point mean square of (16-point mean - long mean), a point's term clipped at
	// mediumVarClip times the current root: the 16-point mean's own noise.
	MediumVar float64
}

// Horizons of the signal statistics, in points.
const (
	levelHorizon  = 64
	longHorizon   = 256
	shortHorizon  = 4
	mediumHorizon = 16
)

// mediumNoise: the 16-point mean's spread in points' spreads if the points were independent (an
// EWMA of weight a has sqrt(a/(2-a)) of the points' spread): the least noise MediumVar may
// claim, so a young series, or one whose 16-point mean has not moved yet, is not judged against
// a spread of zero.
var mediumNoise = math.Sqrt((1.0 / mediumHorizon) / (2 - 1.0/mediumHorizon))

// MediumShiftAlarm: the 16-point mean alarms at this many of its own spreads from the long mean.
// Its shift counts as z/MediumShiftAlarm alarm levels, in the 4-point shift's unit (long spreads)
// so the two share ShiftAlarm. For independent points the 4-point mean's alarm (3 long spreads)
// is 7.9 of its own spreads; the 16-point mean needs fewer because it is judged against its
// measured noise, which already carries the series' own correlation (NAB standard score with
// the defaults, README "Detection quality": 69.0 at 6, 68.5 at 5, 68.0 at 7; judged against the
// independent-point noise with the same 7.9, as before, 66.7).
const MediumShiftAlarm = 6

// mediumVarClip and mediumVarHorizon: one point's term in MediumVar is at most mediumVarClip²
// times MediumVar, and MediumVar follows over twice the long mean's horizon, so an incident
// teaches the series that its 16-point mean is noisy only slowly: at most 3% more per point
// (with the long mean's horizon, 6%, a move of two spreads held for 30 points stayed under the
// alarm level for two of three seeds; NAB standard 68.0 then, 69.0 now, 68.9 over 1024 points,
// 69.0 with a clip of 3).
const (
	mediumVarClip    = 4
	mediumVarHorizon = 2 * longHorizon
)

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
			own := math.Max(math.Sqrt(s.MediumVar), mediumNoise*spread)
			e.Shift = math.Max(e.Shift, shift/own/MediumShiftAlarm*ShiftAlarm)
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
	d := s.Medium - s.Long.Mean
	d2 := d * d
	if warm && s.MediumVar > 0 {
		d2 = math.Min(d2, mediumVarClip*mediumVarClip*s.MediumVar)
	}
	s.MediumVar += (d2 - s.MediumVar) / float64(min(n, mediumVarHorizon))
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
