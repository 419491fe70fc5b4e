// Package forests keeps the isolation forests of model groups (by default one per metric name)
// in kernel instances: what each forest learns (a uniform sample of the group's feature vectors,
// fed once per refresh interval of the points' own time), the points it is asked to judge, a cap
// on forests per instance, and the release of idle groups.
package forests

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/detect"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/kernel"
)

// Params are the forest settings shared by every pool of a processor.
type Params struct {
	Trees, SampleSize, WindowSize int
	Seed                          uint64
	RefreshInterval               time.Duration // data time between two refreshes of a forest
	RefreshPoints                 int           // reservoir capacity
	MaxForests                    int           // forests this pool may hold at once
	IdleTimeout                   time.Duration // a group idle this long (wall clock) is released
}

// Request is one point's business with its group's forest: its feature vector is offered for
// learning, and when Consult is set the forest scores it (Raw, Scored).
type Request struct {
	Group   uint64
	Time    uint64 // the point's timestamp (ns): drives the refresh schedule
	Vec     detect.Vector
	Consult bool
	Raw     float64
	Scored  bool
}

// Stats are what one Process call did.
type Stats struct {
	KernelErrors int64 // kernel error codes and traps (the affected requests stay unscored)
	NoForest     int64 // consults that found no forest: the cap was reached
	Refresh      time.Duration
	Refreshes    int64
	Forests      int64 // change in the number of forests held
	Rows         int64 // consults the kernel scored
	Reused       int64 // consults answered by an earlier score of the same vector (verdicts)
}

// Pool is one kernel instance and the forests of the groups hashed to it. Safe for concurrent
// use (one mutex: a wasm instance runs one call at a time).
type Pool struct {
	mu      sync.Mutex
	module  *kernel.Module
	inst    *kernel.Instance // nil after a failed re-creation: consults stay unscored until it succeeds
	p       Params
	models  map[uint64]*model
	forests int // models holding a forest
	rng     *rand.Rand
	sweep   int64 // unix seconds: next look for idle groups
	touched []*model
	onError func(error) // reports kernel errors (rate-limited by the caller)
	onCap   func()      // reports that the forest cap turned a group away
}

// model is one group's forest and what it learns next.
type model struct {
	group       uint64
	handle      int32 // -1: no forest in the current kernel instance
	fitted      bool  // the forest has trees
	fed         int   // vectors fed to the forest since it was created
	lastUsed    int64 // unix seconds of the last batch with a request
	dataTime    uint64
	nextRefresh uint64
	learn       reservoir
	update      []float64 // vectors fed before the forest has trees (all of them)
	rows        []float64 // this batch's vectors to score
	reqs        []int32   // the request of each row
	keys        []uint64  // the verdict key of each row
	scores      []float64
	inBatch     bool
	// verdicts holds the forest's scores of the vectors it was asked about since it last changed,
	// by verdictKey; pending, this batch's rows by key, and repeats the requests that share one.
	// A series whose evidence stays alike for many points (a gauge that only grows is a new high
	// at every point) then costs one kernel score, not one per point: a range-aware score is
	// several microseconds.
	verdicts map[uint64]float64
	pending  map[uint64]int32
	repeats  []repeat
}

// repeat is a consult that waits for the score of an earlier row of the same batch.
type repeat struct{ req, row int32 }

// verdictStep is the resolution of verdictKey in squashed feature units (detect.Squash): vectors
// closer than this in every feature share a verdict. One step is a 0.4% change of the evidence
// near its alarm level, far below what moves a forest's score.
const verdictStep = 1.0 / 256

// maxVerdicts bounds a group's verdicts (about 40 bytes each); when full they start over.
const maxVerdicts = 1024

// verdictKey packs a feature vector, quantised by verdictStep, into 21 bits per feature: a sign
// bit and 20 bits of magnitude (squashed features beyond 4096 share the top bucket).
func verdictKey(v detect.Vector) uint64 {
	var k uint64
	for _, x := range v {
		q := uint64(min(math.Abs(x)/verdictStep+0.5, 1<<20-1))
		if x < 0 && q > 0 {
			q |= 1 << 20
		}
		k = k<<21 | q
	}
	return k
}

// forget clears what the model remembers of its forest's verdicts (the forest changed).
func (m *model) forget() {
	clear(m.verdicts)
}

// NewPool creates a kernel instance of module for the pool.
func NewPool(ctx context.Context, module *kernel.Module, p Params, shard int, onError func(error), onCap func()) (*Pool, error) {
	inst, err := module.NewInstance(ctx)
	if err != nil {
		return nil, err
	}
	return &Pool{module: module, inst: inst, p: p, models: map[uint64]*model{},
		rng: rand.New(rand.NewPCG(p.Seed, uint64(shard))), onError: onError, onCap: onCap}, nil
}

// Close frees the kernel instance and every forest in it.
func (pl *Pool) Close(ctx context.Context) error {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.inst == nil {
		return nil
	}
	err := pl.inst.Close(ctx)
	pl.inst = nil
	return err
}

// Groups is the number of model groups the pool knows, and Forests how many hold a forest.
func (pl *Pool) Groups() (groups, forests int) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return len(pl.models), pl.forests
}

// Process first forgets the groups in forget (model_group series: their series left), then
// handles a batch's requests: offers every vector for learning, scores the consults
// against each forest as it was before the batch (one forest_score call per group), then feeds
// each due forest its sample (one forest_update call per group). now is the wall clock (unix
// seconds), which only decides when idle groups are released.
func (pl *Pool) Process(ctx context.Context, reqs []Request, forget []uint64, now int64) (st Stats) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	before := pl.forests
	defer func() { st.Forests = int64(pl.forests - before) }()
	for _, g := range forget {
		if m := pl.models[g]; m != nil {
			pl.drop(ctx, m)
			delete(pl.models, g)
		}
	}
	pl.releaseIdle(ctx, now)
	for i := range reqs {
		r := &reqs[i]
		m := pl.model(r.Group)
		if !m.inBatch {
			m.inBatch = true
			m.lastUsed = now
			pl.touched = append(pl.touched, m)
		}
		m.dataTime = max(m.dataTime, r.Time)
		// Learning: a forest without trees takes every vector (it needs sample_size of them to
		// grow); afterwards the group's vectors compete for the next refresh's sample.
		if !m.fitted {
			m.update = append(m.update, r.Vec[:]...)
		} else if row, ok := m.learn.admit(pl.rng); ok {
			m.learn.set(row, r.Vec[:])
		}
		if r.Consult {
			key := verdictKey(r.Vec)
			if v, ok := m.verdicts[key]; ok && m.fitted {
				r.Raw, r.Scored = v, true
				st.Reused++
			} else if row, ok := m.pending[key]; ok {
				m.repeats = append(m.repeats, repeat{int32(i), row})
				st.Reused++
			} else {
				if m.pending == nil {
					m.pending = make(map[uint64]int32)
				}
				m.pending[key] = int32(len(m.reqs))
				m.rows = append(m.rows, r.Vec[:]...)
				m.reqs = append(m.reqs, int32(i))
				m.keys = append(m.keys, key)
			}
		}
	}
	for _, m := range pl.touched {
		if err := pl.run(ctx, m, reqs, &st); err != nil {
			st.KernelErrors++
			pl.onError(err)
			var code *kernel.CodeError
			if errors.As(err, &code) {
				pl.drop(ctx, m) // a forest in error is rebuilt from scratch
			} else {
				pl.recreate(ctx) // a trap leaves the instance unusable
			}
		}
		m.rows, m.reqs, m.keys, m.update, m.repeats = m.rows[:0], m.reqs[:0], m.keys[:0], m.update[:0], m.repeats[:0]
		clear(m.pending)
		m.inBatch = false
	}
	clear(pl.touched)
	pl.touched = pl.touched[:0]
	return st
}

// run scores the group's consults, then refreshes its forest when due.
func (pl *Pool) run(ctx context.Context, m *model, reqs []Request, st *Stats) error {
	if pl.inst == nil && !pl.recreate(ctx) {
		return errors.New("no kernel instance")
	}
	if m.handle < 0 {
		if pl.forests >= pl.p.MaxForests {
			st.NoForest += int64(len(m.reqs) + len(m.repeats))
			m.update = m.update[:0]
			pl.onCap()
			return nil
		}
		h, err := pl.inst.NewForest(ctx, pl.p.Trees, pl.p.SampleSize, detect.Dims, pl.p.WindowSize, seedOf(pl.p.Seed, m.group), true)
		if err != nil {
			return err
		}
		m.handle, m.fitted, m.fed = h, false, 0
		pl.forests++
	}
	if n := len(m.reqs); n > 0 {
		if cap(m.scores) < n {
			m.scores = make([]float64, n)
		}
		m.scores = m.scores[:n]
		err := pl.inst.Score(ctx, m.handle, m.rows, m.scores)
		switch {
		case errors.Is(err, kernel.ErrNotFitted): // still growing: the consults stay unscored
			m.fitted = false
		case err != nil:
			return err
		default:
			m.fitted = true
			st.Rows += int64(n)
			if m.verdicts == nil || len(m.verdicts)+n > maxVerdicts {
				m.verdicts = make(map[uint64]float64, min(n, maxVerdicts))
			}
			for j, ri := range m.reqs {
				reqs[ri].Raw, reqs[ri].Scored = m.scores[j], true
				m.verdicts[m.keys[j]] = m.scores[j]
			}
			for _, rp := range m.repeats {
				reqs[rp.req].Raw, reqs[rp.req].Scored = m.scores[rp.row], true
			}
		}
	}
	feed := m.update
	// Refreshes follow the points' own timestamps, not their arrival: a replay of old data
	// learns as the same data would have in real time, and a busy group's learning costs at most
	// one forest_update per refresh interval however fast its points arrive.
	if len(m.learn.rows) > 0 && m.dataTime >= m.nextRefresh {
		feed = append(feed, m.learn.rows...)
		m.learn.drain()
		m.nextRefresh = m.dataTime + uint64(pl.p.RefreshInterval)
	}
	m.update = feed // keeps the grown buffer for the next batch
	if len(feed) == 0 {
		return nil
	}
	began := time.Now()
	m.forget() // the forest is about to change
	if err := pl.inst.Update(ctx, m.handle, feed, len(feed)/detect.Dims); err != nil {
		return err
	}
	// the kernel grows every tree once its window holds sample_size vectors
	m.fed += len(feed) / detect.Dims
	m.fitted = m.fitted || m.fed >= min(pl.p.SampleSize, pl.p.WindowSize)
	st.Refresh += time.Since(began)
	st.Refreshes++
	return nil
}

func seedOf(seed, group uint64) uint64 {
	x := seed ^ group
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// model returns the group's model, creating its (forest-less) entry.
func (pl *Pool) model(group uint64) *model {
	m := pl.models[group]
	if m == nil {
		m = &model{group: group, handle: -1, learn: reservoir{size: min(pl.p.RefreshPoints, pl.p.WindowSize)}}
		pl.models[group] = m
	}
	return m
}

// Maintain releases idle groups now, for a pool that may get no requests for a long time.
func (pl *Pool) Maintain(ctx context.Context, now int64) (st Stats) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	before := pl.forests
	pl.sweep = 0
	pl.releaseIdle(ctx, now)
	st.Forests = int64(pl.forests - before)
	return st
}

// releaseIdle frees the forests and forgets the groups that sent nothing for IdleTimeout (a
// metric that went away must not hold kernel memory or heap forever); at most once a minute.
func (pl *Pool) releaseIdle(ctx context.Context, now int64) {
	if now < pl.sweep {
		return
	}
	pl.sweep = now + 60
	idle := int64(pl.p.IdleTimeout / time.Second)
	for group, m := range pl.models {
		if now-m.lastUsed >= idle {
			pl.drop(ctx, m)
			delete(pl.models, group)
		}
	}
}

// drop frees a group's forest; the group's entry stays (it is rebuilt on the next batch).
func (pl *Pool) drop(ctx context.Context, m *model) {
	if m.handle >= 0 {
		if pl.inst != nil {
			_ = pl.inst.FreeForest(ctx, m.handle)
		}
		pl.forests--
	}
	m.handle, m.fitted, m.fed = -1, false, 0
	m.learn.drain()
	m.forget()
}

// recreate replaces the kernel instance; every forest restarts empty in the new one.
func (pl *Pool) recreate(ctx context.Context) bool {
	if pl.inst != nil {
		_ = pl.inst.Close(ctx)
		pl.inst = nil
	}
	for _, m := range pl.models {
		m.handle, m.fitted, m.fed = -1, false, 0
		m.forget()
	}
	pl.forests = 0
	inst, err := pl.module.NewInstance(ctx)
	if err != nil {
		pl.onError(err)
		return false
	}
	pl.inst = inst
	return true
}

// ModelSnapshot is what a group's model keeps across a restart: its forest (kernel snapshot
// bytes) and its learning schedule. The reservoir (a sample waiting for the next refresh) is not
// kept: the next interval fills it again.
type ModelSnapshot struct {
	Group       uint64
	Forest      []byte // nil: the group had no forest
	Fed         int
	DataTime    uint64
	NextRefresh uint64
}

// Export snapshots the pool's models one at a time (the pool's lock is released between
// forests, so ingestion goes on); a forest the kernel cannot snapshot is skipped and reported.
func (pl *Pool) Export(ctx context.Context) (out []ModelSnapshot, err error) {
	pl.mu.Lock()
	groups := make([]uint64, 0, len(pl.models))
	for g := range pl.models {
		groups = append(groups, g)
	}
	pl.mu.Unlock()
	for _, g := range groups {
		pl.mu.Lock()
		m := pl.models[g]
		if m != nil && m.handle >= 0 && pl.inst != nil {
			var snap []byte
			if snap, err = pl.inst.Snapshot(ctx, m.handle); err == nil {
				out = append(out, ModelSnapshot{Group: g, Forest: snap, Fed: m.fed, DataTime: m.dataTime, NextRefresh: m.nextRefresh})
			}
		}
		pl.mu.Unlock()
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// Import restores models saved by Export into the pool (at start, before any batch). A forest
// the kernel refuses (corrupt, another ABI or format) is skipped and counted in refused; its
// group starts afresh. Models beyond MaxForests are skipped too.
func (pl *Pool) Import(ctx context.Context, models []ModelSnapshot, now int64) (restored, refused int, err error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for _, s := range models {
		if pl.forests >= pl.p.MaxForests || s.Forest == nil {
			continue
		}
		h, err := pl.inst.Restore(ctx, s.Forest)
		if err != nil {
			if kernel.IsSnapshotError(err) {
				refused++
				continue
			}
			return restored, refused, err
		}
		m := pl.model(s.Group)
		m.handle, m.fed, m.fitted = h, s.Fed, s.Fed >= min(pl.p.SampleSize, pl.p.WindowSize)
		m.forget()
		m.dataTime, m.nextRefresh, m.lastUsed = s.DataTime, s.NextRefresh, now
		pl.forests++
		restored++
	}
	return restored, refused, nil
}
