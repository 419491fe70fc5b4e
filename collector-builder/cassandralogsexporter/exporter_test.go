package cassandralogsexporter

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/metadata"
)

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
	require.NoError(t, err)
	require.NotNil(t, exp)
}

func TestStartsAndWaitsWhenCassandraIsDown(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{closedPort(t)}
	cfg.Timeout = time.Second

	exp, err := newLogsExporter(cfg, set)
	require.NoError(t, err)
	require.NoError(t, exp.start(context.Background(), componenttest.NewNopHost()), "start must not fail while Cassandra is down")

	err = exp.pushLogs(context.Background(), sampleLogs())
	require.ErrorIs(t, err, errNotConnected)
	assert.False(t, consumererror.IsPermanent(err), "the sending queue keeps the data")

	require.Eventually(t, func() bool { return logs.FilterMessageSnippet("waiting for Cassandra").Len() == 1 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(2 * time.Second) // several more connection attempts
	assert.Equal(t, 1, logs.FilterMessageSnippet("waiting for Cassandra").Len(), "said once, not on every attempt")
	require.NoError(t, exp.shutdown(context.Background()))
}

func TestShutdownWithoutStart(t *testing.T) {
	exp, err := newLogsExporter(createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, exp.shutdown(context.Background()))
}
