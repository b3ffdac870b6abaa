package keeper

import (
	"context"
	"errors"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the beacon Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// RegisterVRFKey registers the VRF public key of the validator operated by
// msg.Operator after checking its proof of possession over
// vrf.PossessionInput(chainID, valoper).
func (s msgServer) RegisterVRFKey(goCtx context.Context, msg *types.MsgRegisterVRFKey) (*types.MsgRegisterVRFKeyResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	ctx := sdk.UnwrapSDKContext(goCtx)
	operator, err := s.addressCodec.StringToBytes(msg.Operator)
	if err != nil {
		return nil, fmt.Errorf("%w: operator %q: %w", types.ErrInvalidAddress, msg.Operator, err)
	}
	val, err := s.stakingKeeper.GetValidator(ctx, sdk.ValAddress(operator))
	if errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		return nil, fmt.Errorf("%w: %s (create the validator first)", types.ErrValidatorNotFound, msg.Operator)
	}
	if err != nil {
		return nil, err
	}
	valoper := val.GetOperator()

	if _, found, err := s.GetVRFKey(ctx, valoper); err != nil {
		return nil, err
	} else if found {
		return nil, fmt.Errorf("%w: %s", types.ErrKeyAlreadyRegistered, valoper)
	}
	chainID := ChainID(ctx)
	if _, ok := vrf.Verify(msg.PubKey, msg.Proof, vrf.PossessionInput(chainID, valoper)); !ok {
		return nil, fmt.Errorf("%w: expected a proof over the possession input for chain %q and validator %s",
			types.ErrInvalidProof, chainID, valoper)
	}

	key := types.VRFKey{Validator: valoper, PubKey: msg.PubKey, RegisteredHeight: ctx.BlockHeight()}
	if err := s.SetVRFKey(ctx, key, msg.Proof); err != nil {
		return nil, err
	}
	if err := s.emit(ctx, &types.EventVRFKeyRegistered{
		Validator: valoper, PubKey: msg.PubKey, Height: ctx.BlockHeight(),
	}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterVRFKeyResponse{}, nil
}

// UpdateParams replaces the params; only the module authority may call it.
func (s msgServer) UpdateParams(goCtx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if msg.Authority != s.authority {
		return nil, fmt.Errorf("%w: expected %s, got %s", types.ErrInvalidAuthority, s.authority, msg.Authority)
	}
	ctx := sdk.UnwrapSDKContext(goCtx)
	if err := s.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := s.emit(ctx, &types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
