// Package kerneltest builds tiny hand-assembled wasm modules with the kernel's ABI v1 exports, to
// stand in for a deliberately broken kernel in tests without any toolchain.
package kerneltest

// Bodies of the fake kernel's forest_score / forest_update.
var (
	Return0     = []byte{0x41, 0x00} // i32.const 0: ok
	ReturnErr   = []byte{0x41, 0x7c} // i32.const -4: ERR_BOUNDS
	Unreachable = []byte{0x00}       // unreachable: a trap
)

// Fake hand-assembles a tiny wasm module with the ABI v1 exports: abi_version returns abi,
// everything succeeds except forest_score, which executes `unreachable` (a trap) when scoreTraps.
// It stands in for a deliberately broken kernel without any toolchain at test time.
func Fake(abi byte, scoreTraps bool) []byte {
	score := Return0
	if scoreTraps {
		score = Unreachable
	}
	return FakeWith(abi, score, Return0)
}

// FakeWith is Fake with the given forest_score and forest_update bodies.
func FakeWith(abi byte, scoreBody, updateBody []byte) []byte {
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
