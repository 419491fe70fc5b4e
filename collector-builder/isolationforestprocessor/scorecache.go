package isolationforestprocessor

import (
	"math"
	"sort"
)

// Score memoisation. Between two refreshes a group's forest does not change, so a score is a pure
// function of the 2-dim feature vector. Vectors are snapped to a grid of cells (`score_cache`
// wide near the centre of the feature space, wider further out) and the kernel scores the cell's
// centre, so a cached score is exactly what the kernel returns for that cell, whichever point
// asked first. Cells are filled in blocks of 4×4: a score call with a few rows costs about as much
// as one with 16, because it is dominated by fetching the forest's 100 trees from memory, and
// points in the sparse outer regions then find their neighbours' cells already scored.

// blockBits: a block is (1<<blockBits)² cells.
const (
	blockBits  = 2
	blockSide  = 1 << blockBits
	blockCells = blockSide * blockSide
)

// scoreCacheBlocks is the size of each group's direct-mapped table of blocks (power of two):
// 4096 blocks of 72 bytes (65 536 cells, more than the whole feature space has at the default
// resolution), 288 KiB per model group, allocated on the group's first cached score. A collision
// overwrites the older block: bounded memory, no eviction bookkeeping.
const scoreCacheBlocks = 1 << 12

type cacheBlock struct {
	key    uint32 // packed block coordinates
	epoch  uint32 // the forest version the scores belong to; 0 = empty
	scores [blockCells]float32
}

// scoreCache is one group's table. Bumping epoch (on every change of the forest) invalidates every
// block at once without touching them.
type scoreCache struct {
	blocks []cacheBlock
	epoch  uint32
}

// invalidate forgets every cached score (the group's forest changed).
func (c *scoreCache) invalidate() {
	c.epoch++
	if c.epoch == 0 { // wrapped: stale blocks could look current
		clear(c.blocks)
		c.epoch = 1
	}
}

// cellIndex splits a cell into its block key and its position in the block.
func cellIndex(cell uint32) (block uint32, at int) {
	i0, i1 := int16(cell>>16), int16(cell)
	return packCell(i0>>blockBits, i1>>blockBits), int(i0&(blockSide-1))<<blockBits | int(i1&(blockSide-1))
}

func (c *scoreCache) lookup(cell uint32) (float64, bool) {
	if c.blocks == nil {
		return 0, false
	}
	block, at := cellIndex(cell)
	b := &c.blocks[slotOf(block)]
	if b.epoch == c.epoch && b.key == block {
		return float64(b.scores[at]), true
	}
	return 0, false
}

// store keeps the scores of one block's cells (in blockCells order).
func (c *scoreCache) store(block uint32, scores []float64) {
	if c.blocks == nil {
		c.blocks = make([]cacheBlock, scoreCacheBlocks)
		if c.epoch == 0 {
			c.epoch = 1
		}
	}
	b := &c.blocks[slotOf(block)]
	b.key, b.epoch = block, c.epoch
	for i := range b.scores {
		b.scores[i] = float32(scores[i])
	}
}

func slotOf(block uint32) uint64 { return mix(uint64(block)) & (scoreCacheBlocks - 1) }

// blockRows appends the centres of a block's cells (in blockCells order) to rows.
func blockRows(rows []float64, block uint32, resolution float64) []float64 {
	b0, b1 := int16(block>>16), int16(block)
	for d0 := range int16(blockSide) {
		for d1 := range int16(blockSide) {
			f0, f1 := cellCentre(b0<<blockBits+d0, b1<<blockBits+d1, resolution)
			rows = append(rows, f0, f1)
		}
	}
	return rows
}

// grid maps feature vectors to cells. The grid is fine near the centre, where ordinary points are
// dense and the score changes with every split, and widens with the distance from it (cell width
// about resolution·(1+|f|/warpScale)), where points are sparse and the forest has few splits.
// Along each axis, cell k (k >= 0) holds |f| with round(warp(|f|)/resolution) = k, and negative
// coordinates mirror positive ones. Since f = squash(z) is monotonic in z, the cell of a z-score
// is found by a binary search over the cells' borders in z (no logarithm per point).
type grid struct {
	resolution float64
	zBorders   []float64 // zBorders[k]: the smallest |z| of cell k+1
}

func newGrid(resolution float64) *grid {
	g := &grid{resolution: resolution}
	for k := 0; ; k++ {
		f := unwarp((float64(k) + 0.5) * resolution) // border between cells k and k+1
		z := math.Expm1(f)                           // squash(z) = f
		if z > maxZ {
			break
		}
		g.zBorders = append(g.zBorders, z)
	}
	return g
}

func (g *grid) axis(z float64) int16 {
	if z < 0 {
		return -int16(sort.SearchFloat64s(g.zBorders, -z))
	}
	return int16(sort.SearchFloat64s(g.zBorders, z))
}

// cellOfZ returns the cell of the feature vector (squash(z0), squash(z1)).
func (g *grid) cellOfZ(z0, z1 float64) uint32 { return packCell(g.axis(z0), g.axis(z1)) }

// maxFeature bounds |f|: features are squash(z) with |z| <= maxZ.
var maxFeature = math.Log1p(maxZ)

// exactCell is the cell index of feature coordinate f (the definition the borders implement).
func exactCell(f, resolution float64) int16 { return int16(math.Round(warp(f) / resolution)) }

// cellCentre is the vector the kernel scores for a cell.
func cellCentre(i0, i1 int16, resolution float64) (float64, float64) {
	return unwarp(float64(i0) * resolution), unwarp(float64(i1) * resolution)
}

// warpScale: the feature distance at which grid cells are twice as wide as at the centre.
const warpScale = 1.0

func warp(f float64) float64 {
	if f < 0 {
		return -warpScale * math.Log1p(-f/warpScale)
	}
	return warpScale * math.Log1p(f/warpScale)
}

func unwarp(q float64) float64 {
	if q < 0 {
		return -warpScale * math.Expm1(-q/warpScale)
	}
	return warpScale * math.Expm1(q/warpScale)
}

func packCell(i0, i1 int16) uint32 { return uint32(uint16(i0))<<16 | uint32(uint16(i1)) }

// minScoreCache is the finest grid resolution: features are squashed z-scores, |f| < 14, so
// |warp(f)|/0.001 < 2800 cells per axis, and blocks of them, fit in an int16.
const minScoreCache = 0.001
