package isolationforestprocessor

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// startTestProcessor creates and starts a processor with cfg, delivering to a metrics sink.
func startTestProcessor(t testing.TB, cfg *Config) (processor.Metrics, *consumertest.MetricsSink) {
	t.Helper()
	p, sink, _ := startWithTelemetry(t, cfg)
	return p, sink
}

// startWithTelemetry also returns the processor's own telemetry, readable with counterValue.
func startWithTelemetry(t testing.TB, cfg *Config) (processor.Metrics, *consumertest.MetricsSink, *componenttest.Telemetry) {
	t.Helper()
	sink := new(consumertest.MetricsSink)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	p, err := NewFactory().CreateMetrics(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return p, sink, tel
}

// counterValue reads an int64 sum instrument of the processor's telemetry (0 if never recorded).
func counterValue(t testing.TB, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	return total
}

var testEpoch = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// gaugeBatch is one time step of `series` gauge series of one metric: value(series) each.
func gaugeBatch(name string, step int, series int, value func(s int) float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("test")
	m := sm.Metrics().AppendEmpty()
	m.SetName(name)
	dps := m.SetEmptyGauge().DataPoints()
	ts := pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * 10 * time.Second))
	for s := 0; s < series; s++ {
		dp := dps.AppendEmpty()
		dp.Attributes().PutStr("instance", strconv.Itoa(s))
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(value(s))
	}
	return md
}

// noisy returns a value source: each series has its own level and noise; spikes at the given steps.
func noisy(seed uint64) func(step, s int) float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	return func(step, s int) float64 {
		return 100 + 10*float64(s%7) + r.NormFloat64()*(1+float64(s%3))
	}
}

// eachPoint calls f with the attributes of every data point of md, of every metric type.
func eachPoint(md pmetric.Metrics, f func(m pmetric.Metric, attrs pcommon.Map)) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					for d := 0; d < m.Gauge().DataPoints().Len(); d++ {
						f(m, m.Gauge().DataPoints().At(d).Attributes())
					}
				case pmetric.MetricTypeSum:
					for d := 0; d < m.Sum().DataPoints().Len(); d++ {
						f(m, m.Sum().DataPoints().At(d).Attributes())
					}
				case pmetric.MetricTypeHistogram:
					for d := 0; d < m.Histogram().DataPoints().Len(); d++ {
						f(m, m.Histogram().DataPoints().At(d).Attributes())
					}
				case pmetric.MetricTypeExponentialHistogram:
					for d := 0; d < m.ExponentialHistogram().DataPoints().Len(); d++ {
						f(m, m.ExponentialHistogram().DataPoints().At(d).Attributes())
					}
				case pmetric.MetricTypeSummary:
					for d := 0; d < m.Summary().DataPoints().Len(); d++ {
						f(m, m.Summary().DataPoints().At(d).Attributes())
					}
				}
			}
		}
	}
}
