package anomalyeventsreceiver

import (
	"errors"
	"fmt"
)

// Config of the anomaly_events receiver.
type Config struct {
	// Processor is the component id of the isolationforest processor whose events to emit
	// ("isolationforest", "isolationforest/slo"); it must run in the same collector.
	Processor string `mapstructure:"processor"`
	// QueueSize is how many batches of events may wait for the logs pipeline; beyond it the
	// processor drops events (and counts them) rather than wait.
	QueueSize int `mapstructure:"queue_size"`
}

func createDefaultConfig() *Config {
	return &Config{Processor: "isolationforest", QueueSize: 100}
}

// Validate names the key at fault.
func (c *Config) Validate() error {
	var errs []error
	if c.Processor == "" {
		errs = append(errs, errors.New("processor: must name an isolationforest processor (e.g. isolationforest)"))
	}
	if c.QueueSize < 1 || c.QueueSize > 1<<20 {
		errs = append(errs, fmt.Errorf("queue_size: must be between 1 and 1048576, got %d", c.QueueSize))
	}
	return errors.Join(errs...)
}
