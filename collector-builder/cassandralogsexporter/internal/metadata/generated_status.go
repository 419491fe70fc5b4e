// Package metadata holds the component's identity, in the shape mdatagen generates for contrib components.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("cassandra_logs")
	ScopeName = "github.com/mirador-signals/mirador/collector-builder/cassandralogsexporter"
)

const (
	LogsStability = component.StabilityLevelAlpha
)
