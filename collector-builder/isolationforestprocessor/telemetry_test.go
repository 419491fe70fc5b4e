package isolationforestprocessor

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"go.yaml.in/yaml/v3"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// internal/metadata is written by hand in mdatagen's shape: every telemetry metric of
// metadata.yaml exists with the same description and unit, and nothing else does.
func TestTelemetryMatchesMetadata(t *testing.T) {
	raw, err := os.ReadFile("metadata.yaml")
	require.NoError(t, err)
	var meta struct {
		Type      string
		Telemetry struct {
			Metrics map[string]struct {
				Description string
				Unit        string
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(raw, &meta))
	assert.Equal(t, metadata.Type.String(), meta.Type)

	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	tb, err := metadata.NewTelemetryBuilder(tel.NewTelemetrySettings())
	require.NoError(t, err)
	ctx := context.Background()
	tb.ProcessorIsolationforestPointsScored.Add(ctx, 1)
	tb.ProcessorIsolationforestAnomalies.Add(ctx, 1)
	tb.ProcessorIsolationforestPointsUnscored.Add(ctx, 1)
	tb.ProcessorIsolationforestActiveSeries.Add(ctx, 1)
	tb.ProcessorIsolationforestEvictions.Add(ctx, 1)
	tb.ProcessorIsolationforestKernelErrors.Add(ctx, 1)
	tb.ProcessorIsolationforestModelRefreshDuration.Record(ctx, 0.001)

	require.Len(t, meta.Telemetry.Metrics, 7)
	for name, want := range meta.Telemetry.Metrics {
		got, err := tel.GetMetric("otelcol_" + name)
		if assert.NoError(t, err, name) {
			assert.Equal(t, want.Description, got.Description, name)
			assert.Equal(t, want.Unit, got.Unit, name)
		}
	}
}

// Kernel errors are logged at most once per interval; the rest are only counted.
func TestKernelErrorLogIsRateLimited(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	logger := zap.New(core)
	var r rateLimitedLog
	for range 5 {
		r.log(logger, errors.New("trap"))
	}
	require.Equal(t, 1, logs.Len())
	assert.Contains(t, logs.All()[0].Message, "pass through unscored")
	r.last = r.last.Add(-2 * errorLogInterval) // as if the interval had passed
	r.log(logger, errors.New("trap"))
	require.Equal(t, 2, logs.Len())
	assert.Equal(t, int64(4), logs.All()[1].ContextMap()["errors_not_logged_since_last_message"])
}
