// Written to match mdatagen's output for ../../metadata.yaml.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the processor's own instruments.
type TelemetryBuilder struct {
	ProcessorIsolationforestPointsScored         metric.Int64Counter
	ProcessorIsolationforestAnomalies            metric.Int64Counter
	ProcessorIsolationforestPointsUnscored       metric.Int64Counter
	ProcessorIsolationforestActiveSeries         metric.Int64UpDownCounter
	ProcessorIsolationforestEvictions            metric.Int64Counter
	ProcessorIsolationforestKernelErrors         metric.Int64Counter
	ProcessorIsolationforestModelRefreshDuration metric.Float64Histogram
}

// Shutdown exists for parity with mdatagen builders (no asynchronous instruments to unregister).
func (builder *TelemetryBuilder) Shutdown() {}

// NewTelemetryBuilder creates every instrument through the component's MeterProvider.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	builder := TelemetryBuilder{}
	meter := Meter(settings)
	var err, errs error
	builder.ProcessorIsolationforestPointsScored, err = meter.Int64Counter(
		"otelcol_processor_isolationforest_points_scored",
		metric.WithDescription("Number of metric data points scored by the isolation forest."),
		metric.WithUnit("{datapoint}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorIsolationforestAnomalies, err = meter.Int64Counter(
		"otelcol_processor_isolationforest_anomalies",
		metric.WithDescription("Number of scored data points whose score reached the threshold."),
		metric.WithUnit("{datapoint}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorIsolationforestPointsUnscored, err = meter.Int64Counter(
		"otelcol_processor_isolationforest_points_unscored",
		metric.WithDescription("Number of data points passed through unscored because of a kernel error."),
		metric.WithUnit("{datapoint}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorIsolationforestActiveSeries, err = meter.Int64UpDownCounter(
		"otelcol_processor_isolationforest_active_series",
		metric.WithDescription("Number of series whose state the processor holds."),
		metric.WithUnit("{series}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorIsolationforestEvictions, err = meter.Int64Counter(
		"otelcol_processor_isolationforest_evictions",
		metric.WithDescription("Number of series evicted (least recently seen) to stay within max_series."),
		metric.WithUnit("{series}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorIsolationforestKernelErrors, err = meter.Int64Counter(
		"otelcol_processor_isolationforest_kernel_errors",
		metric.WithDescription("Number of kernel errors and traps (the affected points pass through unscored)."),
		metric.WithUnit("{error}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorIsolationforestModelRefreshDuration, err = meter.Float64Histogram(
		"otelcol_processor_isolationforest_model_refresh_duration",
		metric.WithDescription("Time spent refreshing a model group's forest (one forest_update call per group and batch)."),
		metric.WithUnit("s"),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}
