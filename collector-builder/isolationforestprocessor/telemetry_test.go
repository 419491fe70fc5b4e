package isolationforestprocessor

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// generatedFiles are what mdatagen writes from each component's metadata.yaml, by directory.
var generatedFiles = map[string][]string{
	".": {
		"documentation.md",
		"generated_component_test.go",
		"generated_package_test.go",
		"internal/metadata/generated_status.go",
		"internal/metadata/generated_telemetry.go",
		"internal/metadata/generated_telemetry_test.go",
		"internal/metadatatest/generated_telemetrytest.go",
		"internal/metadatatest/generated_telemetrytest_test.go",
	},
	"anomalyeventsreceiver": {
		"anomalyeventsreceiver/generated_component_test.go",
		"anomalyeventsreceiver/generated_package_test.go",
		"anomalyeventsreceiver/internal/metadata/generated_logs.go",
		"anomalyeventsreceiver/internal/metadata/generated_logs_test.go",
		"anomalyeventsreceiver/internal/metadata/generated_status.go",
	},
}

// TestGeneratedFilesAreUpToDate runs the pinned mdatagen (the go:generate line in doc.go) on a
// copy of this module and compares what it writes with the files in the repository: the
// generated_* files are generated, not edited by hand, and metadata.yaml is their one source.
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	tmp := filepath.Join(t.TempDir(), "isolationforestprocessor") // mdatagen names the package after the directory
	require.NoError(t, filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(tmp, path), 0o755)
		}
		for _, files := range generatedFiles {
			if slices.Contains(files, filepath.ToSlash(path)) {
				return nil // must be recreated by mdatagen
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, path), data, 0o644)
	}))
	for dir, files := range generatedFiles {
		modfile, _ := filepath.Rel(dir, "internal/tools/mdatagen.mod")
		cmd := exec.Command("go", "tool", "-modfile="+modfile, "mdatagen", "metadata.yaml")
		cmd.Dir = filepath.Join(tmp, dir)
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false", "GOSUMDB=off")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "mdatagen in %s: %s", dir, out)
		for _, g := range files {
			want, err := os.ReadFile(filepath.Join(tmp, g))
			require.NoError(t, err, "mdatagen did not write %s", g)
			have, err := os.ReadFile(g)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(have), "%s differs from what mdatagen generates: run `go generate ./...` in this module", g)
		}
	}
}

func TestErrorLogIsRateLimited(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	logger := zap.New(core)
	var r rateLimitedLog
	for range 100 {
		r.log(logger, "kernel error", errors.New("boom"))
	}
	assert.Equal(t, 1, logs.Len(), "one line per interval")
	r.last = time.Now().Add(-2 * errorLogInterval)
	r.log(logger, "kernel error", errors.New("boom"))
	require.Equal(t, 2, logs.Len())
	assert.Equal(t, int64(99), logs.All()[1].ContextMap()["suppressed_since_last_message"])
}
