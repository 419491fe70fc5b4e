package cqlerr

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/stretchr/testify/assert"
)

// serverError is what the driver returns for an ERROR frame: a gocql.RequestError.
type serverError struct {
	code int
	msg  string
}

func (e serverError) Code() int       { return e.code }
func (e serverError) Message() string { return e.msg }
func (e serverError) Error() string   { return e.msg }

func TestClassify(t *testing.T) {
	permanent := map[string]error{
		PartitionKeyTooLarge: serverError{gocql.ErrCodeInvalid, "Key length of 70000 is longer than maximum of 65535"},
		MutationTooLarge:     serverError{gocql.ErrCodeInvalid, "CQL Message of size 17825889 bytes exceeds allowed maximum of 16777216 bytes"},
		InvalidUTF8:          serverError{gocql.ErrCodeInvalid, "String didn't validate."},
		SchemaMismatch:       serverError{gocql.ErrCodeInvalid, "Undefined column name nope in table ks.logs"},
		InvalidRequest:       serverError{gocql.ErrCodeSyntax, "line 1:7 no viable alternative"},
	}
	for want, err := range permanent {
		reason, perm := Classify(fmt.Errorf("wrapped: %w", err))
		assert.True(t, perm, want)
		assert.Equal(t, want, reason)
	}
	reason, perm := Classify(serverError{gocql.ErrCodeWriteFailure, "Mutation of 1.9MiB is too large for the maximum size of 1.0MiB"})
	assert.True(t, perm)
	assert.Equal(t, MutationTooLarge, reason)
	reason, perm = Classify(gocql.MarshalError("can not marshal string into int"))
	assert.True(t, perm)
	assert.Equal(t, SchemaMismatch, reason)

	for _, err := range []error{
		serverError{gocql.ErrCodeWriteTimeout, "Operation timed out - received only 0 responses."},
		serverError{gocql.ErrCodeUnavailable, "Cannot achieve consistency level LOCAL_QUORUM"},
		serverError{gocql.ErrCodeOverloaded, "overloaded"},
		serverError{gocql.ErrCodeWriteFailure, "Operation failed - received 0 responses and 1 failures"},
		serverError{gocql.ErrCodeServer, "java.lang.RuntimeException"},
		serverError{gocql.ErrCodeUnauthorized, "User writer has no MODIFY permission"},
		gocql.ErrNoConnections, gocql.ErrTimeoutNoResponse, context.DeadlineExceeded, errors.New("dial tcp: connection refused"),
	} {
		_, perm := Classify(err)
		assert.False(t, perm, "%v must be retried", err)
	}
	_, perm = Classify(nil)
	assert.False(t, perm)
	assert.False(t, RowSpecific(SchemaMismatch))
	assert.True(t, RowSpecific(MutationTooLarge))
}

func TestRetryPolicyRethrowsPermanentErrorsAtOnce(t *testing.T) {
	p := RetryPolicy{NumRetries: 2, Wait: 200 * time.Millisecond}
	start := time.Now()
	assert.Equal(t, gocql.Rethrow, p.GetRetryType(serverError{gocql.ErrCodeInvalid, "Key length of 70000 is longer than maximum of 65535"}))
	assert.Less(t, time.Since(start), 50*time.Millisecond, "no wait before giving up")
	start = time.Now()
	assert.Equal(t, gocql.RetryNextHost, p.GetRetryType(serverError{gocql.ErrCodeWriteTimeout, "timeout"}))
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "a wait before a retry")
}
