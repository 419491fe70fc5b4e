// Package cassandralogsexporter is the cassandra_logs exporter: it stores OpenTelemetry logs in
// Apache Cassandra, one row per record. A record's id is fixed when it enters the exporter, so
// retries rewrite the same rows while records sent again by their source get rows of their own;
// writes Cassandra can never accept are dropped, counted and logged; others are retried by the
// exporter helper, record by record.
//
// The internal/metadata files named generated_*, the generated tests and documentation.md come
// from metadata.yaml:
//
//go:generate go tool -modfile=internal/tools/mdatagen.mod mdatagen metadata.yaml
package cassandralogsexporter // import "github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter"
