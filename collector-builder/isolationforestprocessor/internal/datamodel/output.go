package datamodel

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// SetAttributes writes the attributes output mode onto a scored data point: anomaly_score (the
// formatted score) and is_anomaly.
func SetAttributes(attrs pcommon.Map, score string, anomalous bool) {
	attrs.EnsureCapacity(attrs.Len() + 2) // one allocation for both attributes
	attrs.PutStr(AttrScore, score)
	attrs.PutStr(AttrIsAnomaly, strconv.FormatBool(anomalous))
}

// AppendCompanion adds one point to the metric's companion gauge <name>_anomaly_score (created in
// the metric's scope on first use): the original point's attributes plus is_anomaly, its
// timestamp, and the score as value.
// While an alarm episode is open, the point's exemplars are copied too, so a score that rises
// leads to the traces of the calls it concerns.
func AppendCompanion(ref *MetricRef, attrs pcommon.Map, time uint64, score float64, anomalous bool, exemplars *pmetric.ExemplarSlice) {
	if !ref.HasComp {
		ref.Companion = ref.Scope.Metrics().AppendEmpty()
		ref.Companion.SetName(ref.Metric.Name() + CompanionSuffix)
		ref.Companion.SetDescription(CompanionDescription + ref.Metric.Name())
		ref.Companion.SetUnit("1")
		ref.Companion.SetEmptyGauge()
		ref.HasComp = true
	}
	dp := ref.Companion.Gauge().DataPoints().AppendEmpty()
	dp.Attributes().EnsureCapacity(attrs.Len() + 1)
	attrs.CopyTo(dp.Attributes())
	dp.Attributes().Remove(AttrScore) // an upstream score attribute would split the companion series
	dp.Attributes().PutStr(AttrIsAnomaly, strconv.FormatBool(anomalous))
	dp.SetTimestamp(pcommon.Timestamp(time))
	dp.SetDoubleValue(score)
	if exemplars != nil && exemplars.Len() > 0 {
		exemplars.CopyTo(dp.Exemplars())
	}
}
