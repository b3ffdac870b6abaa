package txclient_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/txclient"
)

func newClient(n *fakeNode, opts txclient.Options) *txclient.Client {
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	opts.PollInterval = time.Millisecond
	return txclient.New(n.enc, "chain-1", n, txclient.PrivKey(secp256k1.GenPrivKeyFromSecret([]byte("a"))), opts)
}

func send(c *txclient.Client) sdk.Msg {
	return &banktypes.MsgSend{FromAddress: c.Address(), ToAddress: c.Address(), Amount: sdk.NewCoins(sdk.NewInt64Coin("usovra", 1))}
}

// CheckTx's "account sequence mismatch" log names the sequence the node expects.
func TestTheExpectedSequenceIsReadFromTheLog(t *testing.T) {
	cases := map[string]struct {
		want uint64
		ok   bool
	}{
		"account sequence mismatch, expected 5, got 7: incorrect account sequence":     {5, true},
		"account sequence mismatch, expected 12345, got 0: incorrect account sequence": {12345, true},
		"insufficient funds": {0, false},
		"expected x, got 7":  {0, false},
	}
	for log, c := range cases {
		got, ok := txclient.ExpectedSequence(log)
		require.Equal(t, c.ok, ok, log)
		require.Equal(t, c.want, got, log)
	}
}

func TestSignIsValidDirectSignature(t *testing.T) {
	enc := params.Encoding()
	priv := secp256k1.GenPrivKeyFromSecret([]byte("test/0"))
	key := txclient.PrivKey(priv)
	require.True(t, strings.HasPrefix(key.Bech32(), "sovra1"), key.Bech32())
	msg := &banktypes.MsgSend{FromAddress: key.Bech32(), ToAddress: key.Bech32(), Amount: sdk.NewCoins(sdk.NewInt64Coin("usovra", 3))}
	acc := txclient.Account{ChainID: "chain-1", Number: 42, Sequence: 7}

	raw, err := txclient.Sign(context.Background(), enc, key, acc, txclient.Fee{Gas: 90_000, Memo: "m"}, msg)
	require.NoError(t, err)
	decoded, err := enc.TxConfig.TxDecoder()(raw)
	require.NoError(t, err)
	tx := decoded.(authsigning.Tx)
	require.Equal(t, uint64(90_000), tx.GetGas())
	require.True(t, tx.GetFee().IsZero(), "no fee")
	require.Equal(t, "m", tx.GetMemo())
	sigs, err := tx.GetSignaturesV2()
	require.NoError(t, err)
	require.Len(t, sigs, 1)
	require.Equal(t, uint64(7), sigs[0].Sequence)
	require.True(t, sigs[0].PubKey.Equals(priv.PubKey()))
	data := sigs[0].Data.(*signing.SingleSignatureData)
	require.Equal(t, signing.SignMode_SIGN_MODE_DIRECT, data.SignMode)

	// The signature verifies over the sign bytes of this chain, account and sequence.
	signBytes := func(seq uint64) []byte {
		b, err := authsigning.GetSignBytesAdapter(context.Background(), enc.TxConfig.SignModeHandler(), signing.SignMode_SIGN_MODE_DIRECT,
			authsigning.SignerData{Address: key.Bech32(), ChainID: "chain-1", AccountNumber: 42, Sequence: seq, PubKey: key.PubKey}, tx)
		require.NoError(t, err)
		return b
	}
	require.True(t, priv.PubKey().VerifySignature(signBytes(7), data.Signature))
	acc.Sequence = 8
	other, err := txclient.Sign(context.Background(), enc, key, acc, txclient.Fee{Gas: 90_000}, msg)
	require.NoError(t, err)
	require.NotEqual(t, sha256.Sum256(raw), sha256.Sum256(other), "each sequence is a distinct tx")
}

func TestSendSizesGasBySimulationAndPaysTheGasPrice(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{
		GasAdjustment: 1.5, GasPrices: sdk.NewDecCoins(sdk.NewDecCoinFromDec("usovra", sdkMustDec("0.01"))),
		ExtraGas: func(msgs []sdk.Msg) uint64 { return uint64(7 * len(msgs)) },
	})
	res, err := c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, int64(10), res.Height)
	require.Equal(t, []uint64{150_007}, n.gasLimits)
	require.Equal(t, "1501usovra", n.fees[0].String(), "0.01 × 150,007 rounded up")

	fixed := newClient(n, txclient.Options{Gas: 80_000, Fees: sdk.NewCoins(sdk.NewInt64Coin("usovra", 3))})
	_, err = fixed.Send(context.Background(), nil, send(fixed))
	require.NoError(t, err)
	require.Equal(t, uint64(80_000), n.gasLimits[1])
	require.Equal(t, "3usovra", n.fees[1].String())
}

func TestSendRecoversFromAStaleSequence(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	_, err := c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	// Another process sends from the same key: the client's sequence is now stale.
	n.seq += 3
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 4}, n.accepted)
	require.Equal(t, 1, c.MismatchCount())

	// CheckTx's log names the expected sequence: no account query is needed.
	n.seq += 2
	queries := n.accounts
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, uint64(7), n.accepted[2])
	require.Equal(t, queries, n.accounts, "the expected sequence came from the log")
}

func TestSendRereadsTheAccountWhenTheLogSaysNothing(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	_, err := c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	n.script = append(n.script, func() (txclient.CheckResult, error) {
		return txclient.CheckResult{Codespace: sdkerrors.RootCodespace, Code: sdkerrors.ErrWrongSequence.ABCICode(), Log: "incorrect account sequence"}, nil
	})
	queries := n.accounts
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, queries+1, n.accounts)
	require.Equal(t, []uint64{0, 1}, n.accepted)
}

func TestUnknownBroadcastFateRereadsTheSequence(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	_, err := c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	n.script = append(n.script, func() (txclient.CheckResult, error) { return txclient.CheckResult{}, errors.New("connection reset") })
	queries := n.accounts
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, queries+1, n.accounts)
}

func TestAFullMempoolIsWaitedOut(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{Retries: 1})
	full := func() (txclient.CheckResult, error) {
		return txclient.CheckResult{Codespace: sdkerrors.RootCodespace, Code: sdkerrors.ErrMempoolIsFull.ABCICode(), Log: "mempool is full"}, nil
	}
	n.script = append(n.script, full, full, full, func() (txclient.CheckResult, error) { return txclient.CheckResult{}, errors.New("mempool is full") })
	_, err := c.Send(context.Background(), nil, send(c))
	require.NoError(t, err, "a full mempool does not use up the retries")
	require.Equal(t, 4, c.MempoolFullCount())
	require.Equal(t, []uint64{0}, n.accepted)
}

func TestAlreadyInCacheCountsAsTaken(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	n.script = append(n.script, func() (txclient.CheckResult, error) {
		return txclient.CheckResult{}, errors.New("tx already exists in cache")
	})
	hash, err := c.Broadcast(context.Background(), send(c))
	require.NoError(t, err)
	require.Len(t, hash, 32)
	n.seq++ // the earlier try was taken by the node
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, []uint64{1}, n.accepted, "the next send used the following sequence")
	require.Zero(t, c.MismatchCount())
}

func TestARefusalAtCheckIsTypedAndKeepsTheSequence(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	n.script = append(n.script, func() (txclient.CheckResult, error) {
		return txclient.CheckResult{Codespace: "task", Code: 9, Log: "max fee too low"}, nil
	})
	_, err := c.Send(context.Background(), nil, send(c))
	var check *txclient.CheckTxError
	require.ErrorAs(t, err, &check)
	require.ErrorIs(t, err, txclient.ErrTxFailed)
	require.Equal(t, uint32(9), check.Code)
	require.Equal(t, "task", check.Codespace)
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, []uint64{0}, n.accepted, "the refused tx did not use the sequence")
}

func TestAFailureInTheBlockComesWithItsResult(t *testing.T) {
	n := newFakeNode(t)
	n.failInBlock = true
	c := newClient(n, txclient.Options{})
	res, err := c.Send(context.Background(), nil, send(c))
	require.ErrorIs(t, err, txclient.ErrTxFailed)
	require.Equal(t, int64(10), res.Height)
	require.Equal(t, uint32(5), res.Code)
	n.failInBlock = false
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1}, n.accepted, "a failed tx still used its sequence")
}

func TestRetriesAreBounded(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{Retries: 2})
	for range 10 {
		n.script = append(n.script, func() (txclient.CheckResult, error) { return txclient.CheckResult{}, errors.New("connection refused") })
	}
	_, err := c.Send(context.Background(), nil, send(c))
	require.ErrorContains(t, err, "after 3 attempts")
	require.ErrorContains(t, err, "connection refused")
	require.Len(t, n.script, 7)
}

func TestBeforeBroadcastSeesTheHashAndCanAbort(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	var seen string
	res, err := c.Send(context.Background(), func(h string) error { seen = h; return nil }, send(c))
	require.NoError(t, err)
	require.Equal(t, res.Hash, seen)
	_, err = c.Send(context.Background(), func(string) error { return errors.New("disk full") }, send(c))
	require.ErrorContains(t, err, "disk full")
	require.Len(t, n.accepted, 1, "nothing was broadcast")
}

func TestATxNeverIncludedTimesOut(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{TxTimeout: 20 * time.Millisecond})
	n.script = append(n.script, func() (txclient.CheckResult, error) { return txclient.CheckResult{Hash: []byte{1}}, nil })
	_, err := c.Send(context.Background(), nil, send(c))
	require.ErrorContains(t, err, "not included after")
	queries := n.accounts
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	require.Equal(t, queries+1, n.accounts, "the sequence was read again")
}

func TestConcurrentSendsNeverReuseASequence(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Send(context.Background(), nil, send(c))
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	require.Len(t, n.accepted, 16)
	for i, s := range n.accepted {
		require.Equal(t, uint64(i), s)
	}
	require.Zero(t, c.MismatchCount())
}
