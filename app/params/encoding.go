package params

import (
	"sync"

	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/std"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	govv1beta1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1beta1"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"github.com/cosmos/cosmos-sdk/x/tx/signing"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// EncodingConfig bundles the codecs of the chain.
type EncodingConfig struct {
	InterfaceRegistry codectypes.InterfaceRegistry
	Codec             codec.Codec
	TxConfig          client.TxConfig
	Amino             *codec.LegacyAmino
}

// MakeEncodingConfig builds the codecs of every module the chain runs, with the sovra
// address prefixes. Each call returns a fresh registry (the app seals its own).
func MakeEncodingConfig() EncodingConfig {
	SetAddressPrefixes()
	registry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: proto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          address.NewBech32Codec(AccountPrefix),
			ValidatorAddressCodec: address.NewBech32Codec(AccountPrefix + "valoper"),
		},
	})
	if err != nil {
		panic(err)
	}
	cdc := codec.NewProtoCodec(registry)
	amino := codec.NewLegacyAmino()
	std.RegisterLegacyAminoCodec(amino)
	std.RegisterInterfaces(registry)

	// The SDK modules the app wires, then Sovra's; their types packages register
	// messages and interfaces without a keeper (or a module's CLI).
	// TestClientEncodingMatchesTheApp checks that this list and the app's module
	// manager register the same implementations.
	for _, m := range []struct {
		amino      func(*codec.LegacyAmino)
		interfaces func(codectypes.InterfaceRegistry)
	}{
		{authtypes.RegisterLegacyAminoCodec, authtypes.RegisterInterfaces},
		{banktypes.RegisterLegacyAminoCodec, banktypes.RegisterInterfaces},
		{stakingtypes.RegisterLegacyAminoCodec, stakingtypes.RegisterInterfaces},
		{slashingtypes.RegisterLegacyAminoCodec, slashingtypes.RegisterInterfaces},
		{distrtypes.RegisterLegacyAminoCodec, distrtypes.RegisterInterfaces},
		{minttypes.RegisterLegacyAminoCodec, minttypes.RegisterInterfaces},
		{govv1beta1.RegisterLegacyAminoCodec, govv1beta1.RegisterInterfaces},
		{govv1.RegisterLegacyAminoCodec, govv1.RegisterInterfaces},
		{consensustypes.RegisterLegacyAminoCodec, consensustypes.RegisterInterfaces},
		{upgradetypes.RegisterLegacyAminoCodec, upgradetypes.RegisterInterfaces},
		{beacontypes.RegisterLegacyAminoCodec, beacontypes.RegisterInterfaces},
		{providertypes.RegisterLegacyAminoCodec, providertypes.RegisterInterfaces},
		{tasktypes.RegisterLegacyAminoCodec, tasktypes.RegisterInterfaces},
		{rewardstypes.RegisterLegacyAminoCodec, rewardstypes.RegisterInterfaces},
		{verifytypes.RegisterLegacyAminoCodec, verifytypes.RegisterInterfaces},
	} {
		m.amino(amino)
		m.interfaces(registry)
	}
	return EncodingConfig{
		InterfaceRegistry: registry,
		Codec:             cdc,
		TxConfig:          authtx.NewTxConfig(cdc, authtx.DefaultSignModes),
		Amino:             amino,
	}
}

var (
	sharedOnce sync.Once
	shared     EncodingConfig
)

// Encoding returns one process-wide EncodingConfig for clients (worker, load generator,
// CLI helpers), built on first use.
func Encoding() EncodingConfig {
	sharedOnce.Do(func() { shared = MakeEncodingConfig() })
	return shared
}
