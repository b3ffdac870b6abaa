package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/types"
)

func (ms msgServer) checkAuthority(ctx context.Context, authority string) error {
	if err := sdk.ValidateAuthority(sdk.UnwrapSDKContext(ctx), ms.authority, authority); err != nil {
		return types.ErrInvalidAuthority.Wrap(err.Error())
	}
	return nil
}

// RegisterModel adds or replaces a model (authority only).
func (ms msgServer) RegisterModel(ctx context.Context, msg *types.MsgRegisterModel) (*types.MsgRegisterModelResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := ms.checkAuthority(ctx, msg.Authority); err != nil {
		return nil, err
	}
	if err := ms.Models.Set(ctx, msg.Model.Id, msg.Model); err != nil {
		return nil, err
	}
	if err := ms.emit(ctx, &types.EventModelRegistered{
		ModelId: msg.Model.Id, Sha256: msg.Model.Sha256, ContextLength: msg.Model.ContextLength,
		ChatTemplate: msg.Model.ChatTemplate,
	}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterModelResponse{}, nil
}

// UpdateParams replaces the params (authority only). The bond denom cannot change while
// providers exist: their bonds and prices are in the old denom. A new min_bond re-indexes
// the providers it moves into or out of the draw (a walk over all providers).
func (ms msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := ms.checkAuthority(ctx, msg.Authority); err != nil {
		return nil, err
	}
	old, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if old.MinBond.Denom != msg.Params.MinBond.Denom {
		it, err := ms.Providers.Iterate(ctx, nil)
		if err != nil {
			return nil, err
		}
		registered := it.Valid()
		it.Close()
		if registered {
			return nil, types.ErrInvalidParams.Wrapf("cannot change the bond denom from %s to %s while providers are registered",
				old.MinBond.Denom, msg.Params.MinBond.Denom)
		}
	}
	if err := ms.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	// Providers between the old and the new minimum bond enter or leave the draw.
	if !old.MinBond.Amount.Equal(msg.Params.MinBond.Amount) {
		if err := ms.resyncMinBond(ctx, old.MinBond.Amount, msg.Params.MinBond.Amount); err != nil {
			return nil, err
		}
	}
	if err := ms.emit(ctx, &types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
