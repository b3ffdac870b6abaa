package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// TotalUnclaimed is the sum of every accrual in the store.
func (k Keeper) TotalUnclaimed(ctx context.Context) (sdk.Coins, error) {
	sum := sdk.NewCoins()
	err := k.Accruals.Walk(ctx, nil, func(_ collections.Pair[sdk.AccAddress, string], a types.Accrual) (bool, error) {
		sum = sum.Add(a.Amount...)
		return false, nil
	})
	return sum, err
}

// CheckUnclaimed is the module's money invariant: the rewards module account holds exactly the sum
// of all unclaimed accruals. It walks all accruals, so it is for tests and audits, not per block.
func (k Keeper) CheckUnclaimed(ctx context.Context) error {
	sum, err := k.TotalUnclaimed(ctx)
	if err != nil {
		return err
	}
	balance := k.bankKeeper.GetAllBalances(ctx, k.rewardsAddr)
	if balance.Equal(sum) {
		return nil
	}
	common := balance.Min(sum)
	return errorsmod.Wrapf(types.ErrUnclaimedMismatch,
		"module balance %q, unclaimed accruals %q (surplus %q, shortfall %q)",
		balance, sum, balance.Sub(common...), sum.Sub(common...))
}
