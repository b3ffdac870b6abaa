package txclient_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/txclient"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
)

func keyOf(name string) txclient.Key {
	return txclient.PrivKey(secp256k1.GenPrivKeyFromSecret([]byte(name)))
}

// changeWorker is a message with two signers: the operator, then the worker.
func changeWorker(op, worker txclient.Key) *providertypes.MsgChangeWorker {
	return &providertypes.MsgChangeWorker{Operator: op.Bech32(), Worker: worker.Bech32()}
}

// SignMulti puts each key's signature where the messages name its signer, whatever the
// order the keys come in, and each signature verifies over the sign bytes of its own
// account number and sequence.
func TestSignMultiSignsForEverySigner(t *testing.T) {
	enc := params.Encoding()
	ctx := context.Background()
	op, worker := keyOf("operator"), keyOf("worker")
	msg := changeWorker(op, worker)
	raw, err := txclient.SignMulti(ctx, enc, "chain-1", []txclient.Signer{
		{Key: worker, Number: 9, Sequence: 4}, {Key: op, Number: 3, Sequence: 11},
	}, txclient.Fee{Gas: 90_000}, msg)
	require.NoError(t, err)
	decoded, err := enc.TxConfig.TxDecoder()(raw)
	require.NoError(t, err)
	tx := decoded.(authsigning.Tx)
	sigs, err := tx.GetSignaturesV2()
	require.NoError(t, err)
	require.Len(t, sigs, 2)
	for i, want := range []struct {
		key         txclient.Key
		number, seq uint64
	}{{op, 3, 11}, {worker, 9, 4}} {
		require.True(t, sigs[i].PubKey.Equals(want.key.PubKey), "signature %d", i)
		require.Equal(t, want.seq, sigs[i].Sequence)
		signBytes, err := authsigning.GetSignBytesAdapter(ctx, enc.TxConfig.SignModeHandler(), signing.SignMode_SIGN_MODE_DIRECT,
			authsigning.SignerData{Address: want.key.Bech32(), ChainID: "chain-1", AccountNumber: want.number, Sequence: want.seq, PubKey: want.key.PubKey}, tx)
		require.NoError(t, err)
		require.True(t, want.key.PubKey.VerifySignature(signBytes, sigs[i].Data.(*signing.SingleSignatureData).Signature), "signature %d", i)
	}

	// A missing signer or a key that is none is an error; a worker that is the operator
	// signs once.
	_, err = txclient.SignMulti(ctx, enc, "chain-1", []txclient.Signer{{Key: op}}, txclient.Fee{}, msg)
	require.ErrorContains(t, err, "need the signature of "+worker.Bech32())
	_, err = txclient.SignMulti(ctx, enc, "chain-1", []txclient.Signer{{Key: op}, {Key: worker}, {Key: keyOf("x")}}, txclient.Fee{}, msg)
	require.ErrorContains(t, err, "is not a signer")
	raw, err = txclient.SignMulti(ctx, enc, "chain-1", []txclient.Signer{{Key: op}, {Key: op}}, txclient.Fee{}, changeWorker(op, op))
	require.NoError(t, err)
	decoded, err = enc.TxConfig.TxDecoder()(raw)
	require.NoError(t, err)
	sigs, err = decoded.(authsigning.Tx).GetSignaturesV2()
	require.NoError(t, err)
	require.Len(t, sigs, 1)
}

// SendCoSigned reads the co-signer's account number and sequence at every send and
// recovers when another client used the co-signer's key meanwhile, without guessing the
// client's own sequence from a log that may be about the co-signer.
func TestSendCoSignedTracksTheCoSignersAccount(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	op := keyOf("a") // newClient's key
	worker := keyOf("worker")
	require.Equal(t, op.Bech32(), c.Address())
	n.others[worker.Bech32()] = &fakeAccount{number: 9, seq: 4}

	_, err := c.SendCoSigned(context.Background(), []txclient.Key{worker}, changeWorker(op, worker))
	require.NoError(t, err)
	require.Equal(t, [][]string{{op.Bech32(), worker.Bech32()}}, n.signers)
	require.Equal(t, uint64(5), n.others[worker.Bech32()].seq)

	// The worker's own client sends twice meanwhile; the client's own sends go on.
	n.others[worker.Bech32()].seq += 2
	_, err = c.Send(context.Background(), nil, send(c))
	require.NoError(t, err)
	_, err = c.SendCoSigned(context.Background(), []txclient.Key{worker}, changeWorker(op, worker))
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1, 2}, n.accepted)
	require.Equal(t, uint64(8), n.others[worker.Bech32()].seq)
	require.Zero(t, c.MismatchCount(), "the co-signer's sequence was read, not guessed")

	// The worker's key is used between the read and the broadcast: the refusal's log is
	// about the worker, so nothing in it is taken as the client's sequence.
	n.script = append(n.script, func() (txclient.CheckResult, error) {
		w := n.others[worker.Bech32()]
		w.seq++
		return txclient.CheckResult{
			Codespace: sdkerrors.RootCodespace, Code: sdkerrors.ErrWrongSequence.ABCICode(),
			Log: fmt.Sprintf("account sequence mismatch, expected %d, got %d: incorrect account sequence", w.seq, w.seq-1),
		}, nil
	})
	_, err = c.SendCoSigned(context.Background(), []txclient.Key{worker}, changeWorker(op, worker))
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1, 2, 3}, n.accepted)
	require.Equal(t, 1, c.MismatchCount())
}

// A co-signer without an account (never funded) cannot sign: the send stops at once with
// ErrNoAccount, saying to fund the address, and nothing is broadcast.
func TestSendCoSignedWithoutTheCoSignersAccount(t *testing.T) {
	n := newFakeNode(t)
	c := newClient(n, txclient.Options{})
	worker := keyOf("worker")
	n.missing[worker.Bech32()] = true
	_, err := c.SendCoSigned(context.Background(), []txclient.Key{worker}, changeWorker(keyOf("a"), worker))
	require.ErrorIs(t, err, txclient.ErrNoAccount)
	require.ErrorContains(t, err, "co-signer "+worker.Bech32()+" has no account on chain: fund the address first")
	require.Empty(t, n.accepted)
	require.Equal(t, 2, n.accounts, "no retries: the client's account and the co-signer's, once")

	// The same for the client's own key.
	fresh := txclient.New(n.enc, "chain-1", n, worker, txclient.Options{})
	_, err = fresh.Send(context.Background(), nil, send(fresh))
	require.ErrorIs(t, err, txclient.ErrNoAccount)
	require.Empty(t, n.accepted)
}
