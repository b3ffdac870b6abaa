package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/sovra-network/sovra/x/provider/types"
)

// DrawProvidersExtraAttempts bounds DrawProviders: at most k + DrawProvidersExtraAttempts
// draws, so a model full of excluded providers cannot make a draw unbounded.
const DrawProvidersExtraAttempts = 64

// attemptSeed is sha256(seed ‖ uint32 big-endian attempt).
func attemptSeed(seed []byte, attempt uint32) []byte {
	h := sha256.New()
	h.Write(seed)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], attempt)
	h.Write(n[:])
	return h.Sum(nil)
}

// slotProvider is the provider owning a slot of a tree (a model, or its verifierTree).
func (k Keeper) slotProvider(ctx context.Context, tree string, slot uint64) (types.Provider, error) {
	operator, err := k.TreeSlotOwner.Get(ctx, collections.Join(tree, slot))
	if err != nil {
		return types.Provider{}, err
	}
	return k.Providers.Get(ctx, operator)
}

// DrawProvider draws a provider of a model with probability proportional to its weight
// (bond, if ACTIVE with free capacity). Attempt i uses sha256(seed ‖ uint32_be(i)); a
// provider the accept function rejects is taken out of the draw, so the first accepted
// provider is stake-weighted among the acceptable ones. maxAttempts 0 is treated as 1;
// a nil accept accepts all. Returns false when no draw is accepted or the total weight is 0.
// Cost: O(maxAttempts · log n) reads.
func (k Keeper) DrawProvider(
	ctx context.Context, modelID string, seed []byte, accept func(types.Provider) bool, maxAttempts uint32,
) (types.Provider, bool, error) {
	view, err := k.weightTree(modelID).NewDraw(ctx)
	if err != nil {
		return types.Provider{}, false, err
	}
	if maxAttempts == 0 {
		maxAttempts = 1
	}
	for attempt := uint32(0); attempt < maxAttempts && view.Total().IsPositive(); attempt++ {
		slot, err := view.FindSeed(attemptSeed(seed, attempt))
		if err != nil {
			return types.Provider{}, false, err
		}
		p, err := k.slotProvider(ctx, modelID, slot)
		if err != nil {
			return types.Provider{}, false, err
		}
		if accept == nil || accept(p) {
			return p, true, nil
		}
		if err := view.Remove(ctx, slot); err != nil {
			return types.Provider{}, false, err
		}
	}
	return types.Provider{}, false, nil
}

// MinFreePrice is the lowest price among the providers of a model that can take a job
// now (ACTIVE, bond ≥ min_bond, a free slot); false when there is none. x/task leaves a
// waiting job that bids below it untouched. Cost: one short iteration.
func (k Keeper) MinFreePrice(ctx context.Context, modelID string) (math.Int, bool, error) {
	return k.indexes.minFreePrice(ctx, modelID)
}

// DrawProviders draws up to k distinct providers of a model, stake-weighted without
// replacement (successive sampling): every drawn or excluded provider is taken out of the
// draw before the next one. Attempt i uses sha256(seed ‖ uint32_be(i)); at most
// k + DrawProvidersExtraAttempts attempts. Returns fewer than k providers when the model
// has too few eligible ones.
func (k Keeper) DrawProviders(
	ctx context.Context, modelID string, seed []byte, n int, exclude func(types.Provider) bool,
) ([]types.Provider, error) {
	return k.drawDistinct(ctx, modelID, seed, n, exclude)
}

// drawDistinct is DrawProviders over one tree: a model's job tree, or its verifier tree.
func (k Keeper) drawDistinct(
	ctx context.Context, tree string, seed []byte, n int, exclude func(types.Provider) bool,
) ([]types.Provider, error) {
	if n <= 0 {
		return nil, nil
	}
	view, err := k.weightTree(tree).NewDraw(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]types.Provider, 0, n)
	maxAttempts := uint64(n) + DrawProvidersExtraAttempts
	for attempt := uint64(0); attempt < maxAttempts && len(out) < n && view.Total().IsPositive(); attempt++ {
		slot, err := view.FindSeed(attemptSeed(seed, uint32(attempt)))
		if err != nil {
			return nil, err
		}
		p, err := k.slotProvider(ctx, tree, slot)
		if err != nil {
			return nil, err
		}
		if err := view.Remove(ctx, slot); err != nil {
			return nil, err
		}
		if exclude != nil && exclude(p) {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// DrawVerifiers draws up to n verifiers for an audit of a job served by provider: stake-
// weighted without replacement among the model's providers (DrawProviders, same seed
// rules), whatever their hardware, skipping every candidate that is the same operator as
// provider or as a verifier drawn before it (SameOperator: a verifier is credible when a
// peer of its round confirms it, and one operator's two providers are no peers), is not
// ACTIVE, has no audit key to receive the claimed output
// on, or that exclude (may be nil; x/verify passes the verifiers of earlier rounds)
// rejects. The determinism profile is descriptive only: a filter on it would let a
// provider with a profile nobody shares escape every audit. The draw is over the model's
// verifier tree: every provider ACTIVE with bond ≥ min_bond weighs its bond, whether its
// job slots are free or not (a burst that fills every slot must not leave results
// unverifiable). Returns fewer than n when too few are eligible, or when the
// k + DrawProvidersExtraAttempts attempts are used up on skipped candidates (possible only
// if those hold nearly all of the stake).
func (k Keeper) DrawVerifiers(
	ctx context.Context, modelID string, seed []byte, n int, provider types.Provider, exclude func(types.Provider) bool,
) ([]types.Provider, error) {
	var drawn []types.Provider // drawDistinct keeps exactly the candidates not excluded
	return k.drawDistinct(ctx, verifierTree(modelID), seed, n, func(c types.Provider) bool {
		if !c.IsActive() || len(c.AuditKey) == 0 || types.SameOperator(provider, c) || (exclude != nil && exclude(c)) {
			return true
		}
		for _, d := range drawn {
			if types.SameOperator(d, c) {
				return true
			}
		}
		drawn = append(drawn, c)
		return false
	})
}
