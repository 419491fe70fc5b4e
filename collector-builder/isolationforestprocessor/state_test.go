package isolationforestprocessor

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/metadata"
)

// memStorage is a storage extension that keeps its values in memory (one map per test, shared by
// the collector "before" and "after" a restart).
type memStorage struct{ values map[string][]byte }

func (m *memStorage) Start(context.Context, component.Host) error { return nil }
func (m *memStorage) Shutdown(context.Context) error              { return nil }
func (m *memStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return memClient{m}, nil
}

type memClient struct{ m *memStorage }

func (c memClient) Get(_ context.Context, k string) ([]byte, error) { return c.m.values[k], nil }
func (c memClient) Set(_ context.Context, k string, v []byte) error {
	c.m.values[k] = append([]byte(nil), v...)
	return nil
}
func (c memClient) Delete(_ context.Context, k string) error           { delete(c.m.values, k); return nil }
func (c memClient) Batch(context.Context, ...*storage.Operation) error { return nil }
func (c memClient) Close(context.Context) error                        { return nil }

type hostWith struct {
	exts map[component.ID]component.Component
}

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h.exts }

var memID = component.MustNewID("file_storage")

// startStateful starts a processor whose storage option names store; logs go to the observer.
func startStateful(t *testing.T, cfg *Config, store *memStorage) (*isolationForestProcessor, *observer.ObservedLogs) {
	t.Helper()
	cfg.Storage = &memID
	core, logs := observer.New(zap.InfoLevel)
	set := processortest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	p, err := newProcessor(set, cfg)
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), hostWith{map[component.ID]component.Component{memID: store}}))
	return p, logs
}

// A processor learns a series, stops (saving its state) and starts again: the series is scored
// from the first point after the restart (no warm-up), its evidence continues exactly as without
// the restart, the forest is back, and ordinary points raise no alarm.
func TestStateSurvivesRestart(t *testing.T) {
	values := func() []float64 {
		r := rand.New(rand.NewPCG(21, 22))
		v := make([]float64, 800)
		for i := range v {
			v[i] = 100 + r.NormFloat64()*3
		}
		return v
	}()
	at := func(i int) time.Time { return testEpoch.Add(time.Duration(i) * 15 * time.Second) }
	type judgedPoint struct{ strength [3]float64 }
	var seen []judgedPoint
	judged = func(o *observation, _ *seriesState) {
		seen = append(seen, judgedPoint{[3]float64{o.strength.Range, o.strength.Shift, o.strength.Season}})
	}
	defer func() { judged = nil }()

	// the uninterrupted run
	ref := newInternal(t, createDefaultConfig())
	for i, v := range values {
		_, err := ref.processMetrics(context.Background(), seriesAt("heap_bytes", at(i), v))
		require.NoError(t, err)
	}
	want := seen[len(seen)-200:]

	store := &memStorage{values: map[string][]byte{}}
	before, _ := startStateful(t, createDefaultConfig(), store)
	for i, v := range values[:600] {
		_, err := before.processMetrics(context.Background(), seriesAt("heap_bytes", at(i), v))
		require.NoError(t, err)
	}
	require.NoError(t, before.shutdown(context.Background()))
	require.NotEmpty(t, store.values[stateKey], "saved at shutdown")

	after, logs := startStateful(t, createDefaultConfig(), store)
	defer func() { require.NoError(t, after.shutdown(context.Background())) }()
	require.Equal(t, 1, logs.FilterMessage("isolationforest: state restored").Len())
	_, forests := after.groupsHeld()
	assert.Equal(t, 1, forests, "the forest is back")
	seen = nil
	onsets := 0
	for i, v := range values[600:] {
		out, err := after.processMetrics(context.Background(), seriesAt("heap_bytes", at(600+i), v))
		require.NoError(t, err)
		s := scoresOf(t, out)
		require.Len(t, s, 1, "point %d after the restart is scored at once", i)
		if s[0].anomalous {
			onsets++
		}
	}
	assert.Zero(t, onsets, "ordinary points raise no alarm after the restart")
	require.Len(t, seen, 200)
	assert.Equal(t, want, seen, "the series' evidence continues exactly as without the restart")
}

// A damaged snapshot, or one saved with other options, is ignored with one log line; the
// processor starts afresh and data flows.
func TestBadStateIsIgnored(t *testing.T) {
	store := &memStorage{values: map[string][]byte{}}
	p, _ := startStateful(t, createDefaultConfig(), store)
	for i := 0; i < 300; i++ {
		_, err := p.processMetrics(context.Background(), seriesAt("m", testEpoch.Add(time.Duration(i)*time.Second), float64(i%7)))
		require.NoError(t, err)
	}
	require.NoError(t, p.shutdown(context.Background()))
	good := store.values[stateKey]
	require.NotEmpty(t, good)

	cases := map[string]struct {
		value  []byte
		config func(*Config)
		log    string
	}{
		"truncated":     {value: good[:len(good)/2], log: "saved state ignored"},
		"bit flip":      {value: flip(good, len(good)-10), log: "saved state ignored"},
		"not a state":   {value: []byte("hello, world, not a snapshot"), log: "saved state ignored"},
		"other options": {value: good, config: func(c *Config) { c.Trees = 50 }, log: "saved state ignored"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := &memStorage{values: map[string][]byte{stateKey: tc.value}}
			cfg := createDefaultConfig()
			if tc.config != nil {
				tc.config(cfg)
			}
			p, logs := startStateful(t, cfg, s)
			defer func() { require.NoError(t, p.shutdown(context.Background())) }()
			assert.Equal(t, 1, logs.FilterMessage("isolationforest: "+tc.log+"; starting afresh").Len(), "one log line")
			assert.Zero(t, p.seriesHeld())
			out, err := p.processMetrics(context.Background(), seriesAt("m", testEpoch, 1))
			require.NoError(t, err)
			assert.Equal(t, 1, out.DataPointCount(), "data flows")
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

// A storage option naming a missing or unsuitable extension fails start-up naming the key.
func TestStorageMustBeAStorageExtension(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Storage = &memID
	p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	err = p.start(context.Background(), hostWith{map[component.ID]component.Component{}})
	require.ErrorContains(t, err, `storage: extension "file_storage" is not configured`)
}

// BenchmarkStateSave saves and restores the state of 100 000 series of 10 metrics (forests
// included): bytes and time per series. go test -run '^$' -bench '^BenchmarkStateSave$' -benchtime 3x .
func BenchmarkStateSave(b *testing.B) {
	const series, metrics = 100_000, 10
	store := &memStorage{values: map[string][]byte{}}
	cfg := createDefaultConfig()
	cfg.MaxSeries = series
	p, _ := startStateful(&testing.T{}, cfg, store)
	r := rand.New(rand.NewPCG(1, 2))
	for step := 0; step < 30; step++ { // every series warm, every forest grown
		for m := 0; m < metrics; m++ {
			md := gaugeBatch("metric_"+string(rune('a'+m)), step, series/metrics, func(int) float64 { return r.NormFloat64() })
			if _, err := p.processMetrics(context.Background(), md); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for range b.N {
		if err := p.save(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	size := len(store.values[stateKey])
	b.ReportMetric(float64(size)/series, "bytes/series")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/series, "save-ns/series")
	began := time.Now()
	q, _ := startStateful(&testing.T{}, createDefaultConfigWith(series), store)
	b.ReportMetric(float64(time.Since(began).Nanoseconds())/series, "restore-ns/series")
	if q.seriesHeld() != p.seriesHeld() {
		b.Fatalf("restored %d series of %d", q.seriesHeld(), p.seriesHeld())
	}
	if err := errors.Join(p.shutdown(context.Background()), q.shutdown(context.Background())); err != nil {
		b.Fatal(err)
	}
}

func createDefaultConfigWith(maxSeries int) *Config {
	cfg := createDefaultConfig()
	cfg.MaxSeries = maxSeries
	return cfg
}
