package keeper

import (
	"context"

	"github.com/sovra-network/sovra/x/verify/types"
)

// InitGenesis stores params, stats and audits with their indexes and open phases; the
// params must fit x/rewards' verification share (x/rewards initializes first).
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	rp, err := k.rewards.GetParams(ctx)
	if err != nil {
		return err
	}
	if err := gs.Params.ValidateVerificationShare(rp.VerificationShare); err != nil {
		return types.ErrInvalidGenesis.Wrap(err.Error())
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.Stats.Set(ctx, gs.Stats); err != nil {
		return err
	}
	for _, a := range gs.Audits {
		if err := k.Audits.Set(ctx, a.JobId, a); err != nil {
			return err
		}
		// The indexes and the open phase's queue entry derive from the audit.
		if err := k.indexes.insert(ctx, a); err != nil {
			return err
		}
		if ended(a.Status) {
			if err := k.schedulePrune(ctx, a.JobId, a.VerdictHeight); err != nil {
				return err
			}
		}
	}
	return nil
}

// ExportGenesis returns params, stats and every audit.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	s, err := k.stats(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: p, Stats: s}
	err = k.Audits.Walk(ctx, nil, func(_ uint64, a types.Audit) (bool, error) {
		gs.Audits = append(gs.Audits, a)
		return false, nil
	})
	return gs, err
}
