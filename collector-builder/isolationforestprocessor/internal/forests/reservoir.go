package isolationforestprocessor

import "math/rand/v2"

// reservoir keeps a uniform sample of at most cap(rows)/featureDims of the vectors offered since
// it was last drained (Vitter's algorithm R). A group's forest learns from this sample once per
// refresh_interval, so the cost of learning per second is bounded however fast points arrive,
// while every vector of the interval had the same chance to be learnt from (no bias towards the
// series that happen to come first or last in a batch).
type reservoir struct {
	rows []float64 // row-major, featureDims values per vector
	seen uint64    // vectors offered since the last drain
	size int       // capacity in vectors
}

// admit counts one more offered vector and returns the row it is to be written to, if it enters
// the sample (so the caller computes the vector only then).
func (r *reservoir) admit(rng *rand.Rand) (int, bool) {
	r.seen++
	if n := len(r.rows) / featureDims; n < r.size {
		r.rows = append(r.rows, 0, 0)
		return n, true
	}
	if j := rng.Uint64N(r.seen); j < uint64(r.size) {
		return int(j), true
	}
	return 0, false
}

func (r *reservoir) set(row int, f0, f1 float64) {
	r.rows[row*featureDims], r.rows[row*featureDims+1] = f0, f1
}

// offer is admit and set in one.
func (r *reservoir) offer(f0, f1 float64, rng *rand.Rand) {
	if row, ok := r.admit(rng); ok {
		r.set(row, f0, f1)
	}
}

// drain empties the sample (keeping its memory) for the next interval.
func (r *reservoir) drain() {
	r.rows, r.seen = r.rows[:0], 0
}
