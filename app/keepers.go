package app

import (
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	consensuskeeper "github.com/cosmos/cosmos-sdk/x/consensus/keeper"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	mintkeeper "github.com/cosmos/cosmos-sdk/x/mint/keeper"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	upgradekeeper "github.com/cosmos/cosmos-sdk/x/upgrade/keeper"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	beaconkeeper "github.com/sovra-network/sovra/x/beacon/keeper"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	providerkeeper "github.com/sovra-network/sovra/x/provider/keeper"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardskeeper "github.com/sovra-network/sovra/x/rewards/keeper"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	taskkeeper "github.com/sovra-network/sovra/x/task/keeper"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifykeeper "github.com/sovra-network/sovra/x/verify/keeper"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// moduleAccountPerms lists every module account and what it may do. The Sovra accounts
// hold escrow (task), bonds (provider, burns slashed bonds), unclaimed rewards (rewards,
// burns the burn share), the verification pool, and slashed bonds for the instant between
// a verdict's slash and its bounty payout and burn (verify).
var moduleAccountPerms = map[string][]string{
	authtypes.FeeCollectorName:          nil,
	distrtypes.ModuleName:               nil,
	minttypes.ModuleName:                {authtypes.Minter},
	stakingtypes.BondedPoolName:         {authtypes.Burner, authtypes.Staking},
	stakingtypes.NotBondedPoolName:      {authtypes.Burner, authtypes.Staking},
	stakingtypes.KeyRotationFeePoolName: {authtypes.Burner},
	govtypes.ModuleName:                 {authtypes.Burner},
	providertypes.ModuleName:            {authtypes.Burner},
	tasktypes.ModuleName:                nil,
	rewardstypes.ModuleName:             {authtypes.Burner},
	rewardstypes.VerificationPoolName:   nil,
	verifytypes.ModuleName:              {authtypes.Burner},
}

func storeKeys() []string {
	return []string{
		authtypes.StoreKey, banktypes.StoreKey, stakingtypes.StoreKey, slashingtypes.StoreKey,
		distrtypes.StoreKey, minttypes.StoreKey, govtypes.StoreKey, consensustypes.StoreKey, upgradetypes.StoreKey,
		beacontypes.StoreKey, providertypes.StoreKey, tasktypes.StoreKey, rewardstypes.StoreKey,
		verifytypes.StoreKey,
	}
}

// Keepers holds every keeper of the app.
type Keepers struct {
	AccountKeeper   authkeeper.AccountKeeper
	BankKeeper      bankkeeper.BaseKeeper
	StakingKeeper   *stakingkeeper.Keeper
	SlashingKeeper  slashingkeeper.Keeper
	DistrKeeper     distrkeeper.Keeper
	MintKeeper      mintkeeper.Keeper
	GovKeeper       *govkeeper.Keeper
	ConsensusKeeper consensuskeeper.Keeper
	UpgradeKeeper   *upgradekeeper.Keeper

	BeaconKeeper   beaconkeeper.Keeper
	ProviderKeeper providerkeeper.Keeper
	TaskKeeper     taskkeeper.Keeper
	RewardsKeeper  rewardskeeper.Keeper
	VerifyKeeper   verifykeeper.Keeper
}

// blockedAddrs may not receive funds by bank sends: every module account except the
// ones users pay into directly through messages (none here).
func blockedAddrs() map[string]bool {
	out := make(map[string]bool, len(moduleAccountPerms))
	for name := range moduleAccountPerms {
		out[authtypes.NewModuleAddress(name).String()] = true
	}
	return out
}

func newKeepers(app *App, enc EncodingConfig, appOpts servertypes.AppOptions) Keepers {
	cdc := enc.Codec
	store := func(name string) corestore.KVStoreService { return runtime.NewKVStoreService(app.keys[name]) }
	authority := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	accCodec := addresscodec.NewBech32Codec(AccountPrefix)
	valCodec := addresscodec.NewBech32Codec(AccountPrefix + "valoper")
	consCodec := addresscodec.NewBech32Codec(AccountPrefix + "valcons")

	var k Keepers
	k.ConsensusKeeper = consensuskeeper.NewKeeper(cdc, store(consensustypes.StoreKey), authority, runtime.EventService{})
	app.SetParamStore(k.ConsensusKeeper.ParamsStore)
	k.AccountKeeper = authkeeper.NewAccountKeeper(cdc, store(authtypes.StoreKey), authtypes.ProtoBaseAccount,
		moduleAccountPerms, accCodec, AccountPrefix, authority)
	k.BankKeeper = bankkeeper.NewBaseKeeper(cdc, store(banktypes.StoreKey), k.AccountKeeper, blockedAddrs(), authority, app.Logger())
	k.StakingKeeper = stakingkeeper.NewKeeper(cdc, store(stakingtypes.StoreKey), k.AccountKeeper, k.BankKeeper, authority, valCodec, consCodec)
	k.MintKeeper = mintkeeper.NewKeeper(cdc, store(minttypes.StoreKey), k.StakingKeeper, k.AccountKeeper, k.BankKeeper, authtypes.FeeCollectorName, authority)
	k.DistrKeeper = distrkeeper.NewKeeper(cdc, store(distrtypes.StoreKey), k.AccountKeeper, k.BankKeeper, k.StakingKeeper, authtypes.FeeCollectorName, authority)
	k.SlashingKeeper = slashingkeeper.NewKeeper(cdc, enc.Amino, store(slashingtypes.StoreKey), k.StakingKeeper, authority)
	// Votes are tallied by bonded stake (the SDK's default tally: without one, the end of
	// a voting period panics).
	k.GovKeeper = govkeeper.NewKeeper(cdc, store(govtypes.StoreKey), k.AccountKeeper, k.BankKeeper, k.DistrKeeper,
		app.MsgServiceRouter(), govtypes.DefaultConfig(), authority, govkeeper.NewDefaultCalculateVoteResultsAndVotingPower(k.StakingKeeper))
	// Plans are scheduled by gov (MsgSoftwareUpgrade); app.BaseApp records the protocol
	// version an applied upgrade sets (upgrades.go).
	k.UpgradeKeeper = upgradekeeper.NewKeeper(skipUpgradeHeights(appOpts), store(upgradetypes.StoreKey), cdc,
		homeDir(appOpts), app.BaseApp, authority)

	k.BeaconKeeper = beaconkeeper.NewKeeper(cdc, store(beacontypes.StoreKey), runtime.EventService{}, accCodec, authority, k.StakingKeeper)
	// x/beacon records when each validator is first bonded (its VRF grace period).
	k.StakingKeeper.SetHooks(stakingtypes.NewMultiStakingHooks(k.DistrKeeper.Hooks(), k.SlashingKeeper.Hooks(), k.BeaconKeeper.Hooks()))
	k.ProviderKeeper = providerkeeper.NewKeeper(cdc, store(providertypes.StoreKey), runtime.EventService{}, accCodec, authority, k.BankKeeper, k.AccountKeeper)
	k.TaskKeeper, k.RewardsKeeper, k.VerifyKeeper = newAuditKeepers(cdc, store, accCodec, authority, k)
	return k
}

// newAuditKeepers builds x/task, x/rewards and x/verify without a setter. x/task asks
// x/verify about audits and x/rewards asks it for the verification share floor, through
// hooks passed at construction (tasktypes.AuditHooks, rewardstypes.VerificationHooks),
// while x/verify needs x/task (to settle, fail and refund audited jobs) and x/rewards (to
// pay verifiers). The cycle is broken by building x/task and x/rewards twice over the same
// store services: first without hooks, for x/verify, whose calls (SettleJob, FailJob,
// RefundAuditedJob, GetJob, RetentionBlocks; PayFromVerificationPool, Accrue, GetParams)
// never reach a hook; then with x/verify as hooks, for the modules and everything else.
// The keepers hold no in-memory state beyond their immutable wiring (collections are
// handles on the store service), so both copies always see the same state.
func newAuditKeepers(
	cdc codec.Codec, store func(string) corestore.KVStoreService, accCodec address.Codec, authority string, k Keepers,
) (taskkeeper.Keeper, rewardskeeper.Keeper, verifykeeper.Keeper) {
	rewardsNoHooks := rewardskeeper.NewKeeper(cdc, store(rewardstypes.StoreKey), runtime.EventService{}, accCodec, authority,
		k.AccountKeeper, k.BankKeeper, k.DistrKeeper, nil)
	taskNoHooks := taskkeeper.NewKeeper(cdc, store(tasktypes.StoreKey), runtime.EventService{}, accCodec, authority, k.BankKeeper,
		k.AccountKeeper, k.ProviderKeeper, k.BeaconKeeper, rewardsNoHooks, nil)
	verify := verifykeeper.NewKeeper(cdc, store(verifytypes.StoreKey), runtime.EventService{}, accCodec, authority, k.AccountKeeper,
		taskNoHooks, k.ProviderKeeper, k.BeaconKeeper, rewardsNoHooks, k.BankKeeper)
	task := taskkeeper.NewKeeper(cdc, store(tasktypes.StoreKey), runtime.EventService{}, accCodec, authority, k.BankKeeper,
		k.AccountKeeper, k.ProviderKeeper, k.BeaconKeeper, rewardsNoHooks, verify)
	rewards := rewardskeeper.NewKeeper(cdc, store(rewardstypes.StoreKey), runtime.EventService{}, accCodec, authority,
		k.AccountKeeper, k.BankKeeper, k.DistrKeeper, verify)
	return task, rewards, verify
}
