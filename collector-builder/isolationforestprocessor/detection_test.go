package isolationforestprocessor

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Gauges with noise and injected spikes: spikes are flagged, ordinary points mostly not.
func TestDetectsSpikesInGauges(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Instances = 2
	p, sink := startTestProcessor(t, cfg)
	const series, steps = 20, 300
	value := noisy(1)
	spike := func(step, s int) bool { return step >= 100 && step%50 == 7 && s%4 == 1 }
	for step := 0; step < steps; step++ {
		md := gaugeBatch("latency", step, series, func(s int) float64 {
			v := value(step, s)
			if spike(step, s) {
				v += 40 * (1 + float64(s%3))
			}
			return v
		})
		require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	}
	var spikes, spikesFlagged, normal, normalFlagged, unscored int
	for step, md := range sink.AllMetrics() {
		eachPoint(md, func(_ pmetric.Metric, attrs pcommon.Map) {
			inst, _ := attrs.Get("instance")
			s, _ := strconv.Atoi(inst.Str())
			flag, ok := attrs.Get(attrIsAnomaly)
			if !ok {
				unscored++
				return
			}
			if spike(step, s) {
				spikes++
				if flag.Str() == "true" {
					spikesFlagged++
				}
			} else {
				normal++
				if flag.Str() == "true" {
					normalFlagged++
				}
			}
		})
	}
	t.Logf("spikes flagged %d/%d, ordinary flagged %d/%d, unscored %d", spikesFlagged, spikes, normalFlagged, normal, unscored)
	require.Equal(t, spikes, spikesFlagged, "every spike flagged")
	require.Less(t, float64(normalFlagged)/float64(normal), 0.02, "at most 2%% of ordinary points flagged")
}
