package isolationforestprocessor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/datamodel"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/detect"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/events"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/forests"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/kernel"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/series"
)

// A batch goes through four passes (README "How a point is judged"):
//  1. collect: every data point becomes an observation on its series' shard (series are sharded
//     by identity; the shards draw on one max_series budget, and a shard evicts its own
//     series only once the whole budget is held);
//  2. observe, per shard: the point's signals update its series' statistics and yield its
//     evidence; a request goes to its model group's forest (pools are by model group, so a
//     metric's forest exists once and learns from all its series);
//  3. forests, per pool: every vector is offered for learning; the forest scores the points whose
//     evidence could raise an alarm (half the alarm level or more);
//  4. judge, per shard: the forest's confirmation turns evidence into the anomaly score, and the
//     series' alarm episode advances; then the output is written.

// parallelBatchPoints: batches at least this large run their shards and pools in parallel.
const parallelBatchPoints = 4096

// modelIdleTimeout: a model group that sent nothing for this long is released (its forest and
// its entry); it is rebuilt if the group returns.
const modelIdleTimeout = 30 * time.Minute

// consultLevel: the forest judges a point whose evidence reaches this share of the alarm level;
// below it the point cannot alarm whatever the forest says (its score stays below 0.3).
const consultLevel = 0.5

// The forest's confirmation ramp (detect.Confirmation): an isolation score below confirmLo says
// the group's forest has seen many vectors like this one (the evidence is ordinary for the
// metric); from confirmHi on the vector is rare and the evidence counts in full. Chosen on the
// NAB corpus (README "Detection quality").
const confirmLo, confirmHi = 0.55, 0.65

// errorLogInterval: kernel errors and forest-cap warnings are logged at most once per interval.
const errorLogInterval = 10 * time.Second

type isolationForestProcessor struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	detP   detect.Params
	alarmP detect.AlarmParams
	n      int // shards and pools, fixed when the processor is created

	module *kernel.Module
	shards []*shard
	pools  []*forests.Pool

	scoreText []string         // precomputed anomaly_score strings for small precisions
	now       func() time.Time // wall clock: series expiry and idle groups
	batches   sync.Pool
	errLog    rateLimitedLog
	capLog    rateLimitedLog
	nextSweep atomic.Int64 // unix seconds: when maintain runs next
	hub       *events.Hub  // where anomaly events go (the anomaly_events receiver naming this processor)
	id        component.ID
	store     storage.Client // option storage: where the state is saved (nil: not saved)
	stopSave  chan struct{}
	saveDone  chan struct{}
}

// seriesSlot is one series' slot in a shard.
type seriesSlot = series.Slot[seriesState]

// shard holds a share of the series, behind one mutex.
type shard struct {
	mu       sync.Mutex
	series   *series.Table[seriesState]
	episodes map[uint64]*episode // open alarm episodes with events, by series key
}

// episode is what an open alarm's events need beyond the series' Alarm (kept only while it is open).
type episode struct {
	expected, observed float64
	signal             string
	traceIDs           []pcommon.TraceID
	emit               bool // its onset event was emitted (within the per-series cap): so is its resolve
}

// seriesState is everything kept per series (TestSeriesStateSize states its size).
type seriesState struct {
	hist  datamodel.History // the previous point, to derive signals
	det   detect.Series     // statistics and evidence
	alarm detect.Alarm      // the open alarm episode
}

// observation is one data point of a batch.
type observation struct {
	datamodel.Point
	slot      int32           // the series' slot in its shard
	pool      int32           // the pool of its model group
	req       int32           // index of its forest request in that pool's list, or -1
	strength  detect.Strength // its evidence, each kind relative to its alarm level
	judged    bool            // it gets an anomaly score
	anomalous bool            // it opened an alarm episode
	open      bool            // its series' alarm episode is open after it (onset or hold)
	score     float64
	verdict   datamodel.Verdict
}

// batch is the scratch space of one ConsumeMetrics call (pooled).
type batch struct {
	perShard    [][]observation
	reqs        [][][]forests.Request // [shard][pool]
	merged      [][]forests.Request   // [pool]: the shards' requests, in shard order
	metrics     []datamodel.MetricRef
	stats       []shardStats
	pstats      []forests.Stats
	events      [][]events.Record // [shard]: anomaly events of this batch, in order
	forgets     [][]uint64        // [shard]: series-mode groups whose series left the table
	poolForgets [][]uint64        // [pool]: the same, sorted by pool
}

// shardStats are the telemetry deltas of one shard's passes.
type shardStats struct {
	scored, anomalies, resolves, created, evicted, expired int64
	rateLimited                                            int64 // events over the per-series cap
	unscored                                               [unscoredReasons]int64
}

// Reasons a data point passes through without a score (telemetry attribute "reason").
const (
	reasonWarmup = iota
	reasonDuplicate
	reasonOutOfOrder
	reasonNonFinite
	reasonBaseline
	reasonKernel
	unscoredReasons
)

var reasonNames = [unscoredReasons]string{"warmup", "duplicate", "out_of_order", "non_finite", "baseline", "kernel_error"}

func newProcessor(set processor.Settings, cfg *Config) (*isolationForestProcessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &isolationForestProcessor{
		cfg: cfg, logger: set.Logger, tel: tel, now: time.Now,
		detP: cfg.detectParams(), alarmP: cfg.alarmParams(), n: cfg.instances(), id: set.ID,
	}
	if cfg.ScorePrecision <= 4 { // scores lie in [0, 1]: at most 10^p+1 distinct strings
		steps := int(math.Pow10(cfg.ScorePrecision))
		p.scoreText = make([]string, steps+1)
		for i := range p.scoreText {
			p.scoreText[i] = strconv.FormatFloat(float64(i)/float64(steps), 'f', cfg.ScorePrecision, 64)
		}
	}
	n := p.n
	p.batches.New = func() any {
		b := &batch{perShard: make([][]observation, n), reqs: make([][][]forests.Request, n),
			merged: make([][]forests.Request, n), stats: make([]shardStats, n), pstats: make([]forests.Stats, n),
			forgets: make([][]uint64, n), poolForgets: make([][]uint64, n), events: make([][]events.Record, n)}
		for i := range b.reqs {
			b.reqs[i] = make([][]forests.Request, n)
		}
		return b
	}
	budget := series.NewBudget(cfg.MaxSeries) // one max_series for all shards
	for range n {
		p.shards = append(p.shards, &shard{series: series.NewSharedTable[seriesState](budget), episodes: map[uint64]*episode{}})
	}
	p.hub = events.Lookup(set.ID.String())
	return p, nil
}

// start compiles the kernel once and creates the pools; any failure names the key at fault.
func (p *isolationForestProcessor) start(ctx context.Context, host component.Host) error {
	wasm, source := embeddedKernel, "embedded kernel"
	if p.cfg.KernelPath != "" {
		b, err := os.ReadFile(p.cfg.KernelPath)
		if err != nil {
			return fmt.Errorf("kernel_path: %w", err)
		}
		wasm, source = b, p.cfg.KernelPath
	}
	mod, err := kernel.NewModule(ctx, wasm)
	if err != nil {
		if p.cfg.KernelPath != "" {
			return fmt.Errorf("kernel_path: %s: %w", source, err)
		}
		return fmt.Errorf("%s: %w", source, err)
	}
	p.module = mod
	fp := p.cfg.forestParams(p.n)
	onError := func(err error) {
		p.errLog.log(p.logger, "isolationforest kernel error: the affected points pass through unscored", err)
	}
	onCap := func() {
		p.capLog.log(p.logger, "isolationforest: max_forests reached; new model groups are judged by their statistics alone until idle groups are released",
			fmt.Errorf("max_forests %d", p.cfg.MaxForests))
	}
	for i := range p.n {
		pool, err := forests.NewPool(ctx, mod, fp, i, onError, onCap)
		if err != nil {
			_ = mod.Close(ctx)
			return fmt.Errorf("%s: %w", source, err)
		}
		p.pools = append(p.pools, pool)
	}
	p.logger.Info("isolationforest kernel ready", zap.String("kernel", source), zap.Int("instances", p.n))
	if err := p.openStorage(ctx, host); err != nil {
		_ = mod.Close(ctx)
		return err
	}
	if p.store != nil {
		p.restore(ctx)
		p.stopSave, p.saveDone = make(chan struct{}), make(chan struct{})
		go p.saveLoop(p.stopSave, p.saveDone)
	}
	return nil
}

func (p *isolationForestProcessor) shutdown(ctx context.Context) error {
	var errs []error
	if p.store != nil {
		close(p.stopSave)
		<-p.saveDone
		if err := p.save(ctx); err != nil {
			errs = append(errs, fmt.Errorf("saving state at shutdown: %w", err))
		}
		errs = append(errs, p.store.Close(ctx))
	}
	p.tel.Shutdown()
	if p.module != nil {
		errs = append(errs, p.module.Close(ctx)) // closes every instance
	}
	return errors.Join(errs...)
}

func (p *isolationForestProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	b := p.batches.Get().(*batch)
	defer p.release(b)
	total := p.collect(md, b)
	if total == 0 {
		return md, nil
	}
	now := p.now().Unix()
	if now >= p.nextSweep.Load() {
		p.maintain(ctx, b, now)
	}
	parallel := total >= parallelBatchPoints && p.n > 1
	p.each(parallel, func(i int) { p.observe(i, b, now) })
	p.each(parallel, func(i int) {
		b.merged[i] = b.merged[i][:0]
		for s := range b.reqs {
			b.merged[i] = append(b.merged[i], b.reqs[s][i]...)
		}
		forget := b.poolForgets[i][:0]
		for s := range b.forgets {
			for _, g := range b.forgets[s] {
				if g%uint64(p.n) == uint64(i) {
					forget = append(forget, g)
				}
			}
		}
		b.poolForgets[i] = forget
		if len(b.merged[i]) > 0 || len(forget) > 0 {
			st := p.pools[i].Process(ctx, b.merged[i], forget, now)
			st.Forests += b.pstats[i].Forests // maintain may have released some already
			b.pstats[i] = st
		}
	})
	p.each(parallel, func(i int) { p.judge(i, b) })
	p.publish(ctx, b) // before emit: the events copy the points' attributes as they came
	p.emit(b)
	p.recordStats(ctx, b)
	return md, nil
}

// each runs f for every shard index, in parallel goroutines for large batches.
func (p *isolationForestProcessor) each(parallel bool, f func(i int)) {
	if !parallel {
		for i := range p.n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for i := range p.n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

func (p *isolationForestProcessor) release(b *batch) {
	for i := range b.perShard {
		clear(b.perShard[i]) // drop references to this batch's pdata
		b.perShard[i] = b.perShard[i][:0]
		for j := range b.reqs[i] {
			b.reqs[i][j] = b.reqs[i][j][:0]
		}
		b.merged[i] = b.merged[i][:0]
		b.stats[i], b.pstats[i] = shardStats{}, forests.Stats{}
		b.forgets[i] = b.forgets[i][:0]
		clear(b.events[i])
		b.events[i] = b.events[i][:0]
	}
	clear(b.metrics)
	b.metrics = b.metrics[:0]
	p.batches.Put(b)
}

// collect turns every scorable data point into an observation on its series' shard.
func (p *isolationForestProcessor) collect(md pmetric.Metrics, b *batch) int {
	n := uint64(p.n)
	bySeries := p.cfg.ModelGroup == ModelGroupSeries
	group := func(name, key uint64) uint64 {
		if bySeries {
			return key
		}
		return name
	}
	total := 0
	b.metrics = datamodel.Collect(md, b.metrics, group, func(pt datamodel.Point) {
		s := datamodel.Mix(pt.Key) % n
		b.perShard[s] = append(b.perShard[s], observation{Point: pt, pool: int32(pt.Group % n), req: -1})
		total++
	})
	return total
}

// observe (pass 2) updates each point's series and collects its forest request.
func (p *isolationForestProcessor) observe(si int, b *batch, now int64) {
	obs := b.perShard[si]
	if len(obs) == 0 {
		return
	}
	s := p.shards[si]
	st := &b.stats[si]
	s.mu.Lock()
	defer s.mu.Unlock()
	// Look every known series up first: independent memory accesses, which the CPU overlaps (with
	// 100 000+ series each lookup is a cache miss); new series are created in order below.
	for i := range obs {
		obs[i].slot = s.series.Find(obs[i].Key)
	}
	for i := range obs {
		o := &obs[i]
		slot := s.series.At(o.slot, o.Key)
		if slot != nil {
			s.series.Touch(slot, now)
		} else {
			var created, evicted bool
			var ev series.Evicted
			slot, o.slot, created, ev, evicted = s.series.Get(o.Key, o.Group, now)
			if created {
				st.created++
			}
			if evicted {
				st.evicted++
				p.seriesGone(si, b, ev)
			}
		}
		state := &slot.State
		a, sb, hasB, verdict := state.hist.Next(&o.Point)
		o.verdict = verdict
		switch verdict {
		case datamodel.Usable:
		case datamodel.Restart: // a new kind of series under the same identity: start over
			state.det, state.alarm = detect.Series{}, detect.Alarm{}
			continue
		default:
			continue
		}
		strength, warm := state.det.Observe(a, sb, hasB, o.Time, &p.detP)
		if !warm {
			continue
		}
		o.strength, o.judged = strength, true
		x, _ := strength.Max()
		if p.cfg.MaxForests == 0 {
			continue // no forests: the statistics alone
		}
		reqs := &b.reqs[si][o.pool]
		o.req = int32(len(*reqs))
		*reqs = append(*reqs, forests.Request{Group: o.Group, Time: o.Time, Vec: features(strength), Consult: x >= consultLevel})
	}
}

// maintain runs once a minute, on the batch that finds it due: every shard forgets the series
// not seen for series_ttl, and every pool releases the model groups idle for modelIdleTimeout
// (pools do it at the start of their next Process; idle pools are visited here), so memory held
// for metrics that went away is returned even when no point reaches their shard or pool again.
func (p *isolationForestProcessor) maintain(ctx context.Context, b *batch, now int64) {
	next := p.nextSweep.Load()
	if now < next || !p.nextSweep.CompareAndSwap(next, now+60) {
		return // another batch is doing it
	}
	cutoff := now - int64(p.cfg.SeriesTTL/time.Second)
	for si, s := range p.shards {
		s.mu.Lock()
		s.series.Expire(cutoff, func(ev series.Evicted) {
			b.stats[si].expired++
			p.seriesGone(si, b, ev)
		})
		s.mu.Unlock()
	}
	for i, pool := range p.pools {
		b.pstats[i] = pool.Maintain(ctx, now)
	}
}

// seriesGone: a series left its shard (evicted or expired); with model_group series, its forest
// goes with it (its pool forgets the group in pass 3). The caller holds the shard's lock.
func (p *isolationForestProcessor) seriesGone(si int, b *batch, ev series.Evicted) {
	delete(p.shards[si].episodes, ev.Key) // an open episode of a forgotten series ends without events
	if p.cfg.ModelGroup == ModelGroupSeries {
		b.forgets[si] = append(b.forgets[si], ev.Group)
	}
}

// features is the vector the forest sees: each kind of evidence, squashed.
func features(s detect.Strength) detect.Vector {
	return detect.Vector{detect.Squash(s.Range), detect.Squash(s.Shift), detect.Squash(s.Season)}
}

// judge (pass 4) turns each point's evidence and its forest's confirmation into the anomaly score
// and advances its series' alarm episode, in the order of the points.
func (p *isolationForestProcessor) judge(si int, b *batch) {
	obs := b.perShard[si]
	if len(obs) == 0 {
		return
	}
	s := p.shards[si]
	st := &b.stats[si]
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range obs {
		o := &obs[i]
		if !o.judged {
			st.unscored[reasonOf(o.verdict)]++
			continue
		}
		slot := s.series.At(o.slot, o.Key)
		if slot == nil { // evicted by a newer series of a concurrent batch
			o.judged = false
			st.unscored[reasonWarmup]++
			continue
		}
		x, driver := o.strength.Max()
		if o.req >= 0 {
			if r := &b.merged[o.pool][p.mergedIndex(b, si, int(o.pool), int(o.req))]; r.Consult {
				switch {
				case r.Scored:
					x = detect.Confirm(x, r.Raw, confirmLo, confirmHi)
				case b.pstats[o.pool].KernelErrors > 0:
					o.judged = false // its forest failed in this batch: pass through unscored
					st.unscored[reasonKernel]++
					continue
				}
				// not scored otherwise: the forest is still growing or the cap was reached, and
				// the statistics speak alone
			}
		}
		o.score = detect.Score(x)
		alarm := &slot.State.alarm
		onset := alarm.Onset
		tr := alarm.Step(o.score, o.Time, driver, &p.alarmP)
		o.anomalous, o.open = tr == detect.Onset, alarm.Open()
		if tr == detect.Resolve {
			st.resolves++
		}
		if p.cfg.Events.Enabled {
			p.episodeEvents(s, si, b, o, alarm, tr, onset, driver)
		}
		if judged != nil {
			judged(o, &slot.State)
		}
		st.scored++
		if o.anomalous {
			st.anomalies++
		}
	}
}

// episodeEvents keeps an open episode's explanation and trace ids and records its onset and
// resolve events (within the per-series cap).
func (p *isolationForestProcessor) episodeEvents(s *shard, si int, b *batch, o *observation, alarm *detect.Alarm, tr detect.Transition, onset uint64, driver detect.Driver) {
	ep := s.episodes[o.Key]
	switch tr {
	case detect.Onset:
		expected, observed, onB := o.strength.Explain(driver)
		a, bName := o.Kind.SignalNames(o.HasSum)
		sig := a
		if onB {
			sig = bName
		}
		ep = &episode{expected: expected, observed: observed, signal: sig, emit: alarm.AllowEvent(o.Time, p.cfg.Events.MaxPerSeriesPerHour)}
		s.episodes[o.Key] = ep
		if !ep.emit {
			b.stats[si].rateLimited++
		}
	case detect.Resolve:
		if ep == nil {
			return
		}
		delete(s.episodes, o.Key)
		if ep.emit {
			b.events[si] = append(b.events[si], p.record(b, o, events.StateResolve, onset, alarm.Peak, alarm.Driver, ep))
		} else {
			b.stats[si].rateLimited++
		}
		return
	}
	if ep == nil || !o.open {
		return
	}
	for i := 0; i < o.ExemplarCount() && len(ep.traceIDs) < p.cfg.Events.TraceIDs; i++ {
		if id := o.Exemplars.At(i).TraceID(); !id.IsEmpty() && !slices.Contains(ep.traceIDs, id) {
			ep.traceIDs = append(ep.traceIDs, id)
		}
	}
	if tr == detect.Onset && ep.emit {
		b.events[si] = append(b.events[si], p.record(b, o, events.StateOnset, o.Time, o.score, driver, ep))
	}
}

// record describes one event of o's series.
func (p *isolationForestProcessor) record(b *batch, o *observation, state string, onset uint64, score float64, driver detect.Driver, ep *episode) events.Record {
	ref := &b.metrics[o.Metric]
	return events.Record{
		State: state, Time: o.Time, OnsetTime: onset, Metric: ref.Metric.Name(), Unit: ref.Metric.Unit(),
		Resource: ref.Resource.Attributes(), Labels: o.Attrs, Score: score, Expected: ep.expected, Observed: ep.observed,
		Driver: driver.String(), Signal: ep.signal, TraceIDs: slices.Clone(ep.traceIDs),
	}
}

// mergedIndex maps request j of shard si for pool pi to its index in the pool's merged list.
func (p *isolationForestProcessor) mergedIndex(b *batch, si, pi, j int) int {
	off := 0
	for s := 0; s < si; s++ {
		off += len(b.reqs[s][pi])
	}
	return off + j
}

func reasonOf(v datamodel.Verdict) int {
	switch v {
	case datamodel.Duplicate:
		return reasonDuplicate
	case datamodel.OutOfOrder:
		return reasonOutOfOrder
	case datamodel.NonFinite:
		return reasonNonFinite
	case datamodel.Baseline, datamodel.Empty, datamodel.Restart:
		return reasonBaseline
	}
	return reasonWarmup
}

// publish hands the batch's anomaly events to the anomaly_events receiver, if one is attached.
func (p *isolationForestProcessor) publish(ctx context.Context, b *batch) {
	ld := plog.NewLogs()
	var onsets, resolves int64
	for si := range b.events {
		for i := range b.events[si] {
			r := &b.events[si][i]
			events.Append(ld, r)
			if r.State == events.StateOnset {
				onsets++
			} else {
				resolves++
			}
		}
	}
	if onsets+resolves == 0 {
		return
	}
	if reason := p.hub.Offer(ld); reason != "" {
		p.tel.ProcessorIsolationforestEventsDropped.Add(ctx, onsets+resolves, dropAttrs[reason])
		return
	}
	if onsets > 0 {
		p.tel.ProcessorIsolationforestEvents.Add(ctx, onsets, onsetAttrs)
	}
	if resolves > 0 {
		p.tel.ProcessorIsolationforestEvents.Add(ctx, resolves, resolveAttrs)
	}
}

// judged, when set (by tests), sees every judged point with its series' state.
var judged func(o *observation, state *seriesState)

// emit writes the output: a companion gauge point, or attributes on the data point.
func (p *isolationForestProcessor) emit(b *batch) {
	for si := range b.perShard {
		obs := b.perShard[si]
		for i := range obs {
			o := &obs[i]
			if !o.judged {
				continue
			}
			if p.cfg.OutputMode == OutputModeAttributes {
				datamodel.SetAttributes(o.Attrs, p.formatScore(o.score), o.anomalous)
				continue
			}
			var ex *pmetric.ExemplarSlice
			if o.open && o.ExemplarCount() > 0 {
				ex = &o.Exemplars
			}
			datamodel.AppendCompanion(&b.metrics[o.Metric], o.Attrs, o.Time, o.score, o.anomalous, ex)
		}
	}
}

func (p *isolationForestProcessor) formatScore(score float64) string {
	if p.scoreText != nil {
		i := int(math.Round(score * float64(len(p.scoreText)-1)))
		return p.scoreText[min(max(i, 0), len(p.scoreText)-1)]
	}
	return strconv.FormatFloat(score, 'f', p.cfg.ScorePrecision, 64)
}
