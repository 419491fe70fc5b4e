package cassandralogsexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := createDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config)
}

func TestDefaultConfigIsValid(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, xconfmap.Validate(cfg))
	assert.Equal(t, createDefaultConfig(), cfg)
	assert.True(t, cfg.TraceIDIndex)
	assert.Equal(t, time.Duration(0), cfg.RetryConfig.MaxElapsedTime, "retries never give up by default")
}

func TestFullConfig(t *testing.T) {
	cfg := loadConfig(t, "full")
	require.NoError(t, xconfmap.Validate(cfg))
	assert.Equal(t, []string{"cassandra-0.cassandra:9042", "cassandra-1.cassandra:9042"}, cfg.Endpoints)
	assert.Equal(t, "observability", cfg.Keyspace)
	assert.Equal(t, "app_logs", cfg.Table)
	assert.Equal(t, map[string]int{"dc1": 3, "dc2": 2}, cfg.Replication.Datacenters)
	assert.Equal(t, 168*time.Hour, cfg.TTL)
	assert.Equal(t, 15*time.Minute, cfg.TimeBucket)
	assert.Equal(t, "writer", cfg.Auth.Username)
	assert.Equal(t, "s3cret", string(cfg.Auth.Password))
	assert.Equal(t, 8, cfg.WriteConcurrency)
	assert.False(t, cfg.TraceIDIndex)
	assert.Equal(t, 10*time.Second, cfg.Timeout)
	assert.Equal(t, int64(5000), cfg.QueueConfig.Get().QueueSize)
	assert.Equal(t, 10*time.Minute, cfg.RetryConfig.MaxElapsedTime)
}

func TestValidateNamesEveryBadKey(t *testing.T) {
	err := xconfmap.Validate(loadConfig(t, "bad"))
	require.Error(t, err)
	for _, want := range []string{
		`endpoints[0]: "cassandra": want host:port`,
		`endpoints[1]: "host:0": port "0" is not 1-65535`,
		`keyspace: "my-logs" is not a CQL name`,
		`table: "" is not a CQL name`,
		`replication.replication_factor: 0 must be at least 1`,
		`replication.datacenters: only NetworkTopologyStrategy takes datacenters`,
		`ttl: 1.5s must be whole seconds`,
		`time_bucket: 0s must be whole seconds, at least 1s`,
		`consistency: "SERIAL" is for lightweight transactions`,
		`auth.password: is empty while auth.username is set`,
		`write_concurrency: 0 must be between 1 and 1024`,
		`timeout: 0s must be positive`,
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestValidateSingleProblems(t *testing.T) {
	cases := map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"no endpoints":    {func(c *Config) { c.Endpoints = nil }, "endpoints: must list at least one host:port"},
		"empty host":      {func(c *Config) { c.Endpoints = []string{":9042"} }, "endpoints[0]: \":9042\": empty host"},
		"unknown class":   {func(c *Config) { c.Replication.Class = "LocalStrategy" }, "replication.class: \"LocalStrategy\" must be"},
		"nts without dcs": {func(c *Config) { c.Replication = ReplicationConfig{Class: networkTopologyStrategy} }, "replication.datacenters: NetworkTopologyStrategy needs"},
		"nts zero dc": {func(c *Config) {
			c.Replication = ReplicationConfig{Class: networkTopologyStrategy, Datacenters: map[string]int{"dc9": 0}}
		}, "replication.datacenters.dc9: factor 0"},
		"ttl too long":         {func(c *Config) { c.TTL = 21 * 365 * 24 * time.Hour }, "ttl: "},
		"negative ttl":         {func(c *Config) { c.TTL = -time.Second }, "ttl: -1s"},
		"bad consistency":      {func(c *Config) { c.Consistency = "MOST" }, "consistency: \"MOST\" is not a consistency level"},
		"password no user":     {func(c *Config) { c.Auth.Password = "x" }, "auth.username: is empty while auth.password is set"},
		"keyspace too long":    {func(c *Config) { c.Keyspace = "k1234567890123456789012345678901234567890123456789" }, "keyspace: "},
		"concurrency too high": {func(c *Config) { c.WriteConcurrency = 5000 }, "write_concurrency: 5000"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tc.mutate(cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestConsistencyIsCaseInsensitive(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Consistency = "local_quorum"
	require.NoError(t, cfg.Validate())
}
