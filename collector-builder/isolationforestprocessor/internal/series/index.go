// Package series keeps per-series state for millions of series: a flat table of slots found by
// an open-addressing index, CLOCK eviction within a limit, and expiry of series idle too long.
package series

// index maps series keys to their state slots: an open-addressing hash table (linear
// probing, at most half full) of 8-byte entries, the high 32 bits of the key as a tag and the slot
// + 1 (0 = empty). A lookup touches one entry cache line and then the slot, which the caller
// reads anyway (the full key is confirmed there); a Go map touches its control word, then the
// key/value, then the slot. With a million series each of those is a cache miss.
// Keys are already well-mixed 64-bit hashes, so the low bits pick the home position.
type index struct {
	entries []uint64
	mask    uint64
	n       int
}

func entryOf(key uint64, slot uint32) uint64 { return key&^0xffffffff | uint64(slot+1) }

func tagMatches(e, key uint64) bool { return e>>32 == key>>32 }

// lookup returns the slot of key; keyOf reads the full key held in a slot.
func (x *index) lookup(key uint64, keyOf func(uint32) uint64) (uint32, bool) {
	if x.n == 0 {
		return 0, false
	}
	for i := key & x.mask; ; i = (i + 1) & x.mask {
		e := x.entries[i]
		if e == 0 {
			return 0, false
		}
		if tagMatches(e, key) {
			if slot := uint32(e) - 1; keyOf(slot) == key {
				return slot, true
			}
		}
	}
}

// insert adds key (not present) at slot, growing the table (rebuilt from keyOf) past half full.
func (x *index) insert(key uint64, slot uint32, keyOf func(uint32) uint64) {
	if 2*(x.n+1) > len(x.entries) {
		x.grow(keyOf)
	}
	i := key & x.mask
	for x.entries[i] != 0 {
		i = (i + 1) & x.mask
	}
	x.entries[i] = entryOf(key, slot)
	x.n++
}

func (x *index) grow(keyOf func(uint32) uint64) {
	old := x.entries
	size := max(64, 2*len(old))
	x.entries, x.mask = make([]uint64, size), uint64(size-1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		slot := uint32(e) - 1
		i := keyOf(slot) & x.mask
		for x.entries[i] != 0 {
			i = (i + 1) & x.mask
		}
		x.entries[i] = e
	}
}

// remove deletes key (keyOf must still return it for its slot), shifting later entries of the
// probe sequence back so that no lookup stops early at the hole (no tombstones).
func (x *index) remove(key uint64, keyOf func(uint32) uint64) {
	if x.n == 0 {
		return
	}
	i := key & x.mask
	for {
		e := x.entries[i]
		if e == 0 {
			return // not present
		}
		if tagMatches(e, key) && keyOf(uint32(e)-1) == key {
			break
		}
		i = (i + 1) & x.mask
	}
	x.n--
	for j := (i + 1) & x.mask; ; j = (j + 1) & x.mask {
		e := x.entries[j]
		if e == 0 {
			break
		}
		home := keyOf(uint32(e)-1) & x.mask
		// Move e into the hole unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			x.entries[i] = e
			i = j
		}
	}
	x.entries[i] = 0
}
