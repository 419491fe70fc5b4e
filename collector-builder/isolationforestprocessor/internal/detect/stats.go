// Package detect turns one series' values into the forest's feature vector, calibrates the
// forest's score against the series' own history, and keeps the series' alarm episodes. It holds
// no maps and allocates nothing per point: each series' state is a few fixed-size structs that the
// processor keeps in one flat table.
package detect

import "math"

// EWMA is an exponentially weighted mean and variance. The first points average exactly (weight
// 1/n), later ones with weight 1/horizon, so the statistics follow drift within about horizon
// points.
type EWMA struct{ Mean, Var float64 }

// Add folds x in with weight 1/min(n, horizon), n = points so far including x.
func (e *EWMA) Add(x float64, n uint32, horizon uint32) {
	alpha := 1 / float64(min(n, horizon))
	diff := x - e.Mean
	incr := alpha * diff
	e.Mean += incr
	e.Var = (1 - alpha) * (e.Var + diff*incr)
}

// Std is the standard deviation.
func (e *EWMA) Std() float64 { return math.Sqrt(e.Var) }

// Clip limits x to mean ± k·std: once a series is warm, one point moves its statistics by at
// most k standard deviations, so a spike does not inflate the spread and mask the points after it
// (a level shift still adapts geometrically). A flat history (zero spread) clips nothing: it
// says nothing about how far the next point may go.
func (e *EWMA) Clip(x, k float64) float64 {
	if e.Var <= 0 {
		return x
	}
	lim := k * e.Std()
	return math.Min(math.Max(x, e.Mean-lim), e.Mean+lim)
}

// Squash is sign(z)·log(1+|z|): features stay on a scale where one huge outlier in a forest's
// window does not stretch every split range and hide moderate ones.
func Squash(z float64) float64 {
	if z < 0 {
		return -math.Log1p(-z)
	}
	return math.Log1p(z)
}

// MaxZ keeps features finite (the kernel rejects NaN and Inf).
const MaxZ = 1e6

func clampZ(z float64) float64 { return math.Max(-MaxZ, math.Min(MaxZ, z)) }

// Dims is the length of the feature vector the forest sees.
const Dims = 3

// Vector is the forest's view of one point: each kind of evidence, squashed.
type Vector [Dims]float64
