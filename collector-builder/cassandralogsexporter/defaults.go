package cassandralogsexporter

import (
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

func createDefaultConfig() component.Config {
	timeout := exporterhelper.NewDefaultTimeoutConfig()
	timeout.Timeout = 30 * time.Second
	return &Config{
		TimeoutConfig:    timeout,
		QueueConfig:      configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:      configretry.NewDefaultBackOffConfig(),
		Endpoints:        []string{"127.0.0.1:9042"},
		Keyspace:         "mirador",
		Table:            "logs",
		Replication:      ReplicationConfig{Class: "SimpleStrategy", ReplicationFactor: 1},
		Consistency:      "LOCAL_QUORUM",
		WriteConcurrency: 64,
		TraceIDIndex:     true,
	}
}
