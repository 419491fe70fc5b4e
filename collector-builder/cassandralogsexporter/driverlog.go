package cassandralogsexporter

import (
	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"go.uber.org/zap"
)

// driverLogger routes the driver's messages into the collector's log; its chatty Info goes to Debug.
type driverLogger struct{ l *zap.Logger }

func fields(fs []gocql.LogField) []zap.Field {
	out := make([]zap.Field, len(fs))
	for i, f := range fs {
		out[i] = zap.Any(f.Name, f.Value.Any())
	}
	return out
}

func (d driverLogger) Error(msg string, fs ...gocql.LogField)   { d.l.Error(msg, fields(fs)...) }
func (d driverLogger) Warning(msg string, fs ...gocql.LogField) { d.l.Warn(msg, fields(fs)...) }
func (d driverLogger) Info(msg string, fs ...gocql.LogField)    { d.l.Debug(msg, fields(fs)...) }
func (d driverLogger) Debug(msg string, fs ...gocql.LogField)   { d.l.Debug(msg, fields(fs)...) }
