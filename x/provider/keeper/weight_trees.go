package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/provider/weighttree"
)

// modelTree is the weighttree.Store of one model's draw weights: its meta, pages,
// weights and free-slot stack in the keeper's Tree* collections, keyed by model first.
// Which operator owns which slot (TreeSlot, TreeSlotOwner) is the provider indexes' to
// keep (provider_indexes.go).
type modelTree struct {
	trees weightTrees
	model string
}

var (
	_ weighttree.Store       = modelTree{}
	_ weighttree.PageReaders = modelTree{}
)

// weightTree returns a model's weight tree.
func (k Keeper) weightTree(model string) weighttree.Tree { return k.indexes.trees.tree(model) }

func (s modelTree) Meta(ctx context.Context) (weighttree.Meta, error) {
	m, err := s.trees.meta.Get(ctx, s.model)
	if errors.Is(err, collections.ErrNotFound) {
		return weighttree.Meta{}, nil
	}
	return m, err
}

func (s modelTree) SetMeta(ctx context.Context, m weighttree.Meta) error {
	return s.trees.meta.Set(ctx, s.model, m)
}

func (s modelTree) pageKey(ref weighttree.PageRef) collections.Triple[string, uint32, uint64] {
	return collections.Join3(s.model, ref.Band, ref.Block)
}

func (s modelTree) Page(ctx context.Context, ref weighttree.PageRef) ([]byte, error) {
	raw, err := s.trees.pages.Get(ctx, s.pageKey(ref))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, nil
	}
	return raw, err
}

func (s modelTree) SetPage(ctx context.Context, ref weighttree.PageRef, page []byte) error {
	if len(page) == 0 {
		return s.trees.pages.Remove(ctx, s.pageKey(ref))
	}
	return s.trees.pages.Set(ctx, s.pageKey(ref), page)
}

// PageReader reads pages through the module store opened once (opening it per read was
// a fixed cost on every level of every draw).
func (s modelTree) PageReader(ctx context.Context) func(weighttree.PageRef) ([]byte, error) {
	var kv corestore.KVStore
	return func(ref weighttree.PageRef) ([]byte, error) {
		if kv == nil {
			kv = s.trees.storeService.OpenKVStore(ctx)
		}
		key, err := collections.EncodeKeyWithPrefix(types.TreePageKey, s.trees.pages.KeyCodec(), s.pageKey(ref))
		if err != nil {
			return nil, err
		}
		return kv.Get(key)
	}
}

func (s modelTree) Weight(ctx context.Context, slot uint64) (math.Int, error) {
	w, err := s.trees.weights.Get(ctx, collections.Join(s.model, slot))
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return w, err
}

func (s modelTree) SetWeight(ctx context.Context, slot uint64, w math.Int) error {
	if w.IsZero() {
		return s.trees.weights.Remove(ctx, collections.Join(s.model, slot))
	}
	return s.trees.weights.Set(ctx, collections.Join(s.model, slot), w)
}

func (s modelTree) FreeSlot(ctx context.Context, i uint64) (uint64, error) {
	return s.trees.free.Get(ctx, collections.Join(s.model, i))
}

func (s modelTree) SetFreeSlot(ctx context.Context, i, slot uint64) error {
	return s.trees.free.Set(ctx, collections.Join(s.model, i), slot)
}

func (s modelTree) DeleteFreeSlot(ctx context.Context, i uint64) error {
	return s.trees.free.Remove(ctx, collections.Join(s.model, i))
}

// TreeNode returns node i of a model's weight tree (for invariants and tests).
func (k Keeper) TreeNode(ctx context.Context, model string, i uint64) (math.Int, error) {
	return k.weightTree(model).Node(ctx, i)
}

// TotalWeight is the sum of the draw weights of a model's providers.
func (k Keeper) TotalWeight(ctx context.Context, model string) (math.Int, error) {
	return k.weightTree(model).Total(ctx)
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
	return k.weightTree(model).Weight(ctx, slot)
}
