package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/verify/types"
)

// EndBlocker ends the phases whose deadline is this block: an OPEN phase the provider let
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

func (k Keeper) endPhases(ctx sdk.Context, h int64) error {
	it, err := k.PhaseQueue.Iterate(ctx, collections.NewPrefixedPairRange[int64, uint64](h))
	if err != nil {
		return err
	}
	ids, err := it.Keys()
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
		if isNotFound(err) || (err == nil && (a.PhaseDeadline != h || !a.Status.IsOpen())) {
			if err := k.indexes.phaseEnded(ctx, key.K1(), key.K2()); err != nil { // a stale entry
				return err
			}
			continue
		}
		if err != nil {
			return err
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
