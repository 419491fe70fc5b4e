package kernel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/kernel/kerneltest"
)

func TestFakeKernelIsValidABI(t *testing.T) {
	ctx := context.Background()
	mod, err := NewModule(ctx, kerneltest.Fake(1, false))
	require.NoError(t, err)
	inst, err := mod.NewInstance(ctx)
	require.NoError(t, err)
	assert.False(t, inst.HasRangeAware(), "the fake kernel has only the ABI v1 exports")
	h, err := inst.NewForest(ctx, 10, 16, 3, 0, 1, true)
	require.NoError(t, err, "range-aware scoring is asked for where the kernel has it, skipped otherwise")
	assert.Equal(t, int32(0), h)
	require.NoError(t, mod.Close(ctx))
}

// The range-aware extension of the real kernel: a forest grown on a constant sample scores every
// point 0.5 with the paper's rule, but a point far from the constant near 1 with the extension.
func TestRangeAwareScoring(t *testing.T) {
	ctx := context.Background()
	mod, err := NewModule(ctx, testKernel(t))
	require.NoError(t, err)
	defer mod.Close(ctx)
	inst, err := mod.NewInstance(ctx)
	require.NoError(t, err)
	require.True(t, inst.HasRangeAware())
	rows := make([]float64, 3*300) // all zeros
	scores := make([]float64, 2)
	query := []float64{0, 0, 0, 50, 0, 0}
	for _, ra := range []bool{false, true} {
		h, err := inst.NewForest(ctx, 100, 256, 3, 2048, 7, ra)
		require.NoError(t, err)
		require.NoError(t, inst.Update(ctx, h, rows, 300))
		require.NoError(t, inst.Score(ctx, h, query, scores))
		assert.InDelta(t, 0.5, scores[0], 1e-12, "a point like the sample: range-aware %v", ra)
		if ra {
			assert.Greater(t, scores[1], 0.9, "a far point is isolated at once")
		} else {
			assert.InDelta(t, 0.5, scores[1], 1e-12, "the paper's rule cannot split a constant sample")
		}
	}
}

func TestForestBytesMatchesKernelMemory(t *testing.T) {
	ctx := context.Background()
	mod, err := NewModule(ctx, testKernel(t))
	require.NoError(t, err)
	defer mod.Close(ctx)
	inst, err := mod.NewInstance(ctx)
	require.NoError(t, err)
	before := inst.mod.Memory().Size()
	const forests = 20
	for i := range forests {
		h, err := inst.NewForest(ctx, 100, 256, 3, 2048, uint64(i), true)
		require.NoError(t, err)
		require.NoError(t, inst.Update(ctx, h, make([]float64, 3*300), 300)) // allocates the window
	}
	grown := float64(inst.mod.Memory().Size()-before) / forests
	want := float64(ForestBytes(100, 256, 3, 2048))
	assert.InEpsilon(t, want, grown, 0.1, "memory per forest %.0f B, ForestBytes says %.0f B", grown, want)
}
