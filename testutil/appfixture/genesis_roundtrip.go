package appfixture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"

	"github.com/sovra-network/sovra/app"
)

// GenesisRoundTrip exports the app's state, starts a fresh app from it (InitChain at
// the next height; its state read before any block), exports that, and returns an error naming
// every module whose two exports differ. A chain restarted from an export must hold
// exactly the state it left: lowered capacities, open audits, waiting jobs and ended
// jobs awaiting pruning included. The fresh app's invariants run on the imported state.
func (f *Fixture) GenesisRoundTrip() error {
	first, err := f.App.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	home, err := os.MkdirTemp("", "sovra-genesis-roundtrip-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)
	fresh := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true,
		simtestutil.AppOptionsMap{flags.FlagHome: home}, baseapp.SetChainID(ChainID))
	if _, err := fresh.InitChain(&abci.RequestInitChain{
		ChainId: ChainID, Time: f.now, AppStateBytes: first.AppState,
		ConsensusParams: consensusParams(), InitialHeight: first.Height,
	}); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	// InitChain's writes stay in the state the first block will finalize on; read there.
	ctx := fresh.NewContextLegacy(false, cmtproto.Header{Height: first.Height, ChainID: ChainID, Time: f.now})
	genState, err := fresh.ModuleManager.ExportGenesisForModules(ctx, fresh.AppCodec(), nil)
	if err != nil {
		return fmt.Errorf("export of the imported state: %w", err)
	}
	again, err := json.Marshal(genState)
	if err != nil {
		return err
	}
	imported := &Fixture{T: f.T, App: fresh, height: first.Height, now: f.now, readCtx: &ctx}
	if err := imported.CheckIndexes(); err != nil {
		return fmt.Errorf("imported state: %w", err)
	}
	if err := imported.CheckModuleAccounts(); err != nil {
		return fmt.Errorf("imported state: %w", err)
	}
	return diffAppStates(first.AppState, again)
}

// diffAppStates compares two exported app states module by module (as canonical JSON).
func diffAppStates(a, b []byte) error {
	var ma, mb map[string]json.RawMessage
	if err := json.Unmarshal(a, &ma); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &mb); err != nil {
		return err
	}
	names := make([]string, 0, len(ma))
	for name := range ma {
		names = append(names, name)
	}
	for name := range mb {
		if _, ok := ma[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var diffs []string
	for _, name := range names {
		ca, err := canonical(ma[name])
		if err != nil {
			return err
		}
		cb, err := canonical(mb[name])
		if err != nil {
			return err
		}
		if !bytes.Equal(ca, cb) {
			diffs = append(diffs, fmt.Sprintf("%s:\n  exported: %s\n  after import: %s", name, clip(ca), clip(cb)))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("genesis export -> import -> export differs in %d module(s):\n%s", len(diffs), bytes.Join(toBytes(diffs), []byte("\n")))
	}
	return nil
}

func canonical(raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v) // maps marshal with sorted keys
}

func clip(b []byte) string {
	const shown = 600
	if len(b) > shown {
		return string(b[:shown]) + "…"
	}
	return string(b)
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}
