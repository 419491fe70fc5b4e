package isolationforestprocessor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// BenchmarkPipeline measures data points per second through an in-process pipeline that does
// what a collector does per request: decode OTLP protobuf -> [isolationforest] -> encode OTLP
// protobuf, for 1k, 100k and 1M active series, with and without the processor (pass-through);
// the processor is warmed up once per series count, outside the timed runs.
// Run by `npm run bench:processor` (bench/processor/run.mjs), which turns the results into
// bench/results/processor.{json,md}. BENCH_SERIES=1000,100000 limits the series counts;
// BENCH_ROUNDS (default 3) alternates that many pass-through and processor runs per series count
// (the ratio is taken per round, so a burst of load from other work on the shared machine spoils
// one round, not the figure); BENCH_TREES and BENCH_OUTPUT_MODE override those options.
func BenchmarkPipeline(b *testing.B) {
	var err error
	counts := []int{1000, 100000, 1000000}
	if env := os.Getenv("BENCH_SERIES"); env != "" {
		counts = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("BENCH_SERIES: %v", err)
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
	for _, series := range counts {
		reqs := encodedRequests(series)
		cfg := createDefaultConfig()
		cfg.MaxSeries = series
		if v := os.Getenv("BENCH_OUTPUT_MODE"); v != "" { // the cost of each output mode
			cfg.OutputMode = v
		}
		if t := os.Getenv("BENCH_TREES"); t != "" { // explore the cost of the forest size
			if cfg.Trees, err = strconv.Atoi(t); err != nil {
				b.Fatalf("BENCH_TREES: %v", err)
			}
		}
		p, heapPerSeries := warmProcessor(b, reqs, cfg)
		for range rounds { // sub-benchmarks of the same name get suffixes #01, #02, ...
			b.Run(fmt.Sprintf("series=%d/passthrough", series), func(b *testing.B) {
				timedPipeline(b, reqs, encodeConsumer{})
			})
			b.Run(fmt.Sprintf("series=%d/isolationforest", series), func(b *testing.B) {
				timedPipeline(b, reqs, p)
				b.ReportMetric(heapPerSeries, "heap-bytes/series")
			})
		}
		_ = p.Shutdown(context.Background())
	}
}

const benchBatch = 1000 // data points per request

// encodedRequests: one OTLP request per 1000 series (one gauge point each, 10 metric names),
// covering every series once; replayed in a loop, so each series gets a point per cycle.
func encodedRequests(series int) [][]byte {
	r := rand.New(rand.NewPCG(uint64(series), 1))
	var out [][]byte
	marshaler := &pmetric.ProtoMarshaler{}
	for first := 0; first < series; first += benchBatch {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "bench")
		rm.Resource().Attributes().PutStr("host.name", "node-1")
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("bench")
		metrics := map[int]pmetric.NumberDataPointSlice{}
		for s := first; s < min(first+benchBatch, series); s++ {
			name := s % 10
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
			dp.SetTimestamp(pcommon.NewTimestampFromTime(time.Unix(1_790_000_000, 0)))
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

// encodeConsumer is the exporter side of the pipeline: it encodes what it receives.
type encodeConsumer struct{ marshaler pmetric.ProtoMarshaler }

func (encodeConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (e encodeConsumer) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	_, err := e.marshaler.MarshalMetrics(md)
	return err
}

// warmProcessor starts a processor in front of the encoder and feeds every series
// warmup_points+1 points, so every series is scored and every forest built before timing.
// It also returns the Go heap growth per series (including the kernel instances' linear memory).
func warmProcessor(b *testing.B, reqs [][]byte, cfg *Config) (processor.Metrics, float64) {
	ctx := context.Background()
	before := heapInUse()
	p, err := NewFactory().CreateMetrics(ctx, processortest.NewNopSettings(metadata.Type), cfg, encodeConsumer{})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	unmarshaler := &pmetric.ProtoUnmarshaler{}
	noise := rand.New(rand.NewPCG(1, 2))
	for cycle := 0; cycle <= cfg.WarmupPoints; cycle++ {
		for _, req := range reqs {
			md, _ := unmarshaler.UnmarshalMetrics(req)
			jitter(md, noise)
			if err := p.ConsumeMetrics(ctx, md); err != nil {
				b.Fatal(err)
			}
		}
	}
	return p, float64(heapInUse()-before) / float64(len(reqs)*benchBatch)
}

// timedPipeline decodes requests and hands them to next from GOMAXPROCS goroutines. Besides
// wall-clock points/s it reports points per CPU-second of this process (getrusage), which is
// what the ratio uses: on a machine shared with other work, wall time mostly measures the others.
func timedPipeline(b *testing.B, reqs [][]byte, next consumer.Metrics) {
	ctx := context.Background()
	cpuBefore := cpuSeconds()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		unmarshaler := &pmetric.ProtoUnmarshaler{}
		noise := rand.New(rand.NewPCG(rand.Uint64(), 1))
		i := rand.IntN(len(reqs))
		for pb.Next() {
			md, err := unmarshaler.UnmarshalMetrics(reqs[i%len(reqs)])
			if err != nil {
				b.Error(err)
				return
			}
			jitter(md, noise)
			if err := next.ConsumeMetrics(ctx, md); err != nil {
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
// identical values would make every feature vector (0, 0), which the forest scores trivially.
// Both pipelines (with and without the processor) pay for it.
func jitter(md pmetric.Metrics, r *rand.Rand) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				dps := ms.At(k).Gauge().DataPoints()
				for d := 0; d < dps.Len(); d++ {
					dp := dps.At(d)
					dp.SetDoubleValue(dp.DoubleValue() + r.NormFloat64())
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
