package schema

import (
	"context"
	"fmt"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"go.uber.org/zap"

	"github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter/internal/cqlerr"
)

// Ensure creates keyspace and table when absent, checks that the table has the exporter's
// columns, and creates the trace_id index where the server supports it. It returns a
// *MismatchError when the table differs (no retry will help), any other error when Cassandra did
// not answer as it should (worth retrying).
//
// The index needs storage-attached indexes (Cassandra 5.0+). On an older server, or when the
// server refuses the index (SAI disabled, for example), Ensure says so in one log line and goes
// on without it: logs are written all the same, and a trace's logs are found by service and time.
func Ensure(ctx context.Context, session *gocql.Session, s Settings, logger *zap.Logger) error {
	for _, stmt := range []string{s.CreateKeyspace(), s.CreateTable()} {
		if err := session.Query(stmt).WithContext(ctx).Exec(); err != nil {
			return fmt.Errorf("creating schema (%s): %w", firstWords(stmt, 6), err)
		}
	}
	actual, err := tableColumns(ctx, session, s.Keyspace, s.Table)
	if err != nil {
		return fmt.Errorf("reading the columns of %s: %w", s.QualifiedTable(), err)
	}
	if err := Check(s.QualifiedTable(), actual); err != nil {
		return err
	}
	if !s.TraceIDIndex {
		return nil
	}
	version, err := releaseVersion(ctx, session)
	if err != nil {
		return err
	}
	if !version.HasSAI() {
		logger.Warn(fmt.Sprintf("Cassandra %s has no storage-attached indexes (SAI, Cassandra 5.0+): the trace_id index is not created and logs are written without it", version.Text),
			zap.String("table", s.QualifiedTable()), zap.String("option", "trace_id_index"))
		return nil
	}
	if err := session.Query(s.CreateTraceIndex()).WithContext(ctx).Exec(); err != nil {
		if _, permanent := cqlerr.Classify(err); permanent {
			logger.Warn("Cassandra refused the trace_id index; logs are written without it",
				zap.String("table", s.QualifiedTable()), zap.String("cassandra", version.Text), zap.Error(err))
			return nil
		}
		return fmt.Errorf("creating the trace_id index: %w", err)
	}
	return nil
}

func tableColumns(ctx context.Context, session *gocql.Session, keyspace, table string) ([]Column, error) {
	iter := session.Query("SELECT column_name, type, kind, position FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
		keyspace, table).WithContext(ctx).Iter()
	var (
		out             []Column
		name, typ, kind string
		position        int
	)
	for iter.Scan(&name, &typ, &kind, &position) {
		out = append(out, Column{Name: name, Type: typ, Kind: kind, Position: position})
	}
	if err := iter.Close(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no columns found for %s.%s right after creating it", keyspace, table)
	}
	return out, nil
}

func releaseVersion(ctx context.Context, session *gocql.Session) (Version, error) {
	var v string
	if err := session.Query("SELECT release_version FROM system.local").WithContext(ctx).Scan(&v); err != nil {
		return Version{}, fmt.Errorf("reading Cassandra's release version: %w", err)
	}
	return ParseVersion(v)
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}
