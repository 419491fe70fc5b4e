package detect

// Alarm episodes. A point whose score reaches the threshold opens an episode: its onset, the
// one point that carries is_anomaly="true" (one alarm per incident, however long it lasts). The
// episode holds while scores stay at or above the resolve level, and resolves after ResolvePoints
// consecutive points below it (hysteresis: an incident whose scores dip for a moment stays one
// episode). Only after that can a new onset happen.

// AlarmParams are shared by all series.
type AlarmParams struct {
	Threshold     float64 // score that opens an episode
	Resolve       float64 // score below which the episode starts to resolve
	ResolvePoints uint32  // consecutive points below Resolve that close it
}

// Alarm is one series' episode state (32 bytes).
type Alarm struct {
	Onset  uint64  // timestamp of the open episode's onset (ns); 0 when none is open
	Points uint32  // points in the open episode
	Below  uint32  // consecutive points below the resolve level
	Peak   float64 // highest score in the open episode
	Driver Driver  // what drove the onset
	// The series' anomaly events in the current hour (the processor caps them per series).
	EventHour uint32
	Events    uint16
}

// Transition is what a point did to the episode.
type Transition uint8

const (
	None    Transition = iota
	Onset              // this point opened an episode
	Resolve            // this point closed one
)

// Open says whether an episode is open.
func (a *Alarm) Open() bool { return a.Onset != 0 }

// Step advances the episode with one point's score at time t (ns, > 0).
func (a *Alarm) Step(score float64, t uint64, d Driver, p *AlarmParams) Transition {
	if !a.Open() {
		if score >= p.Threshold {
			a.Onset, a.Points, a.Below, a.Peak, a.Driver = max(t, 1), 1, 0, score, d
			return Onset
		}
		return None
	}
	a.Points++
	a.Peak = max(a.Peak, score)
	if score >= p.Resolve {
		a.Below = 0
		return None
	}
	a.Below++
	if a.Below >= p.ResolvePoints {
		a.Onset, a.Points, a.Below = 0, 0, 0
		return Resolve
	}
	return None
}

// AllowEvent counts one more event of the series in the hour of t and says whether it is within
// max per hour.
func (a *Alarm) AllowEvent(t uint64, maxPerHour int) bool {
	hour := uint32(t / 3600e9)
	if hour != a.EventHour {
		a.EventHour, a.Events = hour, 0
	}
	if int(a.Events) >= maxPerHour {
		return false
	}
	a.Events++
	return true
}
