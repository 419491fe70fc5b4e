package series

import "sync/atomic"

// Table holds the state S of series in one flat slice, found by key through the open-addressing
// index, within a Budget it may share with other tables. When the budget is spent, a new series
// evicts one of the table's own, chosen by CLOCK (an approximation of
// least-recently-seen in O(1) amortised time with one bit per series: a series seen since the
// clock hand last passed gets a second chance). Series not seen for a while can be expired
// (Expire) so an idle population does not hold the budget forever. Not safe for concurrent use.
type Table[S any] struct {
	idx    index
	slots  []Slot[S]
	hand   int
	budget *Budget
}

// Budget is one limit on the series held by several tables (the processor's shards, each
// locked on its own): a table grows while the budget has room, and once it is spent a table
// makes room by evicting one of its own series. Tables fed by a well-mixed hash hold near-equal
// shares, so the oldest series of the table at hand is close to the oldest overall, and no
// shard's uneven share evicts while the total is below the limit. A table that holds nothing
// still takes one series over a spent budget (it has nothing to evict), so the total can exceed
// the limit by at most the number of tables less one.
type Budget struct {
	held  atomic.Int64
	limit int64
}

// NewBudget makes a budget of limit series.
func NewBudget(limit int) *Budget { return &Budget{limit: int64(limit)} }

// Held is the number of series the budget's tables hold.
func (b *Budget) Held() int { return int(b.held.Load()) }

// Limit is the budget's limit.
func (b *Budget) Limit() int { return int(b.limit) }

func (b *Budget) take() bool {
	for {
		h := b.held.Load()
		if h >= b.limit {
			return false
		}
		if b.held.CompareAndSwap(h, h+1) {
			return true
		}
	}
}

// Slot is one series: its identity, when it was last seen and its state.
type Slot[S any] struct {
	Key, Group uint64
	LastSeen   int64 // caller's clock (unix seconds), for Expire
	ref        bool  // seen since the clock hand last passed
	State      S
}

// Evicted names a series that left the table (to make room, or expired).
type Evicted struct {
	Key, Group uint64
}

// NewTable makes a table for at most limit series (a budget of its own).
func NewTable[S any](limit int) *Table[S] {
	return NewSharedTable[S](NewBudget(limit))
}

// NewSharedTable makes a table whose series count against b.
func NewSharedTable[S any](b *Budget) *Table[S] {
	return &Table[S]{budget: b}
}

// Len is the number of series held.
func (t *Table[S]) Len() int { return t.idx.n }

func (t *Table[S]) keyOf(slot uint32) uint64 { return t.slots[slot].Key }

// Find returns the slot of a known series, or -1.
func (t *Table[S]) Find(key uint64) int32 {
	i, ok := t.idx.lookup(key, t.keyOf)
	if !ok {
		return -1
	}
	return int32(i)
}

// At returns the slot if it still holds key (a series created since Find may have taken it), or nil.
func (t *Table[S]) At(slot int32, key uint64) *Slot[S] {
	if slot < 0 || int(slot) >= len(t.slots) || t.slots[slot].Key != key {
		return nil
	}
	return &t.slots[slot]
}

// Get returns the slot of key, seen at now, creating it (zero state) in group when new; a new
// series in a full table evicts another, which ev names.
func (t *Table[S]) Get(key, group uint64, now int64) (s *Slot[S], slot int32, created bool, ev Evicted, evicted bool) {
	if i, ok := t.idx.lookup(key, t.keyOf); ok {
		s = &t.slots[i]
		s.ref, s.LastSeen = true, now
		return s, int32(i), false, ev, false
	}
	var at uint32
	took := t.budget.take()
	if !took && len(t.slots) == 0 {
		t.budget.held.Add(1) // nothing of its own to evict: over the limit by one
		took = true
	}
	if took {
		if len(t.slots) == cap(t.slots) { // grow by doubling but never past the limit
			grown := make([]Slot[S], len(t.slots), min(t.budget.Limit()+1, max(2*cap(t.slots), 64)))
			copy(grown, t.slots)
			t.slots = grown
		}
		t.slots = append(t.slots, Slot[S]{})
		at = uint32(len(t.slots) - 1)
	} else {
		for { // CLOCK: give every recently seen series a second chance, evict the first that is not
			if t.hand >= len(t.slots) {
				t.hand = 0
			}
			if !t.slots[t.hand].ref {
				break
			}
			t.slots[t.hand].ref = false
			t.hand++
		}
		at = uint32(t.hand)
		t.hand++
		ev, evicted = Evicted{Key: t.slots[at].Key, Group: t.slots[at].Group}, true
		t.idx.remove(ev.Key, t.keyOf)
	}
	// A new series starts unreferenced: a one-off series is the first to go unless seen again,
	// so a burst of new series cannot flush the steady ones.
	t.slots[at] = Slot[S]{Key: key, Group: group, LastSeen: now}
	t.idx.insert(key, at, t.keyOf)
	return &t.slots[at], int32(at), true, ev, evicted
}

// Touch marks a slot seen at now (Find does not, so a lookup that ends up unused costs nothing).
func (t *Table[S]) Touch(s *Slot[S], now int64) { s.ref, s.LastSeen = true, now }

// Expire removes every series last seen before cutoff, calling gone for each; it compacts the
// slice (the last slot moves into each hole), so slots found before may now hold another series
// (At tells).
func (t *Table[S]) Expire(cutoff int64, gone func(Evicted)) {
	for i := 0; i < len(t.slots); {
		s := &t.slots[i]
		if s.LastSeen >= cutoff {
			i++
			continue
		}
		gone(Evicted{Key: s.Key, Group: s.Group})
		t.idx.remove(s.Key, t.keyOf)
		t.budget.held.Add(-1)
		last := len(t.slots) - 1
		if i != last {
			moved := t.slots[last].Key
			t.idx.remove(moved, t.keyOf)
			t.slots[i] = t.slots[last]
			t.idx.insert(moved, uint32(i), t.keyOf)
		}
		var zero Slot[S]
		t.slots[last] = zero // drop references held by the state
		t.slots = t.slots[:last]
		if t.hand > len(t.slots) {
			t.hand = 0
		}
	}
}

// All calls f for every slot (for snapshots and tests).
func (t *Table[S]) All(f func(*Slot[S])) {
	for i := range t.slots {
		f(&t.slots[i])
	}
}
