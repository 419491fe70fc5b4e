package cassandralogsexporter

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
)

type logsExporter struct {
	cfg *Config
	set exporter.Settings
}

func newLogsExporter(cfg *Config, set exporter.Settings) *logsExporter {
	return &logsExporter{cfg: cfg, set: set}
}

func (e *logsExporter) start(context.Context, component.Host) error { return nil }

func (e *logsExporter) shutdown(context.Context) error { return nil }

func (e *logsExporter) pushLogs(context.Context, plog.Logs) error {
	return errors.New("cassandra_logs: not implemented yet")
}
