package datamodel

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Kind says how a data point's numbers become signals.
type Kind uint8

const (
	KindGauge     Kind = iota + 1 // x = value
	KindDeltaSum                  // x = value of the interval
	KindCumSum                    // x = running total: becomes a rate
	KindDeltaHist                 // x = sum, y = count of the interval (histograms, exponential histograms)
	KindCumHist                   // x = running sum, y = running count
	KindSummary                   // x = running sum, y = running count, q = highest quantile
)

// CompanionSuffix names the companion gauge of a metric in the metrics output mode.
const CompanionSuffix = "_anomaly_score"

// IsCompanion says whether a metric is a companion score series (this processor's own output,
// from this collector or one before it): it is passed through, never scored.
func IsCompanion(m pmetric.Metric) bool {
	return strings.HasSuffix(m.Name(), CompanionSuffix) && m.Type() == pmetric.MetricTypeGauge &&
		strings.HasPrefix(m.Description(), CompanionDescription)
}

// CompanionDescription starts the description of every companion gauge.
const CompanionDescription = "Anomaly score (isolationforest) of "

// Point is one data point on its way through the processor.
type Point struct {
	Key, Group uint64      // series identity and model group
	Attrs      pcommon.Map // the data point's attributes
	Time       uint64      // timestamp (ns)
	Start      uint64      // start timestamp of cumulative points (ns; 0 when unset)
	X, Y, Q    float64
	Kind       Kind
	HasSum     bool  // histograms: sum present
	HasQ       bool  // summaries: a quantile present
	Metric     int32 // index into the batch's metric list
	// Exemplars of the point (number and histogram points; summaries have none): their trace
	// ids link an alarm to the traces of the calls it concerns. Read through TraceIDs.
	Exemplars    pmetric.ExemplarSlice
	HasExemplars bool
}

// ExemplarCount is the number of the point's exemplars.
func (p *Point) ExemplarCount() int {
	if !p.HasExemplars {
		return 0
	}
	return p.Exemplars.Len()
}

// SignalNames names a kind's signals (the second for histograms and summaries).
func (k Kind) SignalNames(hasSum bool) (a, b string) {
	switch k {
	case KindGauge, KindDeltaSum:
		return "value", ""
	case KindCumSum:
		return "rate", ""
	case KindDeltaHist:
		if !hasSum {
			return "count", ""
		}
		return "mean", "count"
	case KindCumHist:
		if !hasSum {
			return "count_rate", ""
		}
		return "mean", "count_rate"
	case KindSummary:
		return "mean", "quantile"
	}
	return "value", ""
}

// MetricRef is a metric of the batch with scorable points, and where its companion goes.
type MetricRef struct {
	Resource  pcommon.Resource
	Scope     pmetric.ScopeMetrics
	Metric    pmetric.Metric
	Companion pmetric.Metric
	HasComp   bool
}

// Collect passes one Point per scorable data point of md to add and returns the metrics they
// belong to (Point.Metric indexes them). group picks a point's model group from its metric name
// hash and series key. Points flagged NoRecordedValue (staleness markers) and companion score
// series are skipped: they pass through untouched.
func Collect(md pmetric.Metrics, refs []MetricRef, group func(name, key uint64) uint64, add func(Point)) []MetricRef {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		resHash := HashAttributes(rm.Resource().Attributes())
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			scopeHash := Combine(resHash, HashScope(sm.Scope()))
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if IsCompanion(m) {
					continue
				}
				nameHash := HashString(m.Name())
				metricHash := Combine(scopeHash, nameHash+uint64(m.Type()))
				ref := int32(len(refs))
				found := collectMetric(m, func(p Point) {
					p.Key = Combine(metricHash, HashAttributes(p.Attrs))
					p.Group = group(nameHash, p.Key)
					p.Metric = ref
					add(p)
				})
				if found {
					refs = append(refs, MetricRef{Resource: rm.Resource(), Scope: sm, Metric: m})
				}
			}
		}
	}
	return refs
}

// collectMetric passes one Point per recorded data point to add; false if the metric has none.
func collectMetric(m pmetric.Metric, add func(Point)) bool {
	found := false
	number := func(dps pmetric.NumberDataPointSlice, kind Kind) {
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			if dp.Flags().NoRecordedValue() {
				continue
			}
			v := dp.DoubleValue()
			if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
				v = float64(dp.IntValue())
			}
			add(Point{Attrs: dp.Attributes(), Time: uint64(dp.Timestamp()), Start: uint64(dp.StartTimestamp()), X: v, Kind: kind, Exemplars: dp.Exemplars(), HasExemplars: true})
			found = true
		}
	}
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		number(m.Gauge().DataPoints(), KindGauge)
	case pmetric.MetricTypeSum:
		s := m.Sum()
		kind := KindDeltaSum
		switch {
		case !s.IsMonotonic():
			kind = KindGauge // an up-down total is a level, not a counter
		case s.AggregationTemporality() == pmetric.AggregationTemporalityCumulative:
			kind = KindCumSum
		}
		number(s.DataPoints(), kind)
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		dps := h.DataPoints()
		found = histogramPoints(dps.Len(), dps.At, histogramKind(h.AggregationTemporality()), add)
	case pmetric.MetricTypeExponentialHistogram:
		h := m.ExponentialHistogram()
		dps := h.DataPoints()
		found = histogramPoints(dps.Len(), dps.At, histogramKind(h.AggregationTemporality()), add)
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			if dp.Flags().NoRecordedValue() {
				continue
			}
			p := Point{Attrs: dp.Attributes(), Time: uint64(dp.Timestamp()), Start: uint64(dp.StartTimestamp()),
				X: dp.Sum(), Y: float64(dp.Count()), HasSum: true, Kind: KindSummary}
			p.Q, p.HasQ = highestQuantile(dp.QuantileValues())
			add(p)
			found = true
		}
	}
	return found
}

// highestQuantile is the value of the quantile with the largest q (the tail, e.g. p99), found by
// its quantile and not by its position: the data model does not order them.
func highestQuantile(qs pmetric.SummaryDataPointValueAtQuantileSlice) (float64, bool) {
	best, v := -1.0, 0.0
	for i := 0; i < qs.Len(); i++ {
		if q := qs.At(i); q.Quantile() > best {
			best, v = q.Quantile(), q.Value()
		}
	}
	return v, best >= 0
}

// histogramPoint is what explicit-bucket and exponential histogram data points share.
type histogramPoint interface {
	Flags() pmetric.DataPointFlags
	Exemplars() pmetric.ExemplarSlice
	Attributes() pcommon.Map
	Timestamp() pcommon.Timestamp
	StartTimestamp() pcommon.Timestamp
	Sum() float64
	HasSum() bool
	Count() uint64
}

func histogramKind(t pmetric.AggregationTemporality) Kind {
	if t == pmetric.AggregationTemporalityCumulative {
		return KindCumHist
	}
	return KindDeltaHist
}

// histogramPoints passes one Point (sum and count) per recorded point to add; false if none.
func histogramPoints[P histogramPoint](n int, at func(int) P, kind Kind, add func(Point)) bool {
	found := false
	for i := 0; i < n; i++ {
		dp := at(i)
		if dp.Flags().NoRecordedValue() {
			continue
		}
		add(Point{Attrs: dp.Attributes(), Time: uint64(dp.Timestamp()), Start: uint64(dp.StartTimestamp()),
			X: dp.Sum(), Y: float64(dp.Count()), HasSum: dp.HasSum(), Kind: kind, Exemplars: dp.Exemplars(), HasExemplars: true})
		found = true
	}
	return found
}
