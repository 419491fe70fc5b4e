package datamodel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func attrs(f func(m pcommon.Map)) pcommon.Map {
	m := pcommon.NewMap()
	f(m)
	return m
}

func TestIdentityIsTypedAndOrderFree(t *testing.T) {
	i2 := HashAttributes(attrs(func(m pcommon.Map) { m.PutInt("ok", 2) }))
	bt := HashAttributes(attrs(func(m pcommon.Map) { m.PutBool("ok", true) }))
	i5 := HashAttributes(attrs(func(m pcommon.Map) { m.PutInt("ok", 5) }))
	bf := HashAttributes(attrs(func(m pcommon.Map) { m.PutBool("ok", false) }))
	s2 := HashAttributes(attrs(func(m pcommon.Map) { m.PutStr("ok", "2") }))
	d2 := HashAttributes(attrs(func(m pcommon.Map) { m.PutDouble("ok", 2) }))
	all := []uint64{i2, bt, i5, bf, s2, d2}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			assert.NotEqual(t, all[i], all[j], "values %d and %d of different types or values", i, j)
		}
	}
	ab := HashAttributes(attrs(func(m pcommon.Map) { m.PutStr("a", "1"); m.PutStr("b", "2") }))
	ba := HashAttributes(attrs(func(m pcommon.Map) { m.PutStr("b", "2"); m.PutStr("a", "1") }))
	assert.Equal(t, ab, ba, "order does not matter")
}

func TestIdentityIgnoresOwnOutput(t *testing.T) {
	plain := HashAttributes(attrs(func(m pcommon.Map) { m.PutStr("host", "a") }))
	scored := HashAttributes(attrs(func(m pcommon.Map) {
		m.PutStr("host", "a")
		m.PutStr(AttrScore, "0.42")
		m.PutStr(AttrIsAnomaly, "false")
	}))
	assert.Equal(t, plain, scored)
}

func point(kind Kind, t, start uint64, x, y float64) *Point {
	return &Point{Kind: kind, Time: t, Start: start, X: x, Y: y, HasSum: true}
}

// Each verdict of History.Next, as the README's metric semantics table states them.
func TestHistoryVerdicts(t *testing.T) {
	var h History
	_, _, _, v := h.Next(point(KindCumSum, 10e9, 1, 100, 0))
	assert.Equal(t, Baseline, v, "the first point of a counter")
	a, _, _, v := h.Next(point(KindCumSum, 20e9, 1, 150, 0))
	assert.Equal(t, Usable, v)
	assert.Equal(t, 5.0, a, "rate per second")
	_, _, _, v = h.Next(point(KindCumSum, 20e9, 1, 150, 0))
	assert.Equal(t, Duplicate, v)
	_, _, _, v = h.Next(point(KindCumSum, 15e9, 1, 120, 0))
	assert.Equal(t, OutOfOrder, v)
	a, _, _, v = h.Next(point(KindCumSum, 30e9, 1, 200, 0))
	assert.Equal(t, Usable, v, "duplicates and late points left the history as it was")
	assert.Equal(t, 5.0, a)
	_, _, _, v = h.Next(point(KindCumSum, 40e9, 2, 201, 0))
	assert.Equal(t, Baseline, v, "a new start time is a restart, even with a higher value")
	_, _, _, v = h.Next(point(KindCumSum, 50e9, 2, 10, 0))
	assert.Equal(t, Baseline, v, "a decrease is a reset")
	_, _, _, v = h.Next(&Point{Kind: KindCumSum, Time: 60e9, X: nan()})
	assert.Equal(t, NonFinite, v)
	_, _, _, v = h.Next(point(KindDeltaSum, 70e9, 0, 3, 0))
	assert.Equal(t, Restart, v, "delta after cumulative: the series starts over")
	a, _, _, v = h.Next(point(KindDeltaSum, 80e9, 0, 3, 0))
	assert.Equal(t, Usable, v)
	assert.Equal(t, 3.0, a)

	var hist History
	_, _, _, v = hist.Next(point(KindDeltaHist, 10e9, 0, 0, 0))
	assert.Equal(t, Empty, v, "a delta histogram interval without observations")
	a, b, hasB, v := hist.Next(point(KindDeltaHist, 20e9, 0, 50, 10))
	assert.Equal(t, Usable, v)
	assert.Equal(t, []any{5.0, 10.0, true}, []any{a, b, hasB}, "mean and count")
}

func nan() float64 { var z float64; return z / z }

func TestHighestQuantileByValue(t *testing.T) {
	qs := pmetric.NewSummaryDataPointValueAtQuantileSlice()
	for _, q := range [][2]float64{{0.99, 9}, {0.5, 1}, {0.9, 5}} {
		v := qs.AppendEmpty()
		v.SetQuantile(q[0])
		v.SetValue(q[1])
	}
	v, ok := highestQuantile(qs)
	assert.True(t, ok)
	assert.Equal(t, 9.0, v)
	_, ok = highestQuantile(pmetric.NewSummaryDataPointValueAtQuantileSlice())
	assert.False(t, ok)
}

// Staleness markers (NoRecordedValue) and companion gauges are not collected: they pass through.
func TestCollectSkipsStalenessMarkersAndCompanions(t *testing.T) {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	g := ms.AppendEmpty()
	g.SetName("up")
	dps := g.SetEmptyGauge().DataPoints()
	dps.AppendEmpty().SetDoubleValue(1)
	dps.AppendEmpty().SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	c := ms.AppendEmpty()
	c.SetName("up" + CompanionSuffix)
	c.SetDescription(CompanionDescription + "up")
	c.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(0.1)
	var got []Point
	refs := Collect(md, nil, func(name, _ uint64) uint64 { return name }, func(p Point) { got = append(got, p) })
	assert.Len(t, got, 1)
	assert.Len(t, refs, 1)
}

// A cumulative histogram's interval without observations keeps the mean observed before it; at
// the series' first point that is the mean of all observed so far (a sparse series, such as one
// route's error spans, first seen with one 10 ms error). Before any observation there is no
// mean, and such intervals pass unscored. (With 0 taken for the mean, the sparse series learnt a
// constant 0 and its next error alarmed as a change from it.)
func TestEmptyIntervalsKeepTheObservedMean(t *testing.T) {
	var h History
	_, _, _, v := h.Next(point(KindCumHist, 10e9, 1, 10, 1))
	assert.Equal(t, Baseline, v)
	a, b, _, v := h.Next(point(KindCumHist, 20e9, 1, 10, 1))
	assert.Equal(t, Usable, v)
	assert.Equal(t, []float64{10, 0}, []float64{a, b}, "no error in the interval: the observed mean, a count rate of 0")
	a, _, _, v = h.Next(point(KindCumHist, 30e9, 1, 22, 2))
	assert.Equal(t, Usable, v)
	assert.Equal(t, 12.0, a, "the next error's own duration")
	a, _, _, _ = h.Next(point(KindCumHist, 40e9, 1, 22, 2))
	assert.Equal(t, 12.0, a, "kept until the next observation")

	var none History
	_, _, _, v = none.Next(point(KindCumHist, 10e9, 1, 0, 0))
	assert.Equal(t, Baseline, v)
	_, _, _, v = none.Next(point(KindCumHist, 20e9, 1, 0, 0))
	assert.Equal(t, Empty, v, "nothing observed yet: no mean to score")
	a, _, _, v = none.Next(point(KindCumHist, 30e9, 1, 8, 1))
	assert.Equal(t, Usable, v)
	assert.Equal(t, 8.0, a)
}
