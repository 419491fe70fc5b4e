package isolationforestprocessor

import (
	"math"
	"sync/atomic"
	"unsafe"
)

// Per-series state and the feature vector derived from it.
//
// Each data point is reduced to two signals (see observation.signals): for gauges and sums the
// value (cumulative sums as a rate) and its change, for histograms and summaries the interval
// mean and the count rate (or a quantile). Each signal keeps an exponentially weighted mean and
// variance; the feature is the point's z-score against the history *before* the point, squashed
// with sign(z)*log1p(|z|) so that one huge outlier in a model's window does not stretch every
// split range and hide moderate ones.

// ewmaHorizon is the effective memory of the running statistics, in points: the first points
// average exactly (weight 1/n), later ones with weight 1/ewmaHorizon, so a series' normal
// level follows drift within about this many points.
const ewmaHorizon = 64

// clipSigma bounds how far a single point moves the statistics once a series is warm, so a spike
// does not inflate the spread and mask the points after it; level shifts still adapt geometrically.
const clipSigma = 5

// maxZ keeps features finite (the kernel rejects NaN and Inf).
const maxZ = 1e6

type ewma struct{ mean, variance float64 }

// z is the deviation of x from the running mean in units of the running spread.
func (e *ewma) z(x float64) float64 {
	sd := math.Sqrt(e.variance)
	floor := 1e-9 * math.Max(math.Abs(e.mean), 1) // constant series: any real change is large
	if sd < floor {
		sd = floor
	}
	z := (x - e.mean) / sd
	if z > maxZ {
		return maxZ
	}
	if z < -maxZ {
		return -maxZ
	}
	return z
}

// add updates mean and variance with weight 1/min(n, ewmaHorizon) (n = points so far including x).
func (e *ewma) add(x float64, n uint32, clip bool) {
	if clip {
		lim := clipSigma * math.Sqrt(e.variance)
		x = math.Min(math.Max(x, e.mean-lim), e.mean+lim)
	}
	alpha := 1 / float64(min(n, ewmaHorizon))
	diff := x - e.mean
	incr := alpha * diff
	e.mean += incr
	e.variance = (1 - alpha) * (e.variance + diff*incr)
}

// squash is sign(z)*log1p(|z|).
func squash(z float64) float64 {
	if z < 0 {
		return -math.Log1p(-z)
	}
	return math.Log1p(z)
}

// seriesState is everything kept per series: 88 bytes (checked by TestSeriesStateSize).
type seriesState struct {
	key      uint64  // series identity, to remove the index entry on eviction
	group    uint64  // model group, to keep the group's series count on eviction
	lastTime uint64  // timestamp of the previous accepted point (ns)
	a, b     ewma    // running statistics of the two signals
	prevA    float64 // previous value of signal a (gauges and sums derive b from it)
	prevX    float64 // previous cumulative value / sum
	prevY    float64 // previous cumulative count
	count    uint32  // accepted points (saturating)
	ref      bool    // seen since the eviction clock hand last passed
}

// seriesTable maps series keys to states with CLOCK eviction
// (an approximation of least-recently-seen in O(1) amortised time, one bit per series: a series
// seen since the clock hand last passed gets a second chance).
//
// The limit is shared by all shards (budget): series are sharded by model group, so shards hold
// uneven numbers of series; a shard that needs room while the shared budget is spent evicts one
// of its own series. Each table is also capped at the whole budget.
type seriesTable struct {
	index  seriesIndex
	keyOf  func(uint32) uint64 // the key held in a slot (for the index)
	slots  []seriesState
	hand   int
	limit  int
	budget *atomic.Int64 // series held by all shards together, against limit
}

func newSeriesTable(limit int, budget *atomic.Int64) *seriesTable {
	if budget == nil {
		budget = new(atomic.Int64)
	}
	t := &seriesTable{limit: limit, budget: budget}
	t.keyOf = func(slot uint32) uint64 { return t.slots[slot].key }
	return t
}

func (t *seriesTable) len() int { return t.index.n }

// eviction names the series that had to make room for a new one.
type eviction struct {
	key, group uint64
	ok         bool
}

// find returns the slot of a known series (marking it seen), or -1.
func (t *seriesTable) find(key uint64) int32 {
	i, ok := t.index.lookup(key, t.keyOf)
	if !ok {
		return -1
	}
	t.slots[i].ref = true
	return int32(i)
}

// at returns the state in slot if it still belongs to key (a series created since find may have
// taken the slot), else nil.
func (t *seriesTable) at(slot int32, key uint64) *seriesState {
	if slot < 0 || int(slot) >= len(t.slots) || t.slots[slot].key != key {
		return nil
	}
	return &t.slots[slot]
}

// get returns the state of key, creating it in group (and evicting the least recently seen
// series when full).
func (t *seriesTable) get(key, group uint64) (s *seriesState, created bool, ev eviction) {
	if i, ok := t.index.lookup(key, t.keyOf); ok {
		s = &t.slots[i]
		s.ref = true
		return s, false, ev
	}
	var slot uint32
	if len(t.slots) == 0 || len(t.slots) < t.limit && t.budget.Load() < int64(t.limit) {
		t.budget.Add(1)
		if len(t.slots) == cap(t.slots) { // grow by doubling but never past the limit
			grown := make([]seriesState, len(t.slots), min(t.limit, max(2*cap(t.slots), 64)))
			copy(grown, t.slots)
			t.slots = grown
		}
		t.slots = append(t.slots, seriesState{})
		slot = uint32(len(t.slots) - 1)
	} else {
		for { // CLOCK: give every recently seen series a second chance, evict the first that is not
			if t.hand >= len(t.slots) {
				t.hand = 0
			}
			if !t.slots[t.hand].ref {
				break
			}
			t.slots[t.hand].ref = false
			t.hand++
		}
		slot = uint32(t.hand)
		t.hand++
		ev = eviction{key: t.slots[slot].key, group: t.slots[slot].group, ok: true}
		t.index.remove(ev.key, t.keyOf)
	}
	// A new series starts unreferenced: a one-off series is the first to go unless seen again,
	// so a burst of new series cannot flush the steady ones.
	t.slots[slot] = seriesState{key: key, group: group}
	t.index.insert(key, slot, t.keyOf)
	return &t.slots[slot], true, ev
}

const sizeofSeriesState = unsafe.Sizeof(seriesState{})
