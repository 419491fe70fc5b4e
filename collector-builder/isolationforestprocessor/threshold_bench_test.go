package isolationforestprocessor

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// BenchmarkThresholdSweep is the measurement behind the default threshold and the series-churn
// figures in the README: labelled synthetic series of several shapes (noise, random walk,
// seasonal, counter, latency histogram) with injected incidents (spikes of 4-20 sigma, level
// shifts, drops to zero); every point's score is recorded at full precision, then precision,
// recall (per point and per incident) and false-positive rate are computed for thresholds
// 0.50-0.85. The rule for the default: the lowest threshold that flags at most 1% of ordinary points. Run by
// `npm run bench:processor`; THRESHOLD_SWEEP_OUT names the JSON file it writes.
func BenchmarkThresholdSweep(b *testing.B) {
	for i := 0; i < b.N; i++ { // one deterministic pass is the measurement
		res, cached := thresholdSweep(b, defaultScoreCache)
		_, exact := thresholdSweep(b, 0)
		res.CacheError = compareScores(exact, cached, defaultThreshold)
		res.CacheError.Resolution = defaultScoreCache
		if out := os.Getenv("THRESHOLD_SWEEP_OUT"); out != "" {
			data, _ := json.MarshalIndent(res, "", "  ")
			if err := os.WriteFile(out, data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		chosen := res.Rows[res.Chosen]
		b.ReportMetric(chosen.Threshold, "chosen-threshold")
		b.ReportMetric(chosen.FPR, "chosen-FPR")
		b.ReportMetric(chosen.IncidentRecall, "chosen-incident-recall")
	}
}

type sweepRow struct {
	Threshold float64 `json:"threshold"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	FPR       float64 `json:"false_positive_rate"`
	F1        float64 `json:"f1"`
	// IncidentRecall: share of incidents with at least one flagged point.
	IncidentRecall float64 `json:"incident_recall"`
}

type sweepResult struct {
	Series, Steps, Scored, Incidents int
	Rows                             []sweepRow `json:"rows"`
	// Chosen is the rule for the default: the lowest threshold flagging at most 1% of ordinary points.
	Chosen int `json:"chosen_index"`
	// Series churn at score_precision 2: distinct label sets stored per input series.
	ChurnAttributesMode float64 `json:"series_per_input_series_attributes_mode"`
	ChurnMetricsMode    float64 `json:"series_per_input_series_metrics_mode"`
	// CacheError: the default score_cache against exact scores on the same points.
	CacheError cacheError `json:"score_cache_error"`
}

type cacheError struct {
	Resolution   float64 `json:"resolution"`
	Points       int     `json:"points"`
	MeanAbs      float64 `json:"mean_abs_diff"`
	MaxAbs       float64 `json:"max_abs_diff"`
	P99Abs       float64 `json:"p99_abs_diff"`
	FlagsChanged int     `json:"is_anomaly_changed"`
}

// compareScores measures the score cache's error: the same points scored exactly and memoised
// (the forests are identical: learning does not depend on the cache).
func compareScores(exact, cached []float64, threshold float64) cacheError {
	if len(exact) != len(cached) {
		panic(fmt.Sprintf("score cache run scored %d points, exact run %d", len(cached), len(exact)))
	}
	e := cacheError{Points: len(exact)}
	diffs := make([]float64, len(exact))
	for i := range exact {
		d := math.Abs(exact[i] - cached[i])
		diffs[i] = d
		e.MeanAbs += d / float64(len(exact))
		e.MaxAbs = max(e.MaxAbs, d)
		if (exact[i] >= threshold) != (cached[i] >= threshold) {
			e.FlagsChanged++
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		e.P99Abs = diffs[len(diffs)*99/100]
	}
	return e
}

// thresholdSweep runs the labelled series through a processor with the given score_cache and
// returns the figures and every scored point's score (in a fixed order).
func thresholdSweep(tb testing.TB, scoreCache float64) (sweepResult, []float64) {
	const seriesPerShape, steps = 20, 1500
	shapes := []string{"noise", "walk", "seasonal", "counter", "latency"}
	r := rand.New(rand.NewPCG(2026, 11))
	type incident struct{ kind, start, length int }
	// Per series: its incidents (start step, length) and a labelling function.
	incidents := map[string][]incident{}
	for _, shape := range shapes {
		for s := 0; s < seriesPerShape; s++ {
			id := shape + "/" + strconv.Itoa(s)
			var list []incident
			for at := 400 + r.IntN(100); at < steps-50; at += 150 + r.IntN(150) {
				kind := r.IntN(3) // 0 spike, 1 level shift, 2 drop to zero
				length := 1
				if kind != 0 {
					length = 5 + r.IntN(10)
				}
				list = append(list, incident{kind, at, length})
			}
			incidents[id] = list
		}
	}
	anomalous := func(id string, step int) (bool, int) {
		for _, in := range incidents[id] {
			if step >= in.start && step < in.start+in.length {
				return true, in.kind
			}
		}
		return false, -1
	}
	cfg := createDefaultConfig()
	cfg.Threshold = 1
	cfg.ScorePrecision = 17
	cfg.Instances = 2
	cfg.ScoreCache = scoreCache
	// The steps are 15 s apart and the default refresh_interval is 10 s, so in real time every
	// step would refresh the forests: refresh_interval 0 (every batch) replays exactly that.
	cfg.RefreshInterval = 0
	p, sink := startTestProcessor(tb, cfg)

	state := map[string]*[3]float64{} // walk level, counter total, histogram count/sum
	for step := 0; step < steps; step++ {
		md := pmetric.NewMetrics()
		sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
		ts := pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(step) * 15 * time.Second))
		for _, shape := range shapes {
			m := sm.Metrics().AppendEmpty()
			m.SetName("sweep_" + shape)
			var gauge pmetric.NumberDataPointSlice
			var hist pmetric.HistogramDataPointSlice
			switch shape {
			case "counter":
				sum := m.SetEmptySum()
				sum.SetIsMonotonic(true)
				sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
				gauge = sum.DataPoints()
			case "latency":
				h := m.SetEmptyHistogram()
				h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
				hist = h.DataPoints()
			default:
				gauge = m.SetEmptyGauge().DataPoints()
			}
			for s := 0; s < seriesPerShape; s++ {
				id := shape + "/" + strconv.Itoa(s)
				st := state[id]
				if st == nil {
					st = &[3]float64{}
					state[id] = st
				}
				bad, kind := anomalous(id, step)
				sigma := 1 + float64(s%4)
				level := 50 + 10*float64(s)
				magnitude := 4 + float64(s%5)*4 // 4, 8, 12, 16, 20 sigma
				effect := func(v float64) float64 {
					if !bad {
						return v
					}
					switch kind {
					case 0:
						return v + magnitude*sigma
					case 1:
						return v + magnitude*sigma*0.75
					}
					return 0
				}
				var v float64
				switch shape {
				case "noise":
					v = effect(level + r.NormFloat64()*sigma)
				case "walk":
					st[0] += r.NormFloat64() * sigma * 0.3
					v = effect(level + st[0] + r.NormFloat64()*sigma)
				case "seasonal":
					v = effect(level + 5*sigma*math.Sin(2*math.Pi*float64(step)/96) + r.NormFloat64()*sigma)
				case "counter":
					rate := 20 + r.NormFloat64()*sigma // per 15 s interval
					rate = max(effect(rate), 0)
					st[1] += math.Round(rate)
					v = st[1]
				case "latency":
					n := 100 + math.Round(r.NormFloat64()*5)
					mean := effect(level + r.NormFloat64()*sigma)
					st[1] += n
					st[2] += max(mean, 0) * n
				}
				if hist != (pmetric.HistogramDataPointSlice{}) {
					dp := hist.AppendEmpty()
					dp.Attributes().PutStr("series", id)
					dp.SetTimestamp(ts)
					dp.SetCount(uint64(st[1]))
					dp.SetSum(st[2])
					continue
				}
				dp := gauge.AppendEmpty()
				dp.Attributes().PutStr("series", id)
				dp.SetTimestamp(ts)
				dp.SetDoubleValue(v)
			}
		}
		if err := p.ConsumeMetrics(context.Background(), md); err != nil {
			tb.Fatal(err)
		}
	}

	type scored struct {
		score    float64
		bad      bool
		incident string // series/start of the incident the point belongs to
	}
	var points []scored
	labelSets := map[string]bool{}
	eachStep := sink.AllMetrics()
	for step, md := range eachStep {
		eachPoint(md, func(_ pmetric.Metric, attrs pcommon.Map) {
			id, _ := attrs.Get("series")
			sv, ok := attrs.Get(attrScore)
			if !ok {
				labelSets[id.Str()+"|unscored"] = true // warm-up points keep the original label set
				return
			}
			score, _ := strconv.ParseFloat(sv.Str(), 64)
			bad, _ := anomalous(id.Str(), step)
			pt := scored{score: score, bad: bad}
			if bad {
				for _, in := range incidents[id.Str()] {
					if step >= in.start && step < in.start+in.length {
						pt.incident = id.Str() + "/" + strconv.Itoa(in.start)
					}
				}
			}
			points = append(points, pt)
			rounded := strconv.FormatFloat(score, 'f', 2, 64)
			labelSets[id.Str()+"|"+rounded+"|"+strconv.FormatBool(score >= defaultThreshold)] = true
		})
	}
	res := sweepResult{Series: len(state), Steps: steps, Scored: len(points)}
	for _, list := range incidents {
		res.Incidents += len(list)
	}
	for t := 50; t <= 85; t++ {
		th := float64(t) / 100
		var tp, fp, fn, tn float64
		caught := map[string]bool{}
		for _, pt := range points {
			flagged := pt.score >= th
			if flagged && pt.bad {
				caught[pt.incident] = true
			}
			switch {
			case flagged && pt.bad:
				tp++
			case flagged:
				fp++
			case pt.bad:
				fn++
			default:
				tn++
			}
		}
		row := sweepRow{Threshold: th, Precision: tp / math.Max(tp+fp, 1), Recall: tp / math.Max(tp+fn, 1), FPR: fp / math.Max(fp+tn, 1),
			IncidentRecall: float64(len(caught)) / float64(res.Incidents)}
		if row.Precision+row.Recall > 0 {
			row.F1 = 2 * row.Precision * row.Recall / (row.Precision + row.Recall)
		}
		res.Rows = append(res.Rows, row)
		if row.FPR <= 0.01 && res.Rows[res.Chosen].FPR > 0.01 {
			res.Chosen = len(res.Rows) - 1
		}
	}
	res.ChurnAttributesMode = float64(len(labelSets)) / float64(len(state))
	res.ChurnMetricsMode = 2 // the series itself plus its <name>_anomaly_score companion
	tb.Logf("threshold sweep (score_cache %v): chosen %s", scoreCache, fmt.Sprint(res.Rows[res.Chosen]))
	scores := make([]float64, len(points))
	for i, pt := range points {
		scores[i] = pt.score
	}
	return res, scores
}
