// Package record turns OpenTelemetry log records into rows of the log table: record ids, partition
// keys, UTF-8 repair, client-side checks of what Cassandra can never accept, and the subset of a
// request that is left to retry.
package record // import "github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/record"

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/cqlerr"
	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/schema"
)

// The semantic-conventions default when a resource has no service.name.
const UnknownService = "unknown_service"

// IDAttribute is the log attribute in which the exporter keeps a record's id from the moment the
// record enters the exporter (ConsumeLogs, before the sending queue) until it is written. It is
// 16 bytes, travels with the record through the in-memory or persistent queue and through the
// queue's batching (merge/split), and is never stored as a log attribute: it becomes record_id.
const IDAttribute = "cassandra_logs.record_id"

// Cassandra limits a partition key to 65535 bytes. The table's key is composite (service_name
// text, time_bucket timestamp): each component costs 2 length bytes and 1 end-of-component byte,
// and the timestamp 8 bytes, so a service name may take 65535 - 2*3 - 8 bytes.
const MaxServiceNameBytes = 65535 - 2*3 - 8

// PartitionKey identifies one Cassandra partition of the log table.
type PartitionKey struct {
	Service string
	Bucket  int64 // bucket start, unix milliseconds
}

// Ref locates a record in the plog.Logs it came from.
type Ref struct{ Resource, Scope, Record int }

// Row is one record, ready to bind to the INSERT statement.
type Row struct {
	Key PartitionKey
	ID  gocql.UUID
	// Values in schema.InsertColumns order.
	Values []any
	// Size approximates the encoded row, to keep batches well below Cassandra's message limit.
	Size int
	// Repaired is set when invalid UTF-8 in the record was replaced by U+FFFD.
	Repaired bool
	Ref      Ref
}

// Rejected is a record Cassandra would refuse whatever happens, found before sending it.
type Rejected struct {
	Row    Row
	Reason string
	Err    error
}

// Stamp gives every record of ld a new random id in IDAttribute, replacing any it had. The
// exporter calls it once per ConsumeLogs, before the sending queue: a record sent again by its
// source (three identical lines logged in three export calls) gets a new id and its own row,
// while the exporter's own retries of a queued request rewrite the same rows.
//
// The ids are RFC 9562 version 4 UUIDs: 122 random bits per call, with the record's position in
// the call added to the last 32 bits, so the ids of one call are distinct by construction.
func Stamp(ld plog.Logs) {
	var base [16]byte
	if _, err := rand.Read(base[:]); err != nil {
		panic(fmt.Sprintf("cassandra_logs: no randomness for record ids: %v", err)) // crypto/rand never fails on Linux
	}
	base[6] = base[6]&0x0f | 0x40
	base[8] = base[8]&0x3f | 0x80
	seq := binary.BigEndian.Uint32(base[12:])
	n := uint32(0)
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				id := base
				binary.BigEndian.PutUint32(id[12:], seq+n)
				n++
				lrs.At(k).Attributes().PutEmptyBytes(IDAttribute).FromRaw(id[:])
			}
		}
	}
}

// stampedID returns the id Stamp gave the record, if it has one.
func stampedID(lr plog.LogRecord) (gocql.UUID, bool) {
	v, ok := lr.Attributes().Get(IDAttribute)
	if !ok || v.Type() != pcommon.ValueTypeBytes || v.Bytes().Len() != 16 {
		return gocql.UUID{}, false
	}
	var id gocql.UUID
	copy(id[:], v.Bytes().AsRaw())
	return id, true
}

// Rows flattens a request into rows, in request order, and sets aside the records Cassandra can
// never accept (a service name that makes the partition key longer than 64 KiB). Invalid UTF-8 in
// any text column is replaced by U+FFFD and the row marked Repaired.
//
// A record without a stamped id (queued by an exporter version that did not stamp) gets an id
// derived from its content and its ordinal among identical records of the request, as before.
func Rows(ld plog.Logs, bucket time.Duration) ([]Row, []Rejected) {
	rows := make([]Row, 0, ld.LogRecordCount())
	var rejected []Rejected
	var fallback *contentIDs
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		resAttrs := rl.Resource().Attributes()
		service, serviceRepaired := UnknownService, false
		if v, ok := resAttrs.Get("service.name"); ok && v.AsString() != "" {
			service, serviceRepaired = validUTF8(v.AsString())
		}
		resMap, resSize, resRepaired := attrsToMap(resAttrs)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			scope := sl.Scope()
			scopeMap, scopeSize, scopeRepaired := attrsToMap(scope.Attributes())
			scopeName, nameRepaired := validUTF8(scope.Name())
			scopeVersion, versionRepaired := validUTF8(scope.Version())
			repairedAbove := serviceRepaired || resRepaired || scopeRepaired || nameRepaired || versionRepaired
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				id, ok := stampedID(lr)
				if !ok {
					if fallback == nil {
						fallback = newContentIDs()
					}
					id = fallback.next(rl.Resource(), sl.Scope(), lr)
				}
				nanos := int64(lr.Timestamp())
				if nanos == 0 {
					// Fall back to the observed time; both are part of the record, so a retry lands in the same row.
					nanos = int64(lr.ObservedTimestamp())
				}
				key := PartitionKey{Service: service, Bucket: bucketStart(nanos, bucket)}
				body, bodyRepaired := validUTF8(lr.Body().AsString())
				severityText, sevRepaired := validUTF8(lr.SeverityText())
				eventName, eventRepaired := validUTF8(lr.EventName())
				logMap, logSize, logRepaired := attrsToMap(lr.Attributes())
				values := []any{
					key.Service,
					time.UnixMilli(key.Bucket).UTC(),
					time.Unix(0, nanos).UTC(),
					id,
					nanos,
					orUnset(int64(lr.ObservedTimestamp())),
					hexOrUnset(lr.TraceID().IsEmpty(), lr.TraceID().String()),
					hexOrUnset(lr.SpanID().IsEmpty(), lr.SpanID().String()),
					orUnset(int(lr.Flags())),
					orUnset(int(lr.SeverityNumber())),
					orUnset(severityText),
					body, // always written: an empty body reads back as '', not null
					orUnset(eventName),
					orUnset(scopeName),
					orUnset(scopeVersion),
					scopeMap,
					resMap,
					logMap,
					orUnset(int(lr.DroppedAttributesCount())),
				}
				row := Row{
					Key:      key,
					ID:       id,
					Values:   values,
					Size:     256 + len(service) + len(body) + len(severityText) + len(eventName) + len(scopeName) + len(scopeVersion) + scopeSize + resSize + logSize,
					Repaired: repairedAbove || bodyRepaired || sevRepaired || eventRepaired || logRepaired,
					Ref:      Ref{Resource: i, Scope: j, Record: k},
				}
				if len(service) > MaxServiceNameBytes {
					rejected = append(rejected, Rejected{Row: row, Reason: cqlerr.PartitionKeyTooLarge,
						Err: fmt.Errorf("service.name of %d bytes makes the partition key longer than Cassandra's 65535 bytes", len(service))})
					continue
				}
				rows = append(rows, row)
			}
		}
	}
	return rows, rejected
}

// Subset copies the records at refs, with their resources and scopes, into a new plog.Logs.
func Subset(ld plog.Logs, refs []Ref) plog.Logs {
	sorted := append([]Ref(nil), refs...)
	sort.Slice(sorted, func(a, b int) bool {
		x, y := sorted[a], sorted[b]
		if x.Resource != y.Resource {
			return x.Resource < y.Resource
		}
		if x.Scope != y.Scope {
			return x.Scope < y.Scope
		}
		return x.Record < y.Record
	})
	out := plog.NewLogs()
	var (
		rl       plog.ResourceLogs
		sl       plog.ScopeLogs
		lastRes  = -1
		lastScop = -1
	)
	for _, r := range sorted {
		srcRL := ld.ResourceLogs().At(r.Resource)
		if r.Resource != lastRes {
			rl = out.ResourceLogs().AppendEmpty()
			srcRL.Resource().CopyTo(rl.Resource())
			rl.SetSchemaUrl(srcRL.SchemaUrl())
			lastRes, lastScop = r.Resource, -1
		}
		srcSL := srcRL.ScopeLogs().At(r.Scope)
		if r.Scope != lastScop {
			sl = rl.ScopeLogs().AppendEmpty()
			srcSL.Scope().CopyTo(sl.Scope())
			sl.SetSchemaUrl(srcSL.SchemaUrl())
			lastScop = r.Scope
		}
		srcSL.LogRecords().At(r.Record).CopyTo(sl.LogRecords().AppendEmpty())
	}
	return out
}

// ValueOf returns the value bound to column in r (for tests and diagnostics).
func (r Row) ValueOf(column string) any {
	for i, c := range schema.InsertColumns {
		if c == column {
			return r.Values[i]
		}
	}
	panic("no column " + column)
}

// validUTF8 replaces every run of invalid UTF-8 bytes in s with U+FFFD: Cassandra refuses a text
// value that is not UTF-8 ("String didn't validate"), and would refuse the whole batch with it.
func validUTF8(s string) (string, bool) {
	if utf8.ValidString(s) {
		return s, false
	}
	return strings.ToValidUTF8(s, "\uFFFD"), true
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

// attrsToMap renders attribute values as strings (maps and slices as JSON), repairing invalid
// UTF-8 in keys and values; an empty map is left unset rather than written as null, which would be
// a tombstone. The exporter's own IDAttribute is not stored.
func attrsToMap(m pcommon.Map) (any, int, bool) {
	n := m.Len()
	if _, ok := m.Get(IDAttribute); ok {
		n--
	}
	if n == 0 {
		return gocql.UnsetValue, 0, false
	}
	out := make(map[string]string, n)
	size, repaired := 0, false
	m.Range(func(k string, v pcommon.Value) bool {
		if k == IDAttribute {
			return true
		}
		k, kr := validUTF8(k)
		s, vr := validUTF8(v.AsString())
		repaired = repaired || kr || vr
		out[k] = s
		size += len(k) + len(s) + 8
		return true
	})
	return out, size, repaired
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

// contentIDs derives ids from a record's content (resource, scope, timestamps, severity, ids,
// body, attributes) and its ordinal among identical records of the request: the scheme of
// records that were queued without a stamped id.
type contentIDs struct {
	h    hash.Hash
	seen map[gocql.UUID]uint32
}

func newContentIDs() *contentIDs {
	return &contentIDs{h: fnv.New128a(), seen: make(map[gocql.UUID]uint32)}
}

func (c *contentIDs) next(res pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord) gocql.UUID {
	h := c.h
	h.Reset()
	hashMap(h, res.Attributes())
	hashString(h, scope.Name())
	hashString(h, scope.Version())
	hashMap(h, scope.Attributes())
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
	var content gocql.UUID
	copy(content[:], h.Sum(nil))
	ordinal := c.seen[content]
	c.seen[content] = ordinal + 1
	return contentID(content, ordinal)
}

// contentID folds the ordinal of an identical record into its content hash and marks the result
// as an RFC 9562 version 8 (custom) UUID.
func contentID(content gocql.UUID, ordinal uint32) gocql.UUID {
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
		if k == IDAttribute {
			return true
		}
		hashString(h, k)
		hashValue(h, v)
		return true
	})
}
