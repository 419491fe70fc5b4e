package kernel

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The golden vectors of test/vectors (written by the kernel's Node host) reproduced bit for bit
// through wazero and this processor's kernel host.

type vectorFile struct {
	Name   string `json:"name"`
	Params struct {
		Trees  int    `json:"trees"`
		Psi    int    `json:"psi"`
		Dims   int    `json:"dims"`
		Seed   string `json:"seed"`
		Window *int   `json:"window"`
	} `json:"params"`
	Steps []struct {
		Op             string          `json:"op"`
		Rows           [][]vectorFloat `json:"rows"`
		ExpectedCode   int32           `json:"expected_code"`
		ExpectedBits   []string        `json:"expected_bits"`
		On             int             `json:"on"`
		ExpectedLength int             `json:"expected_length"`
		ExpectedCRC32  string          `json:"expected_crc32"`
		ExpectedSHA256 string          `json:"expected_sha256"`
		ExpectedBase64 string          `json:"expected_base64"`
		Source         string          `json:"source"`
		Base64         string          `json:"base64"`
	} `json:"steps"`
}

// vectorFloat accepts JSON numbers and the strings "NaN", "Infinity", "-Infinity".
type vectorFloat float64

func (f *vectorFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := strconv.ParseFloat(s, 64)
		*f = vectorFloat(v)
		return err
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = vectorFloat(v)
	return err
}

func resultCode(err error) int32 {
	var ce *CodeError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrNotFitted):
		return kernelErrNotFitted
	case errors.As(err, &ce):
		return ce.Code
	}
	return math.MinInt32
}

func TestGoldenVectors(t *testing.T) {
	files, err := filepath.Glob("../../../../test/vectors/*.json")
	require.NoError(t, err)
	more, err := filepath.Glob("../../../../test/vectors/*/*.json")
	require.NoError(t, err)
	files = append(files, more...)
	require.NotEmpty(t, files, "no golden vectors in test/vectors")
	ctx := context.Background()
	mod, err := NewModule(ctx, testKernel(t))
	require.NoError(t, err)
	defer mod.Close(ctx)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		var v vectorFile
		require.NoError(t, json.Unmarshal(raw, &v), file)
		t.Run(v.Name, func(t *testing.T) {
			k, err := mod.NewInstance(ctx)
			require.NoError(t, err)
			defer k.Close(ctx)
			seed, err := strconv.ParseUint(v.Params.Seed, 10, 64)
			require.NoError(t, err)
			window := 0
			if v.Params.Window != nil {
				window = *v.Params.Window
			}
			h, err := k.NewForest(ctx, v.Params.Trees, v.Params.Psi, v.Params.Dims, window, seed, false)
			require.NoError(t, err)
			var last []byte // the latest snapshot
			for i, step := range v.Steps {
				where := fmt.Sprintf("step %d (%s)", i, step.Op)
				rows := make([]float64, 0, len(step.Rows)*v.Params.Dims)
				code := int32(0)
				for _, r := range step.Rows {
					if len(r) != v.Params.Dims {
						code = kernelErrDims
					}
					for _, x := range r {
						rows = append(rows, float64(x))
					}
				}
				var scores []float64
				if code == 0 {
					switch step.Op {
					case "set_range_aware":
						rc, err := k.call(ctx, k.setRangeAware, kernelExportForestSetRangeAware, uint64(uint32(h)), uint64(step.On))
						require.NoError(t, err, where)
						code = rc
					case "snapshot":
						snap, err := k.Snapshot(ctx, h)
						code = resultCode(err)
						if err == nil {
							require.Len(t, snap, step.ExpectedLength, where)
							assert.Equal(t, step.ExpectedCRC32, fmt.Sprintf("%08x", crc32.ChecksumIEEE(snap[:len(snap)-4])), where)
							sum := sha256.Sum256(snap)
							assert.Equal(t, step.ExpectedSHA256, hex.EncodeToString(sum[:]), where)
							if step.ExpectedBase64 != "" {
								assert.Equal(t, step.ExpectedBase64, base64.StdEncoding.EncodeToString(snap), where)
							}
							last = snap
						}
					case "restore":
						src := last
						if step.Source == "base64" {
							src, err = base64.StdEncoding.DecodeString(step.Base64)
							require.NoError(t, err, where)
						}
						restored, err := k.Restore(ctx, src)
						code = resultCode(err)
						if err == nil {
							require.NoError(t, k.FreeForest(ctx, h))
							h = restored
						}
					case "fit":
						code = resultCode(k.Fit(ctx, h, rows, len(step.Rows)))
					case "update":
						code = resultCode(k.Update(ctx, h, rows, len(step.Rows)))
					case "score":
						scores = make([]float64, len(step.Rows))
						code = resultCode(k.Score(ctx, h, rows, scores))
					default:
						t.Fatalf("%s: unknown op", where)
					}
				}
				require.Equal(t, step.ExpectedCode, code, where)
				if step.Op == "score" && code == 0 {
					require.Len(t, step.ExpectedBits, len(scores), where)
					for j, s := range scores {
						got := fmt.Sprintf("%016x", math.Float64bits(s))
						require.Equal(t, step.ExpectedBits[j], got, "%s row %d: score %v", where, j, s)
					}
				}
			}
		})
	}
}

// testKernel is the kernel the processor embeds (scripts/build-collector.sh copies
// build/isolation_forest.wasm next to the processor's sources).
func testKernel(t *testing.T) []byte {
	wasm, err := os.ReadFile("../../isolation_forest.wasm")
	require.NoError(t, err, "run npm run build:collector (it copies the kernel next to the processor)")
	return wasm
}
