package isolationforestprocessor

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/datamodel"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/detect"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/forests"
	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/kernel"
)

// Model state across restarts (option storage): every snapshot_interval and at shutdown the
// processor writes its forests (kernel snapshots) and every series' state to the storage
// extension, and reads them back at start, so a restarted collector scores at once instead of
// warming up and re-learning. A snapshot is one value under one key, gzip-compressed gob with a
// header: a magic, the state format version and a fingerprint of the options that give the state
// its meaning. A snapshot of another format, fingerprint or kernel ABI is ignored with one log
// line; a corrupt or truncated one likewise (it never stops the collector, and data flows from
// the first batch either way).

const (
	stateKey     = "isolationforest-state"
	stateMagic   = "MIFP"
	stateVersion = 2 // 2: Signal.MediumVar
)

// stateFile is the snapshot's body.
type stateFile struct {
	Taken    int64 // unix seconds
	Series   []seriesSnapshot
	Episodes []episodeSnapshot
	Models   []forests.ModelSnapshot
}

type seriesSnapshot struct {
	Key, Group uint64
	LastSeen   int64
	Hist       datamodel.History
	Det        detect.Series
	Alarm      detect.Alarm
}

type episodeSnapshot struct {
	Key                uint64
	Expected, Observed float64
	Signal             string
	TraceIDs           [][16]byte
	Emit               bool
}

// fingerprint covers the options a saved state depends on: the forests' shape and seed, how series
// are grouped, and the detection settings the statistics were gathered with.
func (c *Config) fingerprint() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%d/%d/%s/%d/%v/%v/%v/%d/%d",
		c.Trees, c.SampleSize, c.WindowSize, c.Seed, c.ModelGroup, c.RangeHorizon, c.Seasonality,
		c.MinDeviation, c.MinRelativeDeviation, c.WarmupPoints, detect.Dims)
	return h.Sum64()
}

// openStorage gets the storage client of the extension named by the storage option.
func (p *isolationForestProcessor) openStorage(ctx context.Context, host component.Host) error {
	if p.cfg.Storage == nil {
		return nil
	}
	ext, ok := host.GetExtensions()[*p.cfg.Storage]
	if !ok {
		return fmt.Errorf("storage: extension %q is not configured (add it under extensions and service::extensions)", p.cfg.Storage)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return fmt.Errorf("storage: extension %q is not a storage extension (file_storage is)", p.cfg.Storage)
	}
	client, err := se.GetClient(ctx, component.KindProcessor, p.id, "")
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	p.store = client
	return nil
}

// restore reads the saved state, if any, into the (empty) shards and pools.
func (p *isolationForestProcessor) restore(ctx context.Context) {
	if p.store == nil {
		return
	}
	began := time.Now()
	raw, err := p.store.Get(ctx, stateKey)
	if err != nil || raw == nil {
		if err != nil {
			p.logger.Warn("isolationforest: saved state unreadable; starting afresh", zap.Error(err))
		}
		return
	}
	st, err := p.decodeState(raw)
	if err != nil {
		p.logger.Warn("isolationforest: saved state ignored; starting afresh", zap.Error(err), zap.Int("bytes", len(raw)))
		return
	}
	now := p.now().Unix()
	for _, s := range st.Series {
		sh := p.shards[datamodel.Mix(s.Key)%uint64(p.n)]
		slot, _, created, _, _ := sh.series.Get(s.Key, s.Group, s.LastSeen)
		if created {
			slot.State = seriesState{hist: s.Hist, det: s.Det, alarm: s.Alarm}
		}
	}
	for _, e := range st.Episodes {
		sh := p.shards[datamodel.Mix(e.Key)%uint64(p.n)]
		ep := &episode{expected: e.Expected, observed: e.Observed, signal: e.Signal, emit: e.Emit}
		for _, id := range e.TraceIDs {
			ep.traceIDs = append(ep.traceIDs, id)
		}
		sh.episodes[e.Key] = ep
	}
	byPool := make([][]forests.ModelSnapshot, p.n)
	for _, m := range st.Models {
		i := m.Group % uint64(p.n)
		byPool[i] = append(byPool[i], m)
	}
	restored, refused := 0, 0
	for i, pool := range p.pools {
		r, f, err := pool.Import(ctx, byPool[i], now)
		restored, refused = restored+r, refused+f
		if err != nil {
			p.logger.Warn("isolationforest: restoring forests failed; the rest start afresh", zap.Error(err))
			break
		}
	}
	held := 0
	for _, s := range p.shards {
		held += s.series.Len()
	}
	p.tel.ProcessorIsolationforestActiveSeries.Add(ctx, int64(held))
	p.tel.ProcessorIsolationforestForests.Add(ctx, int64(restored))
	p.logger.Info("isolationforest: state restored", zap.Int("series", held), zap.Int("forests", restored),
		zap.Int("forests_refused", refused), zap.Int("bytes", len(raw)), zap.Duration("took", time.Since(began)),
		zap.Time("saved_at", time.Unix(st.Taken, 0)))
}

// decodeState checks the header and decodes the body; any damage is an error, never a panic.
func (p *isolationForestProcessor) decodeState(raw []byte) (st stateFile, err error) {
	if len(raw) < 16 || string(raw[:4]) != stateMagic {
		return st, errors.New("not an isolationforest state snapshot")
	}
	if v := binary.LittleEndian.Uint32(raw[4:]); v != stateVersion {
		return st, fmt.Errorf("state format %d, this processor writes %d", v, stateVersion)
	}
	if fp := binary.LittleEndian.Uint64(raw[8:]); fp != p.cfg.fingerprint() {
		return st, errors.New("saved with other options (trees, sample_size, window_size, seed, model_group or detection settings)")
	}
	defer func() {
		if r := recover(); r != nil { // gob on hostile input: be sure
			err = fmt.Errorf("corrupt state snapshot: %v", r)
		}
	}()
	zr, err := gzip.NewReader(bytes.NewReader(raw[16:]))
	if err != nil {
		return st, fmt.Errorf("corrupt state snapshot: %w", err)
	}
	if err := gob.NewDecoder(zr).Decode(&st); err != nil {
		return st, fmt.Errorf("corrupt or truncated state snapshot: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil { // the gzip checksum is checked at the end
		return st, fmt.Errorf("corrupt state snapshot: %w", err)
	}
	return st, nil
}

// save writes the current state (each shard and forest is locked only while it is copied).
func (p *isolationForestProcessor) save(ctx context.Context) error {
	if p.store == nil {
		return nil
	}
	began := time.Now()
	st := stateFile{Taken: p.now().Unix()}
	for _, s := range p.shards {
		s.mu.Lock()
		s.series.All(func(sl *seriesSlot) {
			st.Series = append(st.Series, seriesSnapshot{Key: sl.Key, Group: sl.Group, LastSeen: sl.LastSeen,
				Hist: sl.State.hist, Det: sl.State.det, Alarm: sl.State.alarm})
		})
		for key, ep := range s.episodes {
			e := episodeSnapshot{Key: key, Expected: ep.expected, Observed: ep.observed, Signal: ep.signal, Emit: ep.emit}
			for _, id := range ep.traceIDs {
				e.TraceIDs = append(e.TraceIDs, id)
			}
			st.Episodes = append(st.Episodes, e)
		}
		s.mu.Unlock()
	}
	for _, pool := range p.pools {
		models, err := pool.Export(ctx)
		if err != nil && !errors.Is(err, kernel.ErrNoSnapshots) {
			p.errLog.log(p.logger, "isolationforest: a forest could not be saved", err)
		}
		st.Models = append(st.Models, models...)
	}
	var buf bytes.Buffer
	header := make([]byte, 16)
	copy(header, stateMagic)
	binary.LittleEndian.PutUint32(header[4:], stateVersion)
	binary.LittleEndian.PutUint64(header[8:], p.cfg.fingerprint())
	buf.Write(header)
	zw := gzip.NewWriter(&buf)
	if err := gob.NewEncoder(zw).Encode(&st); err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := p.store.Set(ctx, stateKey, buf.Bytes()); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	p.tel.ProcessorIsolationforestStateSaveDuration.Record(ctx, time.Since(began).Seconds())
	p.tel.ProcessorIsolationforestStateBytes.Record(ctx, int64(buf.Len()))
	return nil
}

// saveLoop saves the state every snapshot_interval until stop is closed.
func (p *isolationForestProcessor) saveLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(p.cfg.SnapshotInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := p.save(context.Background()); err != nil {
				p.errLog.log(p.logger, "isolationforest: saving state failed (the next interval tries again)", err)
			}
		}
	}
}
