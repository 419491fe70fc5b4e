package isolationforestprocessor

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/anomalyeventsreceiver"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// latencyBatch is one delta histogram point of a service's request latency, its exemplar carrying
// the trace id of one call.
func latencyBatch(step int, meanMs float64, trace pcommon.TraceID) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("traces.span.metrics.duration")
	m.SetUnit("ms")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	dp := h.DataPoints().AppendEmpty()
	dp.Attributes().PutStr("span.name", "GET /orders")
	ts := pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * time.Second))
	dp.SetTimestamp(ts)
	dp.SetCount(20)
	dp.SetSum(20 * meanMs)
	ex := dp.Exemplars().AppendEmpty()
	ex.SetTimestamp(ts)
	ex.SetDoubleValue(meanMs)
	ex.SetTraceID(trace)
	return md
}

// A latency spike gives exactly one onset and one resolve event, into a logs pipeline through the
// anomaly_events receiver; the events carry the trace ids of the slow calls (the exemplars of the
// points in the episode), and the events equal the alarms the processor counts.
func TestLatencySpikeGivesOneOnsetAndOneResolveEvent(t *testing.T) {
	ctx := context.Background()
	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(ctx) }()
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.ID = component.NewIDWithName(metadata.Type, "events_test")
	metricsOut := new(consumertest.MetricsSink)
	proc, err := NewFactory().CreateMetrics(ctx, set, createDefaultConfig(), metricsOut)
	require.NoError(t, err)
	require.NoError(t, proc.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, proc.Shutdown(ctx)) }()

	logsOut := new(consumertest.LogsSink)
	rf := anomalyeventsreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig().(*anomalyeventsreceiver.Config)
	rcfg.Processor = set.ID.String()
	recv, err := rf.CreateLogs(ctx, receivertest.NewNopSettings(rf.Type()), rcfg, logsOut)
	require.NoError(t, err)
	require.NoError(t, recv.Start(ctx, componenttest.NewNopHost()))

	r := rand.New(rand.NewPCG(1, 2))
	slow := map[string]bool{}
	for step := 0; step < 700; step++ {
		mean := 40 + (r.Float64()-0.5)*4 // noise without outliers: the test is about the events of one incident
		var trace pcommon.TraceID
		binary.LittleEndian.PutUint64(trace[:8], r.Uint64())
		binary.LittleEndian.PutUint64(trace[8:], r.Uint64())
		if step >= 500 && step < 520 { // the spike: 20 s of slow calls
			mean = 400 + (r.Float64()-0.5)*40
			slow[hex.EncodeToString(trace[:])] = true
		}
		require.NoError(t, proc.ConsumeMetrics(ctx, latencyBatch(step, mean, trace)))
	}
	require.NoError(t, recv.Shutdown(ctx)) // delivers what is queued

	var records []plog.LogRecord
	var resources []pcommon.Resource
	for _, ld := range logsOut.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			lrs := rl.ScopeLogs().At(0).LogRecords()
			for j := 0; j < lrs.Len(); j++ {
				records = append(records, lrs.At(j))
				resources = append(resources, rl.Resource())
			}
		}
	}
	require.Len(t, records, 2, "one onset and one resolve")
	onset, resolve := records[0], records[1]
	attr := func(lr plog.LogRecord, k string) pcommon.Value { v, _ := lr.Attributes().Get(k); return v }
	assert.Equal(t, "mirador.anomaly", onset.EventName())
	assert.Equal(t, "onset", attr(onset, "anomaly.state").Str())
	assert.Equal(t, plog.SeverityNumberWarn, onset.SeverityNumber())
	assert.Equal(t, "resolve", attr(resolve, "anomaly.state").Str())
	assert.Equal(t, plog.SeverityNumberInfo, resolve.SeverityNumber())
	assert.Equal(t, "traces.span.metrics.duration", attr(onset, "anomaly.metric").Str())
	assert.Equal(t, "GET /orders", attr(onset, "span.name").Str(), "the series' labels")
	svc, _ := resources[0].Attributes().Get("service.name")
	assert.Equal(t, "checkout", svc.Str())
	assert.Equal(t, "mean", attr(onset, "anomaly.signal").Str())
	assert.Greater(t, attr(onset, "anomaly.observed").Double(), 300.0, "the slow mean")
	assert.Less(t, attr(onset, "anomaly.expected").Double(), 60.0, "what the series' history expected")
	assert.Contains(t, []string{"range", "shift"}, attr(onset, "anomaly.driver").Str())
	assert.GreaterOrEqual(t, attr(resolve, "anomaly.score").Double(), attr(onset, "anomaly.score").Double(), "the peak")
	assert.Greater(t, attr(resolve, "anomaly.duration_ms").Int(), int64(19_000), "at least the spike's 20 s")
	ids := attr(resolve, "anomaly.trace_ids").Slice()
	require.Positive(t, ids.Len())
	for i := 0; i < ids.Len(); i++ {
		assert.True(t, slow[ids.At(i).Str()], "trace %s is one of the slow calls", ids.At(i).Str())
	}
	assert.Equal(t, ids.At(0).Str(), hex.EncodeToString(func() []byte { id := onset.TraceID(); return id[:] }()), "the record's trace id links the first")
	assert.Equal(t, int64(1), counterValue(t, tel, "otelcol_processor_isolationforest_alarms", "transition", "onset"))
	assert.Equal(t, int64(1), counterValue(t, tel, "otelcol_processor_isolationforest_alarms", "transition", "resolve"))
	assert.Equal(t, int64(2), counterValue(t, tel, "otelcol_processor_isolationforest_events"), "events = alarm transitions")
}

// Without a receiver naming the processor, events are dropped and counted; a series over its
// hourly cap keeps alarming but its events are dropped and counted.
func TestEventsDroppedAndCapped(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.ResolvePoints = 2
	cfg.Events.MaxPerSeriesPerHour = 1
	p, _, tel := startWithTelemetry(t, cfg) // no anomaly_events receiver names it
	ctx := context.Background()
	for step := 0; step < 900; step++ {
		v := 10.0
		if step == 400 || step == 800 { // two new highs, two episodes within one hour
			v = 1000 * float64(step)
		}
		require.NoError(t, p.ConsumeMetrics(ctx, seriesAt("pool", testEpoch.Add(time.Duration(step)*time.Second), v)))
	}
	assert.Equal(t, int64(2), counterValue(t, tel, "otelcol_processor_isolationforest_alarms", "transition", "onset"), "both alarms happen")
	assert.Equal(t, int64(2), counterValue(t, tel, "otelcol_processor_isolationforest_events_dropped", "drop_reason", "no_receiver"),
		"the first episode's onset and resolve found no receiver")
	assert.Equal(t, int64(2), counterValue(t, tel, "otelcol_processor_isolationforest_events_dropped", "drop_reason", "rate_limited"),
		"the second episode is over the cap of one per series per hour")
	assert.Zero(t, counterValue(t, tel, "otelcol_processor_isolationforest_events"))
}
