package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/provider Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{Keeper: k} }

// checkModels checks the stateful part of a model list: at most max_models, all registered.
func (k Keeper) checkModels(ctx context.Context, params types.Params, models []string) error {
	if len(models) > int(params.MaxModels) {
		return types.ErrTooManyModels.Wrapf("%d models, max_models is %d", len(models), params.MaxModels)
	}
	for _, id := range models {
		has, err := k.Models.Has(ctx, id)
		if err != nil {
			return err
		}
		if !has {
			return types.ErrUnknownModel.Wrapf("model %q is not registered", id)
		}
	}
	return nil
}

// checkPriceDenom requires prices in the bond denom.
func checkPriceDenom(params types.Params, price sdk.Coin) error {
	if price.Denom != params.MinBond.Denom {
		return types.ErrInvalidPrice.Wrapf("price_per_token denom %s, must be the bond denom %s", price.Denom, params.MinBond.Denom)
	}
	return nil
}

// checkWorkerFree fails when worker is already the worker of a provider other than operator.
func (k Keeper) checkWorkerFree(ctx context.Context, worker, operator sdk.AccAddress) error {
	other, err := k.GetProviderByWorker(ctx, worker)
	if err != nil {
		if errors.Is(err, types.ErrProviderNotFound) {
			return nil
		}
		return err
	}
	if other.Operator != k.addrString(operator) {
		return types.ErrWorkerInUse.Wrapf("%s is the worker of provider %s", k.addrString(worker), other.Operator)
	}
	return nil
}

func (k Keeper) mustAddr(field, s string) (sdk.AccAddress, error) {
	a, err := k.addressCodec.StringToBytes(s)
	if err != nil {
		return nil, types.ErrInvalidProvider.Wrapf("%s %q: %s", field, s, err)
	}
	return a, nil
}

// RegisterProvider bonds a new provider (status ACTIVE).
func (ms msgServer) RegisterProvider(ctx context.Context, msg *types.MsgRegisterProvider) (*types.MsgRegisterProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	operator, err := ms.mustAddr("operator", msg.Operator)
	if err != nil {
		return nil, err
	}
	worker, err := ms.mustAddr("worker", msg.Worker)
	if err != nil {
		return nil, err
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if has, err := ms.Providers.Has(ctx, operator); err != nil {
		return nil, err
	} else if has {
		return nil, types.ErrProviderExists.Wrapf("operator %s already has a provider", msg.Operator)
	}
	if err := ms.checkWorkerFree(ctx, worker, operator); err != nil {
		return nil, err
	}
	if err := ms.checkModels(ctx, params, msg.Models); err != nil {
		return nil, err
	}
	if msg.Bond.Denom != params.MinBond.Denom {
		return nil, types.ErrInvalidBond.Wrapf("bond denom %s, must be %s", msg.Bond.Denom, params.MinBond.Denom)
	}
	if msg.Bond.Amount.LT(params.MinBond.Amount) {
		return nil, types.ErrBondTooLow.Wrapf("bond %s is below the minimum %s", msg.Bond, params.MinBond)
	}
	if err := checkPriceDenom(params, msg.PricePerToken); err != nil {
		return nil, err
	}
	maxJobs := msg.MaxJobs
	if maxJobs == 0 {
		maxJobs = types.DefaultMaxJobs
	}

	if err := ms.bank.SendCoinsFromAccountToModule(ctx, operator, types.ModuleName, sdk.NewCoins(msg.Bond)); err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	p := types.Provider{
		Operator:         ms.addrString(operator), // canonical (lower-case) bech32
		Worker:           ms.addrString(worker),
		Models:           append([]string(nil), msg.Models...),
		PricePerToken:    msg.PricePerToken,
		Endpoint:         msg.Endpoint,
		Hardware:         msg.Hardware,
		Profile:          msg.Profile,
		MaxJobs:          maxJobs,
		Bond:             msg.Bond,
		Locked:           math.ZeroInt(),
		Status:           types.PROVIDER_STATUS_ACTIVE,
		RegisteredHeight: sdkCtx.BlockHeight(),
	}
	if err := ms.setProvider(ctx, p); err != nil {
		return nil, err
	}
	if err := ms.addTotalBond(ctx, msg.Bond.Amount); err != nil {
		return nil, err
	}
	if err := ms.emit(ctx, &types.EventProviderRegistered{
		Operator: p.Operator, Worker: p.Worker, Models: p.Models, Bond: p.Bond, PricePerToken: p.PricePerToken, Profile: p.Profile,
	}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterProviderResponse{}, nil
}

// operatorProvider decodes a message's operator address and loads its provider.
func (ms msgServer) operatorProvider(ctx context.Context, operatorStr string) (sdk.AccAddress, types.Provider, error) {
	operator, err := ms.mustAddr("operator", operatorStr)
	if err != nil {
		return nil, types.Provider{}, err
	}
	p, err := ms.GetProvider(ctx, operator)
	return operator, p, err
}
