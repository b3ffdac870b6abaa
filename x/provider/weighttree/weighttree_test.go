package weighttree_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	gomath "math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/sovra-network/sovra/x/provider/weighttree"
)

// memStore is an in-memory Store that counts its writes.
type memStore struct {
	meta    weighttree.Meta
	pages   map[weighttree.PageRef][]byte
	weights map[uint64]math.Int
	free    map[uint64]uint64
	writes  int
}

func newMemStore() *memStore {
	return &memStore{pages: map[weighttree.PageRef][]byte{}, weights: map[uint64]math.Int{}, free: map[uint64]uint64{}}
}

func (s *memStore) Meta(context.Context) (weighttree.Meta, error) { return s.meta, nil }
func (s *memStore) SetMeta(_ context.Context, m weighttree.Meta) error {
	s.writes++
	s.meta = m
	return nil
}

func (s *memStore) Page(_ context.Context, ref weighttree.PageRef) ([]byte, error) {
	return s.pages[ref], nil
}

func (s *memStore) SetPage(_ context.Context, ref weighttree.PageRef, p []byte) error {
	s.writes++
	if len(p) == 0 {
		delete(s.pages, ref)
		return nil
	}
	s.pages[ref] = p
	return nil
}

func (s *memStore) Weight(_ context.Context, slot uint64) (math.Int, error) {
	if w, ok := s.weights[slot]; ok {
		return w, nil
	}
	return math.ZeroInt(), nil
}

func (s *memStore) SetWeight(_ context.Context, slot uint64, w math.Int) error {
	s.writes++
	if w.IsZero() {
		delete(s.weights, slot)
		return nil
	}
	s.weights[slot] = w
	return nil
}

func (s *memStore) FreeSlot(_ context.Context, i uint64) (uint64, error) { return s.free[i], nil }
func (s *memStore) SetFreeSlot(_ context.Context, i, slot uint64) error {
	s.writes++
	s.free[i] = slot
	return nil
}

func (s *memStore) DeleteFreeSlot(_ context.Context, i uint64) error {
	s.writes++
	delete(s.free, i)
	return nil
}

// readerStore is a memStore that gives draws a page reader, counting its reads.
type readerStore struct {
	*memStore
	reads int
}

func (s *readerStore) PageReader(ctx context.Context) func(weighttree.PageRef) ([]byte, error) {
	return func(ref weighttree.PageRef) ([]byte, error) {
		s.reads++
		return s.Page(ctx, ref)
	}
}

var ctx = context.Background()

// alloc hands out n slots with the given weights.
func alloc(t *testing.T, tree weighttree.Tree, weights ...int64) []uint64 {
	t.Helper()
	var slots []uint64
	for _, w := range weights {
		slot, err := tree.Alloc(ctx)
		require.NoError(t, err)
		require.NoError(t, tree.Set(ctx, slot, math.NewInt(w)))
		slots = append(slots, slot)
	}
	return slots
}

// requireSums checks every prefix sum, the total and the tree's own check against want
// (want[slot] is the weight of slot; want[0] unused).
func requireSums(t *testing.T, tree weighttree.Tree, want []int64, used uint64) {
	t.Helper()
	var cum int64
	for slot := 1; slot < len(want); slot++ {
		cum += want[slot]
		got, err := tree.PrefixSum(ctx, uint64(slot))
		require.NoError(t, err)
		require.Equal(t, cum, got.Int64(), "prefix sum to slot %d", slot)
		w, err := tree.Weight(ctx, uint64(slot))
		require.NoError(t, err)
		require.Equal(t, want[slot], w.Int64(), "weight of slot %d", slot)
	}
	total, err := tree.Total(ctx)
	require.NoError(t, err)
	require.Equal(t, cum, total.Int64())
	require.NoError(t, tree.Check(ctx, used))
}

// TestAddUpdateRemove: slots are handed out in order, weights update in place, a released
// slot weighs nothing and is the next one handed out, and every prefix sum follows.
func TestAddUpdateRemove(t *testing.T) {
	tree := weighttree.New(newMemStore())
	total, err := tree.Total(ctx)
	require.NoError(t, err)
	require.True(t, total.IsZero())
	meta, err := tree.Meta(ctx)
	require.NoError(t, err)
	require.Equal(t, weighttree.Meta{NextSlot: 1}, meta)

	slots := alloc(t, tree, 3, 0, 5, 2, 7)
	require.Equal(t, []uint64{1, 2, 3, 4, 5}, slots)
	want := []int64{0, 3, 0, 5, 2, 7}
	requireSums(t, tree, want, 5)

	require.NoError(t, tree.Set(ctx, 3, math.NewInt(1))) // update
	want[3] = 1
	requireSums(t, tree, want, 5)

	require.NoError(t, tree.Release(ctx, 2))
	require.NoError(t, tree.Release(ctx, 4))
	want[4] = 0
	requireSums(t, tree, want, 3)
	meta, err = tree.Meta(ctx)
	require.NoError(t, err)
	require.Equal(t, weighttree.Meta{Size: 8, NextSlot: 6, Free: 2}, meta)

	// Freed slots are reused last-freed first; the tree does not grow.
	slots = alloc(t, tree, 4, 6)
	require.Equal(t, []uint64{4, 2}, slots)
	want[4], want[2] = 4, 6
	requireSums(t, tree, want, 5)
	meta, err = tree.Meta(ctx)
	require.NoError(t, err)
	require.Equal(t, weighttree.Meta{Size: 8, NextSlot: 6, Free: 0}, meta)

	// Setting a weight to what it is writes nothing.
	s := newMemStore()
	tree = weighttree.New(s)
	alloc(t, tree, 9)
	before := s.writes
	require.NoError(t, tree.Set(ctx, 1, math.NewInt(9)))
	require.Equal(t, before, s.writes)

	require.Error(t, tree.Set(ctx, 1, math.NewInt(-1)), "a negative weight")
}

// TestRandomOperations checks every prefix sum against a plain array after each of many
// random allocations, updates and releases, through sizes up to 256 (three page bands).
func TestRandomOperations(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	tree := weighttree.New(newMemStore())
	want := []int64{0}
	var used, free []uint64
	for step := 0; step < 600; step++ {
		switch op := rng.Intn(10); {
		case op < 4 || len(used) == 0:
			slot, err := tree.Alloc(ctx)
			require.NoError(t, err)
			if len(free) > 0 {
				require.Equal(t, free[len(free)-1], slot, "the last freed slot first")
				free = free[:len(free)-1]
			} else {
				require.Equal(t, uint64(len(want)), slot, "the next new slot")
				want = append(want, 0)
			}
			used = append(used, slot)
			w := rng.Int63n(1_000_000)
			require.NoError(t, tree.Set(ctx, slot, math.NewInt(w)))
			want[slot] = w
		case op < 8:
			slot := used[rng.Intn(len(used))]
			w := rng.Int63n(1_000_000)
			require.NoError(t, tree.Set(ctx, slot, math.NewInt(w)))
			want[slot] = w
		default:
			i := rng.Intn(len(used))
			slot := used[i]
			used = append(used[:i], used[i+1:]...)
			require.NoError(t, tree.Release(ctx, slot))
			want[slot] = 0
			free = append(free, slot)
		}
		if step%25 == 0 {
			requireSums(t, tree, want, uint64(len(used)))
		}
	}
	requireSums(t, tree, want, uint64(len(used)))
	meta, err := tree.Meta(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, meta.Size, uint64(64))
}

// TestPageBoundaries: nodes of every level live in pages of four levels; the nodes at the
// edges of a page (positions 1 and 15, levels 0 and 3 of a band) and the first node of the
// next band hold their range sums, stored pages carry no trailing zero node, and a tree
// whose weights are all released stores no page at all.
func TestPageBoundaries(t *testing.T) {
	s := newMemStore()
	tree := weighttree.New(s)
	n := 300 // size 512: bands 0, 1 and 2
	weights := make([]int64, n+1)
	for i := 1; i <= n; i++ {
		weights[i] = int64(i)
	}
	alloc(t, tree, weights[1:]...)
	requireSums(t, tree, weights, uint64(n))
	for _, i := range []uint64{1, 15, 16, 17, 31, 32, 240, 255, 256, 257, 272, 512} {
		node, err := tree.Node(ctx, i)
		require.NoError(t, err)
		low := i - i&-i
		var want int64
		for slot := low + 1; slot <= i && slot <= uint64(n); slot++ {
			want += weights[slot]
		}
		require.Equal(t, want, node.Int64(), "node %d", i)
	}
	for ref, p := range s.pages {
		require.NotZero(t, len(p), "page %v", ref)
		require.Zero(t, len(p)%16, "page %v", ref)
		require.LessOrEqual(t, len(p), weighttree.PageBytes)
		last := p[len(p)-16:]
		require.NotEqual(t, make([]byte, 16), last, "page %v ends with a zero node", ref)
	}
	require.Contains(t, s.pages, weighttree.PageRef{Band: 2, Block: 0}, "node 256 is in band 2")

	for slot := uint64(1); slot <= uint64(n); slot++ {
		require.NoError(t, tree.Release(ctx, slot))
	}
	require.Empty(t, s.pages, "all-zero pages are deleted")
	require.Empty(t, s.weights)
	require.NoError(t, tree.Check(ctx, 0))
}

// TestFindBoundaries checks the tree descent at every r, including the exact cumulative
// boundaries that random seeds almost never hit, and the in-memory removal of a slot.
func TestFindBoundaries(t *testing.T) {
	s := newMemStore()
	tree := weighttree.New(s)
	alloc(t, tree, 3, 0, 5, 2, 0) // slots 1..5, tree size 8
	want := []uint64{1, 1, 1, 3, 3, 3, 3, 3, 4, 4}
	d, err := tree.NewDraw(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(8), d.Size())
	require.Equal(t, int64(10), d.Total().Int64())
	for r, slot := range want {
		got, err := d.Find(math.NewInt(int64(r)))
		require.NoError(t, err)
		require.Equal(t, slot, got, "r=%d", r)
	}
	writes := s.writes
	require.NoError(t, d.Remove(ctx, 3))
	require.Equal(t, int64(5), d.Total().Int64())
	for r, slot := range []uint64{1, 1, 1, 4, 4} {
		got, err := d.Find(math.NewInt(int64(r)))
		require.NoError(t, err)
		require.Equal(t, slot, got, "after removing slot 3, r=%d", r)
	}
	// The draw never writes: the stored total is unchanged.
	require.Equal(t, writes, s.writes)
	total, err := tree.Total(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(10), total.Int64())
}

// TestFindAcrossPages checks every r against a linear scan on a tree spanning two page
// bands (size 64), before and after removing slots from a draw, and that a store's page
// reader serves the draw, each page read once.
func TestFindAcrossPages(t *testing.T) {
	s := &readerStore{memStore: newMemStore()}
	tree := weighttree.New(s)
	weights := make([]int64, 41) // slots 1..40
	for i := 1; i <= 40; i++ {
		weights[i] = int64((i * 7) % 5)
	}
	alloc(t, tree, weights[1:]...)
	check := func(d *weighttree.Draw) {
		t.Helper()
		var cum int64
		for slot := 1; slot <= 40; slot++ {
			for r := cum; r < cum+weights[slot]; r++ {
				got, err := d.Find(math.NewInt(r))
				require.NoError(t, err)
				require.Equal(t, uint64(slot), got, "r=%d", r)
			}
			cum += weights[slot]
		}
		require.Equal(t, cum, d.Total().Int64())
	}
	d, err := tree.NewDraw(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(64), d.Size())
	check(d)
	for _, slot := range []uint64{16, 33, 1, 40} {
		require.NoError(t, d.Remove(ctx, slot))
		weights[slot] = 0
		check(d)
	}
	require.Positive(t, s.reads)
	require.LessOrEqual(t, s.reads, len(s.pages), "each page read once a draw")
}

// TestWeightedDraw: over many seeds each slot is drawn in proportion to its weight,
// within 4.5 binomial standard deviations (the seeds are fixed, so this cannot flake),
// and a zero-weight slot never.
func TestWeightedDraw(t *testing.T) {
	tree := weighttree.New(newMemStore())
	weights := []int64{1, 2, 3, 0, 5, 8, 13, 21} // slots 1..8
	alloc(t, tree, weights...)
	var total int64
	for _, w := range weights {
		total += w
	}
	const draws = 20000
	counts := make([]int, len(weights)+1)
	d, err := tree.NewDraw(ctx)
	require.NoError(t, err)
	for i := 0; i < draws; i++ {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		seed := sha256.Sum256(b[:])
		slot, err := d.FindSeed(seed[:])
		require.NoError(t, err)
		counts[slot]++
	}
	for i, w := range weights {
		slot := i + 1
		if w == 0 {
			require.Zero(t, counts[slot], "zero-weight slot %d drawn", slot)
			continue
		}
		p := float64(w) / float64(total)
		mean := draws * p
		sigma := gomath.Sqrt(draws * p * (1 - p))
		require.InDelta(t, mean, float64(counts[slot]), 4.5*sigma, "slot %d weight %d", slot, w)
	}
}

// TestCheckFindsCorruption: Check refuses a node that is not its range sum, a weight on a
// slot never handed out, and a free stack that does not match the slots in use.
func TestCheckFindsCorruption(t *testing.T) {
	s := newMemStore()
	tree := weighttree.New(s)
	alloc(t, tree, 3, 4, 5)
	require.NoError(t, tree.Check(ctx, 3))
	require.Error(t, tree.Check(ctx, 2), "one slot unaccounted for")

	ref := weighttree.PageRef{Band: 0, Block: 0}
	saved := append([]byte(nil), s.pages[ref]...)
	s.pages[ref][15]++ // node 1
	require.ErrorContains(t, tree.Check(ctx, 3), "node 1")
	s.pages[ref] = saved

	s.weights[4] = math.NewInt(1) // slot 4 was never handed out
	require.ErrorContains(t, tree.Check(ctx, 3), "slot 4")
	delete(s.weights, 4)
	require.NoError(t, tree.Check(ctx, 3))

	s.pages[ref] = saved[:15] // not a whole number of nodes
	_, err := tree.Node(ctx, 1)
	require.ErrorContains(t, err, "bad length")
}
