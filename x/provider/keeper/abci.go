package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/provider/types"
)

// EndBlocker completes the unbondings due at or before this height: the bond returns to
// the operator (what is left of it after slashes: the bond is the only record of the
// amount) and the provider and its indexes are removed. It also forgets the departed
// operators whose retention ended. Work is proportional to the entries due, never to the
// number of providers.
func (k Keeper) EndBlocker(ctx context.Context) error {
	if err := k.pruneDeparted(ctx); err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	var due []collections.Pair[int64, sdk.AccAddress]
	err := k.UnbondingQueue.Walk(ctx, collections.NewPrefixUntilPairRange[int64, sdk.AccAddress](sdkCtx.BlockHeight()),
		func(key collections.Pair[int64, sdk.AccAddress]) (bool, error) {
			due = append(due, key)
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, key := range due {
		// Each completion runs in a cache context: if returning the bond fails (e.g. the
		// operator became a blocked address) nothing is written and the entry is retried.
		cacheCtx, write := sdkCtx.CacheContext()
		if err := k.completeUnbonding(cacheCtx, key); err != nil {
			k.Logger(ctx).Error("unbonding not completed; will retry next block",
				"operator", k.addrString(key.K2()), "height", key.K1(), "err", err)
			continue
		}
		write()
	}
	return nil
}

func (k Keeper) completeUnbonding(ctx context.Context, key collections.Pair[int64, sdk.AccAddress]) error {
	if err := k.UnbondingQueue.Remove(ctx, key); err != nil {
		return err
	}
	p, err := k.GetProvider(ctx, key.K2())
	if err != nil {
		return err
	}
	if p.Status != types.PROVIDER_STATUS_UNBONDING || p.UnbondingHeight != key.K1() {
		return nil // stale entry
	}
	if p.Bond.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, key.K2(), sdk.NewCoins(p.Bond)); err != nil {
			return err
		}
	}
	if err := k.removeProvider(ctx, p); err != nil {
		return err
	}
	if err := k.addTotalBond(ctx, p.Bond.Amount.Neg()); err != nil {
		return err
	}
	if err := k.markDeparted(ctx, key.K2()); err != nil {
		return err
	}
	return k.emit(ctx, &types.EventUnbondingCompleted{
		Operator: p.Operator, Worker: p.Worker, Amount: p.Bond,
	})
}

// markDeparted remembers a removed operator for unbonding_period blocks (see Departed).
func (k Keeper) markDeparted(ctx context.Context, operator sdk.AccAddress) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	expiry := height.Plus(sdk.UnwrapSDKContext(ctx).BlockHeight(), params.UnbondingPeriod)
	if err := k.Departed.Set(ctx, operator, expiry); err != nil {
		return err
	}
	return k.DepartedQueue.Set(ctx, collections.Join(expiry, operator))
}

// pruneDeparted forgets the departed operators whose retention ends at or before this
// height. An operator that departed again later has a later expiry and is kept.
func (k Keeper) pruneDeparted(ctx context.Context) error {
	var due []collections.Pair[int64, sdk.AccAddress]
	err := k.DepartedQueue.Walk(ctx,
		collections.NewPrefixUntilPairRange[int64, sdk.AccAddress](sdk.UnwrapSDKContext(ctx).BlockHeight()),
		func(key collections.Pair[int64, sdk.AccAddress]) (bool, error) {
			due = append(due, key)
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.DepartedQueue.Remove(ctx, key); err != nil {
			return err
		}
		expiry, err := k.Departed.Get(ctx, key.K2())
		if errors.Is(err, collections.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if expiry == key.K1() {
			if err := k.Departed.Remove(ctx, key.K2()); err != nil {
				return err
			}
		}
	}
	return nil
}
