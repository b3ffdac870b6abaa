package txclient_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/txclient"
)

// fakeNode is a chain of one account that checks sequences the way the ante handler
// does and includes every accepted transaction at once.
type fakeNode struct {
	t   *testing.T
	enc params.EncodingConfig

	mu        sync.Mutex
	number    uint64
	seq       uint64 // the chain's next expected sequence
	gasUsed   uint64
	included  map[string]txclient.Result
	accepted  []uint64 // sequences of accepted transactions, in order
	gasLimits []uint64
	fees      []sdk.Coins
	accounts  int // Account calls
	// scripted broadcast answers, consumed first
	script []func() (txclient.CheckResult, error)
	// failInBlock makes accepted transactions fail in their block
	failInBlock bool
}

func newFakeNode(t *testing.T) *fakeNode {
	return &fakeNode{t: t, enc: params.Encoding(), number: 7, gasUsed: 100_000, included: map[string]txclient.Result{}}
}

func (n *fakeNode) Account(_ context.Context, _ string) (uint64, uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.accounts++
	return n.number, n.seq, nil
}

func (n *fakeNode) Simulate(_ context.Context, txBytes []byte) (uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if seq := n.sequenceOf(txBytes); seq != n.seq {
		return 0, fmt.Errorf("account sequence mismatch, expected %d, got %d: incorrect account sequence", n.seq, seq)
	}
	return n.gasUsed, nil
}

func (n *fakeNode) sequenceOf(txBytes []byte) uint64 {
	tx, err := n.enc.TxConfig.TxDecoder()(txBytes)
	require.NoError(n.t, err)
	sigs, err := tx.(authsigning.Tx).GetSignaturesV2()
	require.NoError(n.t, err)
	return sigs[0].Sequence
}

func (n *fakeNode) BroadcastSync(_ context.Context, txBytes []byte) (txclient.CheckResult, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.script) > 0 {
		next := n.script[0]
		n.script = n.script[1:]
		return next()
	}
	hash := sha256.Sum256(txBytes)
	if seq := n.sequenceOf(txBytes); seq != n.seq {
		return txclient.CheckResult{
			Hash: hash[:], Codespace: sdkerrors.RootCodespace, Code: sdkerrors.ErrWrongSequence.ABCICode(),
			Log: fmt.Sprintf("account sequence mismatch, expected %d, got %d: incorrect account sequence", n.seq, seq),
		}, nil
	}
	tx, err := n.enc.TxConfig.TxDecoder()(txBytes)
	require.NoError(n.t, err)
	feeTx := tx.(sdk.FeeTx)
	n.accepted = append(n.accepted, n.seq)
	n.gasLimits = append(n.gasLimits, feeTx.GetGas())
	n.fees = append(n.fees, feeTx.GetFee())
	n.seq++
	res := txclient.Result{Height: 10, Hash: strings.ToUpper(fmt.Sprintf("%x", hash))}
	if n.failInBlock {
		res.Code, res.Codespace, res.Log = 5, "bank", "insufficient funds"
	}
	n.included[string(hash[:])] = res
	return txclient.CheckResult{Hash: hash[:]}, nil
}

func (n *fakeNode) Tx(_ context.Context, hash []byte) (txclient.Result, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r, ok := n.included[string(hash)]; ok {
		return r, nil
	}
	return txclient.Result{}, txclient.ErrNotFound
}
