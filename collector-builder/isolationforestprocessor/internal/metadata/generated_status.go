// Written to match mdatagen's output for ../../metadata.yaml.

package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("isolationforest")
	ScopeName = "github.com/mirador-signals/mirador/collector-builder/isolationforestprocessor"
)

const (
	MetricsStability = component.StabilityLevelAlpha
)
