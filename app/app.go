// Package app wires the Sovra chain: the SDK modules a proof-of-stake chain needs and
// the Sovra modules (beacon, provider, task, rewards), explicitly, without depinject.
package app

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	nodeservice "github.com/cosmos/cosmos-sdk/client/grpc/node"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	"github.com/spf13/cast"

	"github.com/sovra-network/sovra/app/upgrades"
	beaconabci "github.com/sovra-network/sovra/x/beacon/abci"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

var _ servertypes.Application = (*App)(nil)

// App is the Sovra application.
type App struct {
	*baseapp.BaseApp
	Keepers

	appCodec          codec.Codec
	legacyAmino       *codec.LegacyAmino
	txConfig          client.TxConfig
	interfaceRegistry codectypes.InterfaceRegistry
	keys              map[string]*storetypes.KVStoreKey

	ModuleManager      *module.Manager
	BasicModuleManager module.BasicManager

	// beaconPreBlock stores the beacon and runs the modules' PreBlock after x/upgrade's
	// (PreBlocker, upgrades.go).
	beaconPreBlock *beaconabci.PreBlockHandler
}

// New builds the app on db. appOpts come from the node's config (home, chain id, ...).
// It applies the upgrades this build knows (app/upgrades.List).
func New(logger log.Logger, db dbm.DB, traceStore io.Writer, loadLatest bool, appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp)) *App {
	return NewWithUpgrades(upgrades.List(), logger, db, traceStore, loadLatest, appOpts, baseAppOptions...)
}

// NewWithUpgrades is New with ups instead of this build's upgrades, so that an app-level
// test runs, in one process, the binary that stops at a plan's height and the one that
// applies the plan.
func NewWithUpgrades(ups []upgrades.Upgrade, logger log.Logger, db dbm.DB, traceStore io.Writer, loadLatest bool,
	appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp),
) *App {
	enc := MakeEncodingConfig()
	bApp := baseapp.NewBaseApp(Name, logger, db, beaconabci.WrapTxDecoder(enc.TxConfig.TxDecoder()), baseAppOptions...)
	bApp.SetInterfaceRegistry(enc.InterfaceRegistry)
	bApp.SetTxEncoder(enc.TxConfig.TxEncoder())

	app := &App{
		BaseApp:           bApp,
		appCodec:          enc.Codec,
		legacyAmino:       enc.Amino,
		txConfig:          enc.TxConfig,
		interfaceRegistry: enc.InterfaceRegistry,
		keys:              storetypes.NewKVStoreKeys(storeKeys()...),
	}
	app.Keepers = newKeepers(app, enc, appOpts)
	app.ModuleManager = module.NewManager(app.appModules(enc)...)
	app.BasicModuleManager = module.NewBasicManagerFromManager(app.ModuleManager, map[string]module.AppModuleBasic{
		genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
		govtypes.ModuleName:     gov.NewAppModuleBasic(nil),
		banktypes.ModuleName:    bankBasic{app.ModuleManager.Modules[banktypes.ModuleName].(bank.AppModule).AppModuleBasic},
	})
	// enc already holds every module's codecs (app/params); TestClientEncodingMatchesTheApp
	// checks that it registers exactly what this module manager would.
	setModuleOrder(app.ModuleManager)

	configurator := module.NewConfigurator(app.appCodec, app.MsgServiceRouter(), app.GRPCQueryRouter())
	if err := app.ModuleManager.RegisterServices(configurator); err != nil {
		panic(err)
	}
	app.registerUpgrades(ups, configurator, homeDir(appOpts))
	app.MountKVStores(app.keys)

	app.SetInitChainer(app.InitChainer)
	app.beaconPreBlock = beaconabci.NewPreBlockHandler(app.BeaconKeeper, preBlockersAfterUpgrade{app.ModuleManager})
	app.SetPreBlocker(app.PreBlocker)
	app.SetBeginBlocker(app.BeginBlocker)
	app.SetEndBlocker(app.EndBlocker)
	app.setAnteHandler()
	app.setProposalHandlers(logger, appOpts)

	if loadLatest {
		if err := app.LoadLatestVersion(); err != nil {
			panic(fmt.Errorf("load latest version: %w", err))
		}
	}
	return app
}

func (app *App) setAnteHandler() {
	h, err := ante.NewAnteHandler(ante.HandlerOptions{
		AccountKeeper:   app.AccountKeeper,
		BankKeeper:      app.BankKeeper,
		SignModeHandler: app.txConfig.SignModeHandler(),
		SigGasConsumer:  ante.DefaultSigVerificationGasConsumer,
	})
	if err != nil {
		panic(err)
	}
	app.SetAnteHandler(h)
}

// setProposalHandlers puts the beacon entry first in every proposal and checks it in
// every vote; the SDK's default handlers do the rest.
func (app *App) setProposalHandlers(logger log.Logger, appOpts servertypes.AppOptions) {
	def := baseapp.NewDefaultProposalHandler(app.Mempool(), app)
	keys, opts := nodeVRFKeys(logger, appOpts)
	h := beaconabci.NewProposalHandler(logger, app.BeaconKeeper, app.StakingKeeper, keys,
		def.PrepareProposalHandler(), def.ProcessProposalHandler(), opts...)
	app.SetPrepareProposal(h.PrepareProposal())
	app.SetProcessProposal(h.ProcessProposal())
}

// nodeVRFKeys follows <home>/config/vrf_key.json: the proposal handler reads it again
// when it appears or changes, so a key created after the node started is used without a
// restart (a node without one proposes weak beacons). The node's consensus address, from
// its priv_validator_key.json, lets the handler report the node's VRF readiness (log,
// metrics) at every height.
func nodeVRFKeys(logger log.Logger, appOpts servertypes.AppOptions) (beaconabci.KeySource, []beaconabci.Option) {
	home := cast.ToString(appOpts.Get(flags.FlagHome))
	if home == "" {
		return beaconabci.StaticKey(nil), nil
	}
	pvKeyFile := cast.ToString(appOpts.Get("priv_validator_key_file"))
	switch {
	case pvKeyFile == "":
		pvKeyFile = filepath.Join(home, "config", "priv_validator_key.json")
	case !filepath.IsAbs(pvKeyFile):
		pvKeyFile = filepath.Join(home, pvKeyFile)
	}
	keys := beaconabci.NewFileKeySource(logger.With("module", "x/beacon"), vrf.DefaultKeyFile(home), pvKeyFile)
	var opts []beaconabci.Option
	if addr, err := vrf.ConsensusAddressFromKeyFile(pvKeyFile); err == nil {
		opts = append(opts, beaconabci.WithNodeConsAddress(addr))
	}
	return keys, opts
}

func (app *App) BeginBlocker(ctx sdk.Context) (sdk.BeginBlock, error) {
	return app.ModuleManager.BeginBlock(ctx)
}

func (app *App) EndBlocker(ctx sdk.Context) (sdk.EndBlock, error) {
	return app.ModuleManager.EndBlock(ctx)
}

// InitChainer loads the genesis state of every module.
func (app *App) InitChainer(ctx sdk.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	var state map[string]json.RawMessage
	if err := json.Unmarshal(req.AppStateBytes, &state); err != nil {
		return nil, err
	}
	// Every module's version from the start, so the first upgrade migrates from them
	// (RunMigrations treats a module missing from the map as new).
	if err := app.UpgradeKeeper.SetModuleVersionMap(ctx, app.ModuleManager.GetVersionMap()); err != nil {
		return nil, err
	}
	return app.ModuleManager.InitGenesis(ctx, app.appCodec, state)
}

// LoadHeight loads the state at a height (used by export).
func (app *App) LoadHeight(height int64) error { return app.LoadVersion(height) }

// AppCodec returns the app's proto codec.
func (app *App) AppCodec() codec.Codec { return app.appCodec }

// TxConfig returns the app's tx config.
func (app *App) TxConfig() client.TxConfig { return app.txConfig }

// EncodingConfig returns the codecs with every module's types registered.
func (app *App) EncodingConfig() EncodingConfig {
	return EncodingConfig{InterfaceRegistry: app.interfaceRegistry, Codec: app.appCodec, TxConfig: app.txConfig, Amino: app.legacyAmino}
}

// InterfaceRegistry returns the app's interface registry.
func (app *App) InterfaceRegistry() codectypes.InterfaceRegistry { return app.interfaceRegistry }

// DefaultGenesis is every module's default genesis with the sovra denom.
func (app *App) DefaultGenesis() map[string]json.RawMessage {
	return DefaultGenesis(app.appCodec, app.BasicModuleManager)
}

func (app *App) RegisterAPIRoutes(apiSvr *api.Server, _ config.APIConfig) {
	clientCtx := apiSvr.ClientCtx
	authtx.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	cmtservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	nodeservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	app.BasicModuleManager.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
}

func (app *App) RegisterTxService(clientCtx client.Context) {
	authtx.RegisterTxService(app.GRPCQueryRouter(), clientCtx, app.Simulate, app.interfaceRegistry)
}

func (app *App) RegisterTendermintService(clientCtx client.Context) {
	cmtApp := server.NewCometABCIWrapper(app)
	cmtservice.RegisterTendermintService(clientCtx, app.GRPCQueryRouter(), app.interfaceRegistry, cmtApp.Query)
}

func (app *App) RegisterNodeService(clientCtx client.Context, cfg config.Config) {
	nodeservice.RegisterNodeService(clientCtx, app.GRPCQueryRouter(), cfg, func() int64 {
		return app.CommitMultiStore().EarliestVersion()
	})
}
