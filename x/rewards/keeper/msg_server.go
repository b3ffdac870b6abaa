package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/sovra-network/sovra/x/rewards/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the rewards Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// ClaimRewards pays out every pending reward of the signer.
func (m msgServer) ClaimRewards(ctx context.Context, msg *types.MsgClaimRewards) (*types.MsgClaimRewardsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	addr, err := m.addressCodec.StringToBytes(msg.Address)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "invalid address %q: %s", msg.Address, err)
	}
	amount, err := m.Claim(ctx, addr)
	if err != nil {
		return nil, err
	}
	return &types.MsgClaimRewardsResponse{Amount: amount}, nil
}

// UpdateParams replaces the params; only the authority (gov) may.
func (m msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if msg.Authority != m.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", m.authority, msg.Authority)
	}
	if m.hooks != nil {
		floor, err := m.hooks.MinVerificationShare(ctx)
		if err != nil {
			return nil, err
		}
		if msg.Params.VerificationShare.LT(floor) {
			return nil, errorsmod.Wrapf(types.ErrInvalidParams,
				"verification_share %s is below %s, what audits pay out on average (x/verify: audit_rate × verifiers_per_audit)",
				msg.Params.VerificationShare, floor)
		}
	}
	if err := m.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := m.emit(ctx, &types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
