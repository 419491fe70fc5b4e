//go:build throughput

// A throughput probe against a live Cassandra, not part of any suite:
//
//	CASSANDRA_ENDPOINT=127.0.0.1:9042 go test -tags throughput -run Throughput -v ./...
package cassandralogsexporter

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/record"
)

// TestThroughput pushes 100 batches of 1000 records from 4 callers, as the exporter
// helper's queue consumers would, and reports the rate.
func TestThroughput(t *testing.T) {
	endpoint := os.Getenv("CASSANDRA_ENDPOINT")
	require.NotEmpty(t, endpoint, "set CASSANDRA_ENDPOINT=host:port")
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{endpoint}
	cfg.Keyspace = "tp_" + time.Now().Format("150405")
	if c := os.Getenv("WRITE_CONCURRENCY"); c != "" {
		fmt.Sscan(c, &cfg.WriteConcurrency)
	}
	cfg.TraceIDIndex = os.Getenv("TRACE_ID_INDEX") != "false"
	withTrace := os.Getenv("WITH_TRACE") == "true"
	exp, err := newLogsExporter(cfg, exportertest.NewNopSettings(exportertest.NopType))
	require.NoError(t, err)
	require.NoError(t, exp.start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, exp.shutdown(context.Background())) }()
	require.Eventually(t, func() bool { return exp.exec.Load() != nil }, 60*time.Second, 100*time.Millisecond)

	batch := func(b int) plog.Logs {
		ld := plog.NewLogs()
		for s := 0; s < 5; s++ {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", s))
			sl := rl.ScopeLogs().AppendEmpty()
			for i := 0; i < 200; i++ {
				lr := sl.LogRecords().AppendEmpty()
				lr.SetTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000 + int64(b*1000+s*200+i)*1000))
				lr.SetSeverityNumber(plog.SeverityNumberInfo)
				lr.Body().SetStr(fmt.Sprintf("request %d handled", b*1000+s*200+i))
				lr.Attributes().PutInt("seq", int64(b*1000+s*200+i))
				if withTrace {
					seq := uint64(b*1000 + s*200 + i)
					lr.SetTraceID([16]byte{1, 2, 3, 4, 5, 6, 7, 8, byte(seq >> 56), byte(seq >> 48), byte(seq >> 40), byte(seq >> 32), byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)})
					lr.SetSpanID([8]byte{byte(seq >> 56), byte(seq >> 48), byte(seq >> 40), byte(seq >> 32), byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)})
				}
			}
		}
		return ld
	}
	var failures atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := int(next.Add(1) - 1); b < 100; b = int(next.Add(1) - 1) {
				ld := batch(b)
				record.Stamp(ld)
				for exp.pushLogs(context.Background(), ld) != nil {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	t.Logf("100000 records in %v: %.0f records/s, %d failed attempts", el, 100000/el.Seconds(), failures.Load())
}
