package app

import (
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	"github.com/cosmos/cosmos-sdk/x/mint"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"github.com/cosmos/cosmos-sdk/x/upgrade"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/sovra-network/sovra/x/beacon"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/provider"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	"github.com/sovra-network/sovra/x/rewards"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	"github.com/sovra-network/sovra/x/task"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

//nolint:staticcheck // SA1019: module.NewManager of SDK v0.55 still takes module.AppModule values
func (app *App) appModules(enc EncodingConfig) []module.AppModule {
	cdc := enc.Codec
	k := app.Keepers
	return []module.AppModule{
		genutil.NewAppModule(k.AccountKeeper, k.StakingKeeper, app, enc.TxConfig),
		auth.NewAppModule(cdc, k.AccountKeeper, nil),
		bank.NewAppModule(cdc, k.BankKeeper, k.AccountKeeper),
		staking.NewAppModule(cdc, k.StakingKeeper, k.AccountKeeper, k.BankKeeper),
		slashing.NewAppModule(cdc, k.SlashingKeeper, k.AccountKeeper, k.BankKeeper, k.StakingKeeper, enc.InterfaceRegistry),
		distr.NewAppModule(cdc, k.DistrKeeper, k.AccountKeeper, k.BankKeeper, k.StakingKeeper),
		mint.NewAppModule(cdc, k.MintKeeper, k.AccountKeeper, nil),
		gov.NewAppModule(cdc, k.GovKeeper, k.AccountKeeper, k.BankKeeper),
		consensus.NewAppModule(cdc, k.ConsensusKeeper),
		upgrade.NewAppModule(k.UpgradeKeeper, addresscodec.NewBech32Codec(AccountPrefix)),
		beacon.NewAppModule(cdc, k.BeaconKeeper),
		provider.NewAppModule(cdc, k.ProviderKeeper),
		task.NewAppModule(cdc, k.TaskKeeper, k.ProviderKeeper),
		rewards.NewAppModule(cdc, k.RewardsKeeper),
		verify.NewAppModule(cdc, k.VerifyKeeper, k.TaskKeeper, k.ProviderKeeper, k.RewardsKeeper),
	}
}

// setModuleOrder fixes the order of block hooks and genesis. The app's PreBlocker runs
// x/upgrade's PreBlock first, then stores the beacon, then the other PreBlockers
// (upgrades.go), so task's BeginBlocker can assign jobs from this height's beacon.
func setModuleOrder(mm *module.Manager) {
	mm.SetOrderPreBlockers(upgradetypes.ModuleName, authtypes.ModuleName)
	mm.SetOrderBeginBlockers(minttypes.ModuleName, distrtypes.ModuleName, slashingtypes.ModuleName,
		stakingtypes.ModuleName, tasktypes.ModuleName)
	mm.SetOrderEndBlockers(govtypes.ModuleName, stakingtypes.ModuleName, banktypes.ModuleName,
		tasktypes.ModuleName, verifytypes.ModuleName, providertypes.ModuleName)
	genesisOrder := []string{
		authtypes.ModuleName, banktypes.ModuleName, distrtypes.ModuleName, stakingtypes.ModuleName,
		slashingtypes.ModuleName, govtypes.ModuleName, minttypes.ModuleName, consensustypes.ModuleName,
		upgradetypes.ModuleName, providertypes.ModuleName, rewardstypes.ModuleName, tasktypes.ModuleName, verifytypes.ModuleName, genutiltypes.ModuleName,
		beacontypes.ModuleName,
	}
	mm.SetOrderInitGenesis(genesisOrder...)
	mm.SetOrderExportGenesis(genesisOrder...)
}
