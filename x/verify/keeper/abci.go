package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/verify/types"
)

// EndBlocker ends the phases whose deadline is this block (at most maxPhaseEndsPerBlock,
// the rest carried over): an OPEN phase the provider let
// pass fails it, a commit phase opens its reveal phase (silent verifiers stay uncommitted
// and count as wrong), a reveal phase resolves, and an escalation draws its verifiers
// from this block's beacon; then it prunes the audits whose retention ended. The work is
// proportional to what is due now.
func (k Keeper) EndBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	if err := k.endPhases(sdkCtx, h); err != nil {
		return err
	}
	return k.prune(ctx, h)
}

// maxPhaseEndsPerBlock bounds the phase deadlines one block takes from the phase queue;
// the rest, earlier heights first, carry over to the next blocks. A phase ended a block
// or two late changes nothing a party could use: messages of a phase are refused once
// its deadline height has passed, and the next phase starts from the block that ends it.
const maxPhaseEndsPerBlock = 1000

func (k Keeper) endPhases(ctx sdk.Context, h int64) error {
	rng := new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(h, ^uint64(0)))
	it, err := k.PhaseQueue.Iterate(ctx, rng)
	if err != nil {
		return err
	}
	ids, err := firstPairs(it, maxPhaseEndsPerBlock)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	for _, key := range ids {
		a, err := k.Audits.Get(ctx, key.K2())
		if isNotFound(err) || (err == nil && (a.PhaseDeadline != key.K1() || !a.Status.IsOpen())) {
			if err := k.indexes.phaseEnded(ctx, key.K1(), key.K2()); err != nil { // a stale entry
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if a.Status == types.AUDIT_STATUS_ESCALATING {
			// The escalation's verifiers are drawn from this block's beacon: never a weak
			// one alone. The entry stays queued; the next VRF block draws them.
			if _, ok, err := k.beacon.Randomness(ctx, h); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
		}
		switch a.Status {
		case types.AUDIT_STATUS_OPEN:
			err = k.forfeit(ctx, params, &a)
		case types.AUDIT_STATUS_COMMIT:
			err = k.openReveal(ctx, params, &a)
		case types.AUDIT_STATUS_REVEAL:
			err = k.resolve(ctx, params, &a, a.Status)
		case types.AUDIT_STATUS_ESCALATING:
			err = k.escalate(ctx, params, &a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// firstPairs reads at most n keys of a (height, id) queue iterator and closes it.
func firstPairs(it collections.KeySetIterator[collections.Pair[int64, uint64]], n int) ([]collections.Pair[int64, uint64], error) {
	defer it.Close()
	var keys []collections.Pair[int64, uint64]
	for ; it.Valid() && len(keys) < n; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}
