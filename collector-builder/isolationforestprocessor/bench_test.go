package isolationforestprocessor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// BenchmarkPipeline measures data points per second through an in-process pipeline that does
// what a collector does per request: decode OTLP protobuf -> [isolationforest] -> encode OTLP
// protobuf, for 1k, 100k and 1M active series, with and without the processor (pass-through).
// Run by `npm run bench:processor` (bench/processor/run.mjs), which turns the results into
// bench/results/processor.{json,md}. BENCH_SERIES=1000,100000 limits the series counts.
func BenchmarkPipeline(b *testing.B) {
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
	for _, series := range counts {
		reqs := encodedRequests(series)
		b.Run(fmt.Sprintf("series=%d/passthrough", series), func(b *testing.B) {
			runPipeline(b, reqs, nil)
		})
		b.Run(fmt.Sprintf("series=%d/isolationforest", series), func(b *testing.B) {
			cfg := createDefaultConfig()
			cfg.MaxSeries = series
			runPipeline(b, reqs, cfg)
		})
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

func runPipeline(b *testing.B, reqs [][]byte, cfg *Config) {
	ctx := context.Background()
	var next consumer.Metrics = encodeConsumer{}
	var heapBefore uint64
	heapPerSeries := -1.0
	if cfg != nil {
		heapBefore = heapInUse()
		set := processortest.NewNopSettings(metadata.Type)
		p, err := NewFactory().CreateMetrics(ctx, set, cfg, next)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = p.Shutdown(ctx) }()
		next = p
		// Warm every series and fill every forest before timing: warmup_points+1 cycles.
		unmarshaler := &pmetric.ProtoUnmarshaler{}
		for cycle := 0; cycle <= cfg.WarmupPoints; cycle++ {
			for _, req := range reqs {
				md, _ := unmarshaler.UnmarshalMetrics(req)
				if err := p.ConsumeMetrics(ctx, md); err != nil {
					b.Fatal(err)
				}
			}
		}
		heapPerSeries = float64(heapInUse()-heapBefore) / float64(len(reqs)*benchBatch)
		runtime.KeepAlive(p)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		unmarshaler := &pmetric.ProtoUnmarshaler{}
		i := rand.IntN(len(reqs))
		for pb.Next() {
			md, err := unmarshaler.UnmarshalMetrics(reqs[i%len(reqs)])
			if err != nil {
				b.Error(err)
				return
			}
			if err := next.ConsumeMetrics(ctx, md); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)*benchBatch/b.Elapsed().Seconds(), "points/s")
	if heapPerSeries >= 0 { // Go heap incl. the kernel instances' linear memory, after warm-up
		b.ReportMetric(heapPerSeries, "heap-bytes/series")
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
