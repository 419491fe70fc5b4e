// Package cassandralogsexporter is the cassandra_logs exporter: it stores OpenTelemetry logs in
// Apache Cassandra, one row per record, with idempotent rewrites on retry and every write error
// returned to the exporter helper, so its retries and persistent sending queue apply.
package cassandralogsexporter // import "github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter"
