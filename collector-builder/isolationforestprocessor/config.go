package isolationforestprocessor

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Model grouping: which series share one forest.
const (
	ModelGroupMetric = "metric" // one forest per metric name (default): per-series state stays tiny
	ModelGroupSeries = "series" // one forest per series: for a few important series only
)

// Output modes.
const (
	OutputModeAttributes = "attributes" // anomaly_score and is_anomaly attributes on each scored data point
	OutputModeMetrics    = "metrics"    // a companion gauge <name>_anomaly_score per series, original untouched
)

// Config of the isolationforest processor. The README's option table is checked against the
// mapstructure tags below by TestReadmeOptionTable, so keep both in step.
type Config struct {
	// Trees per forest.
	Trees int `mapstructure:"trees"`
	// SampleSize is the sub-sample size psi each tree is built from.
	SampleSize int `mapstructure:"sample_size"`
	// WindowSize is how many recent feature vectors each forest keeps to rebuild its trees from.
	WindowSize int `mapstructure:"window_size"`
	// WarmupPoints a series must have seen before its points are scored.
	WarmupPoints int `mapstructure:"warmup_points"`
	// Threshold: a score >= Threshold sets is_anomaly="true".
	Threshold float64 `mapstructure:"threshold"`
	// ModelGroup is "metric" or "series".
	ModelGroup string `mapstructure:"model_group"`
	// MaxSeries bounds the series tracked; the least recently seen are evicted beyond it.
	MaxSeries int `mapstructure:"max_series"`
	// OutputMode is "attributes" or "metrics".
	OutputMode string `mapstructure:"output_mode"`
	// ScorePrecision is the number of decimals of the anomaly_score attribute.
	ScorePrecision int `mapstructure:"score_precision"`
	// Instances is the number of kernel instances (shards); 0 means GOMAXPROCS.
	Instances int `mapstructure:"instances"`
	// KernelPath loads this .wasm (same ABI) instead of the embedded kernel.
	KernelPath string `mapstructure:"kernel_path"`
	// Seed of the forests' random generator (each model mixes in its own identity).
	Seed uint64 `mapstructure:"seed"`
	// RefreshInterval: a model group's forest learns (one forest_update) at most once per interval.
	RefreshInterval time.Duration `mapstructure:"refresh_interval"`
	// RefreshPoints bounds the vectors one refresh feeds: a uniform sample (reservoir) of the
	// group's vectors since the previous refresh (at most window_size of them are used).
	RefreshPoints int `mapstructure:"refresh_points"`
	// ScoreCache is the grid resolution (in feature units) on which scores are memoised between
	// refreshes; 0 scores every vector exactly.
	ScoreCache float64 `mapstructure:"score_cache"`
}

// Defaults. defaultThreshold was chosen by measurement: see README "Choosing the threshold".
const (
	defaultTrees          = 100
	defaultSampleSize     = 256
	defaultWindowSize     = 2048
	defaultWarmupPoints   = 10
	defaultThreshold      = 0.64
	defaultMaxSeries      = 100000
	defaultScorePrecision = 2
	defaultSeed           = 1
	// Learning and memoisation defaults: chosen by measurement (README "Throughput").
	defaultRefreshInterval = 10 * time.Second
	defaultRefreshPoints   = 256
	defaultScoreCache      = 0.05
)

func createDefaultConfig() *Config {
	return &Config{
		Trees:          defaultTrees,
		SampleSize:     defaultSampleSize,
		WindowSize:     defaultWindowSize,
		WarmupPoints:   defaultWarmupPoints,
		Threshold:      defaultThreshold,
		ModelGroup:     ModelGroupMetric,
		MaxSeries:      defaultMaxSeries,
		OutputMode:     OutputModeAttributes,
		ScorePrecision: defaultScorePrecision,
		Instances:      0,
		KernelPath:     "",
		Seed:           defaultSeed,

		RefreshInterval: defaultRefreshInterval,
		RefreshPoints:   defaultRefreshPoints,
		ScoreCache:      defaultScoreCache,
	}
}

// Validate rejects out-of-range values; every message starts with the offending key.
// kernel_path is checked at start, when the kernel is loaded and its ABI verified.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
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
	if c.WarmupPoints < 2 {
		bad("warmup_points", "must be at least 2 (a series needs history for its features), got %d", c.WarmupPoints)
	}
	if !(c.Threshold > 0 && c.Threshold <= 1) { // also rejects NaN
		bad("threshold", "must be in (0, 1], got %v", c.Threshold)
	}
	if c.ModelGroup != ModelGroupMetric && c.ModelGroup != ModelGroupSeries {
		bad("model_group", "must be %q or %q, got %q", ModelGroupMetric, ModelGroupSeries, c.ModelGroup)
	}
	if c.MaxSeries < 1 {
		bad("max_series", "must be at least 1, got %d", c.MaxSeries)
	}
	if c.OutputMode != OutputModeAttributes && c.OutputMode != OutputModeMetrics {
		bad("output_mode", "must be %q or %q, got %q", OutputModeAttributes, OutputModeMetrics, c.OutputMode)
	}
	if c.ScorePrecision < 0 || c.ScorePrecision > 17 {
		bad("score_precision", "must be between 0 and 17, got %d", c.ScorePrecision)
	}
	if c.Instances < 0 || c.Instances > 1024 {
		bad("instances", "must be between 0 (GOMAXPROCS) and 1024, got %d", c.Instances)
	}
	if c.RefreshInterval < 0 || c.RefreshInterval > 24*time.Hour {
		bad("refresh_interval", "must be between 0s (every batch) and 24h, got %v", c.RefreshInterval)
	}
	if c.RefreshPoints < 1 || c.RefreshPoints > 1<<20 {
		bad("refresh_points", "must be between 1 and 1048576, got %d", c.RefreshPoints)
	}
	if !(c.ScoreCache == 0 || c.ScoreCache >= minScoreCache && c.ScoreCache <= 1) { // also rejects NaN
		bad("score_cache", "must be 0 (exact scores) or between %v and 1, got %v", minScoreCache, c.ScoreCache)
	}
	return errors.Join(errs...)
}

// refreshSample is the reservoir capacity: a refresh never feeds more than the window holds.
func (c *Config) refreshSample() int { return min(c.RefreshPoints, c.WindowSize) }

// instances resolves the kernel pool size.
func (c *Config) instances() int {
	if c.Instances > 0 {
		return c.Instances
	}
	return runtime.GOMAXPROCS(0)
}
