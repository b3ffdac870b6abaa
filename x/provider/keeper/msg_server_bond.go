package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/internal/height"
	"github.com/sovra-network/sovra/x/provider/types"
)

// AddBond moves more of the operator's coins into its bond.
func (ms msgServer) AddBond(ctx context.Context, msg *types.MsgAddBond) (*types.MsgAddBondResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	operator, p, err := ms.operatorProvider(ctx, msg.Operator)
	if err != nil {
		return nil, err
	}
	if p.Status == types.PROVIDER_STATUS_UNBONDING {
		return nil, types.ErrAlreadyUnbonding.Wrapf("provider %s is unbonding; its bond returns at height %d", p.Operator, p.UnbondingHeight)
	}
	if msg.Amount.Denom != p.Bond.Denom {
		return nil, types.ErrInvalidBond.Wrapf("amount denom %s, bond denom is %s", msg.Amount.Denom, p.Bond.Denom)
	}
	if err := ms.bank.SendCoinsFromAccountToModule(ctx, operator, types.ModuleName, sdk.NewCoins(msg.Amount)); err != nil {
		return nil, err
	}
	p.Bond = p.Bond.Add(msg.Amount)
	if err := ms.setProvider(ctx, p); err != nil {
		return nil, err
	}
	if err := ms.addTotalBond(ctx, msg.Amount.Amount); err != nil {
		return nil, err
	}
	if err := ms.emit(ctx, &types.EventBondAdded{
		Operator: p.Operator, Worker: p.Worker, Amount: msg.Amount, Bond: p.Bond,
	}); err != nil {
		return nil, err
	}
	return &types.MsgAddBondResponse{}, nil
}

// Unbond starts the unbonding period. The bond returns in the EndBlocker of the
// completion height; nothing may be locked when it starts.
func (ms msgServer) Unbond(ctx context.Context, msg *types.MsgUnbond) (*types.MsgUnbondResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	operator, p, err := ms.operatorProvider(ctx, msg.Operator)
	if err != nil {
		return nil, err
	}
	if p.Status == types.PROVIDER_STATUS_UNBONDING {
		return nil, types.ErrAlreadyUnbonding.Wrapf("provider %s already unbonds at height %d", p.Operator, p.UnbondingHeight)
	}
	if locked := p.LockedAmount(); locked.IsPositive() || p.ActiveJobs > 0 {
		return nil, types.ErrCollateralLocked.Wrapf("%s%s locked by %d open jobs", locked, p.Bond.Denom, p.ActiveJobs)
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	completion := height.Plus(sdkCtx.BlockHeight(), params.UnbondingPeriod)
	p.Status = types.PROVIDER_STATUS_UNBONDING
	p.UnbondingHeight = completion
	if err := ms.setProvider(ctx, p); err != nil {
		return nil, err
	}
	if err := ms.UnbondingQueue.Set(ctx, collections.Join(completion, operator)); err != nil {
		return nil, err
	}
	if err := ms.emit(ctx, &types.EventUnbondingStarted{
		Operator: p.Operator, Worker: p.Worker, Amount: p.Bond, CompletionHeight: completion,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUnbondResponse{CompletionHeight: completion}, nil
}

// Unjail reactivates a JAILED provider once jailed_until has passed, if its bond still
// meets min_bond; the miss counter restarts.
func (ms msgServer) Unjail(ctx context.Context, msg *types.MsgUnjail) (*types.MsgUnjailResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	_, p, err := ms.operatorProvider(ctx, msg.Operator)
	if err != nil {
		return nil, err
	}
	if p.Status != types.PROVIDER_STATUS_JAILED {
		return nil, types.ErrNotJailed.Wrapf("provider %s is %s", p.Operator, p.Status)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if h := sdkCtx.BlockHeight(); p.JailedUntil > h {
		return nil, types.ErrJailPeriodNotOver.Wrapf("provider %s is jailed until height %d, current height %d", p.Operator, p.JailedUntil, h)
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if p.Bond.Amount.LT(params.MinBond.Amount) {
		return nil, types.ErrBondTooLow.Wrapf("bond %s is below the minimum %s; add bond first", p.Bond, params.MinBond)
	}
	p.Status = types.PROVIDER_STATUS_ACTIVE
	p.Misses = 0
	p.JailedUntil = 0
	if err := ms.setProvider(ctx, p); err != nil {
		return nil, err
	}
	if err := ms.emit(ctx, &types.EventProviderUnjailed{Operator: p.Operator, Worker: p.Worker, Bond: p.Bond}); err != nil {
		return nil, err
	}
	return &types.MsgUnjailResponse{}, nil
}
