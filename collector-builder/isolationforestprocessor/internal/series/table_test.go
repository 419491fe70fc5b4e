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

// Tables sharing a budget: with keys spread unevenly over them, none evicts while the total is
// under the limit; once it is spent, a new series evicts within its own table; expiry gives the
// budget back; an empty table still takes one series (it has nothing to evict).
func TestSharedBudget(t *testing.T) {
	b := NewBudget(10)
	tabs := []*Table[int]{NewSharedTable[int](b), NewSharedTable[int](b), NewSharedTable[int](b)}
	for k := uint64(0); k < 10; k++ {
		tab := tabs[0]
		if k >= 7 { // 7 series in the first table, 3 in the second: uneven shares
			tab = tabs[1]
		}
		_, _, created, _, evicted := tab.Get(k, 0, int64(k))
		require.True(t, created)
		require.False(t, evicted, "series %d: the budget has room", k)
	}
	assert.Equal(t, 10, b.Held())
	_, _, _, ev, evicted := tabs[1].Get(100, 0, 20)
	require.True(t, evicted, "the budget is spent: the new series evicts")
	assert.GreaterOrEqual(t, ev.Key, uint64(7), "one of its own table's")
	assert.Equal(t, 10, b.Held())
	_, _, created, _, evicted := tabs[2].Get(200, 0, 20)
	assert.True(t, created && !evicted, "an empty table takes one series over the limit")
	assert.Equal(t, 11, b.Held())
	tabs[0].Expire(5, func(Evicted) {})
	assert.Equal(t, 6, b.Held(), "the five series last seen before 5 gave their places back")
	_, _, _, _, evicted = tabs[2].Get(201, 0, 30)
	assert.False(t, evicted, "room again")
}
