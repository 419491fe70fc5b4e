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
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// Bodies of the fake kernel's forest_score / forest_update.
var (
	wasmReturn0     = []byte{0x41, 0x00} // i32.const 0: ok
	wasmReturnErr   = []byte{0x41, 0x7c} // i32.const -4: ERR_BOUNDS
	wasmUnreachable = []byte{0x00}       // unreachable: a trap
)

// fakeKernel hand-assembles a tiny wasm module with the ABI v1 exports: abi_version returns abi,
// everything succeeds except forest_score, which executes `unreachable` (a trap) when scoreTraps.
// It stands in for a deliberately broken kernel without any toolchain at test time.
func fakeKernel(abi byte, scoreTraps bool) []byte {
	score := wasmReturn0
	if scoreTraps {
		score = wasmUnreachable
	}
	return fakeKernelWith(abi, score, wasmReturn0)
}

// fakeKernelWith is fakeKernel with the given forest_score and forest_update bodies.
func fakeKernelWith(abi byte, scoreBody, updateBody []byte) []byte {
	const i32, i64 = 0x7f, 0x7e
	functype := func(params []byte, results ...byte) []byte {
		b := append([]byte{0x60, byte(len(params))}, params...)
		return append(append(b, byte(len(results))), results...)
	}
	section := func(id byte, items ...[]byte) []byte {
		body := []byte{byte(len(items))}
		for _, it := range items {
			body = append(body, it...)
		}
		return append([]byte{id, byte(len(body))}, body...)
	}
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	code := func(instrs ...byte) []byte {
		body := append(append([]byte{0x00}, instrs...), 0x0b) // no locals
		return append([]byte{byte(len(body))}, body...)
	}
	exports := []struct {
		name string
		typ  byte
		body []byte
	}{
		{"abi_version", 0, []byte{0x41, abi}},
		{"alloc", 1, []byte{0x41, 0x80, 0x08}}, // i32.const 1024
		{"free", 2, nil},
		{"forest_new", 3, []byte{0x41, 0x00}},
		{"forest_fit", 4, []byte{0x41, 0x00}},
		{"forest_update", 4, updateBody},
		{"forest_score", 5, scoreBody},
		{"forest_free", 1, []byte{0x41, 0x00}},
	}
	var funcs, exps, codes [][]byte
	for i, e := range exports {
		funcs = append(funcs, []byte{e.typ})
		exps = append(exps, append(name(e.name), 0x00, byte(i)))
		codes = append(codes, code(e.body...))
	}
	exps = append(exps, append(name("memory"), 0x02, 0x00))
	wasm := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	wasm = append(wasm, section(1,
		functype(nil, i32),                        // 0: () -> i32
		functype([]byte{i32}, i32),                // 1: (i32) -> i32
		functype([]byte{i32}),                     // 2: (i32) -> ()
		functype([]byte{i32, i32, i32, i64}, i32), // 3: forest_new
		functype([]byte{i32, i32, i32}, i32),      // 4: fit, update
		functype([]byte{i32, i32, i32, i32}, i32), // 5: score
	)...)
	wasm = append(wasm, section(3, funcs...)...)
	wasm = append(wasm, section(5, []byte{0x00, 0x01})...) // one memory, min 1 page
	wasm = append(wasm, section(7, exps...)...)
	wasm = append(wasm, section(10, codes...)...)
	return wasm
}

func writeKernel(t *testing.T, wasm []byte) string {
	path := filepath.Join(t.TempDir(), "kernel.wasm")
	require.NoError(t, os.WriteFile(path, wasm, 0o600))
	return path
}

func TestFakeKernelIsValidABI(t *testing.T) {
	ctx := context.Background()
	mod, err := newKernelModule(ctx, fakeKernel(1, false))
	require.NoError(t, err)
	require.NoError(t, mod.close(ctx))
}

func TestStartFailsNamingKernelPath(t *testing.T) {
	cases := map[string]struct {
		path    func(t *testing.T) string
		message string
	}{
		"missing file":   {func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.wasm") }, "no such file"},
		"not wasm":       {func(t *testing.T) string { return writeKernel(t, []byte("hello")) }, "compiling kernel"},
		"wrong ABI":      {func(t *testing.T) string { return writeKernel(t, fakeKernel(2, false)) }, "kernel ABI version 2, this processor needs 1"},
		"missing export": {func(t *testing.T) string { return writeKernel(t, fakeKernel(1, false)[:8]) }, `does not export "`},
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

// A kernel that traps on every score: no point is lost or altered, errors are counted,
// and the processor keeps going (the instance is re-created after each trap).
func TestKernelTrapPassesDataThrough(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.KernelPath = writeKernel(t, fakeKernel(1, true))
	cfg.Instances = 2
	cfg.WarmupPoints = 2
	p, sink, tel := startWithTelemetry(t, cfg)
	const series, steps = 10, 20
	for step := 0; step < steps; step++ {
		md := gaugeBatch("cpu", step, series, func(s int) float64 { return float64(s + step) })
		want := pmetric.NewMetrics()
		md.CopyTo(want)
		require.NoError(t, p.ConsumeMetrics(context.Background(), md))
		got := sink.AllMetrics()[step]
		require.Equal(t, want, got, "step %d: data must pass unchanged", step)
	}
	assert.Equal(t, series*steps, sink.DataPointCount())
	errs := counterValue(t, tel, "otelcol_processor_isolationforest_kernel_errors")
	unscored := counterValue(t, tel, "otelcol_processor_isolationforest_points_unscored")
	assert.Positive(t, errs)
	assert.Equal(t, int64(series*(steps-2)), unscored, "every warm point counted as unscored")
	assert.Zero(t, counterValue(t, tel, "otelcol_processor_isolationforest_points_scored"))
	_ = pcommon.NewMap
}

// Error codes and a trap in forest_update: data passes, errors are counted, and the points scored
// before the failing update keep their scores.
func TestKernelErrorCodesAndUpdateTraps(t *testing.T) {
	for name, tc := range map[string]struct {
		score, update []byte
		wantScored    bool
	}{
		"score returns an error code": {wasmReturnErr, wasmReturn0, false},
		"update traps":                {wasmReturn0, wasmUnreachable, true},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig()
			cfg.KernelPath = writeKernel(t, fakeKernelWith(1, tc.score, tc.update))
			cfg.Instances = 1
			cfg.WarmupPoints = 2
			p, sink, tel := startWithTelemetry(t, cfg)
			for step := 0; step < 10; step++ {
				require.NoError(t, p.ConsumeMetrics(context.Background(), gaugeBatch("cpu", step, 4, func(s int) float64 { return float64(s * step) })))
			}
			assert.Equal(t, 40, sink.DataPointCount())
			assert.Equal(t, int64(8), counterValue(t, tel, "otelcol_processor_isolationforest_kernel_errors"), "one per batch after warm-up")
			scored := counterValue(t, tel, "otelcol_processor_isolationforest_points_scored")
			unscored := counterValue(t, tel, "otelcol_processor_isolationforest_points_unscored")
			if tc.wantScored {
				assert.Equal(t, int64(32), scored)
				assert.Zero(t, unscored)
			} else {
				assert.Zero(t, scored)
				assert.Equal(t, int64(32), unscored)
			}
		})
	}
}
