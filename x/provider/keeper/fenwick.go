package keeper

// A per-model Fenwick (binary indexed) tree over provider slots gives O(log n) weight
// updates and O(log n) stake-weighted draws. Slots are 1-based; node i holds the sum of the
// weights of slots (i − lowbit(i), i]. The tree length is a power of two, so node[size] is
// the total. Slots freed when a provider stops serving a model are reused (a stack), so a
// tree never outgrows the model's peak provider count.
//
// Storage: nodes are grouped into pages of pageLevels tree levels, counted from the leaves,
// so a draw's descent (one node per level) reads ⌈levels/4⌉ store values instead of one per
// level, and an update writes as few pages. Node i with level lv = trailing zeros of i lives
// in page (band = lv/4, block = i >> 4(band+1)) at position (i >> 4band) & 15 (1..15). The
// layout does not depend on the tree size, so doubling stays O(1): node[2·size] = node[size].
// A page holds 15 unsigned 128-bit big-endian sums (trailing zero positions are not stored);
// missing pages and weights read as zero.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"

	"cosmossdk.io/collections"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

const (
	pageLevels = 4                 // tree levels per stored page
	pageNodes  = 1<<pageLevels - 1 // nodes per page
	nodeBytes  = 16                // a node sum is an unsigned 128-bit integer
	pageBytes  = pageNodes * nodeBytes
)

func lowbit(i uint64) uint64 { return i & -i }

// pageRef names the page holding a node.
type pageRef struct {
	band  uint32
	block uint64
}

func pageOf(i uint64) (pageRef, int) {
	band := bits.TrailingZeros64(i) / pageLevels
	shift := uint(band * pageLevels)
	return pageRef{band: uint32(band), block: i >> (shift + pageLevels)}, int((i >> shift) & pageNodes)
}

// treePage holds node at position p in bytes [(p−1)·16, p·16); bytes past its end are zero
// (stored pages omit trailing zero nodes).
type treePage []byte

func (p treePage) get(pos int) math.Int {
	end := pos * nodeBytes
	if end > len(p) {
		return math.ZeroInt()
	}
	return math.NewIntFromBigIntMut(new(big.Int).SetBytes(p[end-nodeBytes : end]))
}

func (p treePage) set(pos int, v math.Int) error {
	if v.IsNegative() || v.BigIntMut().BitLen() > 8*nodeBytes {
		return fmt.Errorf("weight tree node value %s out of range [0, 2^128)", v)
	}
	v.BigIntMut().FillBytes(p[(pos-1)*nodeBytes : pos*nodeBytes])
	return nil
}

// readPage returns a stored page as is (read-only: it may alias the store's cache).
func (k Keeper) readPage(ctx context.Context, model string, ref pageRef) (treePage, error) {
	raw, err := k.TreePages.Get(ctx, collections.Join3(model, ref.band, ref.block))
	if errors.Is(err, collections.ErrNotFound) {
		return treePage{}, nil
	}
	if err != nil {
		return nil, err
	}
	return checkPage(model, raw)
}

// checkPage refuses a stored page whose length is not a whole number of nodes.
func checkPage(model string, raw []byte) (treePage, error) {
	if len(raw) > pageBytes || len(raw)%nodeBytes != 0 {
		return nil, fmt.Errorf("weight tree page of model %s: bad length %d", model, len(raw))
	}
	return raw, nil
}

// loadPage returns a full-length private copy of a page, for updates.
func (k Keeper) loadPage(ctx context.Context, model string, ref pageRef) (treePage, error) {
	raw, err := k.readPage(ctx, model, ref)
	if err != nil {
		return nil, err
	}
	page := make(treePage, pageBytes)
	copy(page, raw)
	return page, nil
}

// storePage writes a page without its trailing zero nodes (an all-zero page is deleted).
func (k Keeper) storePage(ctx context.Context, model string, ref pageRef, page treePage) error {
	n := len(page)
	for n > 0 && page[n-1] == 0 {
		n--
	}
	n = (n + nodeBytes - 1) / nodeBytes * nodeBytes
	key := collections.Join3(model, ref.band, ref.block)
	if n == 0 {
		return k.TreePages.Remove(ctx, key)
	}
	return k.TreePages.Set(ctx, key, append([]byte(nil), page[:n]...))
}

// TreeNode returns node i of a model's weight tree (for invariants and tests).
func (k Keeper) TreeNode(ctx context.Context, model string, i uint64) (math.Int, error) {
	ref, pos := pageOf(i)
	page, err := k.readPage(ctx, model, ref)
	if err != nil {
		return math.Int{}, err
	}
	return page.get(pos), nil
}

func (k Keeper) treeMeta(ctx context.Context, model string) (TreeMeta, error) {
	m, err := k.TreeMeta.Get(ctx, model)
	if errors.Is(err, collections.ErrNotFound) {
		return TreeMeta{NextSlot: 1}, nil
	}
	return m, err
}

func (k Keeper) slotWeight(ctx context.Context, model string, slot uint64) (math.Int, error) {
	w, err := k.TreeWeight.Get(ctx, collections.Join(model, slot))
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return w, err
}

// TotalWeight is the sum of the draw weights of a model's providers.
func (k Keeper) TotalWeight(ctx context.Context, model string) (math.Int, error) {
	meta, err := k.treeMeta(ctx, model)
	if err != nil || meta.Size == 0 {
		return math.ZeroInt(), err
	}
	return k.TreeNode(ctx, model, meta.Size)
}

// treeAdd adds delta to a slot: the nodes slot, slot+lowbit(slot), … ≤ size, one page read
// and write per page touched.
func (k Keeper) treeAdd(ctx context.Context, model string, size, slot uint64, delta math.Int) error {
	var (
		cur  pageRef
		page treePage
		err  error
	)
	for i := slot; i <= size; i += lowbit(i) {
		ref, pos := pageOf(i)
		if page == nil || ref != cur {
			if page != nil {
				if err := k.storePage(ctx, model, cur, page); err != nil {
					return err
				}
			}
			if page, err = k.loadPage(ctx, model, ref); err != nil {
				return err
			}
			cur = ref
		}
		v := page.get(pos).Add(delta)
		if v.IsNegative() {
			return fmt.Errorf("weight tree of model %s: node %d would be negative (%s)", model, i, v)
		}
		if err := page.set(pos, v); err != nil {
			return err
		}
	}
	if page == nil {
		return nil
	}
	return k.storePage(ctx, model, cur, page)
}

// ensureSlot returns the operator's slot in the model's tree, allocating one (the most
// recently freed slot first, else the next new one) if needed.
func (k Keeper) ensureSlot(ctx context.Context, model string, operator sdk.AccAddress) (uint64, error) {
	slot, err := k.TreeSlot.Get(ctx, collections.Join(model, operator))
	if err == nil {
		return slot, nil
	}
	if !errors.Is(err, collections.ErrNotFound) {
		return 0, err
	}
	meta, err := k.treeMeta(ctx, model)
	if err != nil {
		return 0, err
	}
	if meta.Free > 0 {
		key := collections.Join(model, meta.Free)
		if slot, err = k.TreeFreeSlots.Get(ctx, key); err != nil {
			return 0, err
		}
		if err := k.TreeFreeSlots.Remove(ctx, key); err != nil {
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
			total, err := k.TreeNode(ctx, model, meta.Size)
			if err != nil {
				return 0, err
			}
			meta.Size *= 2
			if err := k.setTreeNode(ctx, model, meta.Size, total); err != nil {
				return 0, err
			}
		}
	}
	if err := k.TreeMeta.Set(ctx, model, meta); err != nil {
		return 0, err
	}
	if err := k.TreeSlot.Set(ctx, collections.Join(model, operator), slot); err != nil {
		return 0, err
	}
	return slot, k.TreeSlotOwner.Set(ctx, collections.Join(model, slot), operator)
}

func (k Keeper) setTreeNode(ctx context.Context, model string, i uint64, v math.Int) error {
	ref, pos := pageOf(i)
	page, err := k.loadPage(ctx, model, ref)
	if err != nil {
		return err
	}
	if err := page.set(pos, v); err != nil {
		return err
	}
	return k.storePage(ctx, model, ref, page)
}

// setProviderWeight sets an operator's weight in a model's tree, allocating its slot.
func (k Keeper) setProviderWeight(ctx context.Context, model string, operator sdk.AccAddress, w math.Int) error {
	slot, err := k.ensureSlot(ctx, model, operator)
	if err != nil {
		return err
	}
	return k.setSlotWeight(ctx, model, slot, w)
}

func (k Keeper) setSlotWeight(ctx context.Context, model string, slot uint64, w math.Int) error {
	old, err := k.slotWeight(ctx, model, slot)
	if err != nil {
		return err
	}
	delta := w.Sub(old)
	if delta.IsZero() {
		return nil
	}
	meta, err := k.treeMeta(ctx, model)
	if err != nil {
		return err
	}
	if err := k.treeAdd(ctx, model, meta.Size, slot, delta); err != nil {
		return err
	}
	if w.IsZero() {
		return k.TreeWeight.Remove(ctx, collections.Join(model, slot))
	}
	return k.TreeWeight.Set(ctx, collections.Join(model, slot), w)
}

// releaseSlot zeroes an operator's weight in a model and pushes its slot on the free stack.
func (k Keeper) releaseSlot(ctx context.Context, model string, operator sdk.AccAddress) error {
	key := collections.Join(model, operator)
	slot, err := k.TreeSlot.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := k.setSlotWeight(ctx, model, slot, math.ZeroInt()); err != nil {
		return err
	}
	if err := k.TreeSlot.Remove(ctx, key); err != nil {
		return err
	}
	if err := k.TreeSlotOwner.Remove(ctx, collections.Join(model, slot)); err != nil {
		return err
	}
	meta, err := k.treeMeta(ctx, model)
	if err != nil {
		return err
	}
	meta.Free++
	if err := k.TreeFreeSlots.Set(ctx, collections.Join(model, meta.Free), slot); err != nil {
		return err
	}
	return k.TreeMeta.Set(ctx, model, meta)
}

// ProviderWeight is an operator's current draw weight in a model (zero when absent).
func (k Keeper) ProviderWeight(ctx context.Context, model string, operator sdk.AccAddress) (math.Int, error) {
	slot, err := k.TreeSlot.Get(ctx, collections.Join(model, operator))
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	if err != nil {
		return math.Int{}, err
	}
	return k.slotWeight(ctx, model, slot)
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

// drawView reads a model's tree with in-memory subtractions, so a draw can take slots out
// (rejected or already drawn providers) without writing state. It keeps the last page read
// (a descent visits each page once, top-down). Map lookups only, never map iteration, so
// it stays deterministic.
type drawView struct {
	k       Keeper
	model   string
	size    uint64
	total   math.Int
	removed map[uint64]u128 // node index → weight taken out of it
	// pages read so far: successive draws of one view (a verifier draw takes several)
	// share the upper levels of the tree, so each page is read from the store once.
	pages map[pageRef]treePage
	// kv is the module store, opened once for the view's page reads (opening it per read
	// was a fixed cost on every level of every draw).
	kv corestore.KVStore
}

func (k Keeper) newDrawView(ctx context.Context, model string) (*drawView, error) {
	meta, err := k.treeMeta(ctx, model)
	if err != nil {
		return nil, err
	}
	v := &drawView{k: k, model: model, size: meta.Size, total: math.ZeroInt()}
	if meta.Size > 0 {
		total, err := v.node(ctx, meta.Size)
		if err != nil {
			return nil, err
		}
		v.total = total.toInt()
	}
	return v, nil
}

func (v *drawView) node(ctx context.Context, i uint64) (u128, error) {
	ref, pos := pageOf(i)
	page, ok := v.pages[ref]
	if !ok {
		var err error
		if page, err = v.readPage(ctx, ref); err != nil {
			return u128{}, err
		}
		if v.pages == nil {
			v.pages = map[pageRef]treePage{}
		}
		v.pages[ref] = page
	}
	var n u128
	if end := pos * nodeBytes; end <= len(page) {
		n = u128FromBytes(page[end-nodeBytes : end])
	}
	if d, ok := v.removed[i]; ok {
		n = n.sub(d)
	}
	return n, nil
}

// find returns the slot whose cumulative weight range contains r (0 ≤ r < total) by binary
// lifting: one node per level, ⌈log2(size)/4⌉ page reads.
func (v *drawView) find(ctx context.Context, r math.Int) (uint64, error) {
	rem, err := u128FromInt(r)
	if err != nil {
		return 0, err
	}
	pos := uint64(0)
	for step := v.size >> 1; step > 0; step >>= 1 {
		n, err := v.node(ctx, pos+step)
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

// remove takes a slot's weight out of the view.
func (v *drawView) remove(ctx context.Context, slot uint64) error {
	w, err := v.k.slotWeight(ctx, v.model, slot)
	if err != nil || w.IsZero() {
		return err
	}
	wu, err := u128FromInt(w)
	if err != nil {
		return err
	}
	if v.removed == nil {
		v.removed = map[uint64]u128{}
	}
	for i := slot; i <= v.size; i += lowbit(i) {
		v.removed[i] = v.removed[i].add(wu)
	}
	v.total = v.total.Sub(w)
	return nil
}

// readPage is Keeper.readPage through the view's open store.
func (v *drawView) readPage(ctx context.Context, ref pageRef) (treePage, error) {
	if v.kv == nil {
		v.kv = v.k.storeService.OpenKVStore(ctx)
	}
	key, err := collections.EncodeKeyWithPrefix(types.TreePageKey, v.k.TreePages.KeyCodec(), collections.Join3(v.model, ref.band, ref.block))
	if err != nil {
		return nil, err
	}
	raw, err := v.kv.Get(key)
	if err != nil {
		return nil, err
	}
	return checkPage(v.model, raw)
}
