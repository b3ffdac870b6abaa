package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

// InitGenesis stores params, models and providers and rebuilds the derived state (worker,
// model and price indexes, weight trees, unbonding queue, running bond total). The bank
// genesis must fund the module account with the sum of the bonds (CheckBonds verifies it).
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, m := range gs.Models {
		if err := k.Models.Set(ctx, m.Id, m); err != nil {
			return err
		}
	}
	total := math.ZeroInt()
	for _, p := range gs.Providers {
		p.Locked = p.LockedAmount()
		p.Models = append([]string(nil), p.Models...)
		if err := k.setProvider(ctx, p); err != nil {
			return err
		}
		if p.Status == types.PROVIDER_STATUS_UNBONDING {
			operator, err := k.operatorAddr(p)
			if err != nil {
				return err
			}
			if err := k.UnbondingQueue.Set(ctx, collections.Join(p.UnbondingHeight, operator)); err != nil {
				return err
			}
		}
		total = total.Add(p.Bond.Amount)
	}
	return k.TotalBond.Set(ctx, total)
}

// ExportGenesis exports params, models and providers (derived state is rebuilt on import).
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	err = k.Models.Walk(ctx, nil, func(_ string, m types.Model) (bool, error) {
		gs.Models = append(gs.Models, m)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Provider) (bool, error) {
		gs.Providers = append(gs.Providers, p)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return gs, nil
}
