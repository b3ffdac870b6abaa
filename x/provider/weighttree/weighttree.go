// Package weighttree is a paged Fenwick (binary indexed) tree of non-negative weights over
// slots, for O(log n) weight updates, prefix sums and weighted draws, kept in a small
// storage interface (Store). x/provider keeps one tree per model, whose slots are its
// providers and whose weights are their draw weights.
//
// Slots are 1-based; node i holds the sum of the weights of slots (i − lowbit(i), i]. The
// tree length (Meta.Size) is a power of two, so node[Size] is the total. Slots freed by
// Release are reused (a stack), so a tree never outgrows its peak number of slots.
//
// Storage: nodes are grouped into pages of PageLevels tree levels, counted from the
// leaves, so a draw's descent (one node per level) reads ⌈levels/4⌉ pages instead of one
// node per level, and an update writes as few pages. Node i with level lv = trailing zeros
// of i lives in page (band = lv/4, block = i >> 4(band+1)) at position (i >> 4band) & 15
// (1..15). The layout does not depend on the tree size, so doubling stays O(1):
// node[2·size] = node[size]. A page holds 15 unsigned 128-bit big-endian sums (trailing
// zero nodes are not stored); missing pages and weights read as zero.
package weighttree

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"

	"cosmossdk.io/math"
)

const (
	// PageLevels is the number of tree levels a page holds.
	PageLevels = 4
	pageNodes  = 1<<PageLevels - 1 // nodes per page
	nodeBytes  = 16                // a node sum is an unsigned 128-bit integer
	// PageBytes is the length of a full page.
	PageBytes = pageNodes * nodeBytes
)

// Meta describes a tree: Size is its length (a power of two, 0 before the first slot),
// NextSlot the next never-used 1-based slot, and Free the number of freed slots on the
// free-slot stack.
type Meta struct {
	Size     uint64 `json:"size"`
	NextSlot uint64 `json:"next_slot"`
	Free     uint64 `json:"free"`
}

// PageRef names a stored page.
type PageRef struct {
	Band  uint32
	Block uint64
}

// Store is the storage of one tree. Every method maps to one read, write or delete of the
// module's store; absent values read as zero.
type Store interface {
	// Meta returns the tree's meta, the zero Meta when none is stored.
	Meta(ctx context.Context) (Meta, error)
	SetMeta(ctx context.Context, m Meta) error
	// Page returns a stored page, nil when absent. The tree never modifies it.
	Page(ctx context.Context, ref PageRef) ([]byte, error)
	// SetPage stores a page; an empty page is deleted.
	SetPage(ctx context.Context, ref PageRef, page []byte) error
	// Weight returns a slot's weight, zero when absent.
	Weight(ctx context.Context, slot uint64) (math.Int, error)
	// SetWeight stores a slot's weight; a zero weight is deleted.
	SetWeight(ctx context.Context, slot uint64, w math.Int) error
	// FreeSlot returns entry i (1-based) of the free-slot stack; SetFreeSlot and
	// DeleteFreeSlot write and delete it.
	FreeSlot(ctx context.Context, i uint64) (uint64, error)
	SetFreeSlot(ctx context.Context, i, slot uint64) error
	DeleteFreeSlot(ctx context.Context, i uint64) error
}

// PageReaders is implemented by a Store that can read many pages of one context more
// cheaply than Page does one by one (for instance by opening the module store once); a
// draw then uses it for its descent.
type PageReaders interface {
	PageReader(ctx context.Context) func(PageRef) ([]byte, error)
}

// Tree is a weight tree over a Store.
type Tree struct{ store Store }

// New returns the tree kept in store.
func New(store Store) Tree { return Tree{store: store} }

func lowbit(i uint64) uint64 { return i & -i }

func pageOf(i uint64) (PageRef, int) {
	band := uint32(bits.TrailingZeros64(i)) / PageLevels //nolint:gosec // at most 64
	shift := band * PageLevels
	return PageRef{Band: band, Block: i >> (shift + PageLevels)}, int((i >> shift) & pageNodes)
}

// page holds node at position p in bytes [(p−1)·16, p·16); bytes past its end are zero
// (stored pages omit trailing zero nodes).
type page []byte

func (p page) get(pos int) math.Int {
	end := pos * nodeBytes
	if end > len(p) {
		return math.ZeroInt()
	}
	return math.NewIntFromBigIntMut(new(big.Int).SetBytes(p[end-nodeBytes : end]))
}

func (p page) set(pos int, v math.Int) error {
	if v.IsNegative() || v.BigIntMut().BitLen() > 8*nodeBytes {
		return fmt.Errorf("weight tree node value %s out of range [0, 2^128)", v)
	}
	v.BigIntMut().FillBytes(p[(pos-1)*nodeBytes : pos*nodeBytes])
	return nil
}

// checkPage refuses a stored page whose length is not a whole number of nodes.
func checkPage(raw []byte) (page, error) {
	if len(raw) > PageBytes || len(raw)%nodeBytes != 0 {
		return nil, fmt.Errorf("weight tree page: bad length %d", len(raw))
	}
	return raw, nil
}

// readPage returns a stored page as is (read-only: it may alias the store's cache).
func (t Tree) readPage(ctx context.Context, ref PageRef) (page, error) {
	raw, err := t.store.Page(ctx, ref)
	if err != nil {
		return nil, err
	}
	return checkPage(raw)
}

// loadPage returns a full-length private copy of a page, for updates.
func (t Tree) loadPage(ctx context.Context, ref PageRef) (page, error) {
	raw, err := t.readPage(ctx, ref)
	if err != nil {
		return nil, err
	}
	p := make(page, PageBytes)
	copy(p, raw)
	return p, nil
}

// storePage writes a page without its trailing zero nodes (an all-zero page is deleted).
func (t Tree) storePage(ctx context.Context, ref PageRef, p page) error {
	n := len(p)
	for n > 0 && p[n-1] == 0 {
		n--
	}
	n = (n + nodeBytes - 1) / nodeBytes * nodeBytes
	if n == 0 {
		return t.store.SetPage(ctx, ref, nil)
	}
	return t.store.SetPage(ctx, ref, append([]byte(nil), p[:n]...))
}

// Meta returns the tree's meta (NextSlot 1 for a tree that never had a slot).
func (t Tree) Meta(ctx context.Context) (Meta, error) {
	m, err := t.store.Meta(ctx)
	if err != nil {
		return Meta{}, err
	}
	if m.NextSlot == 0 {
		m.NextSlot = 1
	}
	return m, nil
}

// Node returns node i of the tree.
func (t Tree) Node(ctx context.Context, i uint64) (math.Int, error) {
	ref, pos := pageOf(i)
	p, err := t.readPage(ctx, ref)
	if err != nil {
		return math.Int{}, err
	}
	return p.get(pos), nil
}

func (t Tree) setNode(ctx context.Context, i uint64, v math.Int) error {
	ref, pos := pageOf(i)
	p, err := t.loadPage(ctx, ref)
	if err != nil {
		return err
	}
	if err := p.set(pos, v); err != nil {
		return err
	}
	return t.storePage(ctx, ref, p)
}

// Weight is a slot's weight (zero for a free or never-used slot).
func (t Tree) Weight(ctx context.Context, slot uint64) (math.Int, error) {
	return t.store.Weight(ctx, slot)
}

// Total is the sum of all weights.
func (t Tree) Total(ctx context.Context) (math.Int, error) {
	meta, err := t.Meta(ctx)
	if err != nil || meta.Size == 0 {
		return math.ZeroInt(), err
	}
	return t.Node(ctx, meta.Size)
}

// PrefixSum is the sum of the weights of slots 1..slot (slots past the tree's size add
// nothing).
func (t Tree) PrefixSum(ctx context.Context, slot uint64) (math.Int, error) {
	meta, err := t.Meta(ctx)
	if err != nil {
		return math.Int{}, err
	}
	sum := math.ZeroInt()
	for i := min(slot, meta.Size); i > 0; i -= lowbit(i) {
		n, err := t.Node(ctx, i)
		if err != nil {
			return math.Int{}, err
		}
		sum = sum.Add(n)
	}
	return sum, nil
}

// add adds delta to a slot: the nodes slot, slot+lowbit(slot), … ≤ size, one page read
// and write per page touched.
func (t Tree) add(ctx context.Context, size, slot uint64, delta math.Int) error {
	var (
		cur PageRef
		p   page
		err error
	)
	for i := slot; i <= size; i += lowbit(i) {
		ref, pos := pageOf(i)
		if p == nil || ref != cur {
			if p != nil {
				if err := t.storePage(ctx, cur, p); err != nil {
					return err
				}
			}
			if p, err = t.loadPage(ctx, ref); err != nil {
				return err
			}
			cur = ref
		}
		v := p.get(pos).Add(delta)
		if v.IsNegative() {
			return fmt.Errorf("weight tree: node %d would be negative (%s)", i, v)
		}
		if err := p.set(pos, v); err != nil {
			return err
		}
	}
	if p == nil {
		return nil
	}
	return t.storePage(ctx, cur, p)
}

// Alloc hands out a slot: the most recently freed one, else the next new one (doubling
// the tree, in O(1), when it is full). The slot's weight is zero.
func (t Tree) Alloc(ctx context.Context) (uint64, error) {
	meta, err := t.Meta(ctx)
	if err != nil {
		return 0, err
	}
	var slot uint64
	if meta.Free > 0 {
		if slot, err = t.store.FreeSlot(ctx, meta.Free); err != nil {
			return 0, err
		}
		if err := t.store.DeleteFreeSlot(ctx, meta.Free); err != nil {
			return 0, err
		}
		meta.Free--
	} else {
		slot = meta.NextSlot
		meta.NextSlot++
		if meta.Size == 0 {
			meta.Size = 1
		}
		// Doubling is O(1): nodes size+1..2size−1 cover only unused slots (zero), and
		// node[2size] covers everything, i.e. the old total.
		for slot > meta.Size {
			total, err := t.Node(ctx, meta.Size)
			if err != nil {
				return 0, err
			}
			meta.Size *= 2
			if err := t.setNode(ctx, meta.Size, total); err != nil {
				return 0, err
			}
		}
	}
	return slot, t.store.SetMeta(ctx, meta)
}

// Set sets a slot's weight (w ≥ 0; the slot must have been allocated).
func (t Tree) Set(ctx context.Context, slot uint64, w math.Int) error {
	old, err := t.store.Weight(ctx, slot)
	if err != nil {
		return err
	}
	delta := w.Sub(old)
	if delta.IsZero() {
		return nil
	}
	meta, err := t.Meta(ctx)
	if err != nil {
		return err
	}
	if err := t.add(ctx, meta.Size, slot, delta); err != nil {
		return err
	}
	return t.store.SetWeight(ctx, slot, w)
}

// Release zeroes a slot's weight and pushes it on the free-slot stack for reuse.
func (t Tree) Release(ctx context.Context, slot uint64) error {
	if err := t.Set(ctx, slot, math.ZeroInt()); err != nil {
		return err
	}
	meta, err := t.Meta(ctx)
	if err != nil {
		return err
	}
	meta.Free++
	if err := t.store.SetFreeSlot(ctx, meta.Free, slot); err != nil {
		return err
	}
	return t.store.SetMeta(ctx, meta)
}

// Check verifies the tree against first principles: the size is a power of two covering
// every slot handed out, the free stack holds free (slots handed out − used) entries, and
// every node equals the sum of the weights of its slot range. used is the number of slots
// in use (the caller's owners). O(size · log size): for invariants and tests.
func (t Tree) Check(ctx context.Context, used uint64) error {
	meta, err := t.Meta(ctx)
	if err != nil {
		return err
	}
	if meta.Size&(meta.Size-1) != 0 || meta.NextSlot-1 > meta.Size {
		return fmt.Errorf("size %d, next slot %d", meta.Size, meta.NextSlot)
	}
	if handedOut := meta.NextSlot - 1; used > handedOut || handedOut-used != meta.Free {
		return fmt.Errorf("%d slots handed out, %d in use, free stack holds %d", handedOut, used, meta.Free)
	}
	prefix := make([]math.Int, meta.Size+1)
	prefix[0] = math.ZeroInt()
	for i := uint64(1); i <= meta.Size; i++ {
		w, err := t.store.Weight(ctx, i)
		if err != nil {
			return err
		}
		if w.IsNegative() || (i >= meta.NextSlot && !w.IsZero()) {
			return fmt.Errorf("slot %d weight %s", i, w)
		}
		prefix[i] = prefix[i-1].Add(w)
	}
	for i := uint64(1); i <= meta.Size; i++ {
		got, err := t.Node(ctx, i)
		if err != nil {
			return err
		}
		if want := prefix[i].Sub(prefix[i-lowbit(i)]); !got.Equal(want) {
			return fmt.Errorf("node %d is %s, slot range sums to %s", i, got, want)
		}
	}
	return nil
}

// u128 is an unsigned 128-bit node value; draws descend the tree in u128 arithmetic so a
// level costs no allocation.
type u128 struct{ hi, lo uint64 }

func u128FromBytes(b []byte) u128 {
	return u128{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:16])}
}

func u128FromInt(v math.Int) (u128, error) {
	if v.IsNegative() || v.BigIntMut().BitLen() > 8*nodeBytes {
		return u128{}, fmt.Errorf("weight %s out of range [0, 2^128)", v)
	}
	var b [nodeBytes]byte
	v.BigIntMut().FillBytes(b[:])
	return u128FromBytes(b[:]), nil
}

func (a u128) toInt() math.Int {
	var b [nodeBytes]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return math.NewIntFromBigIntMut(new(big.Int).SetBytes(b[:]))
}

func (a u128) lessEq(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo <= b.lo }

func (a u128) sub(b u128) u128 {
	lo, borrow := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, borrow)
	return u128{hi: hi, lo: lo}
}

func (a u128) add(b u128) u128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, carry)
	return u128{hi: hi, lo: lo}
}

// Draw reads a tree with in-memory subtractions, so a draw can take slots out (rejected or
// already drawn ones) without writing state. Map lookups only, never map iteration, so it
// stays deterministic.
type Draw struct {
	t       Tree
	size    uint64
	total   math.Int
	removed map[uint64]u128 // node index → weight taken out of it
	// pages read so far: successive draws of one view (a verifier draw takes several)
	// share the upper levels of the tree, so each page is read from the store once.
	pages map[PageRef]page
	// read reads a page (the store's PageReader when it has one, opened once a draw).
	read func(PageRef) ([]byte, error)
}

// NewDraw starts a draw on the tree's current weights.
func (t Tree) NewDraw(ctx context.Context) (*Draw, error) {
	meta, err := t.Meta(ctx)
	if err != nil {
		return nil, err
	}
	d := &Draw{t: t, size: meta.Size, total: math.ZeroInt()}
	if pr, ok := t.store.(PageReaders); ok {
		d.read = pr.PageReader(ctx)
	} else {
		d.read = func(ref PageRef) ([]byte, error) { return t.store.Page(ctx, ref) }
	}
	if meta.Size > 0 {
		total, err := d.node(meta.Size)
		if err != nil {
			return nil, err
		}
		d.total = total.toInt()
	}
	return d, nil
}

// Size is the tree's length when the draw started.
func (d *Draw) Size() uint64 { return d.size }

// Total is the weight left in the draw (the tree's total less what was removed).
func (d *Draw) Total() math.Int { return d.total }

func (d *Draw) node(i uint64) (u128, error) {
	ref, pos := pageOf(i)
	p, ok := d.pages[ref]
	if !ok {
		raw, err := d.read(ref)
		if err != nil {
			return u128{}, err
		}
		if p, err = checkPage(raw); err != nil {
			return u128{}, err
		}
		if d.pages == nil {
			d.pages = map[PageRef]page{}
		}
		d.pages[ref] = p
	}
	var n u128
	if end := pos * nodeBytes; end <= len(p) {
		n = u128FromBytes(p[end-nodeBytes : end])
	}
	if r, ok := d.removed[i]; ok {
		n = n.sub(r)
	}
	return n, nil
}

// Find returns the slot whose cumulative weight range contains r (0 ≤ r < Total) by
// binary lifting: one node per level, ⌈log2(size)/4⌉ page reads.
func (d *Draw) Find(r math.Int) (uint64, error) {
	rem, err := u128FromInt(r)
	if err != nil {
		return 0, err
	}
	pos := uint64(0)
	for step := d.size >> 1; step > 0; step >>= 1 {
		n, err := d.node(pos + step)
		if err != nil {
			return 0, err
		}
		if n.lessEq(rem) {
			pos += step
			rem = rem.sub(n)
		}
	}
	return pos + 1, nil
}

// FindSeed maps a seed to a slot: r = big-endian(seed) mod Total, then Find. Total must be
// positive.
func (d *Draw) FindSeed(seed []byte) (uint64, error) {
	r := new(big.Int).SetBytes(seed)
	r.Mod(r, d.total.BigIntMut())
	return d.Find(math.NewIntFromBigIntMut(r))
}

// Remove takes a slot's weight out of the draw.
func (d *Draw) Remove(ctx context.Context, slot uint64) error {
	w, err := d.t.store.Weight(ctx, slot)
	if err != nil || w.IsZero() {
		return err
	}
	wu, err := u128FromInt(w)
	if err != nil {
		return err
	}
	if d.removed == nil {
		d.removed = map[uint64]u128{}
	}
	for i := slot; i <= d.size; i += lowbit(i) {
		d.removed[i] = d.removed[i].add(wu)
	}
	d.total = d.total.Sub(w)
	return nil
}
