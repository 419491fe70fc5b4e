package isolationforestprocessor

import _ "embed"

// embeddedKernel is build/isolation_forest.wasm, copied here by scripts/build-collector.sh
// (git-ignored). If this file is missing, run `npm run build:collector` (or copy the wasm) first.
//
//go:embed isolation_forest.wasm
var embeddedKernel []byte
