package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the messages and params under the amino names of the protos.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgOpenAudit{}, "sovra/x/verify/MsgOpenAudit")
	legacy.RegisterAminoMsg(cdc, &MsgDiscloseOpening{}, "sovra/x/verify/MsgDiscloseOpening")
	legacy.RegisterAminoMsg(cdc, &MsgCommitVerification{}, "sovra/x/verify/MsgCommitVerification")
	legacy.RegisterAminoMsg(cdc, &MsgReveal{}, "sovra/x/verify/MsgReveal")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "sovra/x/verify/MsgUpdateParams")
	cdc.RegisterConcrete(&Params{}, "sovra/x/verify/Params", nil)
}

// RegisterInterfaces registers every Msg as sdk.Msg and the Msg service.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgOpenAudit{},
		&MsgDiscloseOpening{},
		&MsgCommitVerification{},
		&MsgReveal{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
