package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/sovra-network/sovra/x/rewards/types"
)

// DistributeFee moves the whole fee from fromModule to the rewards module account and splits it by
// params: the provider part stays there as the provider's SourceJobs accrual, the verification part
// goes to verification_pool, the validator part to the fee collector (x/distribution pays stakers),
// the community part to the community pool and the burn part is burned. Every non-provider part is
// fee × share truncated per denom; the provider gets the remainder. A zero fee is a no-op.
func (k Keeper) DistributeFee(ctx context.Context, fromModule string, provider sdk.AccAddress, fee sdk.Coins) (types.FeeSplit, error) {
	if fee.IsZero() {
		return types.FeeSplit{}, nil
	}
	if err := validateTransfer(fromModule, provider, fee); err != nil {
		return types.FeeSplit{}, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.FeeSplit{}, err
	}
	split := types.SplitFee(fee, params)
	providerStr, err := k.addressCodec.BytesToString(provider)
	if err != nil {
		return types.FeeSplit{}, errorsmod.Wrap(sdkerrors.ErrInvalidAddress, err.Error())
	}

	err = atomically(ctx, func(ctx context.Context) error {
		if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, fromModule, types.ModuleName, fee); err != nil {
			return err
		}
		if !split.VerificationPool.IsZero() {
			if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, types.VerificationPoolName, split.VerificationPool); err != nil {
				return err
			}
		}
		if !split.Validators.IsZero() {
			if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, authtypes.FeeCollectorName, split.Validators); err != nil {
				return err
			}
		}
		if !split.Community.IsZero() {
			if err := k.distrKeeper.FundCommunityPool(ctx, split.Community, k.rewardsAddr); err != nil {
				return err
			}
		}
		if !split.Burned.IsZero() {
			if err := k.bankKeeper.BurnCoins(ctx, types.ModuleName, split.Burned); err != nil {
				return err
			}
		}
		if err := k.accrue(ctx, provider, types.SourceJobs, split.Provider); err != nil {
			return err
		}
		return k.emit(ctx, &types.EventFeeDistributed{
			FromModule: fromModule, Provider: providerStr, Fee: fee, ProviderAmount: split.Provider,
			VerificationPool: split.VerificationPool, Validators: split.Validators, Community: split.Community, Burned: split.Burned,
		})
	})
	if err != nil {
		return types.FeeSplit{}, err
	}
	return split, nil
}

// validateTransfer checks the arguments shared by DistributeFee and Accrue. Sending from the rewards
// account itself would accrue coins that are already owed, breaking the balance invariant.
func validateTransfer(fromModule string, addr sdk.AccAddress, amount sdk.Coins) error {
	if fromModule == "" || fromModule == types.ModuleName {
		return errorsmod.Wrapf(types.ErrInvalidFromModule, "%q", fromModule)
	}
	if len(addr) == 0 {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "empty recipient address")
	}
	if !amount.IsValid() {
		return errorsmod.Wrapf(types.ErrInvalidAmount, "%q", amount)
	}
	return nil
}
