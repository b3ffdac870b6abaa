// Package cmd builds sovrad's commands: the node (start, init, genesis, comet), keys,
// and the module commands, which autocli generates from the services.
package cmd

import (
	"os"

	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cobra"

	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/debug"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/client/pruning"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	"github.com/cosmos/cosmos-sdk/client/snapshot"
	"github.com/cosmos/cosmos-sdk/codec/address"
	runtimeservices "github.com/cosmos/cosmos-sdk/runtime/services"
	"github.com/cosmos/cosmos-sdk/server"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	authcli "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	"github.com/sovra-network/sovra/app"
	beaconcli "github.com/sovra-network/sovra/x/beacon/client/cli"
)

// NewRootCmd returns sovrad's root command.
func NewRootCmd() *cobra.Command {
	// A throwaway app on an in-memory db gives the codecs (with every module's types
	// registered) and autocli's module list and services.
	tempApp := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, emptyAppOptions{})
	enc := tempApp.EncodingConfig()

	initClientCtx := client.Context{}.
		WithCodec(enc.Codec).
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).
		WithLegacyAmino(enc.Amino).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(app.DefaultNodeHome).
		WithViper("SOVRA")

	rootCmd := &cobra.Command{
		Use:           "sovrad",
		Short:         "Sovra: verifiable, decentralized AI inference",
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			ctx := initClientCtx.WithCmdContext(cmd.Context())
			ctx, err := client.ReadPersistentCommandFlags(ctx, cmd.Flags())
			if err != nil {
				return err
			}
			if ctx, err = config.ReadFromClientConfig(ctx); err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(ctx, cmd); err != nil {
				return err
			}
			appTemplate, appConfig := initAppConfig()
			return server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, initCometConfig())
		},
	}

	rootCmd.AddCommand(
		genutilcli.InitCmd(tempApp.BasicModuleManager, app.DefaultNodeHome),
		debug.Cmd(),
		pruning.Cmd(newApp, app.DefaultNodeHome),
		snapshot.Cmd(newApp),
		beaconcli.NewVRFCmd(),
	)
	server.AddCommands(rootCmd, app.DefaultNodeHome, newApp, exportApp, func(*cobra.Command) {})

	genesisCmd := genutilcli.Commands(enc.TxConfig, tempApp.BasicModuleManager, app.DefaultNodeHome)
	genesisCmd.AddCommand(beaconcli.AddGenesisVRFKeyCmd(app.DefaultNodeHome))
	rootCmd.AddCommand(
		server.StatusCommand(),
		genesisCmd,
		queryCommand(),
		txCommand(),
		keys.Commands(),
	)

	autoCliOpts := autocli.AppOptions{
		Modules:               coreModules(tempApp.ModuleManager.Modules),
		ModuleOptions:         runtimeservices.ExtractAutoCLIOptions(tempApp.ModuleManager.Modules),
		AddressCodec:          address.NewBech32Codec(app.AccountPrefix),
		ValidatorAddressCodec: address.NewBech32Codec(app.AccountPrefix + "valoper"),
		ConsensusAddressCodec: address.NewBech32Codec(app.AccountPrefix + "valcons"),
		ClientCtx:             initClientCtx,
	}
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	return rootCmd
}

func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use: "query", Aliases: []string{"q"}, Short: "Querying subcommands",
		DisableFlagParsing: false, SuggestionsMinimumDistance: 2, RunE: client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.QueryEventForTxCmd(),
		rpc.ValidatorCommand(),
		server.QueryBlockCmd(),
		authcli.QueryTxsByEventsCmd(),
		server.QueryBlocksCmd(),
		authcli.QueryTxCmd(),
		server.QueryBlockResultsCmd(),
	)
	return cmd
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use: "tx", Short: "Transactions subcommands",
		DisableFlagParsing: false, SuggestionsMinimumDistance: 2, RunE: client.ValidateCmd,
	}
	cmd.AddCommand(
		authcli.GetSignCommand(),
		authcli.GetSignBatchCommand(),
		authcli.GetMultiSignCommand(),
		authcli.GetMultiSignBatchCmd(),
		authcli.GetValidateSignaturesCommand(),
		authcli.GetBroadcastCommand(),
		authcli.GetEncodeCommand(),
		authcli.GetDecodeCommand(),
		authcli.GetSimulateCmd(),
	)
	return cmd
}

func newApp(logger log.Logger, db dbm.DB, appOpts servertypes.AppOptions) servertypes.Application {
	return app.New(logger, db, nil, true, appOpts, server.DefaultBaseappOptions(appOpts)...)
}

func exportApp(logger log.Logger, db dbm.DB, height int64, forZeroHeight bool, jailAllowedAddrs []string,
	appOpts servertypes.AppOptions, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	if height == -1 {
		a := app.New(logger, db, nil, true, appOpts)
		return a.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
	}
	a := app.New(logger, db, nil, false, appOpts)
	if err := a.LoadHeight(height); err != nil {
		return servertypes.ExportedApp{}, err
	}
	return a.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}

// initAppConfig sets usovra as the minimum gas price denom.
func initAppConfig() (string, any) {
	cfg := serverconfig.DefaultConfig()
	cfg.MinGasPrices = "0" + app.BondDenom
	return serverconfig.DefaultConfigTemplate, cfg
}

// initCometConfig shortens block time for an inference chain: results and audits move
// one step per block.
func initCometConfig() *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	return cfg
}

type emptyAppOptions struct{}

func (emptyAppOptions) Get(string) any { return nil }

// coreModules keeps the modules that autocli can read services from.
func coreModules(mods map[string]any) map[string]appmodule.AppModule {
	out := make(map[string]appmodule.AppModule, len(mods))
	for name, m := range mods {
		if am, ok := m.(appmodule.AppModule); ok {
			out[name] = am
		}
	}
	return out
}
