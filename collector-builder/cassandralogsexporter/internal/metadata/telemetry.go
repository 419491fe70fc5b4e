package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// TelemetryBuilder holds the exporter's own metrics, reported through the collector's telemetry
// (e.g. its Prometheus endpoint on :8888 as otelcol_cassandra_logs_*).
type TelemetryBuilder struct {
	// CassandraLogsRecordsWritten counts log records Cassandra acknowledged.
	CassandraLogsRecordsWritten metric.Int64Counter
	// CassandraLogsWriteErrors counts failed batch writes (their records are retried by the exporter helper).
	CassandraLogsWriteErrors metric.Int64Counter
	// CassandraLogsWriteLatency is the latency of one batch write, in milliseconds.
	CassandraLogsWriteLatency metric.Float64Histogram
}

// NewTelemetryBuilder creates the instruments on the component's meter.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := settings.MeterProvider.Meter(ScopeName)
	var errs, err error
	tb := &TelemetryBuilder{}
	tb.CassandraLogsRecordsWritten, err = meter.Int64Counter("otelcol_cassandra_logs_records_written",
		metric.WithDescription("Log records written to Cassandra."), metric.WithUnit("{records}"))
	errs = errors.Join(errs, err)
	tb.CassandraLogsWriteErrors, err = meter.Int64Counter("otelcol_cassandra_logs_write_errors",
		metric.WithDescription("Batch writes to Cassandra that failed; the export call fails and is retried."), metric.WithUnit("{batches}"))
	errs = errors.Join(errs, err)
	tb.CassandraLogsWriteLatency, err = meter.Float64Histogram("otelcol_cassandra_logs_write_latency",
		metric.WithDescription("Latency of one batch write to Cassandra."), metric.WithUnit("ms"),
		metric.WithExplicitBucketBoundaries(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000))
	errs = errors.Join(errs, err)
	return tb, errs
}
