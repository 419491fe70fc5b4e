package detect

import "math"

// Season is a series' daily and weekly pattern, learnt from the points' timestamps (UTC), so
// arrival order, batching and gaps do not matter: the mean value in each hour of the day, and the
// mean residual of each day of the week after the daily pattern. The residual of a point (its
// value minus what the pattern expects at its time) is judged against the series' own residuals:
// its spread, and the largest residual it has shown recently (a record), because some series'
// residuals are heavy-tailed (bursts) and others tight (a clean daily cycle). 176 bytes; allocated
// for a series once it has a day of history.
type Season struct {
	Hour     [24]float32 // mean value per hour of day
	Weekday  [7]float32  // mean residual per day of week after the hourly pattern
	HourN    [24]uint8   // points per hour slot (saturating), for the averaging weight
	WeekdayN [7]uint8
	First    uint64 // timestamp of the series' first point (ns)
	Resid    EWMA   // residual mean and spread (64 points)
	Record   float32
	N        uint32
}

const (
	hourNs = uint64(3600e9)
	dayNs  = 24 * hourNs
	// seasonMemory: an hour slot averages its last ~84 points (a week of 5-minute points), a
	// weekday slot its last ~4 days of that weekday's points.
	hourMemory    = 84
	weekdayMemory = 255
)

// weekday of t (0 = Thursday, 1970-01-01; only equality matters).
func weekday(t uint64) int { return int(t / dayNs % 7) }

func hourOf(t uint64) int { return int(t % dayNs / hourNs) }

// Observe returns the seasonal evidence of v at time t: the residual's deviation from the
// series' residuals, as a multiple of the largest such deviation the series has shown recently
// (0 until the pattern has a day of history, or when the deviation is below minZ spreads), with
// the value the pattern expected; and learns v.
func (s *Season) Observe(v float64, t uint64, width float64, p *Params) (ev, expected float64) {
	if s.First == 0 || t < s.First {
		s.First = t
	}
	h, d := hourOf(t), weekday(t)
	if t >= s.First+dayNs && s.HourN[h] > 0 {
		expected = float64(s.Hour[h])
		if s.WeekdayN[d] > 0 {
			expected += float64(s.Weekday[d])
		}
		r := v - expected
		s.N++
		if s.N > seasonWarmup {
			fl := floor(p, expected)
			dev := math.Abs(r - s.Resid.Mean)
			z := dev / math.Max(math.Max(s.Resid.Std(), shiftWidthFloor*width), fl)
			if z >= seasonMinZ && dev >= fl {
				ev = z / math.Max(float64(s.Record), seasonMinZ)
			}
			s.record(z, p)
			r = s.Resid.Clip(r, clipSigma)
		}
		s.Resid.Add(r, s.N, levelHorizon)
		s.WeekdayN[d] = saturatingInc(s.WeekdayN[d])
		s.Weekday[d] += float32((v - float64(s.Hour[h]) - float64(s.Weekday[d])) / float64(min(int(s.WeekdayN[d]), weekdayMemory)))
	}
	s.HourN[h] = saturatingInc(s.HourN[h])
	s.Hour[h] += float32((v - float64(s.Hour[h])) / float64(min(int(s.HourN[h]), hourMemory)))
	return ev, expected
}

// seasonWarmup: residuals seen before the seasonal evidence is trusted.
const seasonWarmup = 50

// seasonMinZ: a residual closer than this many spreads to the usual is never evidence.
const seasonMinZ = 2

// record keeps the largest recent deviation, decaying toward 0 over RangeHorizon points.
func (s *Season) record(z float64, p *Params) {
	rec := float64(s.Record) * (1 - 1/float64(p.RangeHorizon))
	s.Record = float32(math.Max(rec, z))
}

func saturatingInc(n uint8) uint8 {
	if n < math.MaxUint8 {
		n++
	}
	return n
}
