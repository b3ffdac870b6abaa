package simulation

import (
	"bytes"
	"encoding/json"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"

	"github.com/sovra-network/sovra/app"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// sovraModules are the modules whose exported genesis must survive an import unchanged.
var sovraModules = []string{beacontypes.ModuleName, providertypes.ModuleName, tasktypes.ModuleName, rewardstypes.ModuleName, verifytypes.ModuleName}

// exportImport exports the app's state at its last height, checks that every module
// validates its part, imports it into a fresh app (InitChain at the next height) and
// exports that app's genesis state again: each Sovra module's must be the same.
func exportImport(a *app.App, dir string) error {
	exported, err := a.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(exported.AppState, &state); err != nil {
		return err
	}
	if err := a.BasicModuleManager.ValidateGenesis(a.AppCodec(), a.TxConfig(), state); err != nil {
		return fmt.Errorf("the exported genesis does not validate: %w", err)
	}
	b := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.AppOptionsMap{flags.FlagHome: dir}, baseapp.SetChainID(ChainID))
	if _, err := b.InitChain(&abci.RequestInitChain{
		ChainId: ChainID, AppStateBytes: exported.AppState, ConsensusParams: &exported.ConsensusParams, InitialHeight: exported.Height,
	}); err != nil {
		return fmt.Errorf("import the exported genesis (InitChain): %w", err)
	}
	ctx := b.NewContextLegacy(false, cmtproto.Header{Height: exported.Height, ChainID: ChainID})
	again, err := b.ModuleManager.ExportGenesisForModules(ctx, b.AppCodec(), sovraModules)
	if err != nil {
		return fmt.Errorf("export the imported state: %w", err)
	}
	for _, m := range sovraModules {
		var before, after bytes.Buffer
		if err := json.Compact(&before, state[m]); err != nil {
			return err
		}
		if err := json.Compact(&after, again[m]); err != nil {
			return err
		}
		if !bytes.Equal(before.Bytes(), after.Bytes()) {
			return fmt.Errorf("x/%s: the genesis exported after an import differs from the one imported:\n%s\n%s", m, before.Bytes(), after.Bytes())
		}
	}
	return nil
}
