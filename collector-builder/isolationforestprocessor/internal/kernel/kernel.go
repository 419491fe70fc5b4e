// Package kernel hosts the isolation forest kernel (a WebAssembly module of ABI v1, see
// docs/kernel.md) in wazero: one compiled Module, cheap Instances (each with its own linear memory
// and forests; not safe for concurrent use), and forest operations on float64 rows.
package kernel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ABIVersion is the kernel ABI this host speaks. It, the export names and the error codes
// (kernelErr*, kernelErrNotFitted among them: a score before the model has trees, not an error)
// come from assembly/abi.json through abi_gen.go (docs/kernel.md).
const ABIVersion = kernelABIVersion

// ErrNotFitted is returned by score while a model is still filling its window.
var ErrNotFitted = errors.New("model has no trees yet")

// CodeError is a negative return code of a kernel export.
type CodeError struct {
	Export string
	Code   int32
}

func (e *CodeError) Error() string {
	return fmt.Sprintf("kernel %s returned error code %d", e.Export, e.Code)
}

// Module is the wasm kernel compiled once; instances are created from it cheaply.
type Module struct {
	runtime  wazero.Runtime
	compiled wazero.CompiledModule
}

// NewModule compiles the kernel with wazero's compiler (AOT to native code) and checks its ABI.
func NewModule(ctx context.Context, wasm []byte) (*Module, error) {
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
	m := &Module{runtime: rt, compiled: compiled}
	inst, err := m.NewInstance(ctx)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	_ = inst.Close(ctx)
	return m, nil
}

func (m *Module) Close(ctx context.Context) error {
	return m.runtime.Close(ctx)
}

// Instance is one instantiation of the kernel: its own linear memory and models.
// Not safe for concurrent use; the caller (a shard) holds a mutex.
type Instance struct {
	mod                                             api.Module
	alloc, free                                     api.Function
	forestNew, forestFit, forestUpdate, forestScore api.Function
	forestFree                                      api.Function
	setWindow                                       api.Function // optional extension export
	setRangeAware                                   api.Function // optional extension export
	snapshotSize, snapshot, restore                 api.Function // optional extension exports
	stack                                           [5]uint64
	buf                                             uint32 // pointer to the I/O buffer in linear memory
	bufBytes                                        uint32
}

func (m *Module) NewInstance(ctx context.Context) (*Instance, error) {
	mod, err := m.runtime.InstantiateModule(ctx, m.compiled, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		return nil, fmt.Errorf("instantiating kernel: %w", err)
	}
	k := &Instance{mod: mod}
	need := map[string]*api.Function{
		kernelExportAbiVersion: nil, kernelExportAlloc: &k.alloc, kernelExportFree: &k.free, kernelExportForestNew: &k.forestNew,
		kernelExportForestFit: &k.forestFit, kernelExportForestUpdate: &k.forestUpdate, kernelExportForestScore: &k.forestScore,
		kernelExportForestFree: &k.forestFree,
	}
	if len(need) != len(kernelCoreExports) {
		panic("kernel host: the core exports of assembly/abi.json changed; update NewInstance")
	}
	for name, dst := range need {
		fn := mod.ExportedFunction(name)
		if fn == nil {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("kernel does not export %q (not ABI v%d)", name, ABIVersion)
		}
		if dst != nil {
			*dst = fn
		}
	}
	k.setWindow = mod.ExportedFunction(kernelExportForestSetWindow)
	k.setRangeAware = mod.ExportedFunction(kernelExportForestSetRangeAware)
	k.snapshotSize = mod.ExportedFunction(kernelExportForestSnapshotSize)
	k.snapshot = mod.ExportedFunction(kernelExportForestSnapshot)
	k.restore = mod.ExportedFunction(kernelExportForestRestore)
	res, err := mod.ExportedFunction(kernelExportAbiVersion).Call(ctx)
	if err != nil {
		_ = mod.Close(ctx)
		return nil, fmt.Errorf("calling abi_version: %w", err)
	}
	if got := int32(uint32(res[0])); got != ABIVersion {
		_ = mod.Close(ctx)
		return nil, fmt.Errorf("kernel ABI version %d, this processor needs %d", got, ABIVersion)
	}
	if mod.Memory() == nil {
		_ = mod.Close(ctx)
		return nil, errors.New("kernel exports no memory")
	}
	return k, nil
}

func (k *Instance) Close(ctx context.Context) error {
	return k.mod.Close(ctx)
}

func (k *Instance) call(ctx context.Context, fn api.Function, name string, params ...uint64) (int32, error) {
	copy(k.stack[:], params)
	if err := fn.CallWithStack(ctx, k.stack[:]); err != nil {
		return 0, fmt.Errorf("kernel %s: %w", name, err)
	}
	return int32(uint32(k.stack[0])), nil
}

// NewForest creates a model; window <= 0 keeps the kernel's default window; rangeAware switches on
// the kernel's range-aware scoring where the kernel has that extension (HasRangeAware).
func (k *Instance) NewForest(ctx context.Context, trees, psi, dims, window int, seed uint64, rangeAware bool) (int32, error) {
	h, err := k.call(ctx, k.forestNew, kernelExportForestNew, uint64(uint32(trees)), uint64(uint32(psi)), uint64(uint32(dims)), seed)
	if err != nil {
		return 0, err
	}
	if h < 0 {
		return 0, &CodeError{kernelExportForestNew, h}
	}
	if window > 0 && k.setWindow != nil {
		rc, err := k.call(ctx, k.setWindow, kernelExportForestSetWindow, uint64(uint32(h)), uint64(uint32(window)))
		if err != nil {
			return 0, err
		}
		if rc < 0 {
			_ = k.FreeForest(ctx, h)
			return 0, &CodeError{kernelExportForestSetWindow, rc}
		}
	}
	if rangeAware && k.setRangeAware != nil {
		rc, err := k.call(ctx, k.setRangeAware, kernelExportForestSetRangeAware, uint64(uint32(h)), 1)
		if err != nil {
			return 0, err
		}
		if rc < 0 {
			_ = k.FreeForest(ctx, h)
			return 0, &CodeError{kernelExportForestSetRangeAware, rc}
		}
	}
	return h, nil
}

// HasRangeAware says whether the kernel exports the range-aware scoring extension (a kernel of
// ABI v1 from kernel_path may not: its forests then score with the paper's rule).
func (k *Instance) HasRangeAware() bool { return k.setRangeAware != nil }

// FreeForest frees a model.
func (k *Instance) FreeForest(ctx context.Context, h int32) error {
	_, err := k.call(ctx, k.forestFree, kernelExportForestFree, uint64(uint32(h)))
	return err
}

// ensureBuffer makes the I/O buffer hold at least bytes, reallocating inside the kernel.
func (k *Instance) ensureBuffer(ctx context.Context, bytes uint32) error {
	if bytes <= k.bufBytes {
		return nil
	}
	size := max(bytes, 2*k.bufBytes, 64*1024)
	if k.buf != 0 {
		if _, err := k.call(ctx, k.free, kernelExportFree, uint64(k.buf)); err != nil {
			return err
		}
		k.buf, k.bufBytes = 0, 0
	}
	p, err := k.call(ctx, k.alloc, kernelExportAlloc, uint64(size))
	if err != nil {
		return err
	}
	if p == 0 { // alloc returns a null pointer when memory cannot grow
		return &CodeError{kernelExportAlloc, p}
	}
	k.buf, k.bufBytes = uint32(p), size
	return nil
}

// writeRows copies rows into the I/O buffer at byte offset off.
func (k *Instance) writeRows(off uint32, rows []float64) bool {
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
func (k *Instance) Fit(ctx context.Context, h int32, rows []float64, n int) error {
	return k.feed(ctx, k.forestFit, kernelExportForestFit, h, rows, n)
}

// update adds rows (n rows of dims values, row-major) to the model's window.
func (k *Instance) Update(ctx context.Context, h int32, rows []float64, n int) error {
	return k.feed(ctx, k.forestUpdate, kernelExportForestUpdate, h, rows, n)
}

func (k *Instance) feed(ctx context.Context, fn api.Function, name string, h int32, rows []float64, n int) error {
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
		return &CodeError{name, rc}
	}
	return nil
}

// score writes one score per row into out (len(out) == n).
func (k *Instance) Score(ctx context.Context, h int32, rows []float64, out []float64) error {
	n := len(out)
	inBytes := uint32(len(rows) * 8)
	if err := k.ensureBuffer(ctx, inBytes+uint32(n*8)); err != nil {
		return err
	}
	if !k.writeRows(0, rows) {
		return errors.New("kernel I/O buffer outside memory")
	}
	rc, err := k.call(ctx, k.forestScore, kernelExportForestScore, uint64(uint32(h)), uint64(k.buf), uint64(uint32(n)), uint64(k.buf+inBytes))
	if err != nil {
		return err
	}
	if rc == kernelErrNotFitted {
		return ErrNotFitted
	}
	if rc < 0 {
		return &CodeError{kernelExportForestScore, rc}
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

// MemoryLimit is the linear memory one instance can address (wasm32: 4 GiB).
const MemoryLimit = 4 << 30

// ForestBytes is the kernel memory of one forest, for sizing and validation. It mirrors what
// assembly/index.ts allocates per model (the record; trees of 2ψ-1 nodes of 16 bytes and an 8-byte
// leaf value each; per-tree depth, sample box and 1/c(ψ); the feature permutation and the
// intersection box; a streaming window of rows and its sampling index) and the kernel allocator's
// rounding of every block, header included, up to a power of two (assembly/alloc.ts).
func ForestBytes(trees, psi, dims, window int) int64 {
	t, n, d, w := int64(trees), int64(2*psi-1), int64(dims), int64(window)
	arrays := []int64{modelRecordBytes, t * n * 16, t * n * 8, t * 4, t * d * 16, t * 8, d * 4, d * 16, w * d * 8, w * 4}
	var total int64
	for _, a := range arrays {
		total += allocBlock(a)
	}
	return total
}

// modelRecordBytes: the Model struct of assembly/model.ts (an upper bound).
const modelRecordBytes = 160

// allocBlock is the size of the kernel allocator's block for a request of n bytes.
func allocBlock(n int64) int64 {
	b := int64(16)
	for b < n+8 {
		b <<= 1
	}
	return b
}

// ErrNoSnapshots: the kernel (kernel_path) lacks the snapshot extension.
var ErrNoSnapshots = errors.New("kernel does not export forest_snapshot/forest_restore")

// HasSnapshots says whether the kernel can serialise and restore forests.
func (k *Instance) HasSnapshots() bool {
	return k.snapshotSize != nil && k.snapshot != nil && k.restore != nil
}

// Snapshot serialises forest h (docs/kernel.md "Snapshot format": versioned, checksummed).
func (k *Instance) Snapshot(ctx context.Context, h int32) ([]byte, error) {
	if !k.HasSnapshots() {
		return nil, ErrNoSnapshots
	}
	k.stack[0] = uint64(uint32(h))
	if err := k.snapshotSize.CallWithStack(ctx, k.stack[:]); err != nil {
		return nil, fmt.Errorf("kernel %s: %w", kernelExportForestSnapshotSize, err)
	}
	size := api.DecodeF64(k.stack[0]) // bytes, or a negative error code
	if size < 0 {
		return nil, &CodeError{kernelExportForestSnapshotSize, int32(size)}
	}
	if size > float64(MemoryLimit) {
		return nil, fmt.Errorf("kernel %s: %v bytes", kernelExportForestSnapshotSize, size)
	}
	n := uint32(size)
	if err := k.ensureBuffer(ctx, n); err != nil {
		return nil, err
	}
	rc, err := k.call(ctx, k.snapshot, kernelExportForestSnapshot, uint64(uint32(h)), uint64(k.buf), uint64(n))
	if err != nil {
		return nil, err
	}
	if rc < 0 {
		return nil, &CodeError{kernelExportForestSnapshot, rc}
	}
	view, ok := k.mod.Memory().Read(k.buf, uint32(rc))
	if !ok {
		return nil, errors.New("kernel snapshot outside memory")
	}
	return bytes.Clone(view), nil
}

// Restore creates a forest from a snapshot; a snapshot that is corrupt, truncated or of another
// format or ABI is a CodeError (ERR_SNAPSHOT, ERR_SNAPSHOT_VERSION), never a trap.
func (k *Instance) Restore(ctx context.Context, snap []byte) (int32, error) {
	if !k.HasSnapshots() {
		return 0, ErrNoSnapshots
	}
	if len(snap) == 0 || len(snap) > MemoryLimit/2 {
		return 0, &CodeError{kernelExportForestRestore, kernelErrSnapshot}
	}
	if err := k.ensureBuffer(ctx, uint32(len(snap))); err != nil {
		return 0, err
	}
	if !k.mod.Memory().Write(k.buf, snap) {
		return 0, errors.New("kernel I/O buffer outside memory")
	}
	h, err := k.call(ctx, k.restore, kernelExportForestRestore, uint64(k.buf), uint64(uint32(len(snap))))
	if err != nil {
		return 0, err
	}
	if h < 0 {
		return 0, &CodeError{kernelExportForestRestore, h}
	}
	return h, nil
}

// SnapshotParams are a snapshot's model parameters, read from its header without restoring it.
type SnapshotParams struct {
	Format, ABI              uint16
	Trees, Psi, Dims, Window int32
}

// ReadSnapshotHeader reads a snapshot's header (magic "MIFS"; format and ABI versions at 4 and
// 6; trees, psi, dims and window capacity at 16, 20, 24, 28, little-endian).
func ReadSnapshotHeader(snap []byte) (SnapshotParams, error) {
	if len(snap) < 32 || string(snap[:4]) != "MIFS" {
		return SnapshotParams{}, errors.New("not a forest snapshot")
	}
	le := binary.LittleEndian
	return SnapshotParams{
		Format: le.Uint16(snap[4:]), ABI: le.Uint16(snap[6:]),
		Trees: int32(le.Uint32(snap[16:])), Psi: int32(le.Uint32(snap[20:])), Dims: int32(le.Uint32(snap[24:])), Window: int32(le.Uint32(snap[28:])),
	}, nil
}

// IsSnapshotError says whether err is a kernel's refusal of a snapshot (corrupt, or another
// format or ABI).
func IsSnapshotError(err error) bool {
	var ce *CodeError
	return errors.As(err, &ce) && (ce.Code == kernelErrSnapshot || ce.Code == kernelErrSnapshotVersion)
}
