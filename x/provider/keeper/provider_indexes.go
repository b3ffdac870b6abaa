package keeper

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/indexcheck"
	"github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/provider/weighttree"
)

// providerIndexes owns every entry derived from a provider (declared in keeper.go): the
// worker index, the (model, operator) index, the price index and the cached lowest price
// of each model, the price index of providers with a free slot, and each model's weight tree with the slot each operator holds in it.
// Nothing else writes them: sync brings them from a provider's old value to its new one
// (writing only what changed), and check rebuilds them from the providers and compares.
type providerIndexes struct {
	addresses address.Codec
	byWorker  collections.Map[sdk.AccAddress, sdk.AccAddress]
	byModel   collections.KeySet[collections.Pair[string, sdk.AccAddress]]
	byPrice   collections.KeySet[collections.Triple[string, []byte, sdk.AccAddress]]
	minPrices collections.Map[string, math.Int]
	// freeByPrice lists, by price, the providers with draw weight (a free slot).
	freeByPrice collections.KeySet[collections.Triple[string, []byte, sdk.AccAddress]]
	// slots and owners map an operator to its slot in a model's tree and back.
	slots  collections.Map[collections.Pair[string, sdk.AccAddress], uint64]
	owners collections.Map[collections.Pair[string, uint64], sdk.AccAddress]
	trees  weightTrees
}

func newProviderIndexes(k Keeper) providerIndexes {
	return providerIndexes{
		addresses:   k.addressCodec,
		byWorker:    k.ProviderByWorker,
		byModel:     k.ModelProviders,
		byPrice:     k.PriceIndex,
		minPrices:   k.MinPrices,
		freeByPrice: k.FreePriceIndex,
		slots:       k.TreeSlot,
		owners:      k.TreeSlotOwner,
		trees: weightTrees{
			storeService: k.storeService,
			meta:         k.TreeMeta,
			weights:      k.TreeWeight,
			pages:        k.TreePages,
			free:         k.TreeFreeSlots,
		},
	}
}

// sync updates the derived entries from old, indexed under min_bond oldMin, to next
// under newMin (either provider may be nil; the two minimums differ only when the params
// change). Work is proportional to the models touched; unchanged weights and prices cost
// no writes.
func (x providerIndexes) sync(ctx context.Context, operator sdk.AccAddress, old, next *types.Provider, oldMin, newMin math.Int) error {
	if err := x.syncWorker(ctx, operator, old, next); err != nil {
		return err
	}
	oldModels, newModels := modelsOf(old), modelsOf(next)
	for _, m := range oldModels {
		if !contains(newModels, m) {
			if err := x.byModel.Remove(ctx, collections.Join(m, operator)); err != nil {
				return err
			}
			if err := x.releaseSlot(ctx, m, operator); err != nil {
				return err
			}
			if err := x.releaseSlot(ctx, verifierTree(m), operator); err != nil {
				return err
			}
		}
	}
	for _, m := range newModels {
		if !contains(oldModels, m) {
			if err := x.byModel.Set(ctx, collections.Join(m, operator)); err != nil {
				return err
			}
		}
	}

	// Price index: only eligible providers (ACTIVE, bond ≥ min_bond) are listed.
	oldListed := eligible(old, oldMin)
	newListed := eligible(next, newMin)
	priceUnchanged := oldListed == newListed && sameModels(oldModels, newModels) &&
		(!oldListed || old.PricePerToken.Amount.Equal(next.PricePerToken.Amount))
	if !priceUnchanged {
		if oldListed {
			pk := priceKey(old.PricePerToken.Amount)
			for _, m := range oldModels {
				if err := x.byPrice.Remove(ctx, collections.Join3(m, pk, operator)); err != nil {
					return err
				}
			}
		}
		if newListed {
			pk := priceKey(next.PricePerToken.Amount)
			for _, m := range newModels {
				if err := x.byPrice.Set(ctx, collections.Join3(m, pk, operator)); err != nil {
					return err
				}
			}
		}
		for _, m := range union(oldModels, newModels) {
			if err := x.refreshMinPrice(ctx, m); err != nil {
				return err
			}
		}
	}

	oldWeight, newWeight := weightOf(old, oldMin), weightOf(next, newMin)
	if err := x.syncFree(ctx, operator, old, next, oldWeight, newWeight, oldModels, newModels); err != nil {
		return err
	}
	// Weights: every listed model holds a slot (weight possibly zero) in its job tree and
	// in its verifier tree.
	if !sameModels(oldModels, newModels) || !oldWeight.Equal(newWeight) {
		for _, m := range newModels {
			if err := x.setWeight(ctx, m, operator, newWeight); err != nil {
				return err
			}
		}
	}
	oldV, newV := verifierWeightOf(old, oldMin), verifierWeightOf(next, newMin)
	if !sameModels(oldModels, newModels) || !oldV.Equal(newV) {
		for _, m := range newModels {
			if err := x.setWeight(ctx, verifierTree(m), operator, newV); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncFree keeps the free-price index: a provider is listed under each of its models,
// at its price, while it has draw weight.
func (x providerIndexes) syncFree(ctx context.Context, operator sdk.AccAddress, old, next *types.Provider,
	oldWeight, newWeight math.Int, oldModels, newModels []string,
) error {
	oldFree, newFree := oldWeight.IsPositive(), newWeight.IsPositive()
	if oldFree == newFree && sameModels(oldModels, newModels) &&
		(!oldFree || old.PricePerToken.Amount.Equal(next.PricePerToken.Amount)) {
		return nil
	}
	if oldFree {
		pk := priceKey(old.PricePerToken.Amount)
		for _, m := range oldModels {
			if err := x.freeByPrice.Remove(ctx, collections.Join3(m, pk, operator)); err != nil {
				return err
			}
		}
	}
	if newFree {
		pk := priceKey(next.PricePerToken.Amount)
		for _, m := range newModels {
			if err := x.freeByPrice.Set(ctx, collections.Join3(m, pk, operator)); err != nil {
				return err
			}
		}
	}
	return nil
}

// minFreePrice is the lowest price of a provider of the model with a free slot.
func (x providerIndexes) minFreePrice(ctx context.Context, modelID string) (math.Int, bool, error) {
	return firstPrice(ctx, x.freeByPrice, modelID)
}

// syncWorker keeps the worker index in line when a provider appears, goes, or changes
// its worker (the only entry a write that changes no draw input can touch).
func (x providerIndexes) syncWorker(ctx context.Context, operator sdk.AccAddress, old, next *types.Provider) error {
	if old != nil && (next == nil || old.Worker != next.Worker) {
		worker, err := x.addresses.StringToBytes(old.Worker)
		if err != nil {
			return err
		}
		if err := x.byWorker.Remove(ctx, worker); err != nil {
			return err
		}
	}
	if next != nil && (old == nil || old.Worker != next.Worker) {
		worker, err := x.addresses.StringToBytes(next.Worker)
		if err != nil {
			return err
		}
		return x.byWorker.Set(ctx, worker, operator)
	}
	return nil
}

// refreshMinPrice recomputes a model's cached lowest price from the price index.
func (x providerIndexes) refreshMinPrice(ctx context.Context, modelID string) error {
	price, ok, err := x.scanMinPrice(ctx, modelID)
	if err != nil {
		return err
	}
	if !ok {
		return x.minPrices.Remove(ctx, modelID)
	}
	return x.minPrices.Set(ctx, modelID, price)
}

func (x providerIndexes) scanMinPrice(ctx context.Context, modelID string) (math.Int, bool, error) {
	return firstPrice(ctx, x.byPrice, modelID)
}

// firstPrice is the price of a price index's first entry for a model.
func firstPrice(ctx context.Context, index collections.KeySet[collections.Triple[string, []byte, sdk.AccAddress]], modelID string) (math.Int, bool, error) {
	it, err := index.Iterate(ctx,
		collections.NewPrefixedTripleRange[string, []byte, sdk.AccAddress](modelID))
	if err != nil {
		return math.Int{}, false, err
	}
	defer it.Close()
	if !it.Valid() {
		return math.ZeroInt(), false, nil
	}
	key, err := it.Key()
	if err != nil {
		return math.Int{}, false, err
	}
	return math.NewIntFromBigIntMut(new(big.Int).SetBytes(key.K2())), true, nil
}

// setWeight sets an operator's weight in a model's tree, allocating its slot (the most
// recently freed one, else the next new one) if it has none.
func (x providerIndexes) setWeight(ctx context.Context, model string, operator sdk.AccAddress, w math.Int) error {
	tree := x.trees.tree(model)
	key := collections.Join(model, operator)
	slot, err := x.slots.Get(ctx, key)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		if slot, err = tree.Alloc(ctx); err != nil {
			return err
		}
		if err := x.slots.Set(ctx, key, slot); err != nil {
			return err
		}
		if err := x.owners.Set(ctx, collections.Join(model, slot), operator); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	return tree.Set(ctx, slot, w)
}

// releaseSlot zeroes an operator's weight in a model and frees its slot for reuse.
func (x providerIndexes) releaseSlot(ctx context.Context, model string, operator sdk.AccAddress) error {
	key := collections.Join(model, operator)
	slot, err := x.slots.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := x.slots.Remove(ctx, key); err != nil {
		return err
	}
	if err := x.owners.Remove(ctx, collections.Join(model, slot)); err != nil {
		return err
	}
	return x.trees.tree(model).Release(ctx, slot)
}

// check rebuilds the worker, model and price indexes and the lowest prices from the
// providers and compares them with the stored ones, and checks the weight tree of every
// model (checkTree). O(providers · models): for invariants and tests.
func (x providerIndexes) check(ctx context.Context, providers collections.Map[sdk.AccAddress, types.Provider], models []string, minBond math.Int) error {
	var (
		byWorker  []indexcheck.Entry[sdk.AccAddress, sdk.AccAddress]
		byModel   []collections.Pair[string, sdk.AccAddress]
		byPrice   []collections.Triple[string, []byte, sdk.AccAddress]
		free      []collections.Triple[string, []byte, sdk.AccAddress]
		minPrices = map[string]math.Int{}
		priced    []string // models in first-listed order, for a deterministic rebuild
	)
	err := providers.Walk(ctx, nil, func(operator sdk.AccAddress, p types.Provider) (bool, error) {
		worker, err := x.addresses.StringToBytes(p.Worker)
		if err != nil {
			return true, err
		}
		byWorker = append(byWorker, indexcheck.Entry[sdk.AccAddress, sdk.AccAddress]{Key: worker, Value: operator})
		for _, m := range p.Models {
			byModel = append(byModel, collections.Join(m, operator))
			if !eligible(&p, minBond) {
				continue
			}
			byPrice = append(byPrice, collections.Join3(m, priceKey(p.PricePerToken.Amount), operator))
			if weightOf(&p, minBond).IsPositive() {
				free = append(free, collections.Join3(m, priceKey(p.PricePerToken.Amount), operator))
			}
			low, ok := minPrices[m]
			if !ok {
				priced = append(priced, m)
			}
			if !ok || p.PricePerToken.Amount.LT(low) {
				minPrices[m] = p.PricePerToken.Amount
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	lowest := make([]indexcheck.Entry[string, math.Int], 0, len(priced))
	for _, m := range priced {
		lowest = append(lowest, indexcheck.Entry[string, math.Int]{Key: m, Value: minPrices[m]})
	}
	for _, err := range []error{
		indexcheck.Map(ctx, "providers_by_worker", x.byWorker, byWorker),
		indexcheck.KeySet(ctx, "model_providers", x.byModel, byModel),
		indexcheck.KeySet(ctx, "price_index", x.byPrice, byPrice),
		indexcheck.KeySet(ctx, "free_price_index", x.freeByPrice, free),
		indexcheck.Map(ctx, "min_prices", x.minPrices, lowest),
	} {
		if err != nil {
			return err
		}
	}
	for _, m := range models {
		if err := x.checkTree(ctx, providers, m, m, func(p *types.Provider) math.Int { return weightOf(p, minBond) }); err != nil {
			return err
		}
		if err := x.checkTree(ctx, providers, m, verifierTree(m), func(p *types.Provider) math.Int { return verifierWeightOf(p, minBond) }); err != nil {
			return err
		}
	}
	return nil
}

// checkTree verifies one of a model's weight trees (key: the model for the job tree,
// verifierTree(model) for the verifier tree): every provider serving the model owns
// exactly one slot (the slot and owner maps agree), every owned slot's weight is its
// owner's weight (weight), and the tree itself holds (weighttree.Tree.Check: size, free
// stack, node sums).
func (x providerIndexes) checkTree(ctx context.Context, providers collections.Map[sdk.AccAddress, types.Provider],
	model, key string, weight func(*types.Provider) math.Int,
) error {
	tree := x.trees.tree(key)
	meta, err := tree.Meta(ctx)
	if err != nil {
		return err
	}
	owned := uint64(0)
	err = x.owners.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](key),
		func(k collections.Pair[string, uint64], operator sdk.AccAddress) (bool, error) {
			slot := k.K2()
			if slot == 0 || slot >= meta.NextSlot {
				return true, fmt.Errorf("slot %d beyond next slot %d", slot, meta.NextSlot)
			}
			back, err := x.slots.Get(ctx, collections.Join(key, operator))
			if err != nil {
				return true, fmt.Errorf("slot %d owner %s has no slot: %w", slot, x.addrString(operator), err)
			}
			if back != slot {
				return true, fmt.Errorf("slot %d owner %s maps back to %d", slot, x.addrString(operator), back)
			}
			p, err := providers.Get(ctx, operator)
			if err != nil {
				return true, fmt.Errorf("slot %d owner %s: %w", slot, x.addrString(operator), err)
			}
			w, err := tree.Weight(ctx, slot)
			if err != nil {
				return true, err
			}
			if want := weight(&p); !want.Equal(w) {
				return true, fmt.Errorf("provider %s weight %s, want %s", p.Operator, w, want)
			}
			owned++
			return false, nil
		})
	if err != nil {
		return fmt.Errorf("tree %s: %w", key, err)
	}
	serving := uint64(0)
	err = x.byModel.Walk(ctx, collections.NewPrefixedPairRange[string, sdk.AccAddress](model),
		func(collections.Pair[string, sdk.AccAddress]) (bool, error) {
			serving++
			return false, nil
		})
	if err != nil {
		return err
	}
	if serving != owned {
		return fmt.Errorf("tree %s: %d providers serve the model, %d slots owned", key, serving, owned)
	}
	if err := tree.Check(ctx, owned); err != nil {
		return fmt.Errorf("tree %s: %w", key, err)
	}
	return nil
}

func (x providerIndexes) addrString(a sdk.AccAddress) string {
	s, err := x.addresses.BytesToString(a)
	if err != nil {
		return a.String()
	}
	return s
}

// weightTrees are the models' weight trees, in the keeper's Tree* collections keyed by
// model first.
type weightTrees struct {
	storeService corestore.KVStoreService
	meta         collections.Map[string, TreeMeta]
	weights      collections.Map[collections.Pair[string, uint64], math.Int]
	pages        collections.Map[collections.Triple[string, uint32, uint64], []byte]
	free         collections.Map[collections.Pair[string, uint64], uint64]
}

// tree returns a model's weight tree.
func (w weightTrees) tree(model string) weighttree.Tree {
	return weighttree.New(modelTree{trees: w, model: model})
}
