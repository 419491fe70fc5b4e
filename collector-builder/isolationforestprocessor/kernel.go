package isolationforestprocessor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// abiVersion is the kernel ABI this host speaks (DESIGN §3, ABI v1).
const abiVersion = 1

// Kernel return codes the host reacts to (assembly/errors.ts documents them all).
const (
	codeNotFitted int32 = -7 // score before the model has trees: not an error, the points stay unscored
)

// errNotFitted is returned by score while a model is still filling its window.
var errNotFitted = errors.New("model has no trees yet")

// kernelCodeError is a negative return code of a kernel export.
type kernelCodeError struct {
	export string
	code   int32
}

func (e *kernelCodeError) Error() string {
	return fmt.Sprintf("kernel %s returned error code %d", e.export, e.code)
}

// kernelModule is the wasm kernel compiled once; instances are created from it cheaply.
type kernelModule struct {
	runtime  wazero.Runtime
	compiled wazero.CompiledModule
}

// newKernelModule compiles the kernel with wazero's compiler (AOT to native code) and checks its ABI.
func newKernelModule(ctx context.Context, wasm []byte) (*kernelModule, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	// AssemblyScript modules import env.abort (and with some runtimes env.trace / env.seed).
	// Provide them so any module of this ABI instantiates; abort turns into a trap.
	_, err := rt.NewHostModuleBuilder("env").
		NewFunctionBuilder().WithFunc(func(_ context.Context, _, _, _, _ uint32) {
		panic(errors.New("kernel called abort"))
	}).Export("abort").
		NewFunctionBuilder().WithFunc(func(_ context.Context, _ uint32, _ int32, _, _, _, _, _ float64) {}).Export("trace").
		NewFunctionBuilder().WithFunc(func(context.Context) float64 { return 0 }).Export("seed").
		Instantiate(ctx)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("providing kernel imports: %w", err)
	}
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("compiling kernel: %w", err)
	}
	m := &kernelModule{runtime: rt, compiled: compiled}
	inst, err := m.newInstance(ctx)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	_ = inst.close(ctx)
	return m, nil
}

func (m *kernelModule) close(ctx context.Context) error {
	return m.runtime.Close(ctx)
}

// kernelInstance is one instantiation of the kernel: its own linear memory and models.
// Not safe for concurrent use; the caller (a shard) holds a mutex.
type kernelInstance struct {
	mod                                             api.Module
	alloc, free                                     api.Function
	forestNew, forestFit, forestUpdate, forestScore api.Function
	forestFree                                      api.Function
	setWindow                                       api.Function // optional extension export
	stack                                           [5]uint64
	buf                                             uint32 // pointer to the I/O buffer in linear memory
	bufBytes                                        uint32
}

func (m *kernelModule) newInstance(ctx context.Context) (*kernelInstance, error) {
	mod, err := m.runtime.InstantiateModule(ctx, m.compiled, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		return nil, fmt.Errorf("instantiating kernel: %w", err)
	}
	k := &kernelInstance{mod: mod}
	need := map[string]*api.Function{
		"abi_version": nil, "alloc": &k.alloc, "free": &k.free, "forest_new": &k.forestNew, "forest_fit": &k.forestFit,
		"forest_update": &k.forestUpdate, "forest_score": &k.forestScore, "forest_free": &k.forestFree,
	}
	for name, dst := range need {
		fn := mod.ExportedFunction(name)
		if fn == nil {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("kernel does not export %q (not ABI v%d)", name, abiVersion)
		}
		if dst != nil {
			*dst = fn
		}
	}
	k.setWindow = mod.ExportedFunction("forest_set_window")
	res, err := mod.ExportedFunction("abi_version").Call(ctx)
	if err != nil {
		_ = mod.Close(ctx)
		return nil, fmt.Errorf("calling abi_version: %w", err)
	}
	if got := int32(uint32(res[0])); got != abiVersion {
		_ = mod.Close(ctx)
		return nil, fmt.Errorf("kernel ABI version %d, this processor needs %d", got, abiVersion)
	}
	if mod.Memory() == nil {
		_ = mod.Close(ctx)
		return nil, errors.New("kernel exports no memory")
	}
	return k, nil
}

func (k *kernelInstance) close(ctx context.Context) error {
	return k.mod.Close(ctx)
}

func (k *kernelInstance) call(ctx context.Context, fn api.Function, name string, params ...uint64) (int32, error) {
	copy(k.stack[:], params)
	if err := fn.CallWithStack(ctx, k.stack[:]); err != nil {
		return 0, fmt.Errorf("kernel %s: %w", name, err)
	}
	return int32(uint32(k.stack[0])), nil
}

// newForest creates a model; window <= 0 keeps the kernel's default window.
func (k *kernelInstance) newForest(ctx context.Context, trees, psi, dims, window int, seed uint64) (int32, error) {
	h, err := k.call(ctx, k.forestNew, "forest_new", uint64(uint32(trees)), uint64(uint32(psi)), uint64(uint32(dims)), seed)
	if err != nil {
		return 0, err
	}
	if h < 0 {
		return 0, &kernelCodeError{"forest_new", h}
	}
	if window > 0 && k.setWindow != nil {
		rc, err := k.call(ctx, k.setWindow, "forest_set_window", uint64(uint32(h)), uint64(uint32(window)))
		if err != nil {
			return 0, err
		}
		if rc < 0 {
			_ = k.freeForest(ctx, h)
			return 0, &kernelCodeError{"forest_set_window", rc}
		}
	}
	return h, nil
}

func (k *kernelInstance) freeForest(ctx context.Context, h int32) error {
	_, err := k.call(ctx, k.forestFree, "forest_free", uint64(uint32(h)))
	return err
}

// ensureBuffer makes the I/O buffer hold at least bytes, reallocating inside the kernel.
func (k *kernelInstance) ensureBuffer(ctx context.Context, bytes uint32) error {
	if bytes <= k.bufBytes {
		return nil
	}
	size := max(bytes, 2*k.bufBytes, 64*1024)
	if k.buf != 0 {
		if _, err := k.call(ctx, k.free, "free", uint64(k.buf)); err != nil {
			return err
		}
		k.buf, k.bufBytes = 0, 0
	}
	p, err := k.call(ctx, k.alloc, "alloc", uint64(size))
	if err != nil {
		return err
	}
	if p == 0 { // alloc returns a null pointer when memory cannot grow
		return &kernelCodeError{"alloc", p}
	}
	k.buf, k.bufBytes = uint32(p), size
	return nil
}

// writeRows copies rows into the I/O buffer at byte offset off.
func (k *kernelInstance) writeRows(off uint32, rows []float64) bool {
	view, ok := k.mod.Memory().Read(k.buf+off, uint32(len(rows)*8))
	if !ok {
		return false
	}
	for i, v := range rows {
		binary.LittleEndian.PutUint64(view[i*8:], math.Float64bits(v))
	}
	return true
}

// fit builds the model's trees from rows (used by the golden-vector tests; the processor streams).
func (k *kernelInstance) fit(ctx context.Context, h int32, rows []float64, n int) error {
	return k.feed(ctx, k.forestFit, "forest_fit", h, rows, n)
}

// update adds rows (n rows of dims values, row-major) to the model's window.
func (k *kernelInstance) update(ctx context.Context, h int32, rows []float64, n int) error {
	return k.feed(ctx, k.forestUpdate, "forest_update", h, rows, n)
}

func (k *kernelInstance) feed(ctx context.Context, fn api.Function, name string, h int32, rows []float64, n int) error {
	if err := k.ensureBuffer(ctx, uint32(len(rows)*8)); err != nil {
		return err
	}
	if !k.writeRows(0, rows) {
		return errors.New("kernel I/O buffer outside memory")
	}
	rc, err := k.call(ctx, fn, name, uint64(uint32(h)), uint64(k.buf), uint64(uint32(n)))
	if err != nil {
		return err
	}
	if rc < 0 {
		return &kernelCodeError{name, rc}
	}
	return nil
}

// score writes one score per row into out (len(out) == n).
func (k *kernelInstance) score(ctx context.Context, h int32, rows []float64, out []float64) error {
	n := len(out)
	inBytes := uint32(len(rows) * 8)
	if err := k.ensureBuffer(ctx, inBytes+uint32(n*8)); err != nil {
		return err
	}
	if !k.writeRows(0, rows) {
		return errors.New("kernel I/O buffer outside memory")
	}
	rc, err := k.call(ctx, k.forestScore, "forest_score", uint64(uint32(h)), uint64(k.buf), uint64(uint32(n)), uint64(k.buf+inBytes))
	if err != nil {
		return err
	}
	if rc == codeNotFitted {
		return errNotFitted
	}
	if rc < 0 {
		return &kernelCodeError{"forest_score", rc}
	}
	view, ok := k.mod.Memory().Read(k.buf+inBytes, uint32(n*8))
	if !ok {
		return errors.New("kernel output buffer outside memory")
	}
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(view[i*8:]))
	}
	return nil
}
