package cassandralogsexporter

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap/xconfmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/schema"
)

// Config is the cassandra_logs exporter configuration. The README's option table lists every key;
// a test keeps the two in step.
type Config struct {
	// TimeoutConfig bounds each export call (all writes of one batch); it is also the driver's per-request timeout.
	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	QueueConfig                  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig                  configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// Endpoints are the contact points, host:port.
	Endpoints []string `mapstructure:"endpoints"`
	// Keyspace and Table are created when absent.
	Keyspace string `mapstructure:"keyspace"`
	Table    string `mapstructure:"table"`
	// Replication is used only when the keyspace is created.
	Replication ReplicationConfig `mapstructure:"replication"`
	// TTL of every written row (0 keeps rows forever); also the table's default_time_to_live.
	TTL time.Duration `mapstructure:"ttl"`
	// TimeBucket is the width of a partition in time: one partition per service and bucket.
	TimeBucket time.Duration `mapstructure:"time_bucket"`
	// Consistency of the writes (ONE, LOCAL_QUORUM, QUORUM, ALL, ...).
	Consistency string     `mapstructure:"consistency"`
	Auth        AuthConfig `mapstructure:"auth"`
	// TLS to Cassandra; plaintext while tls.insecure is true (the default).
	TLS configtls.ClientConfig `mapstructure:"tls"`
	// WriteConcurrency bounds the batches in flight per export call.
	WriteConcurrency int `mapstructure:"write_concurrency"`
	// TraceIDIndex creates a storage-attached index on trace_id, so one query finds a trace's logs
	// (Cassandra 5.0+; on an older server the exporter says so once and goes on without it).
	TraceIDIndex bool `mapstructure:"trace_id_index"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ReplicationConfig is the keyspace replication, used when the keyspace is created.
type ReplicationConfig struct {
	// Class is SimpleStrategy (with ReplicationFactor) or NetworkTopologyStrategy (with Datacenters;
	// ReplicationFactor is then ignored).
	Class             string         `mapstructure:"class"`
	ReplicationFactor int            `mapstructure:"replication_factor"`
	Datacenters       map[string]int `mapstructure:"datacenters"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// AuthConfig holds PasswordAuthenticator credentials; use ${env:NAME} to read them from the environment.
type AuthConfig struct {
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`

	// prevent unkeyed literal initialization
	_ struct{}
}

const (
	simpleStrategy          = "SimpleStrategy"
	networkTopologyStrategy = "NetworkTopologyStrategy"
	// Cassandra refuses TTLs above 20 years.
	maxTTL = 630720000 * time.Second
	// Cassandra limits keyspace and table names to 48 characters.
	maxIdentifierLen = 48
)

// Unquoted CQL identifiers: the schema statements use them as written, so only these are accepted.
var identifierRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

var _ xconfmap.Validator = (*Config)(nil)

// Validate returns every problem of the configuration at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if len(c.Endpoints) == 0 {
		bad("endpoints", "must list at least one host:port")
	}
	for i, ep := range c.Endpoints {
		if err := validateEndpoint(ep); err != nil {
			bad(fmt.Sprintf("endpoints[%d]", i), "%q: %v", ep, err)
		}
	}
	for key, name := range map[string]string{"keyspace": c.Keyspace, "table": c.Table} {
		if !identifierRE.MatchString(name) || len(name) > maxIdentifierLen {
			bad(key, "%q is not a CQL name (a letter, then letters, digits or _; at most %d characters)", name, maxIdentifierLen)
		}
	}
	errs = append(errs, c.Replication.validate()...)
	if c.TTL < 0 || c.TTL > maxTTL || c.TTL%time.Second != 0 {
		bad("ttl", "%v must be whole seconds between 0 (no expiry) and 20 years", c.TTL)
	}
	if c.TimeBucket < time.Second || c.TimeBucket%time.Second != 0 {
		bad("time_bucket", "%v must be whole seconds, at least 1s", c.TimeBucket)
	}
	if _, err := parseConsistency(c.Consistency); err != nil {
		bad("consistency", "%v", err)
	}
	if (c.Auth.Username == "") != (c.Auth.Password == "") {
		if c.Auth.Username == "" {
			bad("auth.username", "is empty while auth.password is set")
		} else {
			bad("auth.password", "is empty while auth.username is set")
		}
	}
	if c.WriteConcurrency < 1 || c.WriteConcurrency > 1024 {
		bad("write_concurrency", "%d must be between 1 and 1024", c.WriteConcurrency)
	}
	if c.Timeout <= 0 {
		bad("timeout", "%v must be positive: it is also the driver's per-request timeout", c.Timeout)
	}
	return errors.Join(errs...)
}

func (r ReplicationConfig) validate() []error {
	var errs []error
	switch r.Class {
	case simpleStrategy:
		if r.ReplicationFactor < 1 {
			errs = append(errs, fmt.Errorf("replication.replication_factor: %d must be at least 1 for SimpleStrategy", r.ReplicationFactor))
		}
		if len(r.Datacenters) > 0 {
			errs = append(errs, errors.New("replication.datacenters: only NetworkTopologyStrategy takes datacenters"))
		}
	case networkTopologyStrategy:
		if len(r.Datacenters) == 0 {
			errs = append(errs, errors.New("replication.datacenters: NetworkTopologyStrategy needs a factor per datacenter, e.g. {dc1: 3}"))
		}
		for _, dc := range sortedKeys(r.Datacenters) {
			if n := r.Datacenters[dc]; n < 1 || dc == "" {
				errs = append(errs, fmt.Errorf("replication.datacenters.%s: factor %d must be at least 1", dc, n))
			}
		}
	default:
		errs = append(errs, fmt.Errorf("replication.class: %q must be SimpleStrategy or NetworkTopologyStrategy", r.Class))
	}
	return errs
}

// cqlMap is the CQL map literal of the keyspace replication.
func (r ReplicationConfig) cqlMap() string {
	if r.Class == networkTopologyStrategy {
		parts := []string{"'class': 'NetworkTopologyStrategy'"}
		for _, dc := range sortedKeys(r.Datacenters) {
			parts = append(parts, fmt.Sprintf("'%s': %d", strings.ReplaceAll(dc, "'", "''"), r.Datacenters[dc]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("{'class': 'SimpleStrategy', 'replication_factor': %d}", r.ReplicationFactor)
}

// schemaSettings are the parts of the configuration the table's statements depend on.
func (c *Config) schemaSettings() schema.Settings {
	return schema.Settings{
		Keyspace:     c.Keyspace,
		Table:        c.Table,
		Replication:  c.Replication.cqlMap(),
		TTL:          c.TTL,
		TimeBucket:   c.TimeBucket,
		TraceIDIndex: c.TraceIDIndex,
	}
}

func validateEndpoint(ep string) error {
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		return errors.New("want host:port")
	}
	if host == "" {
		return errors.New("empty host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not 1-65535", port)
	}
	return nil
}

func parseConsistency(s string) (gocql.Consistency, error) {
	c, err := gocql.ParseConsistencyWrapper(s)
	if err != nil || s == "" {
		return 0, fmt.Errorf("%q is not a consistency level (ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, LOCAL_ONE, ANY)", s)
	}
	if c == gocql.Serial || c == gocql.LocalSerial {
		return 0, fmt.Errorf("%q is for lightweight transactions, not for writes", s)
	}
	return c, nil
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
