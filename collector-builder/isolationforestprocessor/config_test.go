package isolationforestprocessor

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/kernel"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

func TestConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
	require.NoError(t, createDefaultConfig().Validate())
}

var storageID = component.MustNewID("file_storage")

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig()},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: &Config{
			Threshold: 0.7, ResolveThreshold: 0.4, ResolvePoints: 20, MinDeviation: 0.5, MinRelativeDeviation: 0.01,
			RangeHorizon: 2000, Seasonality: false, WarmupPoints: 5,
			Trees: 50, SampleSize: 128, WindowSize: 1024, ModelGroup: ModelGroupSeries,
			RefreshInterval: 30 * time.Second, RefreshPoints: 128, MaxForests: 10, Seed: 42,
			MaxSeries: 1000, SeriesTTL: 2 * time.Hour,
			OutputMode: OutputModeAttributes, ScorePrecision: 3, Instances: 2, KernelPath: "/opt/kernels/isolation_forest.wasm",
			Events:  EventsConfig{Enabled: false, MaxPerSeriesPerHour: 2, TraceIDs: 3},
			Storage: &storageID, SnapshotInterval: time.Minute,
		}},
		{id: component.NewIDWithName(metadata.Type, "bad_threshold"), wantErr: "threshold: must be in (0, 1), got 1.5"},
		{id: component.NewIDWithName(metadata.Type, "bad_resolve"), wantErr: "resolve_threshold: must be in (0, threshold (0.5)], got 0.6"},
		{id: component.NewIDWithName(metadata.Type, "bad_mode"), wantErr: `output_mode: must be "metrics" or "attributes", got "labels"`},
		{id: component.NewIDWithName(metadata.Type, "bad_group"), wantErr: `model_group: must be "metric" or "series", got "service"`},
		{id: component.NewIDWithName(metadata.Type, "bad_window"), wantErr: "window_size: must be between sample_size (256) and 1048576, got 100"},
		// a combination of valid values whose forest would not fit a kernel instance fails at start-up
		{id: component.NewIDWithName(metadata.Type, "bad_forest_size"), wantErr: "trees: with sample_size 65536 and window_size 65536 one forest needs"},
		{id: component.NewIDWithName(metadata.Type, "bad_ttl"), wantErr: "series_ttl: must be at least 1m, got 10s"},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			if tt.wantErr != "" {
				assert.ErrorContains(t, xconfmap.Validate(cfg), tt.wantErr)
				return
			}
			require.NoError(t, xconfmap.Validate(cfg))
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestValidateNamesEveryKey(t *testing.T) {
	cases := map[string]func(*Config){
		"threshold":              func(c *Config) { c.Threshold = 1 },
		"resolve_threshold":      func(c *Config) { c.ResolveThreshold = 0 },
		"resolve_points":         func(c *Config) { c.ResolvePoints = 0 },
		"min_deviation":          func(c *Config) { c.MinDeviation = math.NaN() },
		"min_relative_deviation": func(c *Config) { c.MinRelativeDeviation = 2 },
		"range_horizon":          func(c *Config) { c.RangeHorizon = 1 },
		"warmup_points":          func(c *Config) { c.WarmupPoints = 1 },
		"trees":                  func(c *Config) { c.Trees = 0 },
		"sample_size":            func(c *Config) { c.SampleSize = 1 },
		"window_size":            func(c *Config) { c.WindowSize = 10 },
		"model_group":            func(c *Config) { c.ModelGroup = "" },
		"refresh_interval":       func(c *Config) { c.RefreshInterval = -time.Second },
		"refresh_points":         func(c *Config) { c.RefreshPoints = 0 },
		"max_forests":            func(c *Config) { c.MaxForests = -1 },
		"max_series":             func(c *Config) { c.MaxSeries = 0 },
		"series_ttl":             func(c *Config) { c.SeriesTTL = 0 },
		"output_mode":            func(c *Config) { c.OutputMode = "both" },
		"score_precision":        func(c *Config) { c.ScorePrecision = -1 },
		"instances":              func(c *Config) { c.Instances = -1 },
		"snapshot_interval":      func(c *Config) { c.SnapshotInterval = time.Second },
	}
	for key, breakIt := range cases {
		cfg := createDefaultConfig()
		breakIt(cfg)
		err := cfg.Validate()
		require.Error(t, err, key)
		assert.True(t, strings.HasPrefix(err.Error(), key+": "), "error for %s should start with the key: %v", key, err)
	}
}

// The README's option table and the Config struct cannot drift: same keys, same defaults.
func TestReadmeOptionTable(t *testing.T) {
	f, err := os.Open("README.md")
	require.NoError(t, err)
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z_:]+)` \\| ([^|]+) \\|")
	documented := map[string]string{}
	inOptions := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inOptions = line == "## Options"
		}
		if m := row.FindStringSubmatch(line); inOptions && m != nil {
			documented[m[1]] = strings.TrimSpace(m[2])
		}
	}
	require.NoError(t, sc.Err())

	keys := map[string]bool{}
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		typ := v.Type()
		for i := 0; i < typ.NumField(); i++ {
			key := prefix + typ.Field(i).Tag.Get("mapstructure")
			if key == prefix {
				continue // unexported
			}
			if v.Field(i).Kind() == reflect.Struct { // a section: its keys are documented as section::key
				walk(v.Field(i), key+"::")
				continue
			}
			keys[key] = true
			doc, ok := documented[key]
			if !assert.True(t, ok, "option %q missing from README's option table", key) {
				continue
			}
			want := strings.Trim(doc, "`")
			if key == "instances" || key == "kernel_path" || key == "storage" {
				// 0 means GOMAXPROCS, "" the embedded kernel and no storage none: documented in words.
				continue
			}
			assert.Equal(t, want, formatDefault(v.Field(i)), "README default of %q", key)
		}
	}
	walk(reflect.ValueOf(*createDefaultConfig()), "")
	for key := range documented {
		assert.True(t, keys[key], "README documents %q, which Config does not have", key)
	}
}

func formatDefault(v reflect.Value) string { return fmt.Sprint(v.Interface()) }

// Every combined limit holds at the ranges' edges: the largest forest Validate accepts fits a
// kernel instance several times over.
func TestForestSizeLimit(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Trees, cfg.SampleSize, cfg.WindowSize = 10000, 4096, 4096
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "trees: with sample_size 4096 and window_size 4096 one forest needs")
	cfg.Trees = 1000
	require.NoError(t, cfg.Validate())
	assert.LessOrEqual(t, cfg.forestBytes(), int64(kernel.MemoryLimit/maxForestShare))
}
