//go:build integration

// Against real Cassandra 5.0 and 4.1 nodes (test/logs/exporter-integration.test.ts starts both
// with src/backends/cassandra.ts and runs these tests in `npm test`):
//
//	CASSANDRA_ENDPOINT=127.0.0.1:9042 CASSANDRA41_ENDPOINT=127.0.0.1:9043 go test -tags integration -run Integration ./...
//
// Each case prints a "counts:" line: records in, rows stored, duplicates, and the exporter's own
// figures, which must agree with the rows.
package cassandralogsexporter

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/cqlerr"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadatatest"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/record"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/writer"
)

type node struct{ name, endpoint string }

// nodes are the Cassandra releases every case runs against; both must be given.
func nodes(t *testing.T) []node {
	five, four := os.Getenv("CASSANDRA_ENDPOINT"), os.Getenv("CASSANDRA41_ENDPOINT")
	require.True(t, five != "" && four != "", "set CASSANDRA_ENDPOINT (Cassandra 5.0) and CASSANDRA41_ENDPOINT (Cassandra 4.1) to host:port")
	return []node{{"5.0", five}, {"4.1", four}}
}

var keyspaceSeq = time.Now().Unix() % 100000

// keyspace is a fresh keyspace name per case and node.
func keyspace(prefix string, n node) string {
	keyspaceSeq++
	return fmt.Sprintf("%s_%s_%d", prefix, strings.ReplaceAll(n.name, ".", ""), keyspaceSeq)
}

type live struct {
	logs exporter.Logs
	exp  *logsExporter
	tt   *componenttest.Telemetry
	log  *observer.ObservedLogs
	cfg  *Config
}

// startLive builds the exporter as the factory does (stamping, sending queue, retries) against a
// real node and waits until it is connected.
func startLive(t *testing.T, n node, ks string, change func(*Config)) *live {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{n.endpoint}
	cfg.Keyspace = ks
	cfg.Consistency = "ONE"
	cfg.RetryConfig.InitialInterval = 200 * time.Millisecond
	cfg.RetryConfig.MaxInterval = time.Second
	if change != nil {
		change(cfg)
	}
	tt := componenttest.NewTelemetry()
	core, observed := observer.New(zap.InfoLevel)
	set := metadatatest.NewSettings(tt)
	set.Logger = zap.New(core)
	exp, err := newLogsExporter(cfg, set)
	require.NoError(t, err)
	logs, err := wrapLogsExporter(context.Background(), set, cfg, exp)
	require.NoError(t, err)
	require.NoError(t, logs.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return exp.exec.Load() != nil }, 60*time.Second, 50*time.Millisecond, "connected to %s", n.endpoint)
	l := &live{logs: logs, exp: exp, tt: tt, log: observed, cfg: cfg}
	t.Cleanup(func() {
		require.NoError(t, logs.Shutdown(context.Background()))
		require.NoError(t, tt.Shutdown(context.Background()))
	})
	return l
}

func (l *live) session() *gocql.Session { return l.exp.session.Load() }

// settle waits until the exporter helper has finished with want records (written or dropped).
func (l *live) settle(t *testing.T, want int64, within time.Duration) time.Duration {
	start := time.Now()
	require.Eventually(t, func() bool { return sum(t, l.tt, "otelcol_exporter_sent_log_records") >= want }, within, 20*time.Millisecond,
		"the exporter finishes with %d records", want)
	return time.Since(start)
}

type stored struct {
	rows       int
	duplicates int // rows whose body another row already has
	bodies     map[string]int
}

func readBack(t *testing.T, s *gocql.Session, ks string) stored {
	iter := s.Query("SELECT body FROM " + ks + ".logs").Consistency(gocql.One).PageSize(5000).Iter()
	out := stored{bodies: map[string]int{}}
	var body string
	for iter.Scan(&body) {
		out.rows++
		out.bodies[body]++
		if out.bodies[body] > 1 {
			out.duplicates++
		}
	}
	require.NoError(t, iter.Close())
	return out
}

func (l *live) metrics(t *testing.T) string {
	dropped := map[string]int64{}
	if m, err := l.tt.GetMetric("otelcol_cassandra_logs_records_dropped"); err == nil {
		for _, dp := range metricSum(m) {
			v, _ := dp.Attributes.Value("reason")
			dropped[v.AsString()] += dp.Value
		}
	}
	return fmt.Sprintf("records_written %d, records_repaired %d, records_dropped %v, sent %d, send_failed %d",
		sum(t, l.tt, "otelcol_cassandra_logs_records_written"), sum(t, l.tt, "otelcol_cassandra_logs_records_repaired"), dropped,
		sum(t, l.tt, "otelcol_exporter_sent_log_records"), sum(t, l.tt, "otelcol_exporter_send_failed_log_records"))
}

func metricSum(m metricdata.Metrics) []metricdata.DataPoint[int64] {
	return m.Data.(metricdata.Sum[int64]).DataPoints
}

func logsOf(service string, bodies ...string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", service)
	sl := rl.ScopeLogs().AppendEmpty()
	for i, b := range bodies {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000 + int64(i)*1000))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.Body().SetStr(b)
	}
	return ld
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i)
	}
	return out
}

// appliedThenTimedOut writes every batch, then answers the first attempt of each with a write
// timeout, as Cassandra does when a write is applied but acknowledged late: the exporter helper
// retries, and the retry must rewrite the same rows.
type appliedThenTimedOut struct {
	inner writer.Executor
	mu    sync.Mutex
	seen  map[gocql.UUID]bool
}

func (a *appliedThenTimedOut) ExecBatch(ctx context.Context, rows []record.Row) error {
	if err := a.inner.ExecBatch(ctx, rows); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[rows[0].ID] {
		return nil
	}
	a.seen[rows[0].ID] = true
	return serverError{gocql.ErrCodeWriteTimeout, "Operation timed out - received only 0 responses."}
}

func TestIntegrationRepeatsAndOwnRetries(t *testing.T) {
	for _, n := range nodes(t) {
		t.Run(n.name, func(t *testing.T) {
			ks := keyspace("repeats", n)
			l := startLive(t, n, ks, nil)
			// One record (same body, severity, timestamp, no observed timestamp) in three export calls.
			for i := 0; i < 3; i++ {
				require.NoError(t, l.logs.ConsumeLogs(context.Background(), logsOf("checkout", "user 42 logged in")))
			}
			l.settle(t, 3, 30*time.Second)
			got := readBack(t, l.session(), ks)
			t.Logf("counts: cassandra %s repeats: records in 3 (one record in 3 export calls), rows stored %d; %s", n.name, got.rows, l.metrics(t))
			assert.Equal(t, 3, got.rows, "a record sent three times is three rows")
			assert.Equal(t, int64(3), sum(t, l.tt, "otelcol_cassandra_logs_records_written"))

			// The exporter's own retries: every batch is applied, then answered with a timeout.
			ks2 := keyspace("retries", n)
			l2 := startLive(t, n, ks2, nil)
			l2.exp.exec.Store(&execBox{&appliedThenTimedOut{inner: l2.exp.exec.Load().Executor, seen: map[gocql.UUID]bool{}}})
			const total = 1000
			ld := plog.NewLogs()
			for s := 0; s < 4; s++ {
				logsOf(fmt.Sprintf("svc-%d", s), numbered(fmt.Sprintf("svc-%d line", s), total/4)...).ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
			}
			require.NoError(t, l2.logs.ConsumeLogs(context.Background(), ld))
			l2.settle(t, total, 60*time.Second)
			got = readBack(t, l2.session(), ks2)
			t.Logf("counts: cassandra %s own retries: records in %d (every batch applied, then timed out, then retried), rows stored %d, duplicates %d; %s",
				n.name, total, got.rows, got.duplicates, l2.metrics(t))
			assert.Equal(t, total, got.rows)
			assert.Equal(t, 0, got.duplicates)
			assert.Equal(t, int64(total), sum(t, l2.tt, "otelcol_cassandra_logs_records_written"), "the metric counts rows, not attempts")
		})
	}
}

func TestIntegrationInvalidRequests(t *testing.T) {
	for _, n := range nodes(t) {
		t.Run(n.name, func(t *testing.T) {
			ks := keyspace("invalid", n)
			// Default retry intervals (5 s, 30 s): a request that waited on a retry would show.
			l := startLive(t, n, ks, func(c *Config) {
				c.RetryConfig.InitialInterval, c.RetryConfig.MaxInterval = 5*time.Second, 30*time.Second
			})

			// One request: 100 good records and two records with invalid UTF-8 (repaired) in the
			// partition of a record with a 17 MiB body (over any message/mutation limit), and one
			// record whose service.name makes the partition key longer than 64 KiB.
			good := numbered("good", 100)
			bad := string([]byte{'b', 'a', 'd', ' ', 0xff, 0xfe})
			ld := logsOf("checkout", append(append(good, bad+" body", "big"), "attr")...)
			recs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			recs.At(101).Body().SetStr(strings.Repeat("x", 17<<20))
			recs.At(102).Attributes().PutStr("note", bad)
			logsOf(strings.Repeat("s", 70_000), "key too large").ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
			in := ld.LogRecordCount()
			require.NoError(t, l.logs.ConsumeLogs(context.Background(), ld))
			took := l.settle(t, int64(in), 20*time.Second)
			got := readBack(t, l.session(), ks)
			t.Logf("counts: cassandra %s invalid requests: records in %d (1 body of 17 MiB, 1 partition key of 70 KB, 2 with invalid UTF-8), rows stored %d, duplicates %d, done in %v; %s",
				n.name, in, got.rows, got.duplicates, took.Round(time.Millisecond), l.metrics(t))
			assert.Equal(t, 102, got.rows, "the 100 good records and the 2 repaired ones")
			assert.Equal(t, 0, got.duplicates)
			assert.Equal(t, 1, got.bodies["bad \uFFFD body"], "invalid UTF-8 stored as U+FFFD")
			assert.Equal(t, int64(102), sum(t, l.tt, "otelcol_cassandra_logs_records_written"))
			assert.Equal(t, int64(2), sum(t, l.tt, "otelcol_cassandra_logs_records_repaired"))
			assert.Equal(t, int64(2), sum(t, l.tt, "otelcol_cassandra_logs_records_dropped"))
			assert.Equal(t, int64(0), sum(t, l.tt, "otelcol_exporter_send_failed_log_records"))
			assert.Equal(t, 1, l.log.FilterMessageSnippet("dropping log records").FilterField(zap.String("reason", cqlerr.MutationTooLarge)).Len())
			assert.Equal(t, 1, l.log.FilterMessageSnippet("dropping log records").FilterField(zap.String("reason", cqlerr.PartitionKeyTooLarge)).Len())

			// What the server answers to requests the exporter would not send (it repairs UTF-8 and
			// checks key sizes first) is classified the same way: a batch of 50 rows, one with
			// invalid UTF-8 and one with a 70 KB partition key, bypassing both.
			rowsLd := logsOf("raw", numbered("raw", 50)...)
			record.Stamp(rowsLd)
			rows, rejected := record.Rows(rowsLd, time.Hour)
			require.Empty(t, rejected)
			rows[17].Values[11] = string([]byte{'r', 'a', 'w', 0xff})
			odd := rows[33]
			odd.Values = append([]any(nil), odd.Values...)
			odd.Values[0] = strings.Repeat("k", 70_000)
			exec := writer.SessionExecutor{Session: l.session(), Insert: l.exp.insert}
			res := writer.Write(context.Background(), exec, rows, 4, nil)
			oddRes := writer.Write(context.Background(), exec, []record.Row{odd}, 1, nil)
			t.Logf("counts: cassandra %s raw batch: rows in 50, written %d, dropped %d (%s), retry %d; 70 KB key: dropped %d (%s)",
				n.name, len(res.Written), len(res.Dropped), reasons(res.Dropped), len(res.Retry), len(oddRes.Dropped), reasons(oddRes.Dropped))
			require.Len(t, res.Dropped, 1)
			assert.Equal(t, cqlerr.InvalidUTF8, res.Dropped[0].Reason)
			assert.Equal(t, rows[17].ID, res.Dropped[0].Row.ID)
			assert.Len(t, res.Written, 49, "the other 49 rows of the refused batch are written")
			assert.Empty(t, res.Retry)
			require.Len(t, oddRes.Dropped, 1)
			assert.Equal(t, cqlerr.PartitionKeyTooLarge, oddRes.Dropped[0].Reason)
		})
	}
}

func reasons(ds []writer.Drop) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Reason)
	}
	return strings.Join(out, ",")
}

func TestIntegrationMismatchedTable(t *testing.T) {
	for _, n := range nodes(t) {
		t.Run(n.name, func(t *testing.T) {
			admin := startLive(t, n, keyspace("admin", n), nil).session()
			for column, table := range map[string]string{
				"body":       strings.Replace(createTableLike("body text"), "body text", "body blob", 1),
				"event_name": strings.Replace(createTableLike("event_name text"), "event_name text,", "", 1),
			} {
				ks := keyspace("mismatch", n)
				require.NoError(t, admin.Query("CREATE KEYSPACE "+ks+" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec())
				require.NoError(t, admin.Query(strings.Replace(table, "KS", ks, 1)).Exec())
				cfg := createDefaultConfig().(*Config)
				cfg.Endpoints, cfg.Keyspace = []string{n.endpoint}, ks
				exp, err := newLogsExporter(cfg, exportertest.NewNopSettings(metadata.Type))
				require.NoError(t, err)
				err = exp.start(context.Background(), componenttest.NewNopHost())
				t.Logf("counts: cassandra %s mismatched table (%s): start-up error: %v", n.name, column, err)
				require.Error(t, err, "start-up fails")
				assert.Contains(t, err.Error(), fmt.Sprintf("column %q", column))
				require.NoError(t, exp.shutdown(context.Background()))
			}

			// Cassandra unreachable at start, then reachable with a mismatched table: the background
			// connect reports a fatal error naming the column (the collector stops on it).
			ks := keyspace("latemismatch", n)
			require.NoError(t, admin.Query("CREATE KEYSPACE "+ks+" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec())
			require.NoError(t, admin.Query(strings.Replace(strings.Replace(createTableLike("trace_id text"), "trace_id text", "trace_id blob", 1), "KS", ks, 1)).Exec())
			proxyAddr := closedPort(t)
			cfg := createDefaultConfig().(*Config)
			cfg.Endpoints, cfg.Keyspace, cfg.Timeout = []string{proxyAddr}, ks, 5*time.Second
			exp, err := newLogsExporter(cfg, exportertest.NewNopSettings(metadata.Type))
			require.NoError(t, err)
			host := &statusHost{events: make(chan *componentstatus.Event, 4)}
			require.NoError(t, exp.start(context.Background(), host), "Cassandra away: start-up goes on")
			stop := forward(t, proxyAddr, n.endpoint)
			select {
			case ev := <-host.events:
				t.Logf("counts: cassandra %s mismatched table found after start: status %v: %v", n.name, ev.Status(), ev.Err())
				assert.Equal(t, componentstatus.StatusFatalError, ev.Status())
				assert.Contains(t, ev.Err().Error(), `column "trace_id"`)
			case <-time.After(60 * time.Second):
				t.Fatal("no fatal status reported")
			}
			require.NoError(t, exp.shutdown(context.Background()))
			stop()

			// A table changed under a running exporter: its writes are refused for good; the
			// records are dropped with the reason, and the request is done at once.
			ks = keyspace("altered", n)
			l := startLive(t, n, ks, nil)
			require.NoError(t, l.session().Query("ALTER TABLE "+ks+".logs DROP severity_text").Exec())
			ld := logsOf("checkout", numbered("line", 20)...)
			require.NoError(t, l.logs.ConsumeLogs(context.Background(), ld))
			took := l.settle(t, 20, 20*time.Second)
			got := readBack(t, l.session(), ks)
			t.Logf("counts: cassandra %s table altered after start: records in 20, rows stored %d, done in %v; %s", n.name, got.rows, took.Round(time.Millisecond), l.metrics(t))
			assert.Equal(t, int64(20), sum(t, l.tt, "otelcol_cassandra_logs_records_dropped"))
			assert.Equal(t, int64(got.rows), sum(t, l.tt, "otelcol_cassandra_logs_records_written"))
			assert.Equal(t, 1, l.log.FilterMessageSnippet("dropping log records").FilterField(zap.String("reason", cqlerr.SchemaMismatch)).Len())
		})
	}
}

// statusHost records the component status events the exporter reports.
type statusHost struct {
	component.Host
	events chan *componentstatus.Event
}

func (h *statusHost) GetExtensions() map[component.ID]component.Component { return nil }
func (h *statusHost) Report(ev *componentstatus.Event)                    { h.events <- ev }

// forward listens on addr and pipes every connection to target, until stop.
func forward(t *testing.T, addr, target string) (stop func()) {
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	var conns sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			conns.Add(2)
			go func() { defer conns.Done(); io.Copy(u, c); u.Close() }()
			go func() { defer conns.Done(); io.Copy(c, u); c.Close() }()
		}
	}()
	return func() { l.Close() }
}

// createTableLike is the exporter's own CREATE TABLE for keyspace KS (mustContain checks the text
// the caller replaces is there).
func createTableLike(mustContain string) string {
	cfg := createDefaultConfig().(*Config)
	cfg.Keyspace = "KS"
	stmt := strings.Replace(cfg.schemaSettings().CreateTable(), "IF NOT EXISTS ", "", 1)
	if !strings.Contains(stmt, mustContain) {
		panic(mustContain)
	}
	return stmt
}

func TestIntegrationTraceIndex(t *testing.T) {
	for _, n := range nodes(t) {
		t.Run(n.name, func(t *testing.T) {
			ks := keyspace("traceidx", n)
			l := startLive(t, n, ks, nil) // trace_id_index: true, the default
			var version string
			require.NoError(t, l.session().Query("SELECT release_version FROM system.local").Scan(&version))
			var indexes int
			require.NoError(t, l.session().Query("SELECT COUNT(*) FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = 'logs'", ks).Scan(&indexes))
			said := l.log.FilterMessageSnippet("has no storage-attached indexes").Len()

			ld := logsOf("checkout", "traced line")
			ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetTraceID([16]byte{0x4b, 0xf9})
			require.NoError(t, l.logs.ConsumeLogs(context.Background(), ld))
			l.settle(t, 1, 20*time.Second)
			got := readBack(t, l.session(), ks)
			t.Logf("counts: cassandra %s (%s) trace_id index: indexes %d, said it goes without %d time(s), records in 1, rows stored %d",
				n.name, version, indexes, said, got.rows)
			assert.Equal(t, 1, got.rows)
			if strings.HasPrefix(version, "4.") {
				assert.Equal(t, 0, indexes)
				assert.Equal(t, 1, said, "one log line says the index is left out")
				return
			}
			assert.Equal(t, 1, indexes)
			assert.Equal(t, 0, said)
			var body string
			require.NoError(t, l.session().Query("SELECT body FROM "+ks+".logs WHERE trace_id = ?", "4bf90000000000000000000000000000").Scan(&body))
			assert.Equal(t, "traced line", body)
		})
	}
}

// TestIntegrationPoisonUnderLoad is a small soak: four senders, 200 requests of 100 records,
// every tenth request carrying a record Cassandra can never take, ten queue consumers.
func TestIntegrationPoisonUnderLoad(t *testing.T) {
	for _, n := range nodes(t) {
		t.Run(n.name, func(t *testing.T) {
			ks := keyspace("soak", n)
			l := startLive(t, n, ks, func(c *Config) {
				c.RetryConfig.InitialInterval, c.RetryConfig.MaxInterval = 5*time.Second, 30*time.Second
			})
			const requests, per = 200, 100
			var wg sync.WaitGroup
			next := make(chan int)
			start := time.Now()
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := range next {
						ld := logsOf(fmt.Sprintf("svc-%d", r%5), numbered(fmt.Sprintf("r%d", r), per)...)
						if r%10 == 3 {
							poison := ld.ResourceLogs().AppendEmpty()
							poison.Resource().Attributes().PutStr("service.name", strings.Repeat("p", 70_000))
							poison.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(fmt.Sprintf("poison %d", r))
						}
						if r == 100 {
							ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(50).Body().SetStr(strings.Repeat("y", 17<<20))
						}
						assert.NoError(t, l.logs.ConsumeLogs(context.Background(), ld))
					}
				}()
			}
			for r := 0; r < requests; r++ {
				next <- r
			}
			close(next)
			wg.Wait()
			in := requests*per + requests/10
			took := l.settle(t, int64(in), 120*time.Second)
			got := readBack(t, l.session(), ks)
			wantRows := requests*per - 1
			t.Logf("counts: cassandra %s poison under load: records in %d (%d poison), rows stored %d (want %d), duplicates %d, done %v after the last request (%v in all); %s",
				n.name, in, requests/10+1, got.rows, wantRows, got.duplicates, took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), l.metrics(t))
			assert.Equal(t, wantRows, got.rows)
			assert.Equal(t, 0, got.duplicates)
			assert.Equal(t, int64(wantRows), sum(t, l.tt, "otelcol_cassandra_logs_records_written"))
			assert.Equal(t, int64(requests/10+1), sum(t, l.tt, "otelcol_cassandra_logs_records_dropped"))
			assert.Equal(t, int64(0), sum(t, l.tt, "otelcol_exporter_send_failed_log_records"))
		})
	}
}
