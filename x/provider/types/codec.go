package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the messages under the amino names of the proto files.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	cdc.RegisterConcrete(Params{}, "sovra/x/provider/Params", nil)
	legacy.RegisterAminoMsg(cdc, &MsgRegisterProvider{}, "sovra/x/provider/MsgRegisterProvider")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateProvider{}, "sovra/x/provider/MsgUpdateProvider")
	legacy.RegisterAminoMsg(cdc, &MsgChangeWorker{}, "sovra/x/provider/MsgChangeWorker")
	legacy.RegisterAminoMsg(cdc, &MsgAddBond{}, "sovra/x/provider/MsgAddBond")
	legacy.RegisterAminoMsg(cdc, &MsgUnbond{}, "sovra/x/provider/MsgUnbond")
	legacy.RegisterAminoMsg(cdc, &MsgUnjail{}, "sovra/x/provider/MsgUnjail")
	legacy.RegisterAminoMsg(cdc, &MsgSetAuditKey{}, "sovra/x/provider/MsgSetAuditKey")
	legacy.RegisterAminoMsg(cdc, &MsgRegisterModel{}, "sovra/x/provider/MsgRegisterModel")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "sovra/x/provider/MsgUpdateParams")
}

// RegisterInterfaces registers every Msg as sdk.Msg and the Msg service descriptor.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRegisterProvider{},
		&MsgUpdateProvider{},
		&MsgChangeWorker{},
		&MsgAddBond{},
		&MsgUnbond{},
		&MsgUnjail{},
		&MsgSetAuditKey{},
		&MsgRegisterModel{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
