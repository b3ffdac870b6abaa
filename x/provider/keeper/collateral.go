package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/provider/types"
)

// LockCollateral reserves amount of an ACTIVE provider's bond for one new job: it needs
// bond ≥ min_bond (ErrBondTooLow: a slashed provider takes no new job until it adds bond),
// bond − locked ≥ amount (ErrInsufficientCollateral) and active_jobs < max_jobs
// (ErrAtCapacity). Filling the last job slot drops the provider's draw weight to 0.
func (k Keeper) LockCollateral(ctx context.Context, operator sdk.AccAddress, amount math.Int) error {
	if amount.IsNil() || amount.IsNegative() {
		return types.ErrInsufficientCollateral.Wrapf("invalid lock amount %s", amount)
	}
	p, err := k.GetProvider(ctx, operator)
	if err != nil {
		return err
	}
	if !p.IsActive() {
		return types.ErrProviderNotActive.Wrapf("provider %s is %s", p.Operator, p.Status)
	}
	minBond, err := k.minBond(ctx)
	if err != nil {
		return err
	}
	if p.Bond.Amount.LT(minBond) {
		return types.ErrBondTooLow.Wrapf("provider %s has a bond of %s, below min_bond %s%s; it takes no new job until it adds bond",
			p.Operator, p.Bond, minBond, p.Bond.Denom)
	}
	if p.ActiveJobs >= p.MaxJobs {
		return types.ErrAtCapacity.Wrapf("provider %s runs %d of %d jobs", p.Operator, p.ActiveJobs, p.MaxJobs)
	}
	if free := p.FreeCollateral(); free.LT(amount) {
		return types.ErrInsufficientCollateral.Wrapf("provider %s has %s%s free, job needs %s%s",
			p.Operator, free, p.Bond.Denom, amount, p.Bond.Denom)
	}
	old := p
	p.Locked = p.LockedAmount().Add(amount)
	p.ActiveJobs++
	return k.writeProviderMin(ctx, operator, &old, &p, minBond)
}

// ReleaseCollateral undoes one LockCollateral of a job that never freed its slot (it
// expired assigned): FreeSlot and UnlockCollateral in one write.
func (k Keeper) ReleaseCollateral(ctx context.Context, operator sdk.AccAddress, amount math.Int) error {
	return k.release(ctx, operator, amount, 1)
}

// FreeSlots gives back the compute slots of n jobs whose results were committed:
// active_jobs −= n (never below zero), so the provider can take new jobs while their
// collateral stays locked until settlement (UnlockCollateral). The collateral, not the
// slot count, bounds how many committed jobs await settlement: at most what the bond
// backs. One write for a whole commit message.
func (k Keeper) FreeSlots(ctx context.Context, operator sdk.AccAddress, n uint32) error {
	return k.release(ctx, operator, math.ZeroInt(), n)
}

// UnlockCollateral releases the collateral of a settled or failed job whose slot was
// freed at commit: locked −= amount, never below zero (a slash may already have consumed
// it).
func (k Keeper) UnlockCollateral(ctx context.Context, operator sdk.AccAddress, amount math.Int) error {
	return k.release(ctx, operator, amount, 0)
}

// release unlocks amount and frees slots job slots (each never below zero).
func (k Keeper) release(ctx context.Context, operator sdk.AccAddress, amount math.Int, slots uint32) error {
	if amount.IsNil() || amount.IsNegative() {
		return types.ErrInsufficientCollateral.Wrapf("invalid release amount %s", amount)
	}
	p, err := k.GetProvider(ctx, operator)
	if err != nil {
		return err
	}
	old := p
	locked := p.LockedAmount().Sub(amount)
	if locked.IsNegative() {
		locked = math.ZeroInt()
	}
	p.Locked = locked
	p.ActiveJobs -= min(p.ActiveJobs, slots)
	return k.writeProvider(ctx, operator, &old, &p)
}

// RecordJobDone counts a job delivered in time and resets the consecutive-miss counter.
func (k Keeper) RecordJobDone(ctx context.Context, operator sdk.AccAddress) error {
	p, err := k.GetProvider(ctx, operator)
	if err != nil {
		return err
	}
	old := p
	p.JobsDone++
	p.Misses = 0
	return k.writeProvider(ctx, operator, &old, &p)
}

// RecordMiss counts a missed job; at max_misses consecutive misses an ACTIVE provider is
// jailed for jail_blocks (event provider_jailed).
func (k Keeper) RecordMiss(ctx context.Context, operator sdk.AccAddress) error {
	p, err := k.GetProvider(ctx, operator)
	if err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	p.JobsMissed++
	p.Misses++
	if p.IsActive() && p.Misses >= params.MaxMisses {
		if err := k.jail(ctx, &p, params); err != nil {
			return err
		}
	}
	return k.setProvider(ctx, p)
}

// jail marks a provider JAILED until now + jail_blocks and emits EventProviderJailed; the
// caller saves it.
func (k Keeper) jail(ctx context.Context, p *types.Provider, params types.Params) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	p.Status = types.PROVIDER_STATUS_JAILED
	p.JailedUntil = height.Plus(sdkCtx.BlockHeight(), params.JailBlocks)
	return k.emit(ctx, &types.EventProviderJailed{
		Operator: p.Operator, Worker: p.Worker, Misses: p.Misses, JailedUntil: p.JailedUntil,
	})
}

// LockStake reserves amount of a provider's bond without taking a job slot: a verifier's
// stake while it is drawn for an audit, so that what it can lose is backed when the
// verdict comes. ErrInsufficientCollateral when less than amount is free.
func (k Keeper) LockStake(ctx context.Context, operator sdk.AccAddress, amount math.Int) error {
	if amount.IsNil() || amount.IsNegative() {
		return types.ErrInsufficientCollateral.Wrapf("invalid lock amount %s", amount)
	}
	p, err := k.GetProvider(ctx, operator)
	if err != nil {
		return err
	}
	if free := p.FreeCollateral(); free.LT(amount) {
		return types.ErrInsufficientCollateral.Wrapf("provider %s has %s%s free, the audit stake is %s%s",
			p.Operator, free, p.Bond.Denom, amount, p.Bond.Denom)
	}
	old := p
	p.Locked = p.LockedAmount().Add(amount)
	return k.writeProvider(ctx, operator, &old, &p)
}

// ReleaseStake undoes one LockStake (locked never below zero); a provider that has left
// is skipped.
func (k Keeper) ReleaseStake(ctx context.Context, operator sdk.AccAddress, amount math.Int) error {
	if amount.IsNil() || amount.IsNegative() {
		return types.ErrInsufficientCollateral.Wrapf("invalid release amount %s", amount)
	}
	p, err := k.GetProvider(ctx, operator)
	if errors.Is(err, types.ErrProviderNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	old := p
	p.Locked = math.MaxInt(p.LockedAmount().Sub(amount), math.ZeroInt())
	return k.writeProvider(ctx, operator, &old, &p)
}
