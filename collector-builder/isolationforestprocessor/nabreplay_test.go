//go:build nabreplay

package isolationforestprocessor

// A development tool, not part of the default test run: replays every NAB series through the
// processor in process (one point per batch, each file its own metric and processor, as the
// benchmark streams them) and writes each point's score and flag as JSON, for
// `mirador eval nab --scores FILE`. The benchmark of record streams the same series through the
// built collector and reads them back from VictoriaMetrics (`npm run bench:detection`).
//
//	go test -tags nabreplay -run TestNABReplay -count=1 . -args -nab DIR -out FILE [-config JSON]

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor/internal/datamodel"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

var (
	nabDir    = flag.String("nab", "", "NAB data directory (holding data/)")
	nabOut    = flag.String("out", "", "output JSON")
	nabConfig = flag.String("config", "{}", "processor config overrides (JSON)")
	nabOnly   = flag.String("only", "", "regexp of files to replay")
)

type replayFile struct {
	Scores []*float64  `json:"scores"`
	Flags  []bool      `json:"flags"`
	Raw    []float64   `json:"raw,omitempty"`
	Debug  [][]float64 `json:"debug,omitempty"`
}

var debugMu sync.Mutex
var debugRows = map[string][][]float64{}

func TestNABReplay(t *testing.T) {
	require.NotEmpty(t, *nabDir, "-nab DIR")
	require.NotEmpty(t, *nabOut, "-out FILE")
	files, err := filepath.Glob(filepath.Join(*nabDir, "data", "*", "*.csv"))
	require.NoError(t, err)
	only := regexp.MustCompile(*nabOnly)

	judged = func(o *observation, st *seriesState) {
		raw := -1.0
		row := []float64{float64(o.Time), raw, o.score, o.strength.Range, o.strength.Shift, o.strength.Season}
		debugMu.Lock()
		debugRows[fmt.Sprint(o.Group)] = append(debugRows[fmt.Sprint(o.Group)], row)
		debugMu.Unlock()
	}
	var overrides map[string]any
	require.NoError(t, json.Unmarshal([]byte(*nabConfig), &overrides))

	out := map[string]*replayFile{}
	var mu sync.Mutex
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	began := time.Now()
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(*nabDir, "data"), f)
		rel = filepath.ToSlash(rel)
		if !only.MatchString(rel) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := replayOne(t, f, rel, overrides)
			mu.Lock()
			out[rel] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("replayed %d files in %v", len(keys), time.Since(began))
	b, err := json.Marshal(out)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(*nabOut, b, 0o644))
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9]+`)

func replayOne(t *testing.T, path, rel string, overrides map[string]any) *replayFile {
	fh, err := os.Open(path)
	require.NoError(t, err)
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	require.NoError(t, err)
	rows = rows[1:]

	cfg := createDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(overrides).Unmarshal(cfg))
	cfg.OutputMode = OutputModeMetrics
	cfg.Instances = 1
	p, sink := startTestProcessor(t, cfg)
	name := "nab_" + nonName.ReplaceAllString(rel[:len(rel)-4], "_")
	res := &replayFile{Scores: make([]*float64, len(rows)), Flags: make([]bool, len(rows))}
	for i, row := range rows {
		ts, err := time.Parse("2006-01-02 15:04:05", row[0])
		require.NoError(t, err)
		v, err := strconv.ParseFloat(row[1], 64)
		require.NoError(t, err)
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "nab")
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName(name)
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		dp.SetDoubleValue(v)
		require.NoError(t, p.ConsumeMetrics(context.Background(), md))
		all := sink.AllMetrics()
		got := all[len(all)-1]
		ms := got.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
		for k := 0; k < ms.Len(); k++ {
			c := ms.At(k)
			if c.Name() != name+datamodel.CompanionSuffix {
				continue
			}
			cdp := c.Gauge().DataPoints().At(0)
			s := cdp.DoubleValue()
			res.Scores[i] = &s
			if f, ok := cdp.Attributes().Get(datamodel.AttrIsAnomaly); ok {
				res.Flags[i] = f.Str() == "true"
			} else {
				res.Flags[i] = s >= cfg.Threshold
			}
		}
		sink.Reset()
	}
	debugMu.Lock()
	res.Debug = debugRows[fmt.Sprint(datamodel.HashString(name))]
	debugMu.Unlock()
	return res
}
