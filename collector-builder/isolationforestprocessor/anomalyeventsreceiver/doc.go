// Package anomalyeventsreceiver is the anomaly_events receiver: it emits, into a logs pipeline,
// the anomaly events of the isolationforest processor it names (OTLP log records, event name
// mirador.anomaly, one at each alarm's onset and one at its resolve). The two meet in process;
// the processor never waits for the logs pipeline (a full queue drops events, counted by the
// processor).
//
// The internal/metadata files named generated_*, the generated tests and documentation.md come
// from metadata.yaml:
//
//go:generate go tool -modfile=../internal/tools/mdatagen.mod mdatagen metadata.yaml
package anomalyeventsreceiver // import "github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/anomalyeventsreceiver"
