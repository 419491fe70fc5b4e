package anomalyeventsreceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/anomalyeventsreceiver/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/events"
)

// NewFactory returns the factory of the anomaly_events receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(metadata.Type,
		func() component.Config { return createDefaultConfig() },
		receiver.WithLogs(createLogs, metadata.LogsStability))
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	c := cfg.(*Config)
	return &anomalyEvents{cfg: c, next: next, logger: set.Logger}, nil
}

type anomalyEvents struct {
	cfg    *Config
	next   consumer.Logs
	logger *zap.Logger
	hub    *events.Hub
}

func (r *anomalyEvents) Start(context.Context, component.Host) error {
	r.hub = events.Lookup(r.cfg.Processor)
	r.hub.Attach(r.next, r.cfg.QueueSize, func(err error) {
		r.logger.Warn("anomaly events refused by the logs pipeline", zap.Error(err))
	})
	return nil
}

func (r *anomalyEvents) Shutdown(ctx context.Context) error {
	if r.hub == nil {
		return nil
	}
	return r.hub.Detach(ctx)
}
