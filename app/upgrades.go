package app

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/spf13/cast"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/sovra-network/sovra/app/upgrades"
)

// registerUpgrades installs a handler for each upgrade (app/upgrades) and, when the node
// restarts at the height of one of them with store changes, the store loader that applies
// them. The old binary wrote data/upgrade-info.json (name and height) when it stopped at
// the plan's height; UpgradeStoreLoader applies the store upgrades only when the next
// block is that height. A bad list is a programming error: it panics at start.
func (app *App) registerUpgrades(ups []upgrades.Upgrade, cfg module.Configurator, home string) {
	if err := upgrades.Validate(ups); err != nil {
		panic(fmt.Errorf("app/upgrades: %w", err))
	}
	for _, u := range ups {
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, u.Handler(app.ModuleManager, cfg))
	}
	if home == "" {
		return // no node home (the CLI's throwaway app): no upgrade-info.json to read
	}
	info, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil {
		panic(fmt.Errorf("read %s: %w", upgradetypes.UpgradeInfoFilename, err))
	}
	if info.Name == "" || app.UpgradeKeeper.IsSkipHeight(info.Height) {
		return
	}
	if u, ok := upgrades.Find(ups, info.Name); ok && !storeUpgradesEmpty(u) {
		stores := u.StoreUpgrades
		app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(info.Height, &stores))
	}
}

func storeUpgradesEmpty(u upgrades.Upgrade) bool {
	s := u.StoreUpgrades
	return len(s.Added) == 0 && len(s.Renamed) == 0 && len(s.Deleted) == 0
}

// PreBlocker is the app's PreBlocker: x/upgrade's PreBlock first, then the beacon of
// this height and the other modules' PreBlock (x/beacon/abci.PreBlockHandler).
//
// x/upgrade goes first so that nothing else of the block touches state before it: at a
// plan's height, a binary without the plan's handler stops there (UPGRADE "name"
// NEEDED, upgrade-info.json written) before the beacon or any module writes, and the
// binary with the handler runs the migrations before any code of the new version (the
// beacon's included) reads state in its old layout. The stopped block's writes would be
// discarded anyway (FinalizeBlock fails, nothing is committed, and CometBFT replays the
// block on restart), so the order matters for the new binary above all.
func (app *App) PreBlocker(ctx sdk.Context, req *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
	up, err := app.ModuleManager.Modules[upgradetypes.ModuleName].(appmodule.HasPreBlocker).PreBlock(ctx)
	if err != nil {
		return nil, err
	}
	rest, err := app.beaconPreBlock.PreBlocker(ctx, req)
	if err != nil {
		return nil, err
	}
	return &sdk.ResponsePreBlock{ConsensusParamsChanged: up.IsConsensusParamsChanged() || rest.ConsensusParamsChanged}, nil
}

// preBlockersAfterUpgrade runs the module manager's PreBlockers in their order except
// x/upgrade's, which App.PreBlocker has already run (the manager requires it in its
// order list all the same).
type preBlockersAfterUpgrade struct{ mm *module.Manager }

func (p preBlockersAfterUpgrade) PreBlock(ctx sdk.Context) (*sdk.ResponsePreBlock, error) {
	changed := false
	for _, name := range p.mm.OrderPreBlockers {
		m, ok := p.mm.Modules[name].(appmodule.HasPreBlocker)
		if !ok || name == upgradetypes.ModuleName {
			continue
		}
		rsp, err := m.PreBlock(ctx)
		if err != nil {
			return nil, err
		}
		changed = changed || rsp.IsConsensusParamsChanged()
	}
	return &sdk.ResponsePreBlock{ConsensusParamsChanged: changed}, nil
}

// homeDir is the node's home (--home), where x/upgrade writes and reads
// data/upgrade-info.json; "" for a throwaway app.
func homeDir(appOpts servertypes.AppOptions) string {
	return cast.ToString(appOpts.Get(flags.FlagHome))
}

// skipUpgradeHeights are the heights given with `sovrad start --unsafe-skip-upgrades`:
// a plan due at one of them is cleared instead of stopping the node (an operator's way
// out of an upgrade the network abandoned).
func skipUpgradeHeights(appOpts servertypes.AppOptions) map[int64]bool {
	out := map[int64]bool{}
	for _, h := range cast.ToIntSlice(appOpts.Get(server.FlagUnsafeSkipUpgrades)) {
		out[int64(h)] = true
	}
	return out
}
