package app

import (
	"encoding/json"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// DefaultGenesis is the modules' default genesis with usovra as the staking, mint and
// gov denom and the SOVRA display metadata.
func DefaultGenesis(cdc codec.JSONCodec, basics module.BasicManager) map[string]json.RawMessage {
	gen := basics.DefaultGenesis(cdc)

	var staking stakingtypes.GenesisState
	cdc.MustUnmarshalJSON(gen[stakingtypes.ModuleName], &staking)
	staking.Params.BondDenom = BondDenom
	gen[stakingtypes.ModuleName] = cdc.MustMarshalJSON(&staking)

	var mint minttypes.GenesisState
	cdc.MustUnmarshalJSON(gen[minttypes.ModuleName], &mint)
	mint.Params.MintDenom = BondDenom
	gen[minttypes.ModuleName] = cdc.MustMarshalJSON(&mint)

	var gov govv1.GenesisState
	cdc.MustUnmarshalJSON(gen["gov"], &gov)
	gov.Params.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(BondDenom, 10_000_000))
	gov.Params.ExpeditedMinDeposit = sdk.NewCoins(sdk.NewInt64Coin(BondDenom, 50_000_000))
	gen["gov"] = cdc.MustMarshalJSON(&gov)

	var bank banktypes.GenesisState
	cdc.MustUnmarshalJSON(gen[banktypes.ModuleName], &bank)
	bank.DenomMetadata = []banktypes.Metadata{{
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
	gen[banktypes.ModuleName] = cdc.MustMarshalJSON(&bank)
	return gen
}
