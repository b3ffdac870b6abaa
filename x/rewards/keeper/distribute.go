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
	return k.DistributeFees(ctx, fromModule, []types.ProviderFee{{Provider: provider, Fee: fee}})
}

// DistributeFees is DistributeFee for many fees at once (x/task settles a block's jobs with
// one call): each fee is split on its own, exactly as DistributeFee splits it (every part
// truncated per fee, so the parts are the same as with one call per fee), and the sums move
// with one bank transfer per recipient: the fees in, the verification, validator, community
// and burn parts out, and one accrual and one EventFeeDistributed per provider (the sums
// over its fees, in the order the providers first appear). It returns the sum of the
// splits. Zero fees are skipped; when every fee is zero it is a no-op. Nothing moves unless
// every step succeeds.
func (k Keeper) DistributeFees(ctx context.Context, fromModule string, fees []types.ProviderFee) (types.FeeSplit, error) {
	var params types.Params
	var paramsRead bool
	total := types.FeeSplit{}
	var totalFee sdk.Coins
	var byProvider []providerSum
	seen := map[string]int{} // provider address bytes → index in byProvider; looked up, never iterated
	for _, f := range fees {
		if f.Fee.IsZero() {
			continue
		}
		if err := validateTransfer(fromModule, f.Provider, f.Fee); err != nil {
			return types.FeeSplit{}, err
		}
		if !paramsRead {
			var err error
			if params, err = k.Params.Get(ctx); err != nil {
				return types.FeeSplit{}, err
			}
			paramsRead = true
		}
		split := types.SplitFee(f.Fee, params)
		totalFee = totalFee.Add(f.Fee...)
		total = total.Add(split)
		i, ok := seen[string(f.Provider)]
		if !ok {
			i = len(byProvider)
			seen[string(f.Provider)] = i
			byProvider = append(byProvider, providerSum{addr: f.Provider})
		}
		byProvider[i].fee = byProvider[i].fee.Add(f.Fee...)
		byProvider[i].split = byProvider[i].split.Add(split)
	}
	if totalFee.IsZero() {
		return types.FeeSplit{}, nil
	}
	for i := range byProvider {
		s, err := k.addressCodec.BytesToString(byProvider[i].addr)
		if err != nil {
			return types.FeeSplit{}, errorsmod.Wrap(sdkerrors.ErrInvalidAddress, err.Error())
		}
		byProvider[i].str = s
	}

	err := atomically(ctx, func(ctx context.Context) error {
		if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, fromModule, types.ModuleName, totalFee); err != nil {
			return err
		}
		if !total.VerificationPool.IsZero() {
			if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, types.VerificationPoolName, total.VerificationPool); err != nil {
				return err
			}
		}
		if !total.Validators.IsZero() {
			if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, authtypes.FeeCollectorName, total.Validators); err != nil {
				return err
			}
		}
		if !total.Community.IsZero() {
			if err := k.distrKeeper.FundCommunityPool(ctx, total.Community, k.rewardsAddr); err != nil {
				return err
			}
		}
		if !total.Burned.IsZero() {
			if err := k.bankKeeper.BurnCoins(ctx, types.ModuleName, total.Burned); err != nil {
				return err
			}
		}
		for _, p := range byProvider {
			if err := k.accrue(ctx, p.addr, types.SourceJobs, p.split.Provider); err != nil {
				return err
			}
			if err := k.emit(ctx, &types.EventFeeDistributed{
				FromModule: fromModule, Provider: p.str, Fee: p.fee, ProviderAmount: p.split.Provider,
				VerificationPool: p.split.VerificationPool, Validators: p.split.Validators,
				Community: p.split.Community, Burned: p.split.Burned,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return types.FeeSplit{}, err
	}
	return total, nil
}

// providerSum is one provider's fees and the sum of their splits, in a DistributeFees call.
type providerSum struct {
	addr  sdk.AccAddress
	str   string
	fee   sdk.Coins
	split types.FeeSplit
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
