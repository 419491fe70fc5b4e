package forests

import (
	"math/rand/v2"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/detect"
)

// reservoir keeps a uniform sample of at most cap(rows)/detect.Dims of the vectors offered since
// it was last drained (Vitter's algorithm R). A group's forest learns from this sample once per
// refresh_interval, so the cost of learning per second is bounded however fast points arrive,
// while every vector of the interval had the same chance to be learnt from (no bias towards the
// series that happen to come first or last in a batch).
type reservoir struct {
	rows []float64 // row-major, detect.Dims values per vector
	seen uint64    // vectors offered since the last drain
	size int       // capacity in vectors
}

// admit counts one more offered vector and returns the row it is to be written to, if it enters
// the sample (so the caller computes the vector only then).
func (r *reservoir) admit(rng *rand.Rand) (int, bool) {
	r.seen++
	if n := len(r.rows) / detect.Dims; n < r.size {
		r.rows = append(r.rows, make([]float64, detect.Dims)...)
		return n, true
	}
	if j := rng.Uint64N(r.seen); j < uint64(r.size) {
		return int(j), true
	}
	return 0, false
}

func (r *reservoir) set(row int, f []float64) {
	copy(r.rows[row*detect.Dims:(row+1)*detect.Dims], f)
}

// offer is admit and set in one.
func (r *reservoir) offer(f []float64, rng *rand.Rand) {
	if row, ok := r.admit(rng); ok {
		r.set(row, f)
	}
}

// drain empties the sample (keeping its memory) for the next interval.
func (r *reservoir) drain() {
	r.rows, r.seen = r.rows[:0], 0
}
