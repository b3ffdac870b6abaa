package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// Hooks are the beacon module's staking hooks: they record when each validator was
// first bonded (the start of its VRF grace period) and forget it when the validator
// is removed. The app passes them to staking's SetHooks with the other modules' hooks.
type Hooks struct {
	k Keeper
}

var _ stakingtypes.StakingHooks = Hooks{}

// Hooks returns the staking hooks of the keeper.
func (k Keeper) Hooks() Hooks { return Hooks{k: k} }

func (h Hooks) valoper(valAddr sdk.ValAddress) (string, error) {
	s, err := h.k.stakingKeeper.ValidatorAddressCodec().BytesToString(valAddr)
	if err != nil {
		return "", fmt.Errorf("beacon: validator address: %w", err)
	}
	return s, nil
}

// AfterValidatorBonded records the first height at which the validator is bonded.
func (h Hooks) AfterValidatorBonded(ctx context.Context, _ sdk.ConsAddress, valAddr sdk.ValAddress) error {
	valoper, err := h.valoper(valAddr)
	if err != nil {
		return err
	}
	return h.k.recordBonded(ctx, valoper, sdk.UnwrapSDKContext(ctx).BlockHeight())
}

// AfterValidatorRemoved forgets the validator's bonded height: a validator created
// again later under the same operator starts a new grace period when bonded.
func (h Hooks) AfterValidatorRemoved(ctx context.Context, _ sdk.ConsAddress, valAddr sdk.ValAddress) error {
	valoper, err := h.valoper(valAddr)
	if err != nil {
		return err
	}
	return h.k.BondedHeights.Remove(ctx, valoper)
}

func (Hooks) AfterValidatorCreated(context.Context, sdk.ValAddress) error   { return nil }
func (Hooks) BeforeValidatorModified(context.Context, sdk.ValAddress) error { return nil }
func (Hooks) AfterValidatorConsKeyUpdated(context.Context, sdk.ConsAddress, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) AfterValidatorBeginUnbonding(context.Context, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) BeforeDelegationCreated(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) BeforeDelegationSharesModified(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) BeforeDelegationRemoved(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) AfterDelegationModified(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) BeforeValidatorSlashed(context.Context, sdk.ValAddress, math.LegacyDec) error {
	return nil
}

func (Hooks) AfterUnbondingInitiated(context.Context, uint64) error { return nil }
