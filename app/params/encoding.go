package params

import (
	"sync"

	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/std"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	"github.com/cosmos/cosmos-sdk/x/bank"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	"github.com/cosmos/cosmos-sdk/x/gov"
	"github.com/cosmos/cosmos-sdk/x/mint"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	"github.com/cosmos/cosmos-sdk/x/staking"
	"github.com/cosmos/cosmos-sdk/x/tx/signing"

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

// sdkModules are the SDK modules the app wires; their zero values register their
// messages and interfaces without keepers. app tests check that this list and the
// app's module manager register the same implementations.
func sdkModules() module.BasicManager {
	return module.NewBasicManager(
		auth.AppModuleBasic{}, bank.AppModuleBasic{}, staking.AppModuleBasic{},
		slashing.AppModuleBasic{}, distr.AppModuleBasic{}, mint.AppModuleBasic{},
		gov.NewAppModuleBasic(nil), consensus.AppModuleBasic{},
	)
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

	basics := sdkModules()
	basics.RegisterLegacyAminoCodec(amino)
	basics.RegisterInterfaces(registry)
	for _, m := range []struct {
		amino      func(*codec.LegacyAmino)
		interfaces func(codectypes.InterfaceRegistry)
	}{
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
