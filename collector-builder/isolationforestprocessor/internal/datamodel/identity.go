// Package datamodel maps the OpenTelemetry metrics data model onto what the detector needs: the
// identity of each series, one observation per data point with its kind (gauge, delta or
// cumulative sum, histogram, summary), the signals derived from consecutive points (a counter's
// rate, an interval's mean), and where the processor writes its output back. It follows the
// data model's rules: series identity, start time resets, temporality, staleness markers.
package datamodel

import (
	"math"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Series identity = resource attributes + scope + metric name + metric type + data point
// attributes, as one 64-bit hash. Attribute maps hash order-independently (a sum of per-pair
// hashes). Values hash with their type (the int 2 and the bool true are different series). The
// processor's own output attributes (AttrScore, AttrIsAnomaly) are left out, so a point scored
// twice (two processors in a row, a fan-in) stays one series. xxhash (not maphash) keeps
// identities, and so model seeds and snapshots, stable across restarts.

// Attributes the processor writes.
const (
	AttrScore     = "anomaly_score"
	AttrIsAnomaly = "is_anomaly"
)

// Mix is the splitmix64 finaliser: spreads the bits of combined hashes.
func Mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// HashString hashes a string.
func HashString(s string) uint64 { return xxhash.Sum64String(s) }

// value type tags: every type hashes into its own space
const (
	tagStr uint64 = iota + 1
	tagInt
	tagDouble
	tagBool
	tagOther
)

func hashValue(v pcommon.Value) uint64 {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return Combine(tagStr, HashString(v.Str()))
	case pcommon.ValueTypeInt:
		return Combine(tagInt, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		return Combine(tagDouble, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		b := uint64(0)
		if v.Bool() {
			b = 1
		}
		return Combine(tagBool, b)
	default: // bytes, slices, maps, empty: rare in metric attributes
		return Combine(tagOther+uint64(v.Type()), HashString(v.AsString()))
	}
}

// HashAttributes is independent of the order of the map's entries and skips the processor's own
// output attributes.
func HashAttributes(m pcommon.Map) uint64 {
	var sum uint64
	n := 0
	for k, v := range m.All() {
		if k == AttrScore || k == AttrIsAnomaly {
			continue
		}
		sum += Mix(HashString(k)*0x9e3779b97f4a7c15 ^ hashValue(v))
		n++
	}
	return Mix(sum + uint64(n))
}

// HashScope hashes an instrumentation scope.
func HashScope(s pcommon.InstrumentationScope) uint64 {
	return Mix(HashString(s.Name())*31 + HashString(s.Version()) + HashAttributes(s.Attributes()))
}

// Combine folds one more identity component into h.
func Combine(h, part uint64) uint64 { return Mix(h*0x9e3779b97f4a7c15 + part) }
