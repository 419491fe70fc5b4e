package isolationforestprocessor

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// startTestProcessor creates and starts a processor with cfg, delivering to a metrics sink.
func startTestProcessor(t testing.TB, cfg *Config) (processor.Metrics, *consumertest.MetricsSink) {
	t.Helper()
	p, sink, _ := startWithTelemetry(t, cfg)
	return p, sink
}

// startTestProcessorAfter is startTestProcessor with before run between creation and start.
func startTestProcessorAfter(t testing.TB, cfg *Config, before func()) (processor.Metrics, *consumertest.MetricsSink) {
	t.Helper()
	sink := new(consumertest.MetricsSink)
	p, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	before()
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
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

// counterValue reads an int64 sum instrument of the processor's telemetry (0 if never recorded),
// summed over the data points whose attributes include the given key/value pairs.
func counterValue(t testing.TB, tel *componenttest.Telemetry, name string, attrs ...string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		match := true
		for i := 0; i+1 < len(attrs); i += 2 {
			if v, ok := dp.Attributes.Value(attribute.Key(attrs[i])); !ok || v.AsString() != attrs[i+1] {
				match = false
			}
		}
		if match {
			total += dp.Value
		}
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

// scored is one anomaly score the processor wrote: on a companion point (metrics mode) or as
// attributes of the data point (attributes mode).
type scored struct {
	metric    string         // the scored metric's name
	attrs     map[string]any // the scored point's own attributes (without the output ones)
	score     float64
	anomalous bool
}

// scoresOf lists every score in md, in order.
func scoresOf(t testing.TB, md pmetric.Metrics) []scored {
	var out []scored
	clean := func(m pcommon.Map) map[string]any {
		a := m.AsRaw()
		delete(a, "anomaly_score")
		delete(a, "is_anomaly")
		return a
	}
	eachPoint(md, func(m pmetric.Metric, attrs pcommon.Map) {
		flag, ok := attrs.Get("is_anomaly")
		if !ok {
			return
		}
		s := scored{metric: m.Name(), attrs: clean(attrs), anomalous: flag.Str() == "true"}
		if strings.HasSuffix(m.Name(), "_anomaly_score") && m.Type() == pmetric.MetricTypeGauge {
			s.metric = strings.TrimSuffix(m.Name(), "_anomaly_score")
			for i := 0; i < m.Gauge().DataPoints().Len(); i++ {
				if dp := m.Gauge().DataPoints().At(i); dp.Attributes().Equal(attrs) {
					s.score = dp.DoubleValue()
				}
			}
		} else {
			v, _ := attrs.Get("anomaly_score")
			f, err := strconv.ParseFloat(v.Str(), 64)
			require.NoError(t, err)
			s.score = f
		}
		out = append(out, s)
	})
	return out
}

// flagsOf counts the scores and the alarm onsets in md.
func flagsOf(t testing.TB, md pmetric.Metrics) (scores, onsets int) {
	for _, s := range scoresOf(t, md) {
		scores++
		if s.anomalous {
			onsets++
		}
	}
	return scores, onsets
}
