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

func (r *reservoir) offer(f0, f1 float64, rng *rand.Rand) {
	r.seen++
	if n := len(r.rows) / featureDims; n < r.size {
		r.rows = append(r.rows, f0, f1)
		return
	}
	if j := rng.Uint64N(r.seen); j < uint64(r.size) {
		r.rows[j*featureDims], r.rows[j*featureDims+1] = f0, f1
	}
}

// drain empties the sample (keeping its memory) for the next interval.
func (r *reservoir) drain() {
	r.rows, r.seen = r.rows[:0], 0
}
