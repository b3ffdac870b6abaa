package app

import (
	"encoding/json"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// DefaultGenesis is every module's default genesis. usovra is the staking, mint and gov
// denom through sdk.DefaultBondDenom (set by SetAddressPrefixes), and bank carries the
// SOVRA display metadata (bankBasic), so `sovrad init` writes the same genesis.
func DefaultGenesis(cdc codec.JSONCodec, basics module.BasicManager) map[string]json.RawMessage {
	return basics.DefaultGenesis(cdc)
}

// bankBasic is bank's basic module with the usovra/SOVRA metadata in its default genesis.
type bankBasic struct{ bank.AppModuleBasic }

func (bankBasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	gen := banktypes.DefaultGenesisState()
	gen.DenomMetadata = []banktypes.Metadata{{
		Description: "The native token of Sovra",
		Base:        BondDenom,
		Display:     DisplayDenom,
		Name:        "Sovra",
		Symbol:      DisplayDenom,
		DenomUnits: []*banktypes.DenomUnit{
			{Denom: BondDenom, Exponent: 0},
			{Denom: DisplayDenom, Exponent: DenomExponent},
		},
	}}
	return cdc.MustMarshalJSON(gen)
}
