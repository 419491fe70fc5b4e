package series

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableEvictsLeastRecentlySeen(t *testing.T) {
	tab := NewTable[int](3)
	for k := uint64(1); k <= 3; k++ {
		tab.Get(k, 100+k, 0)
	}
	_, _, _, ev, evicted := tab.Get(4, 104, 0)
	require.True(t, evicted)
	assert.Equal(t, Evicted{Key: 1, Group: 101}, ev, "none seen again: the oldest goes first")
	tab.Get(3, 103, 0) // seen again
	_, _, _, ev, _ = tab.Get(5, 105, 0)
	assert.Equal(t, uint64(2), ev.Key, "2 was not seen again; 3 was")
	tab.Get(3, 103, 0)
	tab.Get(4, 104, 0)
	_, _, _, ev, _ = tab.Get(6, 106, 0)
	assert.Equal(t, uint64(5), ev.Key, "3 and 4 were seen again, 5 was not")
	assert.Equal(t, 3, tab.Len())
}

// Expire removes the series last seen before the cutoff and keeps the index consistent for the
// slots it moves.
func TestTableExpire(t *testing.T) {
	tab := NewTable[int](100)
	for k := uint64(1); k <= 50; k++ {
		s, _, _, _, _ := tab.Get(k, 0, int64(k))
		s.State = int(k)
	}
	var gone []uint64
	tab.Expire(26, func(e Evicted) { gone = append(gone, e.Key) })
	assert.Len(t, gone, 25)
	assert.Equal(t, 25, tab.Len())
	for k := uint64(1); k <= 50; k++ {
		slot := tab.Find(k)
		if k < 26 {
			assert.Equal(t, int32(-1), slot, "key %d expired", k)
			continue
		}
		s := tab.At(slot, k)
		require.NotNil(t, s, "key %d kept", k)
		assert.Equal(t, int(k), s.State, "key %d keeps its state", k)
	}
	s, _, created, _, _ := tab.Get(7, 0, 100)
	assert.True(t, created, "an expired series comes back as new")
	assert.Zero(t, s.State)
}
