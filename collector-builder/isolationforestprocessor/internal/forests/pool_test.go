package forests

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/detect"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/kernel"
)

func newTestPool(t *testing.T, p Params) (*Pool, *int) {
	t.Helper()
	wasm, err := os.ReadFile("../../isolation_forest.wasm")
	require.NoError(t, err, "run npm run build:collector (it copies the kernel next to the processor)")
	ctx := context.Background()
	mod, err := kernel.NewModule(ctx, wasm)
	require.NoError(t, err)
	t.Cleanup(func() { _ = mod.Close(ctx) })
	capped := 0
	pool, err := NewPool(ctx, mod, p, 0, func(err error) { t.Errorf("kernel error: %v", err) }, func() { capped++ })
	require.NoError(t, err)
	return pool, &capped
}

func params() Params {
	return Params{Trees: 20, SampleSize: 16, WindowSize: 64, Seed: 1, RefreshInterval: 10 * time.Second,
		RefreshPoints: 8, MaxForests: 4, IdleTimeout: 30 * time.Minute}
}

func requests(r *rand.Rand, group uint64, n int, t uint64) []Request {
	out := make([]Request, n)
	for i := range out {
		out[i] = Request{Group: group, Time: t, Vec: detect.Vector{r.NormFloat64(), r.NormFloat64(), 0}, Consult: true}
	}
	return out
}

// Learning follows the points' own time: a forest takes at most one sample per refresh interval
// of data time however many batches arrive, and learns on schedule when old data is replayed fast.
func TestRefreshFollowsDataTime(t *testing.T) {
	pool, _ := newTestPool(t, params())
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	ts := uint64(1e18)
	var st Stats
	for range 3 { // 30 vectors grow the forest (sample_size 16)
		st = pool.Process(ctx, requests(r, 7, 10, ts), nil, 0)
		ts += 1e9
	}
	m := pool.models[7]
	require.True(t, m.fitted)
	refreshes := int64(0)
	for range 50 { // 50 batches within one second of data time: one refresh at most
		st = pool.Process(ctx, requests(r, 7, 10, ts), nil, 0)
		refreshes += st.Refreshes
		ts += 10e6
	}
	assert.LessOrEqual(t, refreshes, int64(1))
	assert.Len(t, m.learn.rows, 8*detect.Dims, "the sample is bounded by refresh_points")
	assert.Greater(t, m.learn.seen, uint64(400), "every vector of the interval competed for it")
	st = pool.Process(ctx, requests(r, 7, 10, ts+uint64(10*time.Second)), nil, 0)
	assert.Equal(t, int64(1), st.Refreshes, "ten seconds of data time later: one refresh")
	assert.Empty(t, m.learn.rows, "the sample was fed and drained")
}

// max_forests: a group beyond the cap gets no forest; its consults stay unscored and are counted,
// and the cap's callback fires; an idle group's release makes room.
func TestForestCap(t *testing.T) {
	p := params()
	p.MaxForests = 2
	pool, capped := newTestPool(t, p)
	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	for g := uint64(1); g <= 3; g++ {
		st := pool.Process(ctx, requests(r, g, 20, 1e18), nil, 100)
		if g == 3 {
			assert.Equal(t, int64(20), st.NoForest)
			assert.Equal(t, int64(0), st.Forests)
		} else {
			assert.Equal(t, int64(1), st.Forests)
		}
	}
	assert.Equal(t, 1, *capped)
	groups, forests := pool.Groups()
	assert.Equal(t, 3, groups)
	assert.Equal(t, 2, forests)
	// groups 1 and 2 go idle; group 3 keeps sending after the idle timeout and gets a forest
	st := pool.Process(ctx, requests(r, 3, 20, 2e18), nil, 100+int64(time.Hour/time.Second))
	assert.Zero(t, st.NoForest)
	groups, forests = pool.Groups()
	assert.Equal(t, 1, groups, "the idle groups are forgotten")
	assert.Equal(t, 1, forests)
}

// Algorithm R: every offered vector has the same chance to be in the sample.
func TestReservoirIsUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const offered, size, rounds = 1000, 50, 400
	var firstHalf, secondHalf int
	for range rounds {
		r := reservoir{size: size}
		for i := range offered {
			r.offer([]float64{float64(i), 0, 0}, rng)
		}
		require.Len(t, r.rows, size*detect.Dims)
		for j := 0; j < len(r.rows); j += detect.Dims {
			if r.rows[j] < offered/2 {
				firstHalf++
			} else {
				secondHalf++
			}
		}
		r.drain()
		require.Empty(t, r.rows)
	}
	total := float64(firstHalf + secondHalf)
	assert.InDelta(t, 0.5, float64(firstHalf)/total, 0.03, "early and late vectors equally likely")
}

// Consults with alike feature vectors share one kernel score until the forest changes: the
// answers equal a fresh score's, within a batch and across batches, and a refresh starts over.
func TestVerdictsReusedUntilTheForestChanges(t *testing.T) {
	p := params()
	p.RefreshPoints = 8
	pool, _ := newTestPool(t, p)
	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	ts := uint64(1e18)
	for range 3 { // grow the forest
		pool.Process(ctx, requests(r, 7, 10, ts), nil, 0)
	}
	require.True(t, pool.models[7].fitted)
	probe := func(v detect.Vector, n int) ([]Request, Stats) {
		reqs := make([]Request, n)
		for i := range reqs {
			reqs[i] = Request{Group: 7, Time: ts, Vec: v, Consult: true}
		}
		return reqs, pool.Process(ctx, reqs, nil, 0)
	}
	a := detect.Vector{2.5, 0.3, 0}
	reqs, st := probe(a, 5)
	assert.Equal(t, int64(1), st.Rows, "five alike consults in a batch: one kernel score")
	assert.Equal(t, int64(4), st.Reused)
	for _, q := range reqs {
		require.True(t, q.Scored)
		assert.Equal(t, reqs[0].Raw, q.Raw)
	}
	// a vector within a fraction of verdictStep of a shares its verdict in the next batch
	near := detect.Vector{2.5 + verdictStep/10, 0.3, 0}
	again, st := probe(near, 1)
	assert.Equal(t, int64(0), st.Rows)
	assert.Equal(t, reqs[0].Raw, again[0].Raw)
	// a different vector is scored
	_, st = probe(detect.Vector{2.5 + 4*verdictStep, 0.3, 0}, 1)
	assert.Equal(t, int64(1), st.Rows)
	// the verdict equals what the kernel answers for the vector itself
	m := pool.models[7]
	scores := make([]float64, 1)
	require.NoError(t, pool.inst.Score(ctx, m.handle, a[:], scores))
	assert.Equal(t, scores[0], reqs[0].Raw)
	// after a refresh the forest is another: the same vector is scored again
	ts += uint64(p.RefreshInterval) + 1
	st = pool.Process(ctx, requests(r, 7, 10, ts), nil, 0)
	require.Equal(t, int64(1), st.Refreshes)
	_, st = probe(a, 1)
	assert.Equal(t, int64(1), st.Rows, "verdicts do not outlive the forest they came from")
}

func TestVerdictKeySeparatesFeatures(t *testing.T) {
	assert.NotEqual(t, verdictKey(detect.Vector{1, 0, 0}), verdictKey(detect.Vector{0, 1, 0}))
	assert.NotEqual(t, verdictKey(detect.Vector{0, 1, 0}), verdictKey(detect.Vector{0, 0, 1}))
	assert.NotEqual(t, verdictKey(detect.Vector{1, 0, 0}), verdictKey(detect.Vector{-1, 0, 0}))
	assert.Equal(t, verdictKey(detect.Vector{0, 0, 0}), verdictKey(detect.Vector{-verdictStep / 4, 0, 0}), "minus zero is zero")
	assert.NotEqual(t, verdictKey(detect.Vector{1e9, 0, 0}), verdictKey(detect.Vector{0, 1e9, 0}), "the top bucket stays in its feature")
}
