package events

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// EventName is the OTLP event name of every anomaly event.
const EventName = "mirador.anomaly"

// Attribute keys of an anomaly event (README "Anomaly events").
const (
	AttrEventName = "event.name"
	AttrState     = "anomaly.state"       // onset | resolve
	AttrMetric    = "anomaly.metric"      // the metric's name
	AttrScore     = "anomaly.score"       // onset: its score; resolve: the episode's peak
	AttrExpected  = "anomaly.expected"    // what the series' history expected (see Driver)
	AttrObserved  = "anomaly.observed"    // the value that broke it
	AttrDriver    = "anomaly.driver"      // range | shift | seasonality
	AttrSignal    = "anomaly.signal"      // which signal of the point: value, rate, mean, count_rate, quantile
	AttrDuration  = "anomaly.duration_ms" // resolve: onset to resolve
	AttrOnsetTime = "anomaly.onset_time"  // resolve: the onset's time, RFC 3339
	AttrTraceIDs  = "anomaly.trace_ids"   // trace ids from the exemplars of the episode's points
	ScopeName     = "github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor"
	StateOnset    = "onset"
	StateResolve  = "resolve"
)

// Record is one anomaly event.
type Record struct {
	State            string
	Time, OnsetTime  uint64 // ns
	Metric, Unit     string
	Resource, Labels pcommon.Map
	Score            float64
	Expected         float64
	Observed         float64
	Driver, Signal   string
	TraceIDs         []pcommon.TraceID
}

// Append adds the record to ld (a resource of its own: events are few).
func Append(ld plog.Logs, r *Record) {
	rl := ld.ResourceLogs().AppendEmpty()
	r.Resource.CopyTo(rl.Resource().Attributes())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(ScopeName)
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.Timestamp(r.Time))
	lr.SetObservedTimestamp(pcommon.Timestamp(r.Time))
	lr.SetEventName(EventName)
	if r.State == StateOnset {
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	} else {
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	}
	a := lr.Attributes()
	a.EnsureCapacity(r.Labels.Len() + 12)
	r.Labels.CopyTo(a)
	a.PutStr(AttrEventName, EventName)
	a.PutStr(AttrState, r.State)
	a.PutStr(AttrMetric, r.Metric)
	a.PutDouble(AttrScore, r.Score)
	a.PutDouble(AttrExpected, r.Expected)
	a.PutDouble(AttrObserved, r.Observed)
	a.PutStr(AttrDriver, r.Driver)
	a.PutStr(AttrSignal, r.Signal)
	if r.State == StateResolve {
		a.PutInt(AttrDuration, int64(r.Time-r.OnsetTime)/1e6)
		a.PutStr(AttrOnsetTime, pcommon.Timestamp(r.OnsetTime).AsTime().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	}
	if len(r.TraceIDs) > 0 {
		ids := a.PutEmptySlice(AttrTraceIDs)
		for _, id := range r.TraceIDs {
			ids.AppendEmpty().SetStr(hex.EncodeToString(id[:]))
		}
		lr.SetTraceID(r.TraceIDs[0]) // the store's trace id column links the event to a trace
	}
	lr.Body().SetStr(r.describe())
}

// describe is the record's body: one line an engineer can read.
func (r *Record) describe() string {
	unit := ""
	if r.Unit != "" && r.Unit != "1" {
		unit = " " + r.Unit
	}
	what := map[string]string{"range": "left its usual range", "shift": "shifted level", "seasonality": "broke its daily/weekly pattern"}[r.Driver]
	if r.State == StateResolve {
		return fmt.Sprintf("%s %s resolved after %s (peak score %.2f)", r.Metric, what,
			strconv.FormatFloat(float64(r.Time-r.OnsetTime)/1e9, 'f', 0, 64)+"s", r.Score)
	}
	return fmt.Sprintf("%s %s: observed %s%s, expected %s%s (score %.2f)", r.Metric, what,
		strconv.FormatFloat(r.Observed, 'g', 4, 64), unit, strconv.FormatFloat(r.Expected, 'g', 4, 64), unit, r.Score)
}
