package cassandralogsexporter

import (
	"encoding/binary"
	"hash"
	"hash/fnv"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// The semantic-conventions default when a resource has no service.name.
const unknownService = "unknown_service"

// partitionKey identifies one Cassandra partition of the log table.
type partitionKey struct {
	service string
	bucket  int64 // bucket start, unix milliseconds
}

// logRow is one record, ready to bind to the INSERT statement.
type logRow struct {
	key partitionKey
	id  gocql.UUID
	// values in insertColumns order
	values []any
	// approximate encoded size, to keep batches well below Cassandra's mutation size limit
	size int
}

// toRows flattens a batch into rows. Identical records (same resource, scope and record content)
// get ordinals 0, 1, 2... in batch order, so each keeps its own row and a retry of the batch maps
// every record to the same id again, however the batch was split or merged on its way.
func toRows(ld plog.Logs, bucket time.Duration) []logRow {
	rows := make([]logRow, 0, ld.LogRecordCount())
	seen := make(map[gocql.UUID]uint32)
	h := fnv.New128a()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		resAttrs := rl.Resource().Attributes()
		service := unknownService
		if v, ok := resAttrs.Get("service.name"); ok && v.AsString() != "" {
			service = v.AsString()
		}
		resMap, resSize := attrsToMap(resAttrs)
		h.Reset()
		hashMap(h, resAttrs)
		resSum := h.Sum(nil)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			scope := sl.Scope()
			scopeMap, scopeSize := attrsToMap(scope.Attributes())
			h.Reset()
			h.Write(resSum)
			hashString(h, scope.Name())
			hashString(h, scope.Version())
			hashMap(h, scope.Attributes())
			scopeSum := h.Sum(nil)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				content := recordHash(h, scopeSum, lr)
				ordinal := seen[content]
				seen[content] = ordinal + 1
				id := recordID(content, ordinal)

				nanos := int64(lr.Timestamp())
				if nanos == 0 {
					// Fall back to the observed time; both are part of the record, so a retry lands in the same row.
					nanos = int64(lr.ObservedTimestamp())
				}
				key := partitionKey{service: service, bucket: bucketStart(nanos, bucket)}
				body := lr.Body().AsString()
				logMap, logSize := attrsToMap(lr.Attributes())
				values := []any{
					key.service,
					time.UnixMilli(key.bucket).UTC(),
					time.Unix(0, nanos).UTC(),
					id,
					nanos,
					orUnset(int64(lr.ObservedTimestamp())),
					hexOrUnset(lr.TraceID().IsEmpty(), lr.TraceID().String()),
					hexOrUnset(lr.SpanID().IsEmpty(), lr.SpanID().String()),
					orUnset(int(lr.Flags())),
					orUnset(int(lr.SeverityNumber())),
					orUnset(lr.SeverityText()),
					body, // always written: an empty body reads back as '', not null
					orUnset(lr.EventName()),
					orUnset(scope.Name()),
					orUnset(scope.Version()),
					scopeMap,
					resMap,
					logMap,
					orUnset(int(lr.DroppedAttributesCount())),
				}
				rows = append(rows, logRow{
					key:    key,
					id:     id,
					values: values,
					size:   256 + len(service) + len(body) + len(lr.SeverityText()) + len(lr.EventName()) + len(scope.Name()) + scopeSize + resSize + logSize,
				})
			}
		}
	}
	return rows
}

// bucketStart is the start of the time bucket holding nanos, in unix milliseconds.
func bucketStart(nanos int64, bucket time.Duration) int64 {
	b := int64(bucket)
	start := nanos - nanos%b
	if nanos < 0 && nanos%b != 0 {
		start -= b
	}
	return start / int64(time.Millisecond)
}

// recordHash is a 128-bit FNV-1a digest of everything that distinguishes a record within its scope.
func recordHash(h hash.Hash, scopeSum []byte, lr plog.LogRecord) gocql.UUID {
	h.Reset()
	h.Write(scopeSum)
	var buf [8]byte
	for _, n := range []uint64{uint64(lr.Timestamp()), uint64(lr.ObservedTimestamp()), uint64(lr.SeverityNumber()), uint64(lr.Flags()), uint64(lr.DroppedAttributesCount())} {
		binary.LittleEndian.PutUint64(buf[:], n)
		h.Write(buf[:])
	}
	traceID, spanID := lr.TraceID(), lr.SpanID()
	h.Write(traceID[:])
	h.Write(spanID[:])
	hashString(h, lr.SeverityText())
	hashString(h, lr.EventName())
	hashValue(h, lr.Body())
	hashMap(h, lr.Attributes())
	var id gocql.UUID
	copy(id[:], h.Sum(nil))
	return id
}

// recordID folds the ordinal of an identical record into its content hash and marks the result as
// an RFC 9562 version 8 (custom) UUID.
func recordID(content gocql.UUID, ordinal uint32) gocql.UUID {
	id := content
	if ordinal > 0 {
		h := fnv.New128a()
		h.Write(content[:])
		var buf [4]byte
		binary.LittleEndian.PutUint32(buf[:], ordinal)
		h.Write(buf[:])
		copy(id[:], h.Sum(nil))
	}
	id[6] = id[6]&0x0f | 0x80
	id[8] = id[8]&0x3f | 0x80
	return id
}

// hashString writes s with its length, so adjacent fields cannot run into each other.
func hashString(h hash.Hash, s string) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(len(s)))
	h.Write(buf[:])
	h.Write([]byte(s))
}

func hashValue(h hash.Hash, v pcommon.Value) {
	h.Write([]byte{byte(v.Type())})
	hashString(h, v.AsString())
}

func hashMap(h hash.Hash, m pcommon.Map) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(m.Len()))
	h.Write(buf[:])
	m.Range(func(k string, v pcommon.Value) bool {
		hashString(h, k)
		hashValue(h, v)
		return true
	})
}

// attrsToMap renders attribute values as strings (maps and slices as JSON); an empty map is left
// unset rather than written as null, which would be a tombstone.
func attrsToMap(m pcommon.Map) (any, int) {
	if m.Len() == 0 {
		return gocql.UnsetValue, 0
	}
	out := make(map[string]string, m.Len())
	size := 0
	m.Range(func(k string, v pcommon.Value) bool {
		s := v.AsString()
		out[k] = s
		size += len(k) + len(s) + 8
		return true
	})
	return out, size
}

// orUnset leaves zero values unset: no cell is written, which is measurably cheaper for Cassandra
// than storing 0 or an empty string in every row; they read back as null.
func orUnset[T comparable](v T) any {
	var zero T
	if v == zero {
		return gocql.UnsetValue
	}
	return v
}

// hexOrUnset leaves absent ids unset: no tombstone, and no entry in the trace_id index.
func hexOrUnset(empty bool, hex string) any {
	if empty {
		return gocql.UnsetValue
	}
	return hex
}
