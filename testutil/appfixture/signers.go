package appfixture

import (
	"math/rand"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
)

// Transactions with several signers: a provider registration or worker change is signed
// by the operator and by the worker address it binds.

// SignTxBy builds a tx of msgs signed by each of accs, in that order, advancing their
// sequences. The order must be the one in which the messages name their signers (a
// provider's operator before its worker); an account given twice signs once, as the
// SDK counts a signer once. Tests of forged transactions pass other accounts or fewer.
func (f *Fixture) SignTxBy(accs []*Account, msgs ...sdk.Msg) []byte {
	f.T.Helper()
	var (
		privs        []cryptotypes.PrivKey
		numbers, seq []uint64
		signers      []*Account
	)
	for _, acc := range accs {
		if slices.Contains(signers, acc) {
			continue
		}
		signers = append(signers, acc)
		privs, numbers, seq = append(privs, acc.Priv), append(numbers, acc.Number), append(seq, acc.Seq)
	}
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(int64(seq[0]))), f.App.TxConfig(), msgs,
		sdk.NewCoins(), 2_000_000, ChainID, numbers, seq, privs...)
	if err != nil {
		f.T.Fatal(err)
	}
	bz, err := f.App.TxConfig().TxEncoder()(tx)
	if err != nil {
		f.T.Fatal(err)
	}
	for _, acc := range signers {
		acc.Seq++
	}
	return bz
}

// DeliverBy runs msgs signed by accs (SignTxBy) in the next block and returns the tx
// result.
func (f *Fixture) DeliverBy(accs []*Account, msgs ...sdk.Msg) *abci.ExecTxResult {
	f.T.Helper()
	res := f.NextBlock(f.SignTxBy(accs, msgs...))[0]
	for _, acc := range accs {
		f.SyncSequence(acc)
	}
	return res
}

// MustDeliverBy is DeliverBy that fails the test unless the tx succeeds.
func (f *Fixture) MustDeliverBy(accs []*Account, msgs ...sdk.Msg) *abci.ExecTxResult {
	f.T.Helper()
	res := f.DeliverBy(accs, msgs...)
	if res.Code != 0 {
		f.T.Fatalf("tx from %s failed (code %d): %s", accs[0].Name, res.Code, res.Log)
	}
	return res
}

// RegisterProvider delivers msg signed by its operator op and its worker (one signature
// when they are the same account), as the chain requires, and fails the test unless it
// succeeds.
func (f *Fixture) RegisterProvider(op, worker *Account, msg *providertypes.MsgRegisterProvider) *abci.ExecTxResult {
	f.T.Helper()
	return f.MustDeliverBy([]*Account{op, worker}, msg)
}
