package isolationforestprocessor

import (
	"math"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Series identity = resource attributes + scope + metric name + data point attributes, as one
// 64-bit hash. Attribute maps are hashed order-independently (a sum of per-pair hashes), so the
// same series sent with its attributes in another order stays the same series. xxhash (not
// maphash) keeps identities, and so model seeds, reproducible across restarts.

// mix is the splitmix64 finaliser: spreads the bits of combined hashes.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func hashString(s string) uint64 { return xxhash.Sum64String(s) }

func hashValue(v pcommon.Value) uint64 {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return hashString(v.Str())
	case pcommon.ValueTypeInt:
		return mix(uint64(v.Int()) ^ 0x1)
	case pcommon.ValueTypeDouble:
		return mix(math.Float64bits(v.Double()) ^ 0x2)
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return mix(0x3)
		}
		return mix(0x4)
	default: // bytes, slices, maps, empty: rare in metric attributes
		return mix(hashString(v.AsString()) ^ uint64(v.Type()))
	}
}

// hashAttributes is independent of the order of the map's entries.
func hashAttributes(m pcommon.Map) uint64 {
	var sum uint64
	for k, v := range m.All() {
		sum += mix(hashString(k)*0x9e3779b97f4a7c15 ^ hashValue(v))
	}
	return mix(sum + uint64(m.Len()))
}

func hashScope(s pcommon.InstrumentationScope) uint64 {
	return mix(hashString(s.Name())*31 + hashString(s.Version()) + hashAttributes(s.Attributes()))
}

// combine folds one more identity component into h.
func combine(h, part uint64) uint64 { return mix(h*0x9e3779b97f4a7c15 + part) }
