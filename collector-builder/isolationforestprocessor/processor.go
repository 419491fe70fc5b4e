package isolationforestprocessor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// Output attribute names (attributes mode) and the companion metric suffix (metrics mode).
const (
	attrScore       = "anomaly_score"
	attrIsAnomaly   = "is_anomaly"
	companionSuffix = "_anomaly_score"
	featureDims     = 2
)

// parallelBatchPoints: batches at least this large process their shards in parallel goroutines.
const parallelBatchPoints = 4096

// modelIdleTimeout: a forest whose group has sent nothing for this long is freed (a metric that
// went away must not keep ~1.6 MB of kernel memory forever); it is rebuilt if the group returns.
const modelIdleTimeout = 30 * time.Minute

// errorLogInterval: kernel errors are logged at most once per interval (each is counted).
const errorLogInterval = 10 * time.Second

type isolationForestProcessor struct {
	cfg       *Config
	logger    *zap.Logger
	tel       *metadata.TelemetryBuilder
	threshold float64
	warmup    uint32

	module *kernelModule
	shards []*shard

	scoreText []string         // precomputed anomaly_score strings for small precisions
	now       func() time.Time // the clock of refresh_interval and idle models
	grid      *grid            // score cache cells; nil: exact scores
	rotation  atomic.Uint32
	batches   sync.Pool
	errLog    rateLimitedLog
}

// shard owns one kernel instance, the series hashed to it and their models.
type shard struct {
	mu        sync.Mutex
	kernel    *kernelInstance // nil after a failed re-creation: points pass through until it succeeds
	series    *seriesTable
	models    map[uint64]*model
	touched   []*model
	nextSweep int64      // unix seconds: next look for idle models
	rng       *rand.Rand // reservoir sampling
	sample    int        // refresh_points: capacity of each model's reservoir
}

// model is one forest (a model group within a shard), what it learns next, its score cache and
// the rows of the batch in progress.
type model struct {
	group       uint64
	handle      int32 // -1: not created in the current kernel instance
	lastUsed    int64 // unix seconds of the last batch that fed it
	series      int   // series of this group held by the shard
	fitted      bool  // the forest had trees at its last score call
	nextRefresh int64 // unix ns: the sample is fed to the forest once this has passed
	learn       reservoir
	cache       scoreCache
	inBatch     bool
	rows        []float64 // this batch's vectors to score: exact, or the cell centres of the missed blocks
	cells       []uint32  // grid cells of this batch's cache misses (when caching), one per obs
	blocks      []uint32  // the distinct blocks of those cells, each scored as blockCells rows
	blockOf     []int32   // index into blocks of each miss
	update      []float64 // vectors fed to the forest this batch before it has trees (all of them)
	obs         []int32   // index of each row's observation
	scores      []float64
}

// missBlockRows lists the distinct blocks of this batch's cache misses and the rows that score
// all of their cells.
func (m *model) missBlockRows(resolution float64) {
	for _, cell := range m.cells {
		block, _ := cellIndex(cell)
		j := slices.Index(m.blocks, block) // a batch misses few blocks per group
		if j < 0 {
			j = len(m.blocks)
			m.blocks = append(m.blocks, block)
			m.rows = blockRows(m.rows, block, resolution)
		}
		m.blockOf = append(m.blockOf, int32(j))
	}
}

// reset marks the forest gone (freed, in error, or its instance replaced): it restarts empty.
func (m *model) reset() {
	m.handle, m.fitted = -1, false
	m.cache.invalidate()
}

// shardStats are the telemetry deltas of one shard pass.
type shardStats struct {
	scored, anomalies, unscored, created, evicted, kernelErrors int64
}

// batch is the scratch space of one ConsumeMetrics call (pooled).
type batch struct {
	perShard [][]observation
	metrics  []metricRef
	stats    []shardStats
}

type metricRef struct {
	scope     pmetric.ScopeMetrics
	metric    pmetric.Metric
	companion pmetric.Metric
	hasComp   bool
}

func newProcessor(set processor.Settings, cfg *Config) (*isolationForestProcessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &isolationForestProcessor{
		now:       time.Now,
		cfg:       cfg,
		logger:    set.Logger,
		tel:       tel,
		threshold: cfg.Threshold,
		warmup:    uint32(cfg.WarmupPoints),
	}
	if cfg.ScorePrecision <= 4 { // scores lie in [0, 1]: at most 10^p+1 distinct strings
		steps := int(math.Pow10(cfg.ScorePrecision))
		p.scoreText = make([]string, steps+1)
		for i := range p.scoreText {
			p.scoreText[i] = strconv.FormatFloat(float64(i)/float64(steps), 'f', cfg.ScorePrecision, 64)
		}
	}
	if cfg.ScoreCache > 0 {
		p.grid = newGrid(cfg.ScoreCache)
	}
	n := cfg.instances()
	p.batches.New = func() any { return &batch{perShard: make([][]observation, n), stats: make([]shardStats, n)} }
	return p, nil
}

// start compiles the kernel once and creates the instance pool; any failure names the key at fault.
func (p *isolationForestProcessor) start(ctx context.Context, _ component.Host) error {
	wasm, source := embeddedKernel, "embedded kernel"
	if p.cfg.KernelPath != "" {
		b, err := os.ReadFile(p.cfg.KernelPath)
		if err != nil {
			return fmt.Errorf("kernel_path: %w", err)
		}
		wasm, source = b, p.cfg.KernelPath
	}
	mod, err := newKernelModule(ctx, wasm)
	if err != nil {
		if p.cfg.KernelPath != "" {
			return fmt.Errorf("kernel_path: %s: %w", source, err)
		}
		return fmt.Errorf("%s: %w", source, err)
	}
	p.module = mod
	n := p.cfg.instances()
	budget := new(atomic.Int64) // max_series is shared by all shards
	for range n {
		inst, err := mod.newInstance(ctx)
		if err != nil {
			_ = mod.close(ctx)
			return fmt.Errorf("%s: %w", source, err)
		}
		p.shards = append(p.shards, &shard{kernel: inst, series: newSeriesTable(p.cfg.MaxSeries, budget), models: map[uint64]*model{},
			sample: p.cfg.refreshSample(), rng: rand.New(rand.NewPCG(p.cfg.Seed, uint64(len(p.shards))))})
	}
	p.logger.Info("isolationforest kernel ready", zap.String("kernel", source), zap.Int("instances", n))
	return nil
}

func (p *isolationForestProcessor) shutdown(ctx context.Context) error {
	p.tel.Shutdown()
	if p.module != nil {
		return p.module.close(ctx) // closes every instance
	}
	return nil
}

func (p *isolationForestProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	b := p.batches.Get().(*batch)
	defer p.release(b)
	total := p.collect(md, b)
	if total == 0 {
		return md, nil
	}
	if total >= parallelBatchPoints && len(p.shards) > 1 {
		var wg sync.WaitGroup
		for i, s := range p.shards {
			if len(b.perShard[i]) > 0 {
				wg.Go(func() { b.stats[i] = p.processShard(ctx, s, b.perShard[i]) })
			}
		}
		wg.Wait()
	} else {
		// Concurrent batches start at different shards, so they do not queue behind each other
		// on the same shard lock.
		first := int(p.rotation.Add(1))
		for j := range p.shards {
			i := (first + j) % len(p.shards)
			if len(b.perShard[i]) > 0 {
				b.stats[i] = p.processShard(ctx, p.shards[i], b.perShard[i])
			}
		}
	}
	p.emit(b)
	p.record(ctx, b)
	return md, nil
}

func (p *isolationForestProcessor) release(b *batch) {
	for i := range b.perShard {
		clear(b.perShard[i]) // drop references to this batch's pdata
		b.perShard[i] = b.perShard[i][:0]
		b.stats[i] = shardStats{}
	}
	clear(b.metrics)
	b.metrics = b.metrics[:0]
	p.batches.Put(b)
}

// collect turns every data point into an observation on its series' shard.
func (p *isolationForestProcessor) collect(md pmetric.Metrics, b *batch) int {
	n := uint64(len(p.shards))
	bySeries := p.cfg.ModelGroup == ModelGroupSeries
	total := 0
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		resHash := hashAttributes(rm.Resource().Attributes())
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			scopeHash := combine(resHash, hashScope(sm.Scope()))
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				nameHash := hashString(m.Name())
				metricHash := combine(scopeHash, nameHash+uint64(m.Type()))
				ref := int32(len(b.metrics))
				add := func(o observation) {
					o.key = combine(metricHash, hashAttributes(o.attrs))
					o.group = nameHash
					if bySeries {
						o.group = o.key
					}
					o.metric = ref
					// A model group lives in one instance (metric mode: all series of a metric),
					// so each forest exists once and learns from all of its series.
					s := o.group % n
					b.perShard[s] = append(b.perShard[s], o)
					total++
				}
				if !collectMetric(m, add) {
					continue
				}
				b.metrics = append(b.metrics, metricRef{scope: sm, metric: m})
			}
		}
	}
	return total
}

// collectMetric passes one observation per usable data point to add; false if the metric has none.
func collectMetric(m pmetric.Metric, add func(observation)) bool {
	found := false
	number := func(dps pmetric.NumberDataPointSlice, kind uint8) {
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			if dp.Flags().NoRecordedValue() {
				continue
			}
			v := dp.DoubleValue()
			if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
				v = float64(dp.IntValue())
			}
			add(observation{attrs: dp.Attributes(), time: uint64(dp.Timestamp()), x: v, kind: kind})
			found = true
		}
	}
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		number(m.Gauge().DataPoints(), kindGauge)
	case pmetric.MetricTypeSum:
		s := m.Sum()
		kind := kindDeltaSum
		switch {
		case !s.IsMonotonic():
			kind = kindGauge // an up-down total is a level, not a counter
		case s.AggregationTemporality() == pmetric.AggregationTemporalityCumulative:
			kind = kindCumSum
		}
		number(s.DataPoints(), kind)
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		dps := h.DataPoints()
		found = histogramPoints(dps.Len(), dps.At, histogramKind(h.AggregationTemporality()), add) || found
	case pmetric.MetricTypeExponentialHistogram:
		h := m.ExponentialHistogram()
		dps := h.DataPoints()
		found = histogramPoints(dps.Len(), dps.At, histogramKind(h.AggregationTemporality()), add) || found
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			if dp.Flags().NoRecordedValue() {
				continue
			}
			o := observation{attrs: dp.Attributes(), time: uint64(dp.Timestamp()), x: dp.Sum(), y: float64(dp.Count()), hasSum: true, kind: kindSummary}
			if qs := dp.QuantileValues(); qs.Len() > 0 {
				o.q, o.hasQ = qs.At(qs.Len()-1).Value(), true // the highest quantile (tail latency)
			}
			add(o)
			found = true
		}
	}
	return found
}

// histogramPoint is what explicit-bucket and exponential histogram data points share.
type histogramPoint interface {
	Flags() pmetric.DataPointFlags
	Attributes() pcommon.Map
	Timestamp() pcommon.Timestamp
	Sum() float64
	HasSum() bool
	Count() uint64
}

func histogramKind(t pmetric.AggregationTemporality) uint8 {
	if t == pmetric.AggregationTemporalityCumulative {
		return kindCumHist
	}
	return kindDeltaHist
}

// histogramPoints passes one observation (sum and count) per recorded point to add; false if none.
func histogramPoints[P histogramPoint](n int, at func(int) P, kind uint8, add func(observation)) bool {
	found := false
	for i := 0; i < n; i++ {
		dp := at(i)
		if dp.Flags().NoRecordedValue() {
			continue
		}
		add(observation{attrs: dp.Attributes(), time: uint64(dp.Timestamp()), x: dp.Sum(), y: float64(dp.Count()), hasSum: dp.HasSum(), kind: kind})
		found = true
	}
	return found
}

// processShard derives features for the shard's observations and scores them: per model group at
// most one forest_score call (the batch's cache misses, against the model before this batch) and
// at most one forest_update call (a refresh).
func (p *isolationForestProcessor) processShard(ctx context.Context, s *shard, obs []observation) (st shardStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clock := p.now()
	now, nowNs := clock.Unix(), clock.UnixNano()
	if now >= s.nextSweep {
		p.freeIdleModels(ctx, s, now)
	}
	// Look every known series up first: independent memory accesses, which the CPU overlaps (with
	// 100 000+ series each lookup is a cache miss); new series are created in order below.
	for i := range obs {
		obs[i].slot = s.series.find(obs[i].key)
	}
	for i := range obs {
		o := &obs[i]
		state := s.series.at(o.slot, o.key)
		var created bool
		var ev eviction
		if state == nil {
			state, created, ev = s.series.get(o.key, o.group)
		}
		if created {
			st.created++
			s.model(o.group).series++
		}
		if ev.ok {
			st.evicted++
			if m := s.models[ev.group]; m != nil {
				m.series--
			}
			if p.cfg.ModelGroup == ModelGroupSeries {
				p.dropModel(ctx, s, ev.key, true)
			}
		}
		z0, z1, warm, ok := zScores(state, o, p.warmup)
		if !ok || !warm {
			continue
		}
		m := s.model(o.group)
		if !m.inBatch {
			m.inBatch = true
			s.touched = append(s.touched, m)
			m.lastUsed = now
		}
		// Learning: a forest without trees takes every vector (it needs sample_size of them to
		// exist); afterwards the group's vectors compete for the next refresh's sample.
		if !m.fitted {
			m.update = append(m.update, squash(z0), squash(z1))
		} else if row, ok := m.learn.admit(s.rng); ok {
			m.learn.set(row, squash(z0), squash(z1))
		}
		if p.grid != nil {
			cell := p.grid.cellOfZ(z0, z1)
			if score, hit := m.cache.lookup(cell); hit {
				p.scored(o, score, &st)
				continue
			}
			m.cells = append(m.cells, cell) // scored below with its whole block
			m.obs = append(m.obs, int32(i))
			continue
		}
		f0, f1 := squash(z0), squash(z1)
		m.rows = append(m.rows, f0, f1)
		m.obs = append(m.obs, int32(i))
	}
	for _, m := range s.touched {
		if s.kernel == nil && !p.recreate(ctx, s) {
			st.unscored += int64(len(m.obs))
		} else if err := p.scoreAndUpdate(ctx, s, m, obs, nowNs, &st); err != nil {
			st.kernelErrors++
			for _, oi := range m.obs { // scores written before a failed update stay valid
				if !obs[oi].scored {
					st.unscored++
				}
			}
			p.errLog.log(p.logger, err)
			var codeErr *kernelCodeError
			if errors.As(err, &codeErr) {
				p.dropModel(ctx, s, m.group, false) // a model in error is rebuilt from scratch
			} else {
				p.recreate(ctx, s) // a trap leaves the instance unusable
			}
		}
		m.rows, m.cells, m.update, m.obs = m.rows[:0], m.cells[:0], m.update[:0], m.obs[:0]
		m.blocks, m.blockOf = m.blocks[:0], m.blockOf[:0]
		m.inBatch = false
	}
	clear(s.touched)
	s.touched = s.touched[:0]
	return st
}

func (p *isolationForestProcessor) scored(o *observation, score float64, st *shardStats) {
	o.score, o.scored = score, true
	st.scored++
	if score >= p.threshold {
		st.anomalies++
	}
}

// scoreAndUpdate scores the group's cache misses of this batch, then refreshes its forest when
// due: before the forest has trees with every vector of the batch, afterwards at most once per
// refresh_interval with the sample collected since the previous refresh.
func (p *isolationForestProcessor) scoreAndUpdate(ctx context.Context, s *shard, m *model, obs []observation, nowNs int64, st *shardStats) error {
	k := s.kernel
	if m.handle < 0 {
		h, err := k.newForest(ctx, p.cfg.Trees, p.cfg.SampleSize, featureDims, p.cfg.WindowSize, mix(p.cfg.Seed^m.group))
		if err != nil {
			return err
		}
		m.handle = h
	}
	if len(m.obs) > 0 {
		if resolution := p.cfg.ScoreCache; resolution > 0 {
			m.missBlockRows(resolution)
		}
		n := len(m.rows) / featureDims
		if cap(m.scores) < n {
			m.scores = make([]float64, n)
		}
		m.scores = m.scores[:n]
		err := k.score(ctx, m.handle, m.rows, m.scores)
		switch {
		case errors.Is(err, errNotFitted): // still filling the window: points pass unscored
			m.fitted = false
		case err != nil:
			return err
		case len(m.cells) == 0: // exact scores, one row per observation
			m.fitted = true
			for i, oi := range m.obs {
				p.scored(&obs[oi], m.scores[i], st)
			}
		default:
			m.fitted = true
			for i, oi := range m.obs {
				_, at := cellIndex(m.cells[i])
				p.scored(&obs[oi], m.scores[int(m.blockOf[i])*blockCells+at], st)
			}
			for j, block := range m.blocks {
				m.cache.store(block, m.scores[j*blockCells:(j+1)*blockCells])
			}
		}
	}
	feed := m.update
	if len(m.learn.rows) > 0 && nowNs >= m.nextRefresh {
		feed = append(feed, m.learn.rows...)
		m.learn.drain()
		m.nextRefresh = nowNs + int64(p.cfg.RefreshInterval)
	}
	m.update = feed // keeps the grown buffer for the next batch
	if len(feed) == 0 {
		return nil
	}
	m.cache.invalidate() // the forest changes (also if the update fails half-way)
	began := time.Now()
	if err := k.update(ctx, m.handle, feed, len(feed)/featureDims); err != nil {
		return err
	}
	p.tel.ProcessorIsolationforestModelRefreshDuration.Record(ctx, time.Since(began).Seconds())
	return nil
}

// freeIdleModels frees the forests of groups idle for modelIdleTimeout; runs once a minute.
func (p *isolationForestProcessor) freeIdleModels(ctx context.Context, s *shard, now int64) {
	s.nextSweep = now + 60
	for group, m := range s.models {
		if m.handle >= 0 && now-m.lastUsed >= int64(modelIdleTimeout/time.Second) {
			p.dropModel(ctx, s, group, false) // keeps the group's series count
		}
	}
}

// model returns the group's model, creating its (forest-less) entry.
func (s *shard) model(group uint64) *model {
	m := s.models[group]
	if m == nil {
		m = &model{group: group, handle: -1, learn: reservoir{size: s.sample}}
		s.models[group] = m
	}
	return m
}

// dropModel frees a group's forest (the group is idle, evicted or in error); forget also removes
// its entry (series mode: the series is gone).
func (p *isolationForestProcessor) dropModel(ctx context.Context, s *shard, group uint64, forget bool) {
	m := s.models[group]
	if m == nil {
		return
	}
	if m.handle >= 0 && s.kernel != nil {
		_ = s.kernel.freeForest(ctx, m.handle)
	}
	m.reset()
	if forget && !m.inBatch { // not part of the batch in progress
		delete(s.models, group)
	}
}

// recreate replaces the shard's kernel instance; every model restarts empty in the new one.
func (p *isolationForestProcessor) recreate(ctx context.Context, s *shard) bool {
	if s.kernel != nil {
		_ = s.kernel.close(ctx)
		s.kernel = nil
	}
	for _, m := range s.models {
		m.reset()
	}
	inst, err := p.module.newInstance(ctx)
	if err != nil {
		p.errLog.log(p.logger, fmt.Errorf("re-creating kernel instance: %w", err))
		return false
	}
	s.kernel = inst
	return true
}

// emit writes the scores: attributes on the data points, or companion gauges.
func (p *isolationForestProcessor) emit(b *batch) {
	for si := range b.perShard {
		obs := b.perShard[si]
		for i := range obs {
			o := &obs[i]
			if !o.scored {
				continue
			}
			if p.cfg.OutputMode == OutputModeAttributes {
				o.attrs.EnsureCapacity(o.attrs.Len() + 2) // one allocation for both attributes
				o.attrs.PutStr(attrScore, p.formatScore(o.score))
				if o.score >= p.threshold {
					o.attrs.PutStr(attrIsAnomaly, "true")
				} else {
					o.attrs.PutStr(attrIsAnomaly, "false")
				}
				continue
			}
			ref := &b.metrics[o.metric]
			if !ref.hasComp {
				ref.companion = ref.scope.Metrics().AppendEmpty()
				ref.companion.SetName(ref.metric.Name() + companionSuffix)
				ref.companion.SetDescription("Isolation forest anomaly score of " + ref.metric.Name())
				ref.companion.SetUnit("1")
				ref.companion.SetEmptyGauge()
				ref.hasComp = true
			}
			dp := ref.companion.Gauge().DataPoints().AppendEmpty()
			o.attrs.CopyTo(dp.Attributes())
			dp.SetTimestamp(pcommon.Timestamp(o.time))
			dp.SetDoubleValue(o.score)
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

func (p *isolationForestProcessor) record(ctx context.Context, b *batch) {
	var t shardStats
	for _, s := range b.stats {
		t.scored += s.scored
		t.anomalies += s.anomalies
		t.unscored += s.unscored
		t.created += s.created
		t.evicted += s.evicted
		t.kernelErrors += s.kernelErrors
	}
	if t.scored > 0 {
		p.tel.ProcessorIsolationforestPointsScored.Add(ctx, t.scored)
	}
	if t.anomalies > 0 {
		p.tel.ProcessorIsolationforestAnomalies.Add(ctx, t.anomalies)
	}
	if t.unscored > 0 {
		p.tel.ProcessorIsolationforestPointsUnscored.Add(ctx, t.unscored)
	}
	if t.created != t.evicted {
		p.tel.ProcessorIsolationforestActiveSeries.Add(ctx, t.created-t.evicted)
	}
	if t.evicted > 0 {
		p.tel.ProcessorIsolationforestEvictions.Add(ctx, t.evicted)
	}
	if t.kernelErrors > 0 {
		p.tel.ProcessorIsolationforestKernelErrors.Add(ctx, t.kernelErrors)
	}
}

// rateLimitedLog logs the first error of each interval with the count suppressed since the last line.
type rateLimitedLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (r *rateLimitedLog) log(logger *zap.Logger, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < errorLogInterval {
		r.suppressed++
		return
	}
	logger.Warn("isolationforest kernel error: affected points pass through unscored",
		zap.Error(err), zap.Int("errors_not_logged_since_last_message", r.suppressed))
	r.last, r.suppressed = now, 0
}
