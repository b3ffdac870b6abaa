package appfixture

import (
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Proposal is what another validator's node proposes at the next height: the fixture's
// app plays every node, so a test builds the block (entry included) itself.
type Proposal struct {
	Height   int64
	Time     time.Time
	Proposer sdk.ConsAddress
	Txs      [][]byte
}

// PrepareAs runs the app's PrepareProposal for the next height as if proposer's node
// were proposing (with this node's VRF key file) and returns the proposal.
func (f *Fixture) PrepareAs(proposer sdk.ConsAddress, txs ...[]byte) Proposal {
	f.T.Helper()
	p := Proposal{Height: f.height + 1, Time: f.now.Add(time.Second), Proposer: proposer}
	prep, err := f.App.PrepareProposal(&abci.RequestPrepareProposal{
		Height: p.Height, Time: p.Time, Txs: txs, MaxTxBytes: 4 << 20, ProposerAddress: proposer,
	})
	if err != nil {
		f.T.Fatalf("PrepareProposal(%d): %v", p.Height, err)
	}
	p.Txs = prep.Txs
	return p
}

// Process runs the app's ProcessProposal on p (it changes no state) and reports
// whether the block is accepted.
func (f *Fixture) Process(p Proposal) bool {
	f.T.Helper()
	resp, err := f.App.ProcessProposal(&abci.RequestProcessProposal{
		Height: p.Height, Time: p.Time, Txs: p.Txs, ProposerAddress: p.Proposer,
	})
	if err != nil {
		f.T.Fatalf("ProcessProposal(%d): %v", p.Height, err)
	}
	return resp.Status == abci.ResponseProcessProposal_ACCEPT
}

// Commit checks p with ProcessProposal (failing the test unless it is accepted), then
// finalizes and commits it, as CometBFT does once the validators accepted another
// node's proposal; it returns each tx's result (beacon entry excluded).
func (f *Fixture) Commit(p Proposal) []*abci.ExecTxResult {
	f.T.Helper()
	if p.Height != f.height+1 {
		f.T.Fatalf("proposal for height %d, next height is %d", p.Height, f.height+1)
	}
	if !f.Process(p) {
		f.T.Fatalf("ProcessProposal(%d) rejected the proposal of %s", p.Height, p.Proposer)
	}
	res, err := f.App.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height: p.Height, Time: p.Time, Txs: p.Txs, ProposerAddress: p.Proposer,
	})
	if err != nil {
		f.T.Fatalf("FinalizeBlock(%d): %v", p.Height, err)
	}
	if _, err := f.App.Commit(); err != nil {
		f.T.Fatalf("Commit(%d): %v", p.Height, err)
	}
	f.height, f.now = p.Height, p.Time
	f.LastBlock = res
	if f.AfterBlock != nil {
		f.AfterBlock()
	}
	return res.TxResults[1:]
}
