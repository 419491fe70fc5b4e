package cassandralogsexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/record"
)

// NewFactory returns the factory of the cassandra_logs exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(metadata.Type, createDefaultConfig,
		exporter.WithLogs(createLogsExporter, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	timeout := exporterhelper.NewDefaultTimeoutConfig()
	// A batch of large records at modest concurrency needs more than the helper's 5 s default.
	timeout.Timeout = 30 * time.Second
	retry := configretry.NewDefaultBackOffConfig()
	// Never give up on a batch: with a persistent sending_queue the data waits for Cassandra
	// instead of being dropped after five minutes of an outage.
	retry.MaxElapsedTime = 0
	return &Config{
		TimeoutConfig:    timeout,
		QueueConfig:      configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:      retry,
		Endpoints:        []string{"127.0.0.1:9042"},
		Keyspace:         "mirador",
		Table:            "logs",
		Replication:      ReplicationConfig{Class: simpleStrategy, ReplicationFactor: 1},
		TimeBucket:       time.Hour,
		Consistency:      "LOCAL_QUORUM",
		TLS:              configtls.ClientConfig{Insecure: true},
		WriteConcurrency: 32,
		TraceIDIndex:     true,
	}
}

func createLogsExporter(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newLogsExporter(c, set)
	if err != nil {
		return nil, err
	}
	return wrapLogsExporter(ctx, set, c, exp)
}

// wrapLogsExporter puts the exporter helper (timeout, retries, sending queue) and the record
// stamping around exp.
func wrapLogsExporter(ctx context.Context, set exporter.Settings, c *Config, exp *logsExporter) (exporter.Logs, error) {
	helper, err := exporterhelper.NewLogs(ctx, set, c, exp.pushLogs,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
	)
	if err != nil {
		return nil, err
	}
	return stampingLogs{helper}, nil
}

// stampingLogs gives every record its id as it enters the exporter, before the exporter helper's
// sending queue: the id then travels with the record through the queue (in memory or on disk),
// its batching and every retry, so a retry rewrites the same row, while the same record sent
// again by its source is a new record with a new row. It adds an attribute to each record, so
// the exporter declares that it mutates data (the pipeline hands it its own copy when others
// read the same logs).
type stampingLogs struct {
	exporter.Logs
}

func (s stampingLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	record.Stamp(ld)
	return s.Logs.ConsumeLogs(ctx, ld)
}

func (stampingLogs) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}
