package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// InitGenesis stores params and accruals. The rewards module account's bank balance must equal the
// sum of the accruals (CheckUnclaimed); bank genesis sets that balance.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, a := range gs.Accruals {
		addr, err := k.addressCodec.StringToBytes(a.Address)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "accrual address %q: %s", a.Address, err)
		}
		// Store the canonical address string, whatever case the genesis file used.
		if a.Address, err = k.addressCodec.BytesToString(addr); err != nil {
			return err
		}
		if err := k.Accruals.Set(ctx, collections.Join(sdk.AccAddress(addr), a.Source), a); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis returns params and every accrual, ordered by (address bytes, source).
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	accruals := []types.Accrual{}
	err = k.Accruals.Walk(ctx, nil, func(_ collections.Pair[sdk.AccAddress, string], a types.Accrual) (bool, error) {
		accruals = append(accruals, a)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &types.GenesisState{Params: p, Accruals: accruals}, nil
}
