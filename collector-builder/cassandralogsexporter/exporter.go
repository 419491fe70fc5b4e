package cassandralogsexporter

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
)

// How often start-up retries to reach Cassandra and create the schema while it is unreachable.
const (
	connectRetryMin = 500 * time.Millisecond
	connectRetryMax = 5 * time.Second
)

type logsExporter struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	schema schema
	insert string

	session atomic.Pointer[gocql.Session]
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

func newLogsExporter(cfg *Config, set exporter.Settings) (*logsExporter, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	s := schema{cfg: cfg}
	return &logsExporter{cfg: cfg, logger: set.Logger, tel: tel, schema: s, insert: s.insert()}, nil
}

// start never fails because Cassandra is away: it tries once, and if Cassandra does not answer it
// keeps trying in the background; until then pushLogs returns a retryable error, so the sending
// queue keeps the data.
func (e *logsExporter) start(ctx context.Context, _ component.Host) error {
	cluster, err := e.clusterConfig(ctx)
	if err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	if firstErr := e.connect(ctx, cluster); firstErr != nil {
		e.logger.Warn("waiting for Cassandra; logs stay in the sending queue until it answers",
			zap.Strings("endpoints", e.cfg.Endpoints), zap.Error(firstErr))
		e.done.Add(1)
		go func() {
			defer e.done.Done()
			e.connectLoop(loopCtx, cluster)
		}()
	}
	return nil
}

func (e *logsExporter) clusterConfig(ctx context.Context) (*gocql.ClusterConfig, error) {
	consistency, err := parseConsistency(e.cfg.Consistency)
	if err != nil {
		return nil, fmt.Errorf("consistency: %w", err)
	}
	cluster := gocql.NewCluster(e.cfg.Endpoints...)
	cluster.Consistency = consistency
	cluster.Timeout = e.cfg.Timeout
	cluster.ConnectTimeout = min(e.cfg.Timeout, 10*time.Second)
	// Probe hosts marked down every second (default 60 s), so writes resume soon after Cassandra returns.
	cluster.ReconnectInterval = time.Second
	cluster.Logger = driverLogger{e.logger.Named("gocql")}
	// Writes are idempotent (same rows on a rewrite), so the driver retries a timed-out batch
	// itself before the whole export call fails and is retried by the exporter helper.
	cluster.RetryPolicy = &gocql.ExponentialBackoffRetryPolicy{NumRetries: 2, Min: 200 * time.Millisecond, Max: 2 * time.Second}
	if e.cfg.Auth.Username != "" {
		cluster.Authenticator = gocql.PasswordAuthenticator{Username: e.cfg.Auth.Username, Password: string(e.cfg.Auth.Password)}
	}
	if !e.cfg.TLS.Insecure {
		tlsCfg, err := e.cfg.TLS.LoadTLSConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		cluster.SslOpts = &gocql.SslOptions{Config: tlsCfg, EnableHostVerification: !e.cfg.TLS.InsecureSkipVerify}
	}
	return cluster, nil
}

// connectLoop opens the session and creates the schema, retrying until it succeeds or the exporter stops.
func (e *logsExporter) connectLoop(ctx context.Context, cluster *gocql.ClusterConfig) {
	wait := connectRetryMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		err := e.connect(ctx, cluster)
		if err == nil {
			e.logger.Info("Cassandra is reachable; writing logs", zap.Strings("endpoints", e.cfg.Endpoints))
			return
		}
		e.logger.Debug("Cassandra still unreachable", zap.Error(err))
		wait = min(wait*2, connectRetryMax)
	}
}

func (e *logsExporter) connect(ctx context.Context, cluster *gocql.ClusterConfig) error {
	session, err := cluster.CreateSession()
	if err != nil {
		return err
	}
	for _, stmt := range e.schema.statements() {
		if err := session.Query(stmt).WithContext(ctx).Exec(); err != nil {
			session.Close()
			return fmt.Errorf("creating schema (%s): %w", firstWords(stmt, 6), err)
		}
	}
	e.session.Store(session)
	return nil
}

func (e *logsExporter) shutdown(context.Context) error {
	if e.cancel != nil {
		e.cancel()
	}
	e.done.Wait()
	if s := e.session.Swap(nil); s != nil {
		s.Close()
	}
	return nil
}

func (e *logsExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	session := e.session.Load()
	if session == nil {
		return errNotConnected
	}
	rows := toRows(ld, e.cfg.TimeBucket)
	return writeRows(ctx, sessionExecutor{session: session, insert: e.insert}, rows, e.cfg.WriteConcurrency, e.tel)
}

// sessionExecutor writes one partition's rows as a single UNLOGGED batch (one mutation on the
// replicas, no batch log), or a plain INSERT for a single row.
type sessionExecutor struct {
	session *gocql.Session
	insert  string
}

func (s sessionExecutor) execBatch(ctx context.Context, rows []logRow) error {
	if len(rows) == 1 {
		return s.session.Query(s.insert, rows[0].values...).Idempotent(true).WithContext(ctx).Exec()
	}
	b := s.session.Batch(gocql.UnloggedBatch).WithContext(ctx)
	for _, r := range rows {
		b.Entries = append(b.Entries, gocql.BatchEntry{Stmt: s.insert, Args: r.values, Idempotent: true})
	}
	return b.Exec()
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}
