package isolationforestprocessor

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/kernel/kerneltest"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

func writeKernel(t *testing.T, wasm []byte) string {
	path := filepath.Join(t.TempDir(), "kernel.wasm")
	require.NoError(t, os.WriteFile(path, wasm, 0o600))
	return path
}

func TestStartFailsNamingKernelPath(t *testing.T) {
	cases := map[string]struct {
		path    func(t *testing.T) string
		message string
	}{
		"missing file":   {func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.wasm") }, "no such file"},
		"not wasm":       {func(t *testing.T) string { return writeKernel(t, []byte("hello")) }, "compiling kernel"},
		"wrong ABI":      {func(t *testing.T) string { return writeKernel(t, kerneltest.Fake(2, false)) }, "kernel ABI version 2, this processor needs 1"},
		"missing export": {func(t *testing.T) string { return writeKernel(t, kerneltest.Fake(1, false)[:8]) }, `does not export "`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig()
			cfg.KernelPath = tc.path(t)
			p, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(t, err)
			err = p.Start(context.Background(), componenttest.NewNopHost())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "kernel_path: ")
			assert.Contains(t, err.Error(), tc.message)
			require.NoError(t, p.Shutdown(context.Background()))
		})
	}
}

// The points a broken forest would judge: kernel error codes and traps (in forest_score or
// forest_update) never lose or alter data; the points the forest was asked about in a failing
// batch pass through unscored and are counted, the rest are scored by their statistics, and the
// processor goes on (a trap re-creates the instance).
func TestKernelFailuresPassDataThrough(t *testing.T) {
	for name, tc := range map[string]struct {
		wasm       []byte
		scoreFails bool // the consulted points get no score (an update that fails after scoring keeps them)
	}{
		"score traps":                 {kerneltest.Fake(1, true), true},
		"score returns an error code": {kerneltest.FakeWith(1, kerneltest.ReturnErr, kerneltest.Return0), true},
		"update traps":                {kerneltest.FakeWith(1, kerneltest.Return0, kerneltest.Unreachable), false},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig()
			cfg.KernelPath = writeKernel(t, tc.wasm)
			cfg.Instances = 2
			p, sink, tel := startWithTelemetry(t, cfg)
			const series, steps = 10, 300
			for step := 0; step < steps; step++ {
				md := gaugeBatch("cpu", step, series, func(s int) float64 { return float64(s * step) }) // a new high every step
				want := pmetric.NewMetrics()
				md.CopyTo(want)
				require.NoError(t, p.ConsumeMetrics(context.Background(), md))
				got := sink.AllMetrics()[step].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
				require.Equal(t, want.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0), got, "step %d: the data passes unchanged", step)
			}
			assert.Equal(t, series*steps, sink.DataPointCount()-countCompanionPoints(sink.AllMetrics()))
			assert.Positive(t, counterValue(t, tel, "otelcol_processor_isolationforest_kernel_errors"))
			scored := counterValue(t, tel, "otelcol_processor_isolationforest_points_scored")
			unscored := counterValue(t, tel, "otelcol_processor_isolationforest_points_unscored", "reason", "kernel_error")
			warm := int64(series * (steps - 10))
			assert.Equal(t, warm, scored+unscored, "every warm point is scored or counted unscored")
			if tc.scoreFails {
				assert.Positive(t, unscored, "the consulted points of failing batches")
			} else {
				assert.Zero(t, unscored, "scores computed before the failing update stay")
			}
		})
	}
}
