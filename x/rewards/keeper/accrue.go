package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// Accrue moves amount from fromModule to the rewards module account and credits it to addr under
// source (audits, bounties). A zero amount is a no-op.
func (k Keeper) Accrue(ctx context.Context, fromModule string, addr sdk.AccAddress, source string, amount sdk.Coins) error {
	if amount.IsZero() {
		return nil
	}
	if err := validateTransfer(fromModule, addr, amount); err != nil {
		return err
	}
	if !types.ValidSource(source) {
		return errorsmod.Wrapf(types.ErrInvalidSource, "%q", source)
	}
	return atomically(ctx, func(ctx context.Context) error {
		if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, fromModule, types.ModuleName, amount); err != nil {
			return err
		}
		return k.accrue(ctx, addr, source, amount)
	})
}

// PayFromVerificationPool moves amount from the verification pool to the rewards module account and
// credits it to addr under source. It fails, moving nothing, when the pool holds less than amount.
// A zero amount is a no-op.
func (k Keeper) PayFromVerificationPool(ctx context.Context, addr sdk.AccAddress, source string, amount sdk.Coins) error {
	if amount.IsZero() {
		return nil
	}
	if err := validateTransfer(types.VerificationPoolName, addr, amount); err != nil {
		return err
	}
	if !types.ValidSource(source) {
		return errorsmod.Wrapf(types.ErrInvalidSource, "%q", source)
	}
	pool := k.bankKeeper.GetAllBalances(ctx, k.poolAddr)
	if !pool.IsAllGTE(amount) {
		return errorsmod.Wrapf(types.ErrInsufficientPool, "pool holds %q, need %q", pool, amount)
	}
	return atomically(ctx, func(ctx context.Context) error {
		if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, types.VerificationPoolName, types.ModuleName, amount); err != nil {
			return err
		}
		return k.accrue(ctx, addr, source, amount)
	})
}

// accrue credits amount (already held by the rewards account) to (addr, source).
func (k Keeper) accrue(ctx context.Context, addr sdk.AccAddress, source string, amount sdk.Coins) error {
	if amount.IsZero() {
		return nil
	}
	addrStr, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, err.Error())
	}
	key := collections.Join(addr, source)
	acc, err := k.Accruals.Get(ctx, key)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		acc = types.Accrual{Address: addrStr, Source: source}
	case err != nil:
		return err
	}
	acc.Amount = acc.Amount.Add(amount...)
	if err := k.Accruals.Set(ctx, key, acc); err != nil {
		return err
	}
	return k.emit(ctx, &types.EventRewardsAccrued{
		Address: addrStr, Source: source, Amount: amount,
	})
}

// Pending returns addr's unclaimed rewards: the total and one accrual per source (sorted by source).
// An address with nothing pending gets an empty total and no error.
func (k Keeper) Pending(ctx context.Context, addr sdk.AccAddress) (total sdk.Coins, bySource []types.Accrual, err error) {
	total = sdk.NewCoins()
	rng := collections.NewPrefixedPairRange[sdk.AccAddress, string](addr)
	err = k.Accruals.Walk(ctx, rng, func(_ collections.Pair[sdk.AccAddress, string], a types.Accrual) (bool, error) {
		total = total.Add(a.Amount...)
		bySource = append(bySource, a)
		return false, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return total, bySource, nil
}

// Claim pays all of addr's accruals from the rewards module account to addr and deletes them.
func (k Keeper) Claim(ctx context.Context, addr sdk.AccAddress) (sdk.Coins, error) {
	total, bySource, err := k.Pending(ctx, addr)
	if err != nil {
		return nil, err
	}
	if total.IsZero() {
		return nil, errorsmod.Wrapf(types.ErrNothingToClaim, "address %s", addr)
	}
	addrStr, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		return nil, errorsmod.Wrap(sdkerrors.ErrInvalidAddress, err.Error())
	}
	err = atomically(ctx, func(ctx context.Context) error {
		for _, a := range bySource {
			if err := k.Accruals.Remove(ctx, collections.Join(addr, a.Source)); err != nil {
				return err
			}
		}
		if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, addr, total); err != nil {
			return err
		}
		return k.emit(ctx, &types.EventRewardsClaimed{Address: addrStr, Amount: total})
	})
	if err != nil {
		return nil, err
	}
	return total, nil
}
