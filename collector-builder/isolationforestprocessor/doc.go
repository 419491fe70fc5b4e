// Package isolationforestprocessor judges every metric data point in flight: robust statistics of
// each series (new highs and lows, level shifts, departures from its daily and weekly pattern)
// give evidence, an isolation forest per model group (the project's WebAssembly kernel, run by
// wazero) confirms that the evidence is unusual for the metric, and each series' alarm episodes
// open and resolve with hysteresis. The output is a companion score series (or attributes).
//
// The internal/metadata files named generated_*, the generated tests and documentation.md come
// from metadata.yaml:
//
//go:generate go tool -modfile=internal/tools/mdatagen.mod mdatagen metadata.yaml
package isolationforestprocessor // import "github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor"
