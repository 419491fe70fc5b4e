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

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
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
	return exporterhelper.NewLogs(ctx, set, cfg, exp.pushLogs,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
	)
}
