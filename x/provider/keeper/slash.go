package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	heightpkg "github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/provider/types"
)

// Slash takes min(amount, bond) from an operator's bond and sends exactly that from the
// provider module account to the module account recipientModule, returning the amount
// taken. The bond and the running total shrink by it and locked is clamped to the new
// bond, so the module account still holds the sum of all bonds. Every index follows the
// new bond: a provider left below min_bond has draw weight 0 and takes no new job until
// it adds bond (MsgAddBond); a bond of zero stays registered.
//
// jail: an ACTIVE provider is jailed for jail_blocks (event provider_jailed); a JAILED one
// stays jailed until the later of its current release and now + jail_blocks; an UNBONDING
// one is not jailed, but its slash reduces what the unbonding returns (the bond is the
// only record of that amount).
//
// Errors, with nothing changed: amount not positive or recipientModule empty or this
// module (ErrInvalidSlash); no provider (ErrProviderNotFound, also for one whose
// unbonding completed); a failed bank transfer. Emits provider_slashed (operator, worker,
// amount as a coin, recipient, jailed = whether the provider is JAILED after the slash
// because jail was asked, bond left).
func (k Keeper) Slash(
	ctx context.Context, operator sdk.AccAddress, amount math.Int, recipientModule string, jail bool,
) (math.Int, error) {
	if amount.IsNil() || !amount.IsPositive() {
		return math.Int{}, types.ErrInvalidSlash.Wrapf("slash amount must be positive, got %s", amount)
	}
	if recipientModule == "" || recipientModule == types.ModuleName {
		return math.Int{}, types.ErrInvalidSlash.Wrapf("recipient module %q: name another module's account", recipientModule)
	}
	p, err := k.GetProvider(ctx, operator)
	if err != nil {
		return math.Int{}, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.Int{}, err
	}
	taken := math.MinInt(amount, p.Bond.Amount)
	slashed := sdk.NewCoin(p.Bond.Denom, taken)
	if taken.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, recipientModule, sdk.NewCoins(slashed)); err != nil {
			return math.Int{}, err
		}
	}

	old := p
	p.Bond = sdk.NewCoin(p.Bond.Denom, p.Bond.Amount.Sub(taken))
	if p.LockedAmount().GT(p.Bond.Amount) {
		p.Locked = p.Bond.Amount
	}
	jailed := false
	if jail {
		height := sdk.UnwrapSDKContext(ctx).BlockHeight()
		switch p.Status {
		case types.PROVIDER_STATUS_ACTIVE:
			if err := k.jail(ctx, &p, params); err != nil {
				return math.Int{}, err
			}
			jailed = true
		case types.PROVIDER_STATUS_JAILED:
			if p.JailedUntil < heightpkg.Plus(height, params.JailBlocks) {
				if err := k.jail(ctx, &p, params); err != nil {
					return math.Int{}, err
				}
			}
			jailed = true
		}
	}
	if err := k.writeProviderMin(ctx, operator, &old, &p, params.MinBond.Amount); err != nil {
		return math.Int{}, err
	}
	if err := k.addTotalBond(ctx, taken.Neg()); err != nil {
		return math.Int{}, err
	}
	if err := k.emit(ctx, &types.EventProviderSlashed{
		Operator: p.Operator, Worker: p.Worker, Amount: slashed, Recipient: recipientModule, Jailed: jailed, Bond: p.Bond,
	}); err != nil {
		return math.Int{}, err
	}
	return taken, nil
}

// RecordAudit counts an audit outcome in the provider's audits_passed, audits_failed or
// audits_missed. It changes nothing else (no jail, no weight). An operator whose unbonding
// completed within the last unbonding_period blocks (see Departed) is a no-op returning
// nil, since an audit can end after one of its parties left; any other address without a
// provider is ErrProviderNotFound, and an outcome outside the three is
// ErrInvalidAuditOutcome.
func (k Keeper) RecordAudit(ctx context.Context, operator sdk.AccAddress, outcome types.AuditOutcome) error {
	if !outcome.IsValid() {
		return types.ErrInvalidAuditOutcome.Wrapf("%s", outcome)
	}
	p, err := k.Providers.Get(ctx, operator)
	if errors.Is(err, collections.ErrNotFound) {
		departed, err := k.Departed.Has(ctx, operator)
		if err != nil || departed {
			return err
		}
		return types.ErrProviderNotFound.Wrapf("no provider with operator %s", k.addrString(operator))
	}
	if err != nil {
		return err
	}
	old := p
	switch outcome {
	case types.AuditPassed:
		p.AuditsPassed++
	case types.AuditFailed:
		p.AuditsFailed++
	case types.AuditMissed:
		p.AuditsMissed++
	}
	return k.writeProvider(ctx, operator, &old, &p)
}

// Jail jails an ACTIVE provider for jail_blocks (or extends a JAILED one's term) without
// taking bond: x/verify convicts a provider whose whole bond backs other open jobs.
func (k Keeper) Jail(ctx context.Context, operator sdk.AccAddress) error {
	p, err := k.GetProvider(ctx, operator)
	if err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if p.Status != types.PROVIDER_STATUS_ACTIVE && (p.Status != types.PROVIDER_STATUS_JAILED || p.JailedUntil >= heightpkg.Plus(height, params.JailBlocks)) {
		return nil
	}
	old := p
	if err := k.jail(ctx, &p, params); err != nil {
		return err
	}
	return k.writeProviderMin(ctx, operator, &old, &p, params.MinBond.Amount)
}
