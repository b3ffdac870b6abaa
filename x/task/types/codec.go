package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the amino names used by legacy signing.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgSubmitJob{}, "sovra/x/task/MsgSubmitJob")
	legacy.RegisterAminoMsg(cdc, &MsgCommitResult{}, "sovra/x/task/MsgCommitResult")
	legacy.RegisterAminoMsg(cdc, &MsgCancelJob{}, "sovra/x/task/MsgCancelJob")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "sovra/x/task/MsgUpdateParams")
}

// RegisterInterfaces registers the module's messages.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgSubmitJob{}, &MsgCommitResult{}, &MsgCancelJob{}, &MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
