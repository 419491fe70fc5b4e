package cassandralogsexporter

import (
	"errors"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config is the cassandra_logs exporter configuration.
type Config struct {
	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	QueueConfig                  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig                  configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	Endpoints        []string               `mapstructure:"endpoints"`
	Keyspace         string                 `mapstructure:"keyspace"`
	Table            string                 `mapstructure:"table"`
	Replication      ReplicationConfig      `mapstructure:"replication"`
	TTL              time.Duration          `mapstructure:"ttl"`
	Consistency      string                 `mapstructure:"consistency"`
	Auth             AuthConfig             `mapstructure:"auth"`
	TLS              configtls.ClientConfig `mapstructure:"tls"`
	WriteConcurrency int                    `mapstructure:"write_concurrency"`
	TraceIDIndex     bool                   `mapstructure:"trace_id_index"`
	_                struct{}
}

// ReplicationConfig is the keyspace replication used when the keyspace is created.
type ReplicationConfig struct {
	Class             string         `mapstructure:"class"`
	ReplicationFactor int            `mapstructure:"replication_factor"`
	Datacenters       map[string]int `mapstructure:"datacenters"`
	_                 struct{}
}

// AuthConfig holds PasswordAuthenticator credentials.
type AuthConfig struct {
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	_        struct{}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if len(c.Endpoints) == 0 {
		return errors.New(`"endpoints" must list at least one host:port`)
	}
	return nil
}
