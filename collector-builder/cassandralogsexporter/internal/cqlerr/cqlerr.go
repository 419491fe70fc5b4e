// Package cqlerr sorts Cassandra errors into those a retry can cure (timeouts, unavailable or
// overloaded nodes, lost connections) and those it never will (an invalid request), with the
// reason the exporter reports for the latter.
package cqlerr // import "github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/cqlerr"

import (
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Reasons a request can never succeed; the exporter's records_dropped metric uses them.
const (
	PartitionKeyTooLarge = "partition_key_too_large"
	MutationTooLarge     = "mutation_too_large"
	InvalidUTF8          = "invalid_utf8"
	SchemaMismatch       = "schema_mismatch"
	InvalidRequest       = "invalid_request"
)

// Classify returns permanent = true and a reason when Cassandra will refuse the same request
// every time; everything else (timeouts, unavailable, overloaded, bootstrapping, server errors,
// authentication and authorization errors an operator can fix, lost connections, deadlines) is
// retryable.
//
// Cassandra 4.1 and 5.0 answer an invalid write with error code 0x2200 (Invalid) and these
// messages, checked against real servers by the integration tests:
//
//	Key length of 70000 is longer than maximum of 65535
//	CQL Message of size 17825889 bytes exceeds allowed maximum of 16777216 bytes
//	Mutation of 1.9MiB is too large for the maximum size of 1.0MiB
//	String didn't validate.
//	Undefined column name nope in table ks.logs
func Classify(err error) (reason string, permanent bool) {
	if err == nil {
		return "", false
	}
	var me gocql.MarshalError
	if errors.As(err, &me) {
		// A value the driver cannot encode for the column's type: the table's type differs.
		return SchemaMismatch, true
	}
	if errors.Is(err, gocql.ErrQueryArgLength) {
		return SchemaMismatch, true
	}
	var re gocql.RequestError
	if !errors.As(err, &re) {
		return "", false
	}
	switch re.Code() {
	case gocql.ErrCodeInvalid, gocql.ErrCodeSyntax, gocql.ErrCodeConfig:
		return reasonOf(re.Message()), true
	case gocql.ErrCodeWriteFailure:
		// A replica failed the write; "too large" mutations fail this way on replicas other than
		// the coordinator. Other write failures (disk, overload) may pass on a retry.
		if r := reasonOf(re.Message()); r == MutationTooLarge {
			return r, true
		}
	}
	return "", false
}

func reasonOf(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "key length of") || strings.Contains(m, "partition key") && strings.Contains(m, "too"):
		return PartitionKeyTooLarge
	case strings.Contains(m, "exceeds allowed maximum") || strings.Contains(m, "too large") || strings.Contains(m, "too big"):
		return MutationTooLarge
	case strings.Contains(m, "didn't validate") || strings.Contains(m, "utf-8") || strings.Contains(m, "utf8"):
		return InvalidUTF8
	case strings.Contains(m, "undefined column") || strings.Contains(m, "unknown identifier") ||
		strings.Contains(m, "unconfigured table") || strings.Contains(m, "type mismatch") || strings.Contains(m, "invalid") && strings.Contains(m, "for column"):
		return SchemaMismatch
	}
	return InvalidRequest
}

// RowSpecific reports whether a permanent reason may concern only some rows of a batch, so that
// writing the batch's rows apart saves the others. A schema mismatch concerns every row.
func RowSpecific(reason string) bool { return reason != SchemaMismatch }

// RetryPolicy lets the driver retry an idempotent write that failed for a reason a retry may
// cure, up to NumRetries times after about Wait each, and hands a permanent error back at once:
// the driver's own exponential policy would retry (and sleep before) an invalid request too.
type RetryPolicy struct {
	NumRetries int
	Wait       time.Duration
}

var _ gocql.RetryPolicy = RetryPolicy{}

// Attempt allows another try while attempts remain; the wait happens in GetRetryType, which sees the error.
func (p RetryPolicy) Attempt(q gocql.RetryableQuery) bool { return q.Attempts() <= p.NumRetries }

// GetRetryType rethrows permanent errors and retries others on the next host after a jittered wait.
func (p RetryPolicy) GetRetryType(err error) gocql.RetryType {
	if _, permanent := Classify(err); permanent {
		return gocql.Rethrow
	}
	if p.Wait > 0 {
		time.Sleep(p.Wait/2 + rand.N(p.Wait))
	}
	return gocql.RetryNextHost
}
