package series

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The index agrees with a Go map through inserts, removals (backward shifts), growth and
// colliding home positions and tags.
func TestSeriesIndexMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var keys []uint64 // slot -> key (0 = free)
	var free []uint32
	keyOf := func(slot uint32) uint64 { return keys[slot] }
	want := map[uint64]uint32{}
	var x index
	randomKey := func() uint64 {
		switch r.IntN(3) {
		case 0:
			return r.Uint64() & 0xff // same high tag (0), crowded home positions
		case 1:
			return r.Uint64()&^0xffff | 5 // same home position, different tags
		}
		return r.Uint64()
	}
	for step := 0; step < 60000; step++ {
		if len(want) > 0 && r.IntN(3) == 0 { // remove a present key
			var key uint64
			for k := range want {
				key = k
				break
			}
			x.remove(key, keyOf)
			keys[want[key]] = 0
			free = append(free, want[key])
			delete(want, key)
			continue
		}
		key := randomKey()
		if key == 0 {
			continue
		}
		if _, ok := want[key]; ok {
			continue
		}
		var slot uint32
		if len(free) > 0 {
			slot, free = free[len(free)-1], free[:len(free)-1]
		} else {
			slot = uint32(len(keys))
			keys = append(keys, 0)
		}
		keys[slot] = key
		x.insert(key, slot, keyOf)
		want[key] = slot
		if step%5000 == 0 {
			require.Equal(t, len(want), x.n)
			for k, s := range want {
				got, ok := x.lookup(k, keyOf)
				require.True(t, ok, "step %d: key %x lost", step, k)
				require.Equal(t, s, got)
			}
		}
	}
	for k, s := range want {
		got, ok := x.lookup(k, keyOf)
		require.True(t, ok)
		require.Equal(t, s, got)
	}
	for range 1000 {
		k := r.Uint64()
		_, inMap := want[k]
		_, inIndex := x.lookup(k, keyOf)
		require.Equal(t, inMap, inIndex)
	}
}
