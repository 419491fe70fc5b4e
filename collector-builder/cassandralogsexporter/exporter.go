package cassandralogsexporter

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/cqlerr"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/record"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/schema"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/writer"
)

// How often start-up retries to reach Cassandra and create the schema while it is unreachable.
const (
	connectRetryMin = 500 * time.Millisecond
	connectRetryMax = 5 * time.Second
)

// errNotConnected is returned while the exporter waits for Cassandra; it is retryable.
var errNotConnected = errors.New("cassandra_logs: not connected to Cassandra yet")

type logsExporter struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	schema schema.Settings
	insert string

	session atomic.Pointer[gocql.Session]
	// exec writes batches; set once connected (tests set their own).
	exec   atomic.Pointer[execBox]
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func newLogsExporter(cfg *Config, set exporter.Settings) (*logsExporter, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	s := cfg.schemaSettings()
	return &logsExporter{cfg: cfg, logger: set.Logger, tel: tel, schema: s, insert: s.Insert()}, nil
}

type execBox struct{ writer.Executor }

// start never fails because Cassandra is away: it tries once, and if Cassandra does not answer it
// keeps trying in the background; until then pushLogs returns a retryable error, so the sending
// queue keeps the data. It fails when the table exists with other columns (no retry helps); found
// later by the background loop, that is reported as a fatal error, which stops the collector.
func (e *logsExporter) start(ctx context.Context, host component.Host) error {
	cluster, err := e.clusterConfig(ctx)
	if err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	firstErr := e.connect(ctx, cluster)
	var mismatch *schema.MismatchError
	if errors.As(firstErr, &mismatch) {
		return firstErr
	}
	if firstErr != nil {
		e.logger.Warn("waiting for Cassandra; logs stay in the sending queue until it answers",
			zap.Strings("endpoints", e.cfg.Endpoints), zap.Error(firstErr))
		e.done.Add(1)
		go func() {
			defer e.done.Done()
			if err := e.connectLoop(loopCtx, cluster); err != nil {
				e.logger.Error("cannot write logs", zap.Error(err))
				componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
			}
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
	// itself before the export call fails; an invalid request comes back at once.
	cluster.RetryPolicy = cqlerr.RetryPolicy{NumRetries: 2, Wait: 300 * time.Millisecond}
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

// connectLoop opens the session and creates the schema, retrying until it succeeds, the table
// turns out not to match (returned), or the exporter stops.
func (e *logsExporter) connectLoop(ctx context.Context, cluster *gocql.ClusterConfig) error {
	wait := connectRetryMin
	lastMsg := ""
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		err := e.connect(ctx, cluster)
		if err == nil {
			e.logger.Info("Cassandra is reachable; writing logs", zap.Strings("endpoints", e.cfg.Endpoints))
			return nil
		}
		var mismatch *schema.MismatchError
		if errors.As(err, &mismatch) {
			return err
		}
		if _, permanent := cqlerr.Classify(err); permanent && err.Error() != lastMsg {
			// Cassandra answers but refuses a schema statement: say it once, not only at debug level.
			e.logger.Warn("Cassandra refuses to create the schema; retrying", zap.Error(err))
			lastMsg = err.Error()
		} else {
			e.logger.Debug("Cassandra still unreachable", zap.Error(err))
		}
		wait = min(wait*2, connectRetryMax)
	}
}

func (e *logsExporter) connect(ctx context.Context, cluster *gocql.ClusterConfig) error {
	session, err := cluster.CreateSession()
	if err != nil {
		return err
	}
	if err := schema.Ensure(ctx, session, e.schema, e.logger); err != nil {
		session.Close()
		return err
	}
	e.session.Store(session)
	e.exec.Store(&execBox{writer.SessionExecutor{Session: session, Insert: e.insert}})
	return nil
}

func (e *logsExporter) shutdown(context.Context) error {
	if e.cancel != nil {
		e.cancel()
	}
	e.done.Wait()
	e.exec.Store(nil)
	if s := e.session.Swap(nil); s != nil {
		s.Close()
	}
	return nil
}

// pushLogs writes one request. Every record ends in one of three ways: written; dropped, when
// Cassandra can never accept it (counted by reason and logged, never retried); or left to retry,
// when Cassandra may take it later. Only the records left to retry go back to the exporter
// helper (consumererror.NewLogs), so written neighbours are never rewritten and a dropped record
// never holds up a queue consumer.
func (e *logsExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	exec := e.exec.Load()
	if exec == nil {
		return errNotConnected
	}
	rows, rejected := record.Rows(ld, e.cfg.TimeBucket)
	res := writer.Write(ctx, exec.Executor, rows, e.cfg.WriteConcurrency, e.tel)
	drops := res.Dropped
	for _, r := range rejected {
		drops = append(drops, writer.Drop{Row: r.Row, Reason: r.Reason, Err: r.Err})
	}
	e.account(res.Written, drops)
	if len(res.Retry) == 0 {
		return nil
	}
	refs := make([]record.Ref, len(res.Retry))
	for i, r := range res.Retry {
		refs[i] = r.Ref
	}
	err := fmt.Errorf("cassandra_logs: %d of %d records not written yet, retrying them (%d written, %d dropped): %w",
		len(res.Retry), ld.LogRecordCount(), len(res.Written), len(drops), res.RetryErr)
	return consumererror.NewLogs(err, record.Subset(ld, refs))
}

// account counts written, repaired and dropped records and logs the drops, one line per request.
func (e *logsExporter) account(written []record.Row, drops []writer.Drop) {
	bg := context.Background()
	if n := len(written); n > 0 {
		e.tel.CassandraLogsRecordsWritten.Add(bg, int64(n))
		repaired := 0
		for _, r := range written {
			if r.Repaired {
				repaired++
			}
		}
		if repaired > 0 {
			e.tel.CassandraLogsRecordsRepaired.Add(bg, int64(repaired))
		}
	}
	if len(drops) == 0 {
		return
	}
	byReason := map[string][]writer.Drop{}
	for _, d := range drops {
		byReason[d.Reason] = append(byReason[d.Reason], d)
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		ds := byReason[reason]
		e.tel.CassandraLogsRecordsDropped.Add(bg, int64(len(ds)),
			metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason))))
		first := ds[0]
		service := first.Row.Key.Service
		if len(service) > 64 {
			service = service[:64] + "..."
		}
		e.logger.Warn("dropping log records Cassandra can never accept",
			zap.String("reason", reason), zap.Int("records", len(ds)),
			zap.String("service_name", service), zap.Int("approx_bytes", first.Row.Size),
			zap.Stringer("record_id", first.Row.ID), zap.Error(first.Err))
	}
}
