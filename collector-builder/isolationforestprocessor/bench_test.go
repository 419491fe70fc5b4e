package isolationforestprocessor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/series"
)

// BenchmarkPipeline measures data points per second through an in-process pipeline that does
// what a collector does per request: decode OTLP protobuf -> [isolationforest] -> encode OTLP
// protobuf, for 1k, 100k and 1M active series, with and without the processor (pass-through),
// and with the processor in each output mode asked for; each processor is warmed up once per
// series count, outside the timed runs.
// Run by `npm run bench:processor` (bench/processor/run.mjs), which turns the results into
// bench/results/processor.{json,md}. Environment:
//   - BENCH_SERIES=1000,100000 limits the series counts;
//   - BENCH_ROUNDS (default 3) alternates that many rounds of pass-through and processor runs per
//     series count (ratios are taken per round, so a burst of load from other work on the shared
//     machine spoils one round, not the figure);
//   - BENCH_OUTPUT_MODE: the output modes to run, comma-separated (e.g. "metrics,attributes": one
//     processor per mode, each run in every round); empty: the default mode only;
//   - BENCH_TREES overrides trees.
//
// Every series gets one point per replay cycle, 10 s of its own time after the previous one (a
// forest refresh per metric name per cycle, as a collector sees series reported every 10 s).
// Each request's replays are serialised (a lock per request, taken after decoding), so every
// series' timestamps increase: the processor neither sees duplicates nor out-of-order points.
// Each processor run reports the share of its points that were scored and the share passed
// through as duplicate or out of order (from the processor's own telemetry), so a benchmark that
// stops measuring scoring shows it.
func BenchmarkPipeline(b *testing.B) {
	var err error
	counts := []int{1000, 100000, 1000000}
	if env := os.Getenv("BENCH_SERIES"); env != "" {
		counts = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				b.Fatalf("BENCH_SERIES: %q is not a positive integer", f)
			}
			counts = append(counts, n)
		}
	}
	rounds := 3
	if env := os.Getenv("BENCH_ROUNDS"); env != "" {
		if rounds, err = strconv.Atoi(env); err != nil || rounds < 1 {
			b.Fatalf("BENCH_ROUNDS: must be a positive integer, got %q", env)
		}
	}
	modes := []string{createDefaultConfig().OutputMode}
	if env := os.Getenv("BENCH_OUTPUT_MODE"); env != "" {
		modes = strings.Split(env, ",")
	}
	for _, n := range counts {
		reqs := encodedRequests(n, benchMetricNames)
		enc := &encodeConsumer{}
		variants := []*benchVariant{{name: "passthrough", next: enc, sink: enc, replay: newReplay(reqs)}}
		for _, mode := range modes {
			cfg := createDefaultConfig()
			// 10% headroom: the budget is split evenly over the shards and series hash unevenly, so
			// a budget of exactly n would keep evicting in the fuller shard (and that shard's
			// series, replayed in a cycle, would never warm up)
			cfg.MaxSeries = max(cfg.MaxSeries, n+n/10)
			cfg.OutputMode = mode
			if t := os.Getenv("BENCH_TREES"); t != "" { // explore the cost of the forest size
				if cfg.Trees, err = strconv.Atoi(t); err != nil {
					b.Fatalf("BENCH_TREES: %v", err)
				}
			}
			if err := cfg.Validate(); err != nil {
				b.Fatalf("BENCH_OUTPUT_MODE %q: %v", mode, err)
			}
			variants = append(variants, warmProcessor(b, mode, reqs, cfg, cfg.WarmupPoints+5))
		}
		for range rounds { // sub-benchmarks of the same name get suffixes #01, #02, ...
			for _, v := range variants {
				b.Run(fmt.Sprintf("series=%d/%s", n, v.name), func(b *testing.B) {
					var scored0, dup0 int64
					if v.tel != nil {
						scored0, dup0 = scoredAndDisordered(b, v.tel)
					}
					out0 := v.sink.out.Load()
					timedPipeline(b, v.replay, v.next)
					in := float64(b.N) * benchBatch
					b.ReportMetric(float64(v.sink.out.Load()-out0)/in, "out-points/point")
					if v.tel != nil {
						scored, dup := scoredAndDisordered(b, v.tel)
						b.ReportMetric(float64(scored-scored0)/in, "scored/point")
						b.ReportMetric(float64(dup-dup0)/in, "disordered/point")
						b.ReportMetric(v.heapPerSeries, "heap-bytes/series")
						b.ReportMetric(float64(counterValue(b, v.tel, "otelcol_processor_isolationforest_evictions")), "evictions")
					}
				})
			}
		}
		for _, v := range variants {
			if v.proc != nil {
				_ = v.proc.Shutdown(context.Background())
			}
		}
	}
}

// BenchmarkMetricNameMemory measures the memory of one metric name (model group) with its forest
// grown: the Go heap (which holds the kernel instances' linear memory) of a processor with the
// same 10,000 series spread over 10 and over 110 metric names, after enough cycles for every
// forest to grow. bench/processor/run.mjs takes the difference per forest. It also reports the
// computed figures: a forest's kernel memory (kernel.ForestBytes) and a series slot's size.
// Run with -benchtime 1x.
func BenchmarkMetricNameMemory(b *testing.B) {
	const n = 10000
	for _, names := range []int{10, 110} {
		b.Run(fmt.Sprintf("names=%d", names), func(b *testing.B) {
			for range b.N {
				cfg := createDefaultConfig() // max_series 100,000: room for the 10,000 series
				reqs := encodedRequests(n, names)
				// a forest grows once it was fed sample_size vectors: ~91 series per name feed it in a few cycles
				v := warmProcessor(b, "metrics", reqs, cfg, cfg.WarmupPoints+3*cfg.SampleSize/(n/names)+3)
				forests := counterValue(b, v.tel, "otelcol_processor_isolationforest_forests")
				b.ReportMetric(v.heapBytes, "heap-bytes")
				b.ReportMetric(float64(forests), "forests")
				b.ReportMetric(float64(cfg.forestBytes()), "forest-kernel-bytes")
				b.ReportMetric(float64(unsafe.Sizeof(series.Slot[seriesState]{})), "slot-bytes")
				_ = v.proc.Shutdown(context.Background())
			}
		})
	}
}

const (
	benchBatch       = 1000 // data points per request
	benchMetricNames = 10
	benchStep        = 10 * time.Second // of the points' own time per replay cycle
)

var benchEpoch = time.Unix(1_790_000_000, 0)

// benchVariant is a consumer under test: the encoder alone, or a processor in front of it.
type benchVariant struct {
	name          string
	next          consumer.Metrics
	sink          *encodeConsumer
	proc          processor.Metrics
	tel           *componenttest.Telemetry
	replay        *replay
	heapBytes     float64 // Go heap growth from before the processor's creation to after its warm-up
	heapPerSeries float64
}

// scoredAndDisordered reads the processor's counters of points scored and of points passed
// through as duplicates or out of order.
func scoredAndDisordered(b *testing.B, tel *componenttest.Telemetry) (int64, int64) {
	const unscored = "otelcol_processor_isolationforest_points_unscored"
	return counterValue(b, tel, "otelcol_processor_isolationforest_points_scored"),
		counterValue(b, tel, unscored, "reason", "duplicate") + counterValue(b, tel, unscored, "reason", "out_of_order")
}

// encodedRequests: one OTLP request per 1000 series (one gauge point each, spread over `names`
// metric names), covering every series once; replayed in a loop, so each series gets a point per cycle.
func encodedRequests(n, names int) [][]byte {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	var out [][]byte
	marshaler := &pmetric.ProtoMarshaler{}
	for first := 0; first < n; first += benchBatch {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "bench")
		rm.Resource().Attributes().PutStr("host.name", "node-1")
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("bench")
		metrics := map[int]pmetric.NumberDataPointSlice{}
		for s := first; s < min(first+benchBatch, n); s++ {
			name := s % names
			dps, ok := metrics[name]
			if !ok {
				m := sm.Metrics().AppendEmpty()
				m.SetName("bench_metric_" + strconv.Itoa(name))
				dps = m.SetEmptyGauge().DataPoints()
				metrics[name] = dps
			}
			dp := dps.AppendEmpty()
			dp.Attributes().PutStr("instance", "i-"+strconv.Itoa(s))
			dp.Attributes().PutStr("region", "eu-"+strconv.Itoa(s%3))
			dp.SetTimestamp(pcommon.NewTimestampFromTime(benchEpoch))
			dp.SetDoubleValue(100 + r.NormFloat64()*10)
		}
		b, err := marshaler.MarshalMetrics(md)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

// replay hands decoded requests to a consumer with every series' timestamps advancing: request i's
// k-th replay carries the time benchEpoch + k*benchStep, under request i's lock, so the replays
// of one request reach the consumer in order whatever goroutine decoded them.
type replay struct {
	reqs  [][]byte
	mu    []sync.Mutex
	cycle []int64
}

func newReplay(reqs [][]byte) *replay {
	return &replay{reqs: reqs, mu: make([]sync.Mutex, len(reqs)), cycle: make([]int64, len(reqs))}
}

func (r *replay) consume(ctx context.Context, i int, md pmetric.Metrics, next consumer.Metrics) error {
	r.mu[i].Lock()
	defer r.mu[i].Unlock()
	stamp(md, pcommon.NewTimestampFromTime(benchEpoch.Add(time.Duration(r.cycle[i])*benchStep)))
	r.cycle[i]++
	return next.ConsumeMetrics(ctx, md)
}

// encodeConsumer is the exporter side of the pipeline: it encodes what it receives and counts the
// data points (the companion points of the metrics output mode included).
type encodeConsumer struct {
	marshaler pmetric.ProtoMarshaler
	out       atomic.Int64
}

func (*encodeConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (e *encodeConsumer) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	e.out.Add(int64(md.DataPointCount()))
	_, err := e.marshaler.MarshalMetrics(md)
	return err
}

// warmProcessor starts a processor (with its own telemetry) in front of an encoder and replays
// every request `cycles` times, so every series is scored and the forests are grown before timing.
// It also measures the Go heap growth per series (including the kernel instances' linear memory).
func warmProcessor(b *testing.B, name string, reqs [][]byte, cfg *Config, cycles int) *benchVariant {
	ctx := context.Background()
	before := heapInUse()
	sink := &encodeConsumer{}
	tel := componenttest.NewTelemetry()
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	p, err := NewFactory().CreateMetrics(ctx, set, cfg, sink)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	rp := newReplay(reqs)
	unmarshaler := &pmetric.ProtoUnmarshaler{}
	noise := rand.New(rand.NewPCG(1, 2))
	for range cycles {
		for i, req := range reqs {
			md, err := unmarshaler.UnmarshalMetrics(req)
			if err != nil {
				b.Fatal(err)
			}
			jitter(md, noise)
			if err := rp.consume(ctx, i, md, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	series := len(reqs) * benchBatch
	if scored, _ := scoredAndDisordered(b, tel); scored == 0 {
		b.Fatalf("%s: no point scored after %d warm-up cycles of %d series", name, cycles, series)
	}
	heap := float64(heapInUse()) - float64(before)
	return &benchVariant{name: name, next: p, sink: sink, proc: p, tel: tel, replay: rp,
		heapBytes: heap, heapPerSeries: heap / float64(min(series, cfg.MaxSeries))}
}

// timedPipeline decodes requests and hands them on from GOMAXPROCS goroutines. Besides wall-clock
// points/s it reports points per CPU-second of this process (getrusage), which is what the ratio
// uses: on a machine shared with other work, wall time mostly measures the others.
func timedPipeline(b *testing.B, rp *replay, next consumer.Metrics) {
	ctx := context.Background()
	cpuBefore := cpuSeconds()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		unmarshaler := &pmetric.ProtoUnmarshaler{}
		noise := rand.New(rand.NewPCG(rand.Uint64(), 1))
		i := rand.IntN(len(rp.reqs))
		for pb.Next() {
			k := i % len(rp.reqs)
			md, err := unmarshaler.UnmarshalMetrics(rp.reqs[k])
			if err != nil {
				b.Error(err)
				return
			}
			jitter(md, noise)
			if err := rp.consume(ctx, k, md, next); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.StopTimer()
	points := float64(b.N) * benchBatch
	b.ReportMetric(points/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(points/(cpuSeconds()-cpuBefore), "points/cpu-s")
}

// jitter gives every point a fresh value around its recorded one, as a live sender would: replayed
// identical values would make every series constant. Both pipelines (with and without the
// processor) pay for it.
func jitter(md pmetric.Metrics, r *rand.Rand) {
	eachGaugePoint(md, func(dp pmetric.NumberDataPoint) { dp.SetDoubleValue(dp.DoubleValue() + r.NormFloat64()) })
}

// stamp sets every point's timestamp.
func stamp(md pmetric.Metrics, t pcommon.Timestamp) {
	eachGaugePoint(md, func(dp pmetric.NumberDataPoint) { dp.SetTimestamp(t) })
}

func eachGaugePoint(md pmetric.Metrics, f func(pmetric.NumberDataPoint)) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				dps := ms.At(k).Gauge().DataPoints()
				for d := 0; d < dps.Len(); d++ {
					f(dps.At(d))
				}
			}
		}
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
