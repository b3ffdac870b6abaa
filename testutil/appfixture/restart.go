package appfixture

import (
	"fmt"
	"io"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"

	"github.com/sovra-network/sovra/app"
)

// AppBuilder builds the app the way a binary does (app.New, or app.NewWithUpgrades with
// other upgrades).
type AppBuilder func(logger log.Logger, db dbm.DB, traceStore io.Writer, loadLatest bool,
	appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp)) *app.App

// TryNextBlock is NextBlock that returns FinalizeBlock's error instead of failing the
// test, as when x/upgrade stops a binary at a plan's height. The failed block is neither
// committed nor counted, and the next block (after Restart, usually) finalizes the same
// request again, as CometBFT replays a decided block that the app did not commit.
// PrepareProposal, ProcessProposal and Commit failures still fail the test.
func (f *Fixture) TryNextBlock(txs ...[]byte) ([]*abci.ExecTxResult, error) {
	f.T.Helper()
	h := f.height + 1
	req := f.pending
	if req != nil && len(txs) > 0 {
		f.T.Fatalf("block %d failed and is replayed as it was decided: it takes no new txs", h)
	}
	if req == nil {
		f.now = f.now.Add(time.Second)
		prep, err := f.App.PrepareProposal(&abci.RequestPrepareProposal{
			Height: h, Time: f.now, Txs: txs, MaxTxBytes: 4 << 20, ProposerAddress: f.ConsAddr,
		})
		if err != nil {
			f.T.Fatalf("PrepareProposal(%d): %v", h, err)
		}
		proc, err := f.App.ProcessProposal(&abci.RequestProcessProposal{
			Height: h, Time: f.now, Txs: prep.Txs, ProposerAddress: f.ConsAddr,
		})
		if err != nil || proc.Status != abci.ResponseProcessProposal_ACCEPT {
			f.T.Fatalf("ProcessProposal(%d) rejected its own proposal: %v %v", h, proc, err)
		}
		req = &abci.RequestFinalizeBlock{Height: h, Time: f.now, Txs: prep.Txs, ProposerAddress: f.ConsAddr}
	}
	start := time.Now()
	res, err := f.App.FinalizeBlock(req)
	if err != nil {
		f.pending = req
		return nil, fmt.Errorf("FinalizeBlock(%d): %w", h, err)
	}
	f.pending = nil
	finalized := time.Now()
	if _, err := f.App.Commit(); err != nil {
		f.T.Fatalf("Commit(%d): %v", h, err)
	}
	f.LastFinalize, f.LastCommit = finalized.Sub(start), time.Since(finalized)
	f.height = h
	f.LastBlock = res
	if f.AfterBlock != nil {
		f.AfterBlock()
	}
	// Map results back to the caller's txs: the proposal starts with the beacon entry.
	return res.TxResults[1:], nil
}

// Restart replaces the app with one that build makes on the same database and home, as
// a node restarted with another binary: it loads the last committed state. A block that
// failed before is finalized again by the next block.
func (f *Fixture) Restart(build AppBuilder) {
	f.T.Helper()
	f.App = build(log.NewNopLogger(), f.db, nil, true, f.appOpts, baseapp.SetChainID(ChainID))
	if got := f.App.LastBlockHeight(); got != f.height {
		f.T.Fatalf("restarted app is at height %d, the chain at %d", got, f.height)
	}
}
