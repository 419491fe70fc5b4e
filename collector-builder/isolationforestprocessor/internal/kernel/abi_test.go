package kernel

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// abi_gen.go is generated from assembly/abi.json (node scripts/build-wasm.mjs --go ...): the
// Go host's constants equal the one source of the kernel's ABI.
func TestABIMatchesContract(t *testing.T) {
	raw, err := os.ReadFile("../../../../assembly/abi.json")
	require.NoError(t, err)
	var abi struct {
		Version int `json:"abi_version"`
		Errors  []struct {
			Name string `json:"name"`
			Code int32  `json:"code"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(raw, &abi))
	assert.Equal(t, abi.Version, kernelABIVersion)
	require.Len(t, kernelErrors, len(abi.Errors), "regenerate abi_gen.go: node scripts/build-wasm.mjs --go collector-builder/isolationforestprocessor/internal/kernel/abi_gen.go --go-package kernel")
	for i, e := range abi.Errors {
		assert.Equal(t, e.Name, kernelErrors[i].Name)
		assert.Equal(t, e.Code, kernelErrors[i].Code)
	}
}
