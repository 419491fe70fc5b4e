package isolationforestprocessor

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/detect"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/forests"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/kernel"
)

// Model grouping: which series share one forest.
const (
	ModelGroupMetric = "metric" // one forest per metric name (default): per-series state stays small
	ModelGroupSeries = "series" // one forest per series: for a few important series only
)

// Output modes.
const (
	OutputModeMetrics    = "metrics"    // a companion gauge <name>_anomaly_score per series; input untouched (default)
	OutputModeAttributes = "attributes" // anomaly_score and is_anomaly attributes on each scored data point
)

// Config of the isolationforest processor. This struct is the one source of every default and
// range: the README's option table (TestReadmeOptionTable) and the Helm chart's schema (the chart
// tests) are checked against it.
type Config struct {
	// Threshold: an alarm episode opens at a point whose anomaly score reaches it (0.5: the
	// strongest evidence is at its alarm level; see README "How a point is judged").
	Threshold float64 `mapstructure:"threshold"`
	// ResolveThreshold: an open episode resolves after ResolvePoints consecutive scores below it.
	ResolveThreshold float64 `mapstructure:"resolve_threshold"`
	ResolvePoints    int     `mapstructure:"resolve_points"`
	// MinDeviation and MinRelativeDeviation floor every spread a deviation is measured against:
	// max(min_deviation, min_relative_deviation·|level|), in the metric's own unit.
	MinDeviation         float64 `mapstructure:"min_deviation"`
	MinRelativeDeviation float64 `mapstructure:"min_relative_deviation"`
	// RangeHorizon: how slowly a series' remembered range shrinks back, in points.
	RangeHorizon int `mapstructure:"range_horizon"`
	// Seasonality: learn each series' daily and weekly pattern from the points' timestamps.
	Seasonality bool `mapstructure:"seasonality"`
	// WarmupPoints a series must have seen before its points are scored.
	WarmupPoints int `mapstructure:"warmup_points"`

	// Trees per forest.
	Trees int `mapstructure:"trees"`
	// SampleSize is the sub-sample size ψ each tree is built from.
	SampleSize int `mapstructure:"sample_size"`
	// WindowSize is how many recent feature vectors each forest keeps to rebuild its trees from.
	WindowSize int `mapstructure:"window_size"`
	// ModelGroup is "metric" or "series".
	ModelGroup string `mapstructure:"model_group"`
	// RefreshInterval: a forest learns (one forest_update) at most once per interval of its
	// points' own time.
	RefreshInterval time.Duration `mapstructure:"refresh_interval"`
	// RefreshPoints bounds the vectors one refresh feeds: a uniform sample (reservoir) of the
	// group's vectors since the previous refresh (at most window_size of them are used).
	RefreshPoints int `mapstructure:"refresh_points"`
	// MaxForests caps the forests held at once (all instances together); a group beyond it is
	// judged by its statistics alone until a forest is released. 0: no forests at all.
	MaxForests int `mapstructure:"max_forests"`
	// Seed of the forests' random generator (each model group mixes in its own identity).
	Seed uint64 `mapstructure:"seed"`

	// MaxSeries bounds the series tracked (all instances together); beyond it the least recently
	// seen are evicted.
	MaxSeries int `mapstructure:"max_series"`
	// SeriesTTL: a series not seen for this long is forgotten (its memory and budget freed).
	SeriesTTL time.Duration `mapstructure:"series_ttl"`

	// OutputMode is "metrics" or "attributes".
	OutputMode string `mapstructure:"output_mode"`
	// ScorePrecision is the number of decimals of the anomaly_score attribute (attributes mode).
	ScorePrecision int `mapstructure:"score_precision"`
	// Instances is the number of kernel instances (and series shards); 0 means GOMAXPROCS at the
	// time the processor is created.
	Instances int `mapstructure:"instances"`
	// KernelPath loads this .wasm (same ABI) instead of the embedded kernel.
	KernelPath string `mapstructure:"kernel_path"`

	// Storage is the id of a storage extension (e.g. file_storage) where forests and every series'
	// state are saved every SnapshotInterval and at shutdown, and read back at start (nil: none).
	Storage          *component.ID `mapstructure:"storage"`
	SnapshotInterval time.Duration `mapstructure:"snapshot_interval"`

	// Events: anomaly events (OTLP log records at each alarm's onset and resolve), emitted by an
	// anomaly_events receiver that names this processor.
	Events EventsConfig `mapstructure:"events"`
}

// EventsConfig controls the anomaly events.
type EventsConfig struct {
	// Enabled: build events (they go nowhere, and are counted as dropped, unless an
	// anomaly_events receiver names this processor).
	Enabled bool `mapstructure:"enabled"`
	// MaxPerSeriesPerHour caps the events of one series per hour; beyond it the alarms still
	// happen (is_anomaly, telemetry) but their events are dropped and counted.
	MaxPerSeriesPerHour int `mapstructure:"max_per_series_per_hour"`
	// TraceIDs is how many trace ids (from the exemplars of the episode's points) an event carries.
	TraceIDs int `mapstructure:"trace_ids"`
}

// Defaults; the detection defaults were chosen by measurement (README "Detection quality").
func createDefaultConfig() *Config {
	return &Config{
		Threshold:            0.5,
		ResolveThreshold:     0.3,
		ResolvePoints:        50,
		MinDeviation:         0,
		MinRelativeDeviation: 0.001,
		RangeHorizon:         8000,
		Seasonality:          true,
		WarmupPoints:         10,

		Trees:           100,
		SampleSize:      256,
		WindowSize:      2048,
		ModelGroup:      ModelGroupMetric,
		RefreshInterval: 10 * time.Second,
		RefreshPoints:   256,
		MaxForests:      200,
		Seed:            1,

		MaxSeries: 100000,
		SeriesTTL: time.Hour,

		OutputMode:     OutputModeMetrics,
		ScorePrecision: 2,
		Instances:      0,
		KernelPath:     "",

		SnapshotInterval: 5 * time.Minute,
		Events:           EventsConfig{Enabled: true, MaxPerSeriesPerHour: 6, TraceIDs: 5},
	}
}

// Limits that span several options (Validate checks them).
const (
	// maxForestShare: one forest may take at most this share of an instance's address space, so
	// an instance holds several and the kernel's own buffers fit.
	maxForestShare = 4
)

// Validate rejects out-of-range values; every message starts with the offending key.
// kernel_path is checked at start, when the kernel is loaded and its ABI verified.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if !(c.Threshold > 0 && c.Threshold < 1) { // also rejects NaN
		bad("threshold", "must be in (0, 1), got %v", c.Threshold)
	}
	if !(c.ResolveThreshold > 0 && c.ResolveThreshold <= c.Threshold) {
		bad("resolve_threshold", "must be in (0, threshold (%v)], got %v", c.Threshold, c.ResolveThreshold)
	}
	if c.ResolvePoints < 1 || c.ResolvePoints > 1<<20 {
		bad("resolve_points", "must be between 1 and 1048576, got %d", c.ResolvePoints)
	}
	if !(c.MinDeviation >= 0 && c.MinDeviation <= 1e300) {
		bad("min_deviation", "must be >= 0, got %v", c.MinDeviation)
	}
	if !(c.MinRelativeDeviation >= 0 && c.MinRelativeDeviation <= 1) {
		bad("min_relative_deviation", "must be between 0 and 1, got %v", c.MinRelativeDeviation)
	}
	if c.RangeHorizon < 16 || c.RangeHorizon > 1<<30 {
		bad("range_horizon", "must be between 16 and 1073741824 points, got %d", c.RangeHorizon)
	}
	if c.WarmupPoints < 2 || c.WarmupPoints > 1<<20 {
		bad("warmup_points", "must be between 2 and 1048576 (a series needs history for its evidence), got %d", c.WarmupPoints)
	}
	if c.Trees < 1 || c.Trees > 10000 {
		bad("trees", "must be between 1 and 10000, got %d", c.Trees)
	}
	if c.SampleSize < 2 || c.SampleSize > 65536 {
		bad("sample_size", "must be between 2 and 65536, got %d", c.SampleSize)
	}
	if c.WindowSize < c.SampleSize || c.WindowSize > 1<<20 {
		bad("window_size", "must be between sample_size (%d) and 1048576, got %d", c.SampleSize, c.WindowSize)
	}
	if fb := c.forestBytes(); c.Trees >= 1 && c.SampleSize >= 2 && fb > kernel.MemoryLimit/maxForestShare {
		bad("trees", "with sample_size %d and window_size %d one forest needs %d MiB, more than the %d MiB a kernel instance can give one forest (lower trees, sample_size or window_size)",
			c.SampleSize, c.WindowSize, fb>>20, kernel.MemoryLimit/maxForestShare>>20)
	}
	if c.ModelGroup != ModelGroupMetric && c.ModelGroup != ModelGroupSeries {
		bad("model_group", "must be %q or %q, got %q", ModelGroupMetric, ModelGroupSeries, c.ModelGroup)
	}
	if c.RefreshInterval < 0 || c.RefreshInterval > 24*time.Hour {
		bad("refresh_interval", "must be between 0s (every batch) and 24h, got %v", c.RefreshInterval)
	}
	if c.RefreshPoints < 1 || c.RefreshPoints > 1<<20 {
		bad("refresh_points", "must be between 1 and 1048576, got %d", c.RefreshPoints)
	}
	if c.MaxForests < 0 || c.MaxForests > 1<<20 {
		bad("max_forests", "must be between 0 (no forests: the statistics alone) and 1048576, got %d", c.MaxForests)
	}
	if c.MaxSeries < 1 || c.MaxSeries > 1<<30 {
		bad("max_series", "must be between 1 and 1073741824, got %d", c.MaxSeries)
	}
	if c.SeriesTTL < time.Minute {
		bad("series_ttl", "must be at least 1m, got %v", c.SeriesTTL)
	}
	if c.OutputMode != OutputModeMetrics && c.OutputMode != OutputModeAttributes {
		bad("output_mode", "must be %q or %q, got %q", OutputModeMetrics, OutputModeAttributes, c.OutputMode)
	}
	if c.ScorePrecision < 0 || c.ScorePrecision > 17 {
		bad("score_precision", "must be between 0 and 17, got %d", c.ScorePrecision)
	}
	if c.Instances < 0 || c.Instances > 1024 {
		bad("instances", "must be between 0 (GOMAXPROCS) and 1024, got %d", c.Instances)
	}
	if c.SnapshotInterval < 10*time.Second || c.SnapshotInterval > 24*time.Hour {
		bad("snapshot_interval", "must be between 10s and 24h, got %v", c.SnapshotInterval)
	}
	if c.Events.MaxPerSeriesPerHour < 1 || c.Events.MaxPerSeriesPerHour > 65535 {
		bad("events::max_per_series_per_hour", "must be between 1 and 65535, got %d", c.Events.MaxPerSeriesPerHour)
	}
	if c.Events.TraceIDs < 0 || c.Events.TraceIDs > 100 {
		bad("events::trace_ids", "must be between 0 and 100, got %d", c.Events.TraceIDs)
	}
	return errors.Join(errs...)
}

// forestBytes is the kernel memory of one forest at these settings.
func (c *Config) forestBytes() int64 {
	return kernel.ForestBytes(c.Trees, c.SampleSize, detect.Dims, c.WindowSize)
}

// instances resolves the pool size, once, when the processor is created: GOMAXPROCS can change
// later (Go follows cgroup limits), and every per-shard structure is sized from this number.
func (c *Config) instances() int {
	if c.Instances > 0 {
		return c.Instances
	}
	return runtime.GOMAXPROCS(0)
}

func (c *Config) detectParams() detect.Params {
	return detect.Params{
		Warmup: uint32(c.WarmupPoints), RangeHorizon: uint32(c.RangeHorizon),
		MinAbs: c.MinDeviation, MinRel: c.MinRelativeDeviation,
		RangeAlarm: detect.RangeAlarm, ShiftAlarm: detect.ShiftAlarm, SeasonAlarm: detect.SeasonAlarm,
		Seasonal: c.Seasonality,
	}
}

func (c *Config) alarmParams() detect.AlarmParams {
	return detect.AlarmParams{Threshold: c.Threshold, Resolve: c.ResolveThreshold, ResolvePoints: uint32(c.ResolvePoints)}
}

// forestParams splits max_forests over n instances.
func (c *Config) forestParams(n int) forests.Params {
	return forests.Params{
		Trees: c.Trees, SampleSize: c.SampleSize, WindowSize: c.WindowSize, Seed: c.Seed,
		RefreshInterval: c.RefreshInterval, RefreshPoints: c.RefreshPoints,
		MaxForests: (c.MaxForests + n - 1) / n, IdleTimeout: modelIdleTimeout,
	}
}
